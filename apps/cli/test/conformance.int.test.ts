/**
 * `anysource okta conformance` end to end on the BUILT binary, with an emulator in this process standing in for the
 * real org: the documented differences against one in spec mode (exit 2, --json), none against one in the default
 * mode (exit 0), the refusal without --yes off a terminal, and a run killed with SIGKILL mid-import whose journal
 * `--cleanup` then clears, leaving no active anysource-conformance- record and no open session.
 */
import { startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { bin, ensureBuilt, removeTempDirs, run, show, tempDir } from "./support/cli.ts"

beforeAll(ensureBuilt, 120_000)
afterAll(removeTempDirs)

const IS = "0oaORG00000000000001"
const TOKEN = "org-token"
const PREFIX = "anysource-conformance-"
const open: Array<RunningEmulator> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()))
})

/** The "org": a real emulator on real time, slow enough to be caught TRIGGERED. */
const org = async (responses: "recorded" | "spec") => {
  const emu = await startEmulator({
    responses,
    processingDelayMs: 2_500,
    tokens: [{ token: TOKEN }],
    identitySources: [{ id: IS }]
  })
  open.push(emu)
  return emu
}

const args = (emu: RunningEmulator, ...more: Array<string>) => [
  "okta",
  "conformance",
  "--org",
  emu.url,
  "--identity-source-id",
  IS,
  ...more
]
const env = { OKTA_API_TOKEN: TOKEN }

const leftBehind = (emu: RunningEmulator) => ({
  activeUsers: emu.directory.users().filter((u) => u.externalId.startsWith(PREFIX) && u.status === "ACTIVE")
    .length,
  groups: emu.directory.groups().filter((g) => g.externalId.startsWith(PREFIX)).length,
  openSessions: emu.sessions().filter((s) => ["CREATED", "IN_PROGRESS", "TRIGGERED"].includes(s.status))
    .length
})
const nothing = { activeUsers: 0, groups: 0, openSessions: 0 }
/** The progress line of the import's trigger (not of `session.start-import.from-created`). */
const TRIGGERED = /^ +session\.start-import +200/m

describe("anysource okta conformance", () => {
  it("against an org answering as the spec says: the documented differences only, as JSON (exit 2)", async () => {
    const emu = await org("spec")
    const dir = tempDir()
    const r = await run(dir, args(emu, "--yes", "--json"), env)
    expect(r.code, show(r)).toBe(2)
    const report = JSON.parse(r.stdout)
    expect(report.differences.filter((d: { known?: unknown }) => d.known === undefined)).toEqual([])
    expect([...new Set(report.differences.map((d: { known: { id: string } }) => d.known.id))].sort()).toEqual(
      [
        "createSession201",
        "createUserBody",
        "deleteStatus",
        "flatGroupProfile",
        "identitySourceUserId",
        "nullBaseAttributes"
      ]
    )
    expect(r.stdout).not.toContain(TOKEN)
    expect(r.stderr).not.toContain(TOKEN)
    expect(leftBehind(emu)).toEqual(nothing)
    expect(fs.readdirSync(path.join(dir, ".anysource"))).toEqual([])
  }, 60_000)

  it("against an org answering as recorded: no difference (exit 0), a table on stdout", async () => {
    const emu = await org("recorded")
    const r = await run(tempDir(), args(emu, "--yes"), env)
    expect(r.code, show(r)).toBe(0)
    expect(r.stdout).toMatch(/No differences: \d+ steps/)
    expect(r.stdout).toMatch(/users? deactivated/)
    expect(leftBehind(emu)).toEqual(nothing)
  }, 60_000)

  it("refuses without --yes where nobody can be asked, and without an identity source id; sends nothing", async () => {
    const emu = await org("recorded")
    const r = await run(tempDir(), args(emu), env)
    expect(r.code, show(r)).toBe(11)
    expect(r.stderr).toContain("--yes")
    const missing = await run(tempDir(), ["okta", "conformance", "--org", emu.url, "--yes"], env)
    expect(missing.code, show(missing)).toBe(64)
    const noToken = await run(tempDir(), args(emu, "--yes"))
    expect(noToken.code, show(noToken)).toBe(64)
    expect(noToken.stderr).toContain("OKTA_API_TOKEN")
    expect(emu.requests).toEqual([])
  }, 60_000)

  it("Ctrl-C (SIGINT) mid-import: exits 130 after removing what it created, journal cleared", async () => {
    const emu = await org("recorded")
    const dir = tempDir()
    const child = spawn(process.execPath, [bin, ...args(emu, "--yes")], {
      cwd: dir,
      env: { ...process.env, ...env, CI: "true", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    let signalled = false
    child.stderr.on("data", (d) => {
      stderr += d
      // once: a second Ctrl-C stops at once, without cleaning up (as documented)
      if (!signalled && TRIGGERED.test(stderr)) signalled = child.kill("SIGINT")
    })
    const code = await new Promise((resolve) => child.on("close", resolve))
    expect(code, stderr).toBe(130)
    expect(
      emu.directory.users().some((u) => u.externalId.startsWith(PREFIX)),
      `${stderr}\n${JSON.stringify(emu.sessions().map((x) => x.status))}`
    ).toBe(true)
    expect(leftBehind(emu)).toEqual(nothing)
    expect(fs.readdirSync(path.join(dir, ".anysource"))).toEqual([])
  }, 90_000)

  it("killed (SIGKILL) mid-import: the journal names what it created, and --cleanup (or the next run) removes it", async () => {
    const emu = await org("recorded")
    const dir = tempDir()
    const child = spawn(process.execPath, [bin, ...args(emu, "--yes")], {
      cwd: dir,
      env: { ...process.env, ...env, CI: "true", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (d) => {
        stderr += d
        if (TRIGGERED.test(stderr)) {
          child.kill("SIGKILL")
          resolve()
        }
      })
      child.on("close", () => reject(new Error(`the run ended before the import was triggered:\n${stderr}`)))
    })
    await new Promise((resolve) => child.on("close", resolve))
    expect(emu.sessions().map((x) => x.status)).toContain("TRIGGERED")
    const journals = fs.readdirSync(path.join(dir, ".anysource"))
    expect(journals).toHaveLength(1)
    const listed = JSON.parse(fs.readFileSync(path.join(dir, ".anysource", journals[0]!), "utf8"))
    expect(listed.users.every((u: string) => u.startsWith(PREFIX))).toBe(true)
    expect(listed.sessions.length).toBeGreaterThan(0)

    const r = await run(dir, args(emu, "--cleanup"), env)
    expect(r.code, show(r)).toBe(0)
    expect(r.stdout).toMatch(/users? deactivated/)
    expect(leftBehind(emu)).toEqual(nothing)
    expect(fs.readdirSync(path.join(dir, ".anysource"))).toEqual([])
    const again = await run(dir, args(emu, "--cleanup"), env)
    expect(again.stdout).toContain("Nothing to clean up")
  }, 90_000)
})
