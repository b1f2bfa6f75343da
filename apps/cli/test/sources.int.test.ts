/**
 * End to end through the BUILT binary, one pipeline per non-file source, into the embedded emulator:
 * SQL (the SQLite example) and REST (the example against its fake HR API). What reached "Okta" is read from the emulator's persisted org.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startFakeHrApi } from "../../../examples/rest/fake-hr-api.mjs"
import { appDir, emulatorOf, ensureBuilt, removeTempDirs, run, show, tempDir } from "./support/cli.ts"

const examples = path.resolve(appDir, "../../examples")

beforeAll(ensureBuilt, 120_000)
afterAll(removeTempDirs)

const copyExample = (sub: string, files: ReadonlyArray<string>): string => {
  const dir = tempDir()
  for (const f of files) fs.copyFileSync(path.join(examples, sub, f), path.join(dir, f))
  return dir
}

const activeUsers = (dir: string) => emulatorOf(dir).users.filter((u) => u.status === "ACTIVE")

describe("sql source (SQLite example)", () => {
  it("apply creates the query's people in Okta; a second plan finds nothing to change", async () => {
    const dir = copyExample("sql/sqlite", ["anysource.yaml", "hr.db"])
    const applied = await run(dir, ["apply", "--yes", "--report", "run.json"])
    expect(applied.code, show(applied)).toBe(0)
    const report = JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8"))
    expect(report.outcome).toBe("applied")
    const created = report.summary.users.create as number
    expect(created).toBeGreaterThan(5)
    expect(activeUsers(dir)).toHaveLength(created)
    // locations name the key column's value
    expect(report.plan.users[0].location).toMatch(/employee_id=/)
    const again = await run(dir, ["plan"])
    expect(again.code, show(again)).toBe(0)
  }, 120_000)
})

describe("rest source (example against its fake HR API)", () => {
  it("apply creates the API's active people; a second plan finds nothing to change", async () => {
    const api = await startFakeHrApi({ port: 0, perSecond: 1000 })
    try {
      const dir = copyExample("rest", ["anysource.yaml"])
      const env = { HR_API_URL: `${api.url}/v1`, HR_TOKEN_URL: `${api.url}/oauth/token`, HR_CLIENT_SECRET: "demo-secret" }
      const applied = await run(dir, ["apply", "--yes", "--report", "run.json"], env)
      expect(applied.code, show(applied)).toBe(0)
      expect(`${applied.stdout}${applied.stderr}`).not.toContain("demo-secret")
      const report = JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8"))
      expect(report.outcome).toBe("applied")
      const active = api.people.filter((p) => p.employment.status === "active").length
      expect(activeUsers(dir).length).toBe(report.summary.users.create)
      expect(report.summary.users.create).toBeGreaterThan(0)
      expect(report.summary.users.create).toBeLessThanOrEqual(active)
      const again = await run(dir, ["plan"], env)
      expect(again.code, show(again)).toBe(0)
    } finally {
      await api.close()
    }
  }, 120_000)
})
