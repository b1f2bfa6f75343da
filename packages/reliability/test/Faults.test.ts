/**
 * Fault injection through the Okta emulator. Every scenario first syncs day 0 cleanly, then applies day 1 (20%
 * updates, 5% leavers, 10% joiners) while the emulator misbehaves. Each run must end with the directory equal to
 * the source, or with a typed error and the state's records unchanged; a failed run is then re-run without faults
 * and must converge. Time is virtual (the emulator's manual clock), so backoff, 429 resets, polls, the 5-minute
 * rule and 24-hour expiry cost no real time, and the client uses its production retry settings.
 */
import { API_TOKEN, SOURCE_ID } from "@anysource/bench/Harness"
import * as Scenario from "../src/Scenario.ts"
import { afterAll, afterEach, describe, expect, it } from "vitest"

const open: Array<Scenario.Scenario> = []
/** Per test: the faults the emulator really applied (from its request log and sessions), for docs/reliability.md. */
const fired: Array<string> = []
afterEach(async () => {
  const counts = new Map<string, number>()
  for (const s of open) {
    for (const r of s.org.emu.requests) {
      if (r.fault === undefined) continue
      const kind = r.fault.replace(/ \d+ ?ms$/, "")
      counts.set(kind, (counts.get(kind) ?? 0) + 1)
    }
    const errors = s.org.emu.sessions().filter((x) => x.status === "ERROR").length
    if (errors > 0) counts.set("session ERROR", (counts.get("session ERROR") ?? 0) + errors)
    const expired = s.org.emu.sessions().filter((x) => x.status === "EXPIRED").length
    if (expired > 0) counts.set("session EXPIRED", (counts.get("session EXPIRED") ?? 0) + expired)
  }
  fired.push(`${expect.getState().currentTestName}: ${[...counts].map(([k, v]) => `${k} ×${v}`).join(", ") || "—"}`)
  for (const s of open.splice(0)) await s.close()
})
afterAll(() => {
  console.info(`faults applied:\n${fired.join("\n")}`)
})

/** A scenario with day 0 already synced. */
const synced = async (options: Scenario.ScenarioOptions = {}) => {
  const s = await Scenario.make(options)
  open.push(s)
  s.write(s.day0)
  const first = await s.run()
  expect(await Scenario.judge(s, first, s.day0, await s.state())).toMatchObject({ kind: "converged", outcome: "applied" })
  s.write(s.day1)
  return s
}

const bulk = /\/bulk-/
const sessionPath = /\/sessions\/[^/]+$/

/** Requests the emulator accepted as uploads in each session (never more than 50). */
const uploadsPerSession = (s: Scenario.Scenario) => s.org.emu.sessions().map((x) => x.uploads)

/** Someone else's session (CREATED, nothing uploaded). */
const foreignSession = async (s: Scenario.Scenario): Promise<string> => {
  const res = await fetch(`${s.org.emu.url}/api/v1/identity-sources/${SOURCE_ID}/sessions`, {
    method: "POST",
    headers: { authorization: `SSWS ${API_TOKEN}`, accept: "application/json" }
  })
  return ((await res.json()) as { id: string }).id
}

/** Apply day 1, judge it, and when it failed re-run without faults: that one must converge. */
const applyDay1 = async (s: Scenario.Scenario, options: Parameters<Scenario.Scenario["run"]>[0] = {}) => {
  const before = await s.state()
  const result = await s.run(options)
  const verdict = await Scenario.judge(s, result, s.day1, before)
  let recovered: Scenario.Verdict | undefined
  if (verdict.kind === "failed-typed") {
    s.org.emu.faults.clear()
    const again = await s.run({ ...options, ...(options.time === "real" ? {} : { time: "virtual" }) })
    recovered = await Scenario.judge(s, again, s.day1, await s.state())
  }
  return { result, verdict, recovered }
}

describe("faults injected by the emulator", () => {
  it("429 bursts on uploads, session creation and polls: waits out each reset, converges", async () => {
    const s = await synced()
    s.org.emu.faults.inject({ kind: "rateLimit", path: bulk, resetInMs: 20_000, times: 4 })
    s.org.emu.faults.inject({ kind: "rateLimit", method: "POST", path: /\/sessions$/, resetInMs: 5_000, times: 2 })
    s.org.emu.faults.inject({ kind: "rateLimit", method: "GET", path: sessionPath, times: 3 })
    const { result, verdict } = await applyDay1(s)
    expect(verdict).toMatchObject({ kind: "converged", outcome: "applied" })
    expect(result.report.okta.rateLimited).toBeGreaterThanOrEqual(9)
    expect(s.org.emu.faults.pending()).toEqual([])
    expect(Math.max(...uploadsPerSession(s))).toBeLessThanOrEqual(50)
  })

  it("500, 502 and 503 on uploads, start-import and polls: retried with backoff, converges", async () => {
    const s = await synced()
    for (const status of [500, 502, 503]) {
      s.org.emu.faults.inject({ kind: "status", status, path: bulk, times: 2 })
      s.org.emu.faults.inject({ kind: "status", status, method: "GET", path: sessionPath })
    }
    s.org.emu.faults.inject({ kind: "status", status: 503, path: /start-import$/ })
    s.org.emu.faults.inject({ kind: "status", status: 502, method: "POST", path: /\/sessions$/, times: 2 })
    const { result, verdict } = await applyDay1(s)
    expect(verdict).toMatchObject({ kind: "converged", outcome: "applied" })
    expect(result.report.okta.retries).toBeGreaterThanOrEqual(9)
    expect(s.org.emu.faults.pending()).toEqual([])
  })

  it("a 503 that never ends: a typed OktaApiError, nothing committed; the next run converges", async () => {
    const s = await synced()
    s.org.emu.faults.inject({ kind: "status", status: 503, path: bulk, times: Number.POSITIVE_INFINITY })
    const { verdict, recovered } = await applyDay1(s)
    expect(verdict).toMatchObject({ kind: "failed-typed" })
    expect(["OktaApiError", "ApplyError"]).toContain((verdict as { tag: string }).tag)
    expect(recovered).toMatchObject({ kind: "converged" })
    expect(Math.max(...uploadsPerSession(s))).toBeLessThanOrEqual(50)
  })

  it("dropped connections, before and after the server handled the upload: no duplicates, converges", async () => {
    const s = await synced()
    s.org.emu.faults.inject({ kind: "drop", path: bulk, times: 2 })
    s.org.emu.faults.inject({ kind: "drop", afterHandling: true, path: bulk, times: 2 })
    s.org.emu.faults.inject({ kind: "drop", afterHandling: true, path: /start-import$/ })
    s.org.emu.faults.inject({ kind: "drop", method: "GET", path: sessionPath })
    const { verdict } = await applyDay1(s)
    expect(verdict).toMatchObject({ kind: "converged", outcome: "applied" })
    expect(s.org.emu.requests.filter((r) => r.fault?.startsWith("drop")).length).toBe(6)
  })

  it("slow responses: replies later than the request timeout are retried; slow but in time ones are just slow", async () => {
    const s = await synced()
    const org2 = await Scenario.make({ org: { realTime: true } })
    open.push(org2)
    // same scenario on a real-time org (a request timeout is real time)
    org2.write(org2.day0)
    expect(await Scenario.judge(org2, await org2.run({ time: "real" }), org2.day0, await org2.state())).toMatchObject({ kind: "converged" })
    org2.write(org2.day1)
    org2.org.emu.faults.inject({ kind: "latency", ms: 900, path: bulk, times: 2 })
    org2.org.emu.faults.inject({ kind: "latency", ms: 150, method: "GET", times: 3 })
    const { result, verdict } = await applyDay1(org2, { time: "real", okta: { requestTimeoutMs: 400 } })
    expect(verdict).toMatchObject({ kind: "converged", outcome: "applied" })
    expect(result.report.okta.retries).toBeGreaterThanOrEqual(2)
    // the virtual-time org: a slow reply holds time still, the run completes
    s.org.emu.faults.inject({ kind: "latency", ms: 300, times: 5 })
    expect((await applyDay1(s)).verdict).toMatchObject({ kind: "converged", outcome: "applied" })
  })

  it("a session that ends in ERROR is redone in a new session; three in a row is a typed ApplyError", async () => {
    const s = await synced()
    s.org.emu.faults.inject({ kind: "sessionError", times: 1 })
    const once = await applyDay1(s)
    expect(once.verdict).toMatchObject({ kind: "converged", outcome: "applied" })
    expect(s.org.emu.sessions().map((x) => x.status).slice(-2)).toEqual(["ERROR", "COMPLETED"])

    s.write(s.day0) // back to day 0: another change set
    s.org.emu.faults.inject({ kind: "sessionError", times: 3 })
    const before = await s.state()
    const failed = await s.run()
    expect(await Scenario.judge(s, failed, s.day0, before)).toMatchObject({ kind: "failed-typed", tag: "ApplyError", reason: "SessionFailed" })
    const again = await s.run()
    expect(await Scenario.judge(s, again, s.day0, await s.state())).toMatchObject({ kind: "converged" })
    expect(again.report.resumedRunId).toBeDefined() // it finished the failed run's journal first
  })

  it("a session expires (the clock jumps 25 h while the run is parked on a slow upload): redone, converges", async () => {
    const s = await synced({ n: 1500 })
    // the second upload is held 500 ms (real time); meanwhile the emulator's clock jumps past the 24-hour expiry
    s.org.emu.faults.inject({ kind: "latency", ms: 500, path: bulk, times: 1 })
    const seen = s.org.emu.requests.length
    const jump = setInterval(() => {
      if (s.org.emu.requests.slice(seen).some((r) => bulk.test(r.path))) {
        clearInterval(jump)
        s.org.clock.advance(25 * 60 * 60 * 1000)
      }
    }, 5)
    const { verdict } = await applyDay1(s)
    clearInterval(jump)
    expect(verdict).toMatchObject({ kind: "converged", outcome: "applied" })
    expect(s.org.emu.sessions().some((x) => x.status === "EXPIRED")).toBe(true)
  })

  it("a session left IN_PROGRESS by a failed run expires before the next run: the resume redoes it", async () => {
    const s = await synced()
    // uploads start failing for good after the first one: the run fails typed, its session stays IN_PROGRESS
    s.org.emu.faults.inject({ kind: "drop", path: /bulk-upsert$/, times: Number.POSITIVE_INFINITY })
    const before = await s.state()
    const failed = await s.run()
    expect(await Scenario.judge(s, failed, s.day1, before)).toMatchObject({ kind: "failed-typed" })
    expect(s.org.emu.sessions().at(-1)?.status).toMatch(/CREATED|IN_PROGRESS/)
    s.org.emu.faults.clear()
    s.org.clock.advance(25 * 60 * 60 * 1000)
    await s.org.emu.processPending()
    expect(s.org.emu.sessions().some((x) => x.status === "EXPIRED")).toBe(true)
    const resumed = await s.run()
    expect(await Scenario.judge(s, resumed, s.day1, await s.state())).toMatchObject({ kind: "converged" })
    expect(resumed.report.resumedRunId).toBeDefined()
  })

  it("a foreign active session, policy wait: waits until it is imported, then converges", async () => {
    const s = await synced()
    // someone else's session: it upserts one of today's joiners with a stale title, and is being imported
    const base = `${s.org.emu.url}/api/v1/identity-sources/${SOURCE_ID}`
    const headers = { authorization: `SSWS ${API_TOKEN}`, "content-type": "application/json" }
    const foreign = await foreignSession(s)
    const day0Ids = new Set(s.day0.map((e) => e.employee_id))
    const someone = s.day1.find((e) => !day0Ids.has(e.employee_id))! // a joiner: our run creates them
    await fetch(`${base}/sessions/${foreign}/bulk-upsert`, {
      method: "POST",
      headers,
      body: JSON.stringify({ entityType: "USERS", profiles: [{ externalId: someone.employee_id, profile: { userName: someone.email, email: someone.email, title: "stale" } }] })
    })
    await fetch(`${base}/sessions/${foreign}/start-import`, { method: "POST", headers })
    const { result, verdict } = await applyDay1(s, { config: { foreignSessionPolicy: "wait" } })
    expect(verdict).toMatchObject({ kind: "converged" })
    expect(result.virtualMillis).toBeGreaterThanOrEqual(30_000) // the foreign import's processing time was waited out
    expect(s.org.emu.sessions().find((x) => x.id === foreign)?.status).toBe("COMPLETED")
  })

  it("a foreign session that never ends, policy wait: a typed ApplyError after the session timeout, state unchanged", async () => {
    const s = await synced()
    const foreign = await foreignSession(s)
    const before = await s.state()
    const failed = await s.run({ config: { foreignSessionPolicy: "wait", sessionTimeoutMs: 10 * 60 * 1000 } })
    expect(await Scenario.judge(s, failed, s.day1, before)).toMatchObject({ kind: "failed-typed", tag: "ApplyError", reason: "ForeignSession" })
    expect(failed.virtualMillis).toBeGreaterThanOrEqual(10 * 60 * 1000)
    // the foreign session is left alone (policy wait) and expires after 24 h without calls; then the next run converges
    expect(s.org.emu.sessions().find((x) => x.id === foreign)).toMatchObject({ status: "CREATED", uploads: 0 })
    s.org.clock.advance(24 * 60 * 60 * 1000)
    await s.org.emu.processPending()
    expect(s.org.emu.sessions().find((x) => x.id === foreign)?.status).toBe("EXPIRED")
    const last = await s.run({ config: { foreignSessionPolicy: "wait" } })
    expect(await Scenario.judge(s, last, s.day1, await s.state())).toMatchObject({ kind: "converged" })
  })

  it("a foreign active session, policy cancel: cancelled, converges", async () => {
    const s = await synced()
    const foreign = await foreignSession(s)
    const { verdict } = await applyDay1(s, { config: { foreignSessionPolicy: "cancel" } })
    expect(verdict).toMatchObject({ kind: "converged", outcome: "applied" })
    expect(s.org.emu.sessions().find((x) => x.id === foreign)?.status).toBe("CLOSED")
  })

  it("an undecodable reply while polling: a typed error, state unchanged; the next run resumes and commits", async () => {
    const s = await synced()
    s.org.emu.faults.inject({ kind: "badBody", method: "GET", path: sessionPath, times: Number.POSITIVE_INFINITY })
    const { verdict, recovered } = await applyDay1(s)
    expect(verdict).toMatchObject({ kind: "failed-typed", tag: "OktaApiError" })
    expect(recovered).toMatchObject({ kind: "converged" })
  })
})
