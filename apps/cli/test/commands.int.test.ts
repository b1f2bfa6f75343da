/** End-to-end: the commands around plan/apply (config errors, init, check, schema, sources, help), on the BUILT binary. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { copyQuickstart, ensureBuilt, quickstart, removeTempDirs, run, show, tempDir } from "./support/cli.ts"

beforeAll(ensureBuilt, 120_000)
afterAll(removeTempDirs)

describe("configuration errors and the other commands", () => {
  it("a bad config gives one error naming the file and the config path (exit 3)", async () => {
    const dir = copyQuickstart()
    const config = path.join(dir, "anysource.yaml")
    fs.writeFileSync(config, fs.readFileSync(config, "utf8").replace("    email: email\n", "    email: 42\n"))
    const r = await run(dir, ["plan"])
    expect(r.code, show(r)).toBe(3)
    expect(r.stderr).toContain("anysource.yaml")
    expect(r.stderr).toContain("mapping.profile.email")
    expect(r.stdout).toBe("")
  })

  it("a missing config says how to create one (exit 3)", async () => {
    const dir = tempDir()
    const r = await run(dir, ["plan", "-c", "nope.yaml"])
    expect(r.code, show(r)).toBe(3)
    expect(r.stderr).toContain("nope.yaml")
    expect(r.stderr).toContain("anysource init")
  })

  it("--log-format json turns the error into one JSON line on stderr", async () => {
    const dir = tempDir()
    const r = await run(dir, ["plan", "--log-format", "json"])
    expect(r.code, show(r)).toBe(3)
    const line = JSON.parse(r.stderr.trim().split("\n").pop()!)
    expect(line).toMatchObject({ level: "ERROR", exitCode: 3, error: { tag: "ConfigError" } })
  })

  it("init writes a starter config that check accepts", async () => {
    const dir = tempDir()
    fs.copyFileSync(path.join(quickstart, "people.csv"), path.join(dir, "people.csv"))
    const init = await run(dir, ["init", "--source", "file"])
    expect(init.code, show(init)).toBe(0)
    expect(fs.readFileSync(path.join(dir, "anysource.yaml"), "utf8")).toContain("orgUrl: embedded")
    const again = await run(dir, ["init", "--source", "file"])
    expect(again.code, show(again)).toBe(64)
    expect(again.stderr).toContain("--force")
    const check = await run(dir, ["check"])
    expect(check.code, show(check)).toBe(0)
    expect(check.stdout).toContain("All checks passed")
  })

  it("--version, --help with examples and exit codes, schema and sources", async () => {
    const dir = os.tmpdir()
    const version = await run(dir, ["--version"])
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/)
    const help = await run(dir, ["--help"])
    expect(help.stdout).toContain("EXIT CODES")
    expect(help.stdout).toContain("anysource plan --out plan.json")
    const planHelp = await run(dir, ["plan", "--help"])
    expect(planHelp.stdout).toContain("--detail")
    expect(planHelp.stdout).toContain("Examples")
    const schema = await run(dir, ["schema"])
    expect(schema.code, show(schema)).toBe(0)
    expect(JSON.parse(schema.stdout).properties.okta).toBeDefined()
    const sources = await run(dir, ["sources", "file", "--json"])
    expect(sources.code, show(sources)).toBe(0)
    expect(JSON.parse(sources.stdout)[0]).toMatchObject({ id: "file" })
    const bad = await run(dir, ["plan", "--no-such-flag"])
    expect(bad.code).toBe(64)
  })
})
