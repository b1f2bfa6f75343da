// Regenerates the source tables of README.md and docs/configuration.md from the registry (src/Sources.ts):
//   pnpm gen:docs            (at the repository root; or pnpm --filter @anysource/runtime gen:docs)
//   ... gen:docs --check     exit 1 and name the stale files instead of writing them
//   ... gen:docs --root DIR  another checkout (the new-source test runs it in a temporary copy)
// test/Docs.test.ts fails when a committed table is stale.
import { readFileSync, writeFileSync } from "node:fs"
import * as Path from "node:path"
import { parseArgs } from "node:util"
import { Effect } from "effect"
import * as Docs from "../src/Docs.ts"
import { registry } from "../src/Sources.ts"

const { values } = parseArgs({ options: { check: { type: "boolean", default: false }, root: { type: "string" } } })
const root = Path.resolve(values.root ?? Path.join(import.meta.dirname, "..", "..", ".."))
const rows = await Effect.runPromise(Docs.rowsOf(registry))
const stale: Array<string> = []
for (const target of Docs.targets) {
  const file = Path.join(root, target.file)
  const before = readFileSync(file, "utf8")
  const after = Docs.regenerate(rows, target.file, before, target.packagesDir)
  if (after === before) process.stdout.write(`up to date: ${target.file}\n`)
  else if (values.check) stale.push(target.file)
  else {
    writeFileSync(file, after)
    process.stdout.write(`wrote: ${target.file}\n`)
  }
}
if (stale.length > 0) {
  process.stderr.write(`stale: ${stale.join(", ")}; run \`pnpm gen:docs\`\n`)
  process.exit(1)
}
