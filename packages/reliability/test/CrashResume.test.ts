/**
 * Crash-resume: the BUILT CLI (`node apps/cli/dist/bin.js apply --yes -c <config>`) syncing into an emulator
 * running in this process is SIGKILLed at seeded random points during apply — when the emulator has seen the k-th
 * request of the run (plus 0–40 ms), or k ms after start, or as Okta answers a session create (before the run can
 * record the session: the next run must adopt it rather than wait on it) — and re-run until it succeeds. Across days of data (a
 * 2-session initial load, then days of updates, leavers and joiners) no user may be lost, duplicated
 * or wrongly deactivated: after every kill no one in the source is DEPROVISIONED and no login is taken twice;
 * after every successful run the directory equals the source (users, groups, members), the state agrees with the
 * directory and no journal is left.
 *
 * A killed run leaves the state's lock lease (15 minutes) behind. Each re-run's clock is moved on past that lease
 * (support/skew-clock.mjs), as if the operator had waited for it to expire.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { employees, prng, withChanges, type Employee } from "@anysource/bench/Dataset"
import * as H from "@anysource/bench/Harness"
import type { Exchange } from "@anysource/okta-emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Cli from "./support/cli.ts"

const SEED = 20261128
const LEASE_SKIP_MS = 16 * 60 * 1000
/** No single CLI run of this test needs more than a few seconds; one that takes this long is stuck. */
const RUN_LIMIT_MS = 60_000

let org: H.Org
let dir: { path: string; remove: () => void }
const exchangeHooks = new Set<(ex: Exchange) => void>()

beforeAll(async () => {
  Cli.ensureBuilt()
  org = await H.startOrg({ strict: true, realTime: true, processingDelayMs: 100, onExchange: (ex) => exchangeHooks.forEach((h) => h(ex)) })
  dir = H.tempDir("crash")
  writeFileSync(
    join(dir.path, "anysource.json"),
    JSON.stringify(
      {
        ...H.employeeConfig({ path: "people.csv", baseDir: dir.path, groups: true }, org.emu.url),
        okta: { orgUrl: org.emu.url, identitySourceId: H.SOURCE_ID, auth: { type: "ssws", token: "${OKTA_API_TOKEN}" } }
      },
      null,
      2
    )
  )
})

afterAll(async () => {
  await org?.close()
  dir?.remove()
})

const groupProblems = (source: ReadonlyArray<Employee>): Array<string> => {
  const want = new Map<string, Set<string>>()
  for (const e of source) {
    const g = `dept-${e.department.toLowerCase()}`
    if (!want.has(g)) want.set(g, new Set())
    want.get(g)!.add(e.employee_id)
  }
  const problems: Array<string> = []
  // deactivated users keep their memberships (Okta's deactivation covers them): compare active members
  const active = new Set(org.emu.directory.users().filter((u) => u.status === "ACTIVE").map((u) => u.externalId))
  const groups = org.emu.directory.groups()
  if (groups.length !== want.size) problems.push(`${groups.length} groups in Okta, ${want.size} in the source`)
  for (const [g, members] of want) {
    const got = org.emu.directory.members(g).filter((m) => active.has(m))
    if (got.length !== members.size || got.some((m) => !members.has(m))) problems.push(`${g}: ${got.length} members in Okta, ${members.size} in the source`)
  }
  return problems
}

/** What must hold at any moment, even right after a kill. */
const invariantProblems = (source: ReadonlyArray<Employee>): Array<string> => {
  const inSource = new Set(source.map((e) => e.employee_id))
  const users = org.emu.directory.users()
  const problems = users.filter((u) => u.status === "DEPROVISIONED" && inSource.has(u.externalId)).map((u) => `${u.externalId} wrongly deactivated`)
  const logins = new Map<string, number>()
  for (const u of users) logins.set(u.login, (logins.get(u.login) ?? 0) + 1)
  for (const [login, count] of logins) if (count > 1) problems.push(`login ${login} held by ${count} users`)
  for (const s of org.emu.sessions()) if (s.uploads > 50) problems.push(`session ${s.id} got ${s.uploads} uploads`)
  return problems
}

interface KillPoint {
  /** request: after the run's `at`-th Okta request; time: `at` ms after start; create: as Okta answers its `at`-th session create. */
  readonly kind: "request" | "time" | "create"
  readonly at: number
  readonly delayMs: number
}

const rand = prng(SEED)
/** A kill point within the requests this run is expected to make (`expected`), or (one in eight) after k ms. */
const nextKillPoint = (expected: number): KillPoint =>
  rand() < 0.875
    ? { kind: "request", at: 1 + Math.floor(rand() * expected), delayMs: Math.floor(rand() * 40) }
    : { kind: "time", at: 800 + Math.floor(rand() * 2500), delayMs: 0 }

let kills = 0
let requestKills = 0
let createKills = 0
const log: Array<string> = []

/** Run apply, SIGKILLing it at `point` (if it gets there). */
const applyOnce = async (point: KillPoint | undefined): Promise<{ killed: boolean; seen: number; ms: number; result: Cli.CliResult }> => {
  const started = Date.now()
  const run = Cli.start(dir.path, ["apply", "--yes", "-c", "anysource.json"], {
    OKTA_API_TOKEN: H.API_TOKEN,
    RELIABILITY_CLOCK_SKEW_MS: String(kills * LEASE_SKIP_MS)
  })
  let killed = false
  const kill = () => {
    if (killed || run.child.exitCode !== null) return
    killed = run.child.kill("SIGKILL")
  }
  let timer: NodeJS.Timeout | undefined
  let seen = 0
  let creates = 0
  const hook = (ex: Exchange) => {
    seen++
    // killed as the session id reaches it: the run dies before its journal names the session (the next run must adopt it)
    if (point?.kind === "create" && ex.method === "POST" && ex.status === 201 && /\/sessions$/.test(ex.url) && ++creates === point.at) kill()
    if (point?.kind === "request" && seen === point.at) {
      if (point.delayMs === 0) kill()
      else timer = setTimeout(kill, point.delayMs)
    }
  }
  exchangeHooks.add(hook)
  if (point?.kind === "time") timer = setTimeout(kill, point.at)
  // a run that hangs is a finding, not a test timeout: stop it and show what it printed
  let hung = false
  const watchdog = setTimeout(() => {
    hung = true
    run.child.kill("SIGKILL")
  }, RUN_LIMIT_MS)
  const result = await run.done
  clearTimeout(watchdog)
  exchangeHooks.delete(hook)
  if (timer !== undefined) clearTimeout(timer)
  const ms = Date.now() - started
  if (hung) throw new Error(`a CLI run did not end within ${RUN_LIMIT_MS / 1000} s (${seen} requests seen, kill point ${JSON.stringify(point)}); runs so far:\n${log.join("\n")}\n${Cli.show(result)}`)
  return { killed: killed && result.signal === "SIGKILL", seen, ms, result }
}

/**
 * Apply `source` with up to `quota` kills, re-running until a run succeeds; check the invariants after each kill
 * and the full result after the success. `expected` is about how many Okta requests a clean run of this day makes.
 */
const day = async (name: string, source: ReadonlyArray<Employee>, quota: number, expected: number, first?: KillPoint) => {
  writeFileSync(join(dir.path, "people.csv"), H.csvOf(source))
  let killsToday = 0
  let remaining = expected
  for (let attempt = 0; attempt < quota + 10; attempt++) {
    const point = attempt === 0 && first !== undefined ? first : killsToday < quota ? nextKillPoint(remaining) : undefined
    const { killed, seen, ms, result } = await applyOnce(point)
    if (killed) {
      kills++
      killsToday++
      if (point!.kind === "request") requestKills++
      if (point!.kind === "create") createKills++
      // a resumed run repeats a call or two (get/list session) and skips what the journal says is done
      remaining = Math.max(2, remaining - seen + 2)
      log.push(`${name}: killed at ${point!.kind} ${point!.at}${point!.delayMs ? ` +${point!.delayMs} ms` : ""} (${seen} requests seen, ${ms} ms)`)
      expect(invariantProblems(source), `after kill ${kills} (${name}, ${JSON.stringify(point)})`).toEqual([])
      continue
    }
    expect(result.code, Cli.show(result)).toBe(0)
    log.push(`${name}: succeeded after ${seen} requests, ${ms} ms${point ? `, before its kill point (${point.kind} ${point.at})` : ""}`)
    expect(invariantProblems(source)).toEqual([])
    expect(H.directoryVersusSource(org.emu, source)).toEqual([])
    expect(groupProblems(source)).toEqual([])
    const state = await H.readState(join(dir.path, "state.db"))
    expect(H.stateVersusDirectory(state, org.emu)).toEqual([])
    expect(state.journal).toBeUndefined()
    expect(org.emu.sessions().filter((s) => s.status === "CREATED" || s.status === "IN_PROGRESS" || s.status === "TRIGGERED")).toEqual([])
    return killsToday
  }
  throw new Error(`${name}: no successful run after ${quota + 10} attempts`)
}

describe("crash-resume of the built CLI", () => {
  it("survives SIGKILL at 20+ seeded random points across days of data", { timeout: 240_000 }, async () => {
    const n = 10_050 // 51 user uploads + groups + memberships: two Okta sessions
    let source = [...employees(n, 7)]
    await day("day 0 (initial load, 2 sessions)", source, 8, 60, { kind: "create", at: 1, delayMs: 0 })
    for (let d = 1; d <= 14 && (kills < 22 || requestKills < 20); d++) {
      source = [...withChanges(source, n, { updates: 0.08, leavers: 0.02, joiners: 0.02, seed: d, joinerStart: n + d * 1000 })]
      // day 1 starts with a kill as Okta answers the session create, after the clock has moved on (see skew-clock.mjs)
      await day(`day ${d}`, source, 5, 12, d === 1 ? { kind: "create", at: 1, delayMs: 0 } : undefined)
    }
    expect(kills, log.join("\n")).toBeGreaterThanOrEqual(22)
    expect(requestKills, log.join("\n")).toBeGreaterThanOrEqual(20)
    expect(createKills, log.join("\n")).toBe(2)
    // a last plan finds nothing to do: state, source and Okta agree
    const plan = await Cli.run(dir.path, ["plan", "-c", "anysource.json"], {
      OKTA_API_TOKEN: H.API_TOKEN,
      RELIABILITY_CLOCK_SKEW_MS: String(kills * LEASE_SKIP_MS)
    })
    expect(plan.code, Cli.show(plan)).toBe(0)
    console.info(`${kills} kills (${requestKills} at a request count), ${log.length} CLI runs:\n${log.join("\n")}`)
  })
})
