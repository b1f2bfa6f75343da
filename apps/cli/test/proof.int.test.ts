/**
 * End-to-end on the BUILT binary: verification after apply, `verify`, `drift [--fix]`, the lost-state guard and
 * `state rebuild`, against the emulator over HTTP. Each simulated fault is caught: records rejected inside a
 * completed import by `apply`'s verification (exit 12), an admin's edits and a second writer by `drift` (exit 12),
 * and a deleted SQLite state of the quickstart is rebuilt so that the next plan is empty.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { spawn } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import { bin, copyQuickstart, ensureBuilt, removeTempDirs, run, show } from "./support/cli.ts"

beforeAll(ensureBuilt, 120_000)
afterAll(removeTempDirs)

const IS = "0oaqu1ckstart0000001"
const TOKEN = "proof-token-0123456789"
const env = { OKTA_API_TOKEN: TOKEN }

/**
 * A copy of the quickstart pointed at `url` with an API token from the environment, its identity source's schema set
 * up (`setup apply`, as the quickstart does before its first sync).
 */
const quickstartAt = async (url: string): Promise<string> => {
  const dir = copyQuickstart()
  const config = path.join(dir, "anysource.yaml")
  fs.writeFileSync(
    config,
    fs
      .readFileSync(config, "utf8")
      .replace(
        "  orgUrl: embedded",
        `  orgUrl: ${url}\n  auth:\n    type: ssws\n    token: \${OKTA_API_TOKEN}`
      )
  )
  const setup = await run(dir, ["setup", "apply", "--yes"], env)
  expect(setup.code, show(setup)).toBe(0)
  return dir
}

// A generous rate limit: the read-backs' pauses for headroom (tested in core's Verify tests on virtual time) would
// only add a real minute per window here.
const withEmulator = async (f: (emu: RunningEmulator) => Promise<void>, simulate = {}) => {
  const emu = await startEmulator({
    tokens: [{ token: TOKEN }],
    identitySources: [{ id: IS }],
    processingDelayMs: 50,
    simulate,
    rateLimit: { limit: 100_000 }
  })
  try {
    await f(emu)
  } finally {
    await emu.close()
  }
}

describe("verification after apply, verify and drift", () => {
  it("anysource emulator --simulate reject=…: apply's verification reports the rejected records missing (exit 12)", async () => {
    const dir = copyQuickstart()
    const child = spawn(
      process.execPath,
      [
        bin,
        "emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--identity-source-id",
        IS,
        "--simulate",
        "reject=0.05,seed=e2e",
        "--rate-limit",
        "100000"
      ],
      {
        cwd: dir,
        env: { ...process.env, NO_COLOR: "1", CI: "true" },
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (out += d))
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    try {
      const deadline = Date.now() + 30_000
      while (!/Press Ctrl-C/.test(out) && child.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100))
      expect(out).toMatch(/simulating\s+5% of imported records rejected \(seed e2e\)/)
      const url = /listening on (http:\/\/\S+)/.exec(out)![1]!
      const project = await quickstartAt(url)
      const apply = await run(project, ["apply", "--yes", "--verify-sample", "100%"], env)
      expect(apply.code, show(apply)).toBe(12)
      expect(apply.stdout).toMatch(/verification: \d+ differ from what was sent, \d+ missing/)
      expect(apply.stdout).toMatch(/! user E\d+ {2}missing: Okta has no user with this externalId/)
      // the same records, read back later by `verify`, are still missing
      const verify = await run(project, ["verify", "--sample", "100%", "--json"], env)
      expect(verify.code, show(verify)).toBe(12)
      const report = JSON.parse(verify.stdout) as {
        missing: number
        records: Array<{ externalId: string; outcome: string }>
      }
      expect(report.missing).toBeGreaterThan(0)
      // no apply in between: the ordinary plan does not know they are missing, drift does
      const drift = await run(project, ["drift", "--only", "users"], env)
      expect(drift.code, show(drift)).toBe(12)
      expect(drift.stdout).toMatch(/missing in Okta: [1-9]/)
    } finally {
      child.kill("SIGINT")
    }
    expect(await exited).toBe(130)
  }, 120_000)

  it(
    "an admin's edits: drift finds them (exit 12), drift --fix plans their re-send (exit 2), apply restores them",
    () =>
      withEmulator(async (emu) => {
        const dir = await quickstartAt(emu.url)
        const apply = await run(dir, ["apply", "--yes", "--no-verify"], env)
        expect(apply.code, show(apply)).toBe(0)
        expect(apply.stdout).not.toContain("verified")
        const clean = await run(dir, ["drift"], env)
        expect(clean.code, show(clean)).toBe(0)
        expect(clean.stdout).toContain("No drift")

        const edited = emu.simulate.adminEdit(0.05, IS)
        expect(edited.length).toBeGreaterThan(0)
        const drift = await run(dir, ["drift"], env)
        expect(drift.code, show(drift)).toBe(12)
        expect(drift.stdout).toContain(`profile edited outside: ${edited.length}`)
        expect(drift.stdout).toMatch(
          /~ user E\d+ {2}city: anysource sent "[^"]+", Okta has "Edited by an admin"/
        )

        const fix = await run(dir, ["drift", "--fix", "--out", "fix.json"], env)
        expect(fix.code, show(fix)).toBe(2)
        expect(fix.stdout).toContain(`${edited.length} drifted records recorded in state`)
        const plan = JSON.parse(fs.readFileSync(path.join(dir, "fix.json"), "utf8")) as {
          users: Array<{ externalId: string; op: string }>
        }
        expect(plan.users.map((u) => u.externalId).sort()).toEqual([...edited].sort())
        expect(new Set(plan.users.map((u) => u.op))).toEqual(new Set(["update"]))

        const resend = await run(dir, ["apply", "--plan", "fix.json", "--yes"], env)
        expect(resend.code, show(resend)).toBe(0)
        expect(resend.stdout).toMatch(/verified: \d+ of \d+ read back as sent/)
        expect((await run(dir, ["drift"], env)).code).toBe(0)
      }),
    120_000
  )

  it(
    "a second writer: drift reports the members it took out and put in; verify of the last run sees its edits",
    () =>
      withEmulator(async (emu) => {
        const dir = await quickstartAt(emu.url)
        expect((await run(dir, ["apply", "--yes", "--no-verify"], env)).code).toBe(0)
        const changed = emu.simulate.secondWriter(0.3, IS)
        expect(changed.groups.length).toBeGreaterThan(0)
        const drift = await run(dir, ["drift", "--only", "memberships", "--json"], env)
        expect(drift.code, show(drift)).toBe(12)
        const report = JSON.parse(drift.stdout) as {
          drifted: { membershipMissing: number; membershipExtra: number }
          records: Array<{ externalId: string }>
        }
        expect(report.drifted.membershipMissing).toBe(changed.groups.length)
        expect(report.drifted.membershipExtra).toBe(changed.groups.length)
        expect(report.records.map((r) => r.externalId).sort()).toEqual([...changed.groups].sort())
        const verify = await run(dir, ["verify", "--sample", "100%"], env)
        expect(verify.code, show(verify)).toBe(12)
        expect(verify.stdout).toMatch(/Verification of run run-\S+ against 0oaqu1ckstart0000001/)
        expect(verify.stdout).toMatch(
          /~ user E\d+ {2}city: sent "[^"]+", Okta has "Written by another client"/
        )
      }),
    120_000
  )
})

describe("a lost state", () => {
  it("the quickstart's deleted SQLite state: plan refuses (exit 10), state rebuild recovers it, the next plan is empty", async () => {
    const dir = copyQuickstart()
    const apply = await run(dir, ["apply", "--yes"])
    expect(apply.code, show(apply)).toBe(0)
    expect(apply.stdout).toMatch(
      /verified: 100 of 100 read back as sent \(sample 100: 100 of \d+ changed records/
    )
    fs.rmSync(path.join(dir, ".anysource", "state.db"))

    const refused = await run(dir, ["plan"])
    expect(refused.code, show(refused)).toBe(10)
    expect(refused.stderr).toContain("The state is empty, but Okta already holds")
    expect(refused.stderr).toContain("anysource state rebuild")

    const rebuilt = await run(dir, ["state", "rebuild"])
    expect(rebuilt.code, show(rebuilt)).toBe(0)
    expect(rebuilt.stdout).toMatch(/State rebuilt for 0oaqu1ckstart0000001 from 300 source rows and Okta/)
    expect(rebuilt.stdout).toContain(
      "users: 288 as in the source, 0 with other values in Okta (the next plan updates them), 0 not in Okta"
    )
    expect(rebuilt.stderr).toMatch(/rebuild: reading 288 users back from Okta/)

    const plan = await run(dir, ["plan"])
    expect(plan.code, show(plan)).toBe(0)
    expect(plan.stdout).toContain("No changes")
    // a second rebuild refuses: the state holds records now
    const again = await run(dir, ["state", "rebuild"])
    expect(again.code, show(again)).toBe(10)
    expect(again.stderr).toContain("anysource drift --fix")
    // --initial goes ahead on an empty state anyway (here: a plan of creates against the emulator's people)
    fs.rmSync(path.join(dir, ".anysource", "state.db"))
    const initial = await run(dir, ["plan", "--initial", "--json"])
    expect(initial.code, show(initial)).toBe(2)
    expect(
      (JSON.parse(initial.stdout) as { summary: { users: { create: number } } }).summary.users.create
    ).toBe(288)
  }, 120_000)

  it(
    "plan --refresh plans against Okta's view of what it touches",
    () =>
      withEmulator(async (emu) => {
        const dir = await quickstartAt(emu.url)
        expect((await run(dir, ["apply", "--yes", "--no-verify"], env)).code).toBe(0)
        // the source moves one person to another city, and another client already did the same in Okta
        const csv = path.join(dir, "people.csv")
        const lines = fs.readFileSync(csv, "utf8").split("\n")
        const header = lines[0]!.split(",")
        const row = lines[1]!.split(",")
        const id = row[header.indexOf("employee_id")]!
        row[header.indexOf("city")] = "Reykjavik"
        lines[1] = row.join(",")
        fs.writeFileSync(csv, lines.join("\n"))
        const plain = await run(dir, ["plan", "--json"], env)
        expect(
          (JSON.parse(plain.stdout) as { users: Array<{ externalId: string }> }).users.map(
            (u) => u.externalId
          )
        ).toEqual([id])
        const person = emu.directory.users(IS).find((u) => u.externalId === id)!
        await fetch(`${emu.url}/api/v1/identity-sources/${IS}/users/${id}`, {
          method: "PATCH",
          headers: { Authorization: `SSWS ${TOKEN}`, "Content-Type": "application/json" },
          body: JSON.stringify({
            profile: {
              userName: person.profile["userName"],
              email: person.profile["email"],
              city: "Reykjavik"
            }
          })
        })
        const refreshed = await run(dir, ["plan", "--refresh"], env)
        expect(refreshed.code, show(refreshed)).toBe(0)
        // only the user is touched (groups are by department): one read, which finds Okta already holds the new city
        expect(refreshed.stdout).toContain("refresh: 1 record read from Okta, 1 correction recorded in state")
        expect(refreshed.stdout).toContain("No changes")
      }),
    120_000
  )
})
