/**
 * The bad-input corpus (src/Corpus.ts) against a pre-populated state: every case must be accepted, or reported
 * with its location, or fail with a typed error naming the location — never crash (no defect, no stack trace),
 * never deactivate anyone. Each case runs twice: in-process through `Sync` (apply, against the emulator) and
 * through the built CLI (`plan --json`).
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { employees, type Employee } from "@anysource/bench/Dataset"
import * as H from "@anysource/bench/Harness"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Corpus from "../src/Corpus.ts"
import * as Cli from "./support/cli.ts"

let org: H.Org
let root: { path: string; remove: () => void }
let base: ReadonlyArray<Employee>
const populated = () => join(root.path, "populated.db")

beforeAll(async () => {
  Cli.ensureBuilt()
  org = await H.startOrg({ strict: true })
  root = H.tempDir("corpus")
  base = [...employees(60, 3)]
  writeFileSync(join(root.path, "people.csv"), H.csvOf(base))
  const loaded = await H.loadConfig(H.employeeConfig({ path: "people.csv", baseDir: root.path }, org.emu.url), root.path)
  const first = await H.runSync({ org, loaded, statePath: populated() })
  expect(first.report.outcome).toBe("applied")
  expect(H.directoryVersusSource(org.emu, base)).toEqual([])
})

afterAll(async () => {
  await org?.close()
  root?.remove()
})

const caseDir = (i: number, c: Corpus.Case, kind: string) => {
  const dir = join(root.path, `${kind}-${i}`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir)
  writeFileSync(join(dir, c.file), c.content)
  copyFileSync(populated(), join(dir, "state.db"))
  return dir
}

const deactivated = () => org.emu.directory.users().filter((u) => u.status !== "ACTIVE").map((u) => u.externalId)

describe("bad input corpus", () => {
  const corpus = () => Corpus.cases(base)

  it("has the cases the reliability report lists", () => {
    expect(corpus().length).toBeGreaterThanOrEqual(30)
  })

  it("in-process (Sync apply): accepted, located issues or a located typed error; no defect, nobody deactivated", { timeout: 180_000 }, async () => {
    const outcomes: Array<string> = []
    for (const [i, c] of corpus().entries()) {
      const dir = caseDir(i, c, "sync")
      const loaded = await H.loadConfig(H.employeeConfig({ path: c.file, baseDir: dir, ...(c.source ? { source: c.source } : {}) }, org.emu.url), dir)
      // a defect (exception, die) rejects here and fails the test
      const { report } = await H.runSync({ org, loaded, statePath: join(dir, "state.db") })
      const s = report.summary
      const where = `case "${c.name}": outcome ${report.outcome} ${JSON.stringify(report.error ?? {})} issues ${JSON.stringify(report.issues.slice(0, 4))}`
      outcomes.push(`${c.name}: ${report.outcome}${report.error ? ` ${report.error.tag}` : ""}`)
      // a plan may want deactivations only when a safeguard then stops it (a truncated or empty source)
      if (report.outcome !== "safeguard") expect.soft(s?.users.deactivate ?? 0, where).toBe(0)
      expect.soft(deactivated(), where).toEqual([])
      switch (c.expect.kind) {
        case "ok":
          expect.soft(report.error, where).toBeUndefined()
          expect.soft(report.issues, where).toEqual([])
          if (c.expect.updates !== undefined) expect.soft(s?.users.update, where).toBe(c.expect.updates)
          break
        case "issues": {
          expect.soft(report.error, where).toBeUndefined()
          const located = report.issues.map((x) => x.location)
          for (const l of c.expect.locations) expect.soft(located, where).toContain(l)
          for (const f of c.expect.fields ?? []) expect.soft(report.issues.some((x) => x.field === f), where).toBe(true)
          // the known people whose rows are invalid are held as they are, never deactivated
          expect.soft(s?.users.held ?? 0, where).toBe(c.expect.held ?? c.expect.locations.length)
          break
        }
        case "error":
          expect.soft(report.error?.tag, where).toBe(c.expect.tag)
          if (c.expect.location !== undefined) expect.soft(report.error?.message ?? "", where).toContain(c.expect.location)
          if (c.expect.message !== undefined) expect.soft(report.error?.message ?? "", where).toContain(c.expect.message)
          break
      }
    }
    expect(outcomes.length).toBe(corpus().length)
  })

  it("through the built CLI (plan --json): typed exit codes, no stack trace, locations shown", { timeout: 180_000 }, async () => {
    const config = (c: Corpus.Case) =>
      JSON.stringify({
        ...H.employeeConfig({ path: c.file, baseDir: ".", ...(c.source ? { source: c.source } : {}) }, org.emu.url),
        okta: { orgUrl: org.emu.url, identitySourceId: H.SOURCE_ID, auth: { type: "ssws", token: "${OKTA_API_TOKEN}" } }
      })
    const jobs = corpus().map((c, i) => async () => {
      const dir = caseDir(i, c, "cli")
      writeFileSync(join(dir, "anysource.json"), config(c))
      const r = await Cli.run(dir, ["plan", "--json", "-c", "anysource.json"], { OKTA_API_TOKEN: H.API_TOKEN })
      return { c, r }
    })
    const results: Array<{ c: Corpus.Case; r: Cli.CliResult }> = []
    const queue = [...jobs]
    await Promise.all(
      [0, 1].map(async () => {
        for (let job = queue.shift(); job; job = queue.shift()) results.push(await job())
      })
    )
    for (const { c, r } of results) {
      const where = `case "${c.name}": ${Cli.show(r)}`
      expect.soft(r.stderr, where).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/) // no stack trace
      expect.soft(r.stderr, where).not.toMatch(/unexpected error|please report/i)
      switch (c.expect.kind) {
        case "ok":
          expect.soft([0, 2], where).toContain(r.code)
          break
        case "issues":
          expect.soft([0, 2], where).toContain(r.code)
          for (const l of c.expect.locations) expect.soft(r.stdout, where).toContain(l)
          break
        case "error":
          expect.soft(r.code, where).toBe({ SourceError: 4, ValidationError: 5, SafeguardTripped: 6 }[c.expect.tag])
          if (c.expect.location !== undefined) expect.soft(r.stderr + r.stdout, where).toContain(c.expect.location)
          if (c.expect.message !== undefined) expect.soft(r.stderr + r.stdout, where).toContain(c.expect.message)
          break
      }
    }
    expect(deactivated()).toEqual([])
  })
})
