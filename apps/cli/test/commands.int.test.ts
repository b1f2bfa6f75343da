/** End-to-end: the commands around plan/apply (config errors, init, check, schema, sources, help), on the BUILT binary. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEmulator } from "@anysource/okta-emulator"
import { spawn } from "node:child_process"
import { bin, copyQuickstart, ensureBuilt, quickstart, removeTempDirs, run, show, tempDir } from "./support/cli.ts"

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
    // each problem line once (it was printed twice: in the message and again from the issues)
    expect(r.stderr.match(/expected a column name/g), show(r)).toHaveLength(1)
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

  it("init writes a starter config that check accepts once setup has declared its attributes", async () => {
    const dir = tempDir()
    fs.copyFileSync(path.join(quickstart, "people.csv"), path.join(dir, "people.csv"))
    const init = await run(dir, ["init", "--source", "file"])
    expect(init.code, show(init)).toBe(0)
    expect(fs.readFileSync(path.join(dir, "anysource.yaml"), "utf8")).toContain("orgUrl: embedded")
    const again = await run(dir, ["init", "--source", "file"])
    expect(again.code, show(again)).toBe(64)
    expect(again.stderr).toContain("--force")
    // a fresh identity source lacks the starter's title, department and managerId: check says so, and what to run
    const before = await run(dir, ["check"])
    expect(before.code, show(before)).toBe(3)
    expect(before.stdout).toMatch(/✗ identity source schema[\s\S]*mapping\.profile\.title: sends "title"[\s\S]*anysource setup plan/)
    expect((await run(dir, ["setup", "apply", "--yes"])).code).toBe(0)
    const check = await run(dir, ["check"])
    expect(check.code, show(check)).toBe(0)
    expect(check.stdout).toContain("✓ identity source schema: declares every attribute mapping.profile sends (7)")
    expect(check.stdout).toContain("All checks passed")
  })

  it("--version, --help with examples and exit codes, schema and sources", async () => {
    const dir = os.tmpdir()
    const version = await run(dir, ["--version"])
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/)
    const help = await run(dir, ["--help"])
    expect(help.stdout).toContain("EXIT CODES")
    expect(help.stdout).toContain("anysource plan --out plan.json")
    expect(help.stdout).not.toContain("anysource anysource")
    const planHelp = await run(dir, ["plan", "--help"])
    expect(planHelp.stdout).toContain("--detail")
    expect(planHelp.stdout).toContain("EXAMPLES")
    // the sub-command's usage carries its full path (it was `$ list`)
    const listHelp = await run(dir, ["sessions", "list", "--help"])
    expect(listHelp.stdout).toContain("  anysource sessions list [--json] [-a|--all] [global options]")
    const exitCodes = await run(dir, ["help", "exit-codes"])
    expect(exitCodes.code, show(exitCodes)).toBe(0)
    expect(exitCodes.stdout).toMatch(/^ {2}11 +apply \/ sessions cancel without --yes/m)
    const schema = await run(dir, ["schema"])
    expect(schema.code, show(schema)).toBe(0)
    expect(JSON.parse(schema.stdout).properties.okta).toBeDefined()
    const sources = await run(dir, ["sources", "file", "--json"])
    expect(sources.code, show(sources)).toBe(0)
    expect(JSON.parse(sources.stdout)[0]).toMatchObject({ id: "file" })
    const bad = await run(dir, ["plan", "--no-such-flag"])
    expect(bad.code).toBe(64)
  })

  it("emulator: serves a seeded identity source with the printed token, persists to --data, stops on Ctrl-C", async () => {
    const dir = tempDir()
    const child = spawn(process.execPath, [bin, "emulator", "--port", "0", "--data", "org.json", "--identity-source-id", "0oatest0000000000001"], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (out += d))
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    const deadline = Date.now() + 30_000
    while (!/API token\s+\S+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
    const token = /API token\s+(\S+)/.exec(out)?.[1]
    expect(url, out).toBeDefined()
    expect(token, out).toMatch(/^emu_/)
    const ok = await fetch(`${url}/api/v1/identity-sources/0oatest0000000000001/sessions`, { headers: { Authorization: `SSWS ${token}` } })
    expect(ok.status).toBe(200)
    const denied = await fetch(`${url}/api/v1/identity-sources/0oatest0000000000001/sessions`, { headers: { Authorization: "SSWS wrong" } })
    expect(denied.status).toBe(401)
    const created = await fetch(`${url}/api/v1/identity-sources/0oatest0000000000001/sessions`, { method: "POST", headers: { Authorization: `SSWS ${token}`, Accept: "application/json" } })
    expect(created.status).toBeLessThan(300)
    child.kill("SIGINT")
    expect(await exited).toBe(130)
    const saved = JSON.parse(fs.readFileSync(path.join(dir, "org.json"), "utf8"))
    expect(saved.sessions).toHaveLength(1)
  })

  it("emulator --strict: the bundle finds the OpenAPI spec beside it and answers a malformed bulk-upsert 400 naming entityType", async () => {
    const dir = tempDir()
    const child = spawn(process.execPath, [bin, "emulator", "--strict", "--port", "0", "--token", "strict-token-0123456789"], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (out += d))
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    try {
      const deadline = Date.now() + 30_000
      while (!/Press Ctrl-C/.test(out) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect(out).toMatch(/strict\s+on/)
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      expect(url, out).toBeDefined()
      const sessions = `${url}/api/v1/identity-sources/0oaemulator000000001/sessions`
      const headers = { Authorization: "SSWS strict-token-0123456789", Accept: "application/json", "Content-Type": "application/json" }
      const session = (await (await fetch(sessions, { method: "POST", headers })).json()) as { id: string }
      const profiles = [{ externalId: "E1", profile: { userName: "ada@example.com", email: "ada@example.com" } }]
      const bad = await fetch(`${sessions}/${session.id}/bulk-upsert`, { method: "POST", headers, body: JSON.stringify({ entityType: "PEOPLE", profiles }) })
      expect(bad.status).toBe(400)
      const body = (await bad.json()) as { errorCode: string; errorCauses: Array<{ errorSummary: string }> }
      expect(body.errorCode).toBe("E0000003")
      expect(body.errorCauses).toEqual([{ errorSummary: 'entityType: must be one of USERS, got "PEOPLE"' }])
      const good = await fetch(`${sessions}/${session.id}/bulk-upsert`, { method: "POST", headers, body: JSON.stringify({ entityType: "USERS", profiles }) })
      expect(good.status).toBe(202)
    } finally {
      child.kill("SIGINT")
    }
    expect(await exited).toBe(130)
  })

  it("a real org URL: token from the environment, Okta errors rendered without the token, sessions cancel, apply", async () => {
    const emulator = await startEmulator({ strict: true, tokens: [{ token: "right-token-0123456789" }], identitySources: [{ id: "0oareal0000000000001" }] })
    try {
      const dir = copyQuickstart({ setup: false })
      const config = path.join(dir, "anysource.yaml")
      fs.writeFileSync(
        config,
        fs
          .readFileSync(config, "utf8")
          .replace("  orgUrl: embedded", `  orgUrl: ${emulator.url}\n  auth:\n    type: ssws\n    token: \${OKTA_API_TOKEN}`)
          .replace("identitySourceId: 0oaqu1ckstart0000001", "identitySourceId: 0oareal0000000000001")
      )
      const missing = await run(dir, ["check"])
      expect(missing.code, show(missing)).toBe(3)
      expect(missing.stderr).toContain("OKTA_API_TOKEN")

      const wrong = await run(dir, ["check"], { OKTA_API_TOKEN: "wrong-token-9876543210" })
      expect(wrong.code, show(wrong)).toBe(7)
      expect(wrong.stdout).toMatch(/✗ okta[\s\S]*Unauthorized[\s\S]*okta\.auth/)
      expect(`${wrong.stdout}${wrong.stderr}`).not.toContain("wrong-token-9876543210")

      const env = { OKTA_API_TOKEN: "right-token-0123456789" }
      const opened = await fetch(`${emulator.url}/api/v1/identity-sources/0oareal0000000000001/sessions`, {
        method: "POST",
        headers: { Authorization: "SSWS right-token-0123456789", Accept: "application/json" }
      })
      const session = (await opened.json()) as { id: string }
      const list = await run(dir, ["sessions", "list"], env)
      expect(list.code, show(list)).toBe(0)
      expect(list.stdout).toContain(session.id)
      expect(list.stdout).toContain("CREATED")
      const cancel = await run(dir, ["sessions", "cancel", session.id, "--yes"], env)
      expect(cancel.code, show(cancel)).toBe(0)
      expect(emulator.sessions("0oareal0000000000001").find((x) => x.id === session.id)?.status).toBe("CLOSED")

      // the org's identity source lacks the quickstart's attributes: the guard stops the sync before any session
      const guarded = await run(dir, ["plan"], env)
      expect(guarded.code, show(guarded)).toBe(3)
      expect(guarded.stderr).toContain('mapping.profile.title: sends "title", which identity source 0oareal0000000000001 does not declare')
      const setup = await run(dir, ["setup", "apply", "--yes"], env)
      expect(setup.code, show(setup)).toBe(0)
      expect(setup.stdout).toContain("Applied 8 changes to identity source 0oareal0000000000001.")

      const apply = await run(dir, ["apply", "--yes", "--log-format", "json"], env)
      expect(apply.code, show(apply)).toBe(0)
      const users = emulator.directory.users("0oareal0000000000001").filter((u) => u.status === "ACTIVE")
      expect(users).toHaveLength(288)
      // the mapping setup made carries the custom attributes onto the Okta users
      expect(users.every((u) => u.oktaProfile["department"] === u.profile["department"] && u.oktaProfile["title"] === u.profile["title"])).toBe(true)
      // every stderr line is a JSON log object; the token appears nowhere
      for (const line of apply.stderr.trim().split("\n")) expect(() => JSON.parse(line), line).not.toThrow()
      expect(`${apply.stdout}${apply.stderr}`).not.toContain("right-token-0123456789")
    } finally {
      await emulator.close()
    }
  }, 120_000)
})
