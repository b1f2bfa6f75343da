#!/usr/bin/env node
// Sums vitest's JSON reports (test-results.json in every package and app) into one line:
// "N passed, N failed". Exits 1 when any test failed, when a package that has tests wrote no report,
// or when no test ran at all.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
let passed = 0
let failed = 0
let skipped = 0
const missing = []
for (const group of ["packages", "apps", "bench"]) {
  const base = join(root, group)
  if (!existsSync(base)) continue
  const dirs = group === "bench" ? [base] : readdirSync(base).map((d) => join(base, d))
  for (const dir of dirs) {
    const pkgFile = join(dir, "package.json")
    if (!existsSync(pkgFile)) continue
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8"))
    if (!pkg.scripts?.test) continue
    const report = join(dir, "test-results.json")
    if (!existsSync(report)) {
      missing.push(pkg.name)
      continue
    }
    const r = JSON.parse(readFileSync(report, "utf8"))
    passed += r.numPassedTests ?? 0
    failed += r.numFailedTests ?? 0
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
    // A file that failed to load counts as a failure even when it reported no test.
    for (const file of r.testResults ?? []) if (file.status === "failed" && (file.assertionResults ?? []).length === 0) failed++
  }
}
for (const name of missing) console.error(`no test report from ${name} (its tests did not run)`)
failed += missing.length
const skippedPart = skipped > 0 ? `, ${skipped} skipped` : ""
console.log(`${passed} passed, ${failed} failed${skippedPart}`)
process.exit(failed > 0 || passed === 0 || skipped > 0 ? 1 : 0)
