/**
 * Steady-state sync cost against the Okta emulator: a 100,000-person org, then a day with 1% change.
 *
 *   pnpm --filter @anysource/bench steady-state                  # N = 100,000, 1% change
 *   pnpm --filter @anysource/bench steady-state -- --n 20000 --json
 *
 * Two clients, one harness (same emulator settings, same data, counted from the emulator's request log):
 * - anysource: `Sync.runWithReport` in-process (file source, SQLite state): the initial load, then the day's diff;
 * - full re-send, as Okta Workflows templates do it: every record every run, 100 per upload, 50 uploads per
 *   session, sessions one after another, a new session only 5 minutes after the previous one was created and
 *   once it is COMPLETED (polled every 30 s).
 *
 * Time is virtual: the emulator runs on a manual clock and every wait (poll interval, 5-minute rule, 429 reset,
 * import processing) jumps it forward instead of sleeping, so "forced wait" is exactly the emulator-clock time
 * the session rules and rate limits impose. Request round trips add no emulator time (they are reported as the
 * real loopback time instead).
 */
import { writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import type { RunningEmulator } from "@anysource/okta-emulator"
import { employees, withChanges, type Employee } from "./Dataset.ts"
import * as H from "./Harness.ts"

const { values } = parseArgs({
  // `pnpm --filter @anysource/bench <script> -- --n 10` passes the "--" through
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    n: { type: "string", default: "100000" },
    change: { type: "string", default: "0.01" },
    processing: { type: "string", default: "60000" },
    json: { type: "boolean", default: false }
  }
})
const n = Number(values.n.replace(/_/g, ""))
const change = Number(values.change)
const processingDelayMs = Number(values.processing)
const log = (message: string) => process.stderr.write(`${message}\n`)

/** 1% daily change = 60% of it profile updates, 20% leavers, 20% joiners. */
const spec = { updates: change * 0.6, leavers: change * 0.2, joiners: change * 0.2, seed: 11 }
const day0 = [...employees(n)]
const day1 = [...withChanges(day0, n, spec)]

interface Cost {
  readonly label: string
  readonly requests: number
  readonly uploads: number
  readonly sessions: number
  readonly bytes: number
  readonly forcedWaitMs: number
  readonly realMs: number
  readonly records: number
}

/** What happened on the emulator between two points of its request log. */
const measure = async (org: H.Org, label: string, records: number, body: () => Promise<void>): Promise<Cost> => {
  const fromRequest = org.emu.requests.length
  const fromSessions = org.emu.sessions().length
  const fromClock = org.clock.now()
  const started = performance.now()
  await body()
  const realMs = performance.now() - started
  const requests = org.emu.requests.slice(fromRequest).filter((r) => r.path.startsWith("/api/v1/identity-sources/"))
  return {
    label,
    requests: requests.length,
    uploads: requests.filter((r) => r.method === "POST" && r.path.includes("/bulk-") && r.status === 202).length,
    sessions: org.emu.sessions().length - fromSessions,
    bytes: requests.reduce((s, r) => s + r.bodyBytes, 0),
    forcedWaitMs: org.clock.now() - fromClock,
    realMs,
    records
  }
}

// ---------------------------------------------------------------------------------------------------------------
// anysource

const anysourceDay = async (org: H.Org, dir: string, rows: ReadonlyArray<Employee>, label: string): Promise<Cost> => {
  writeFileSync(join(dir, "people.csv"), H.csvOf(rows))
  const loaded = await H.loadConfig(H.employeeConfig({ path: "people.csv", baseDir: dir }, org.emu.url), dir)
  let changed = 0
  const cost = await measure(org, label, 0, async () => {
    const { report, error } = await H.runSync({ org, loaded, statePath: join(dir, "state.db") })
    if (error._tag === "Some") throw new Error(`anysource ${label} failed: ${report.error?.message}`)
    const s = report.summary!
    changed = s.users.create + s.users.update + s.users.reactivate + s.users.deactivate
  })
  const problems = H.directoryVersusSource(org.emu, rows)
  if (problems.length > 0) throw new Error(`anysource ${label}: directory differs from the source: ${problems.join("; ")}`)
  return { ...cost, records: changed }
}

// ---------------------------------------------------------------------------------------------------------------
// full re-send (Workflows template style)

const FIVE_MINUTES = 5 * 60_000
const POLL_MS = 30_000

const fullResendRun = async (org: H.Org, rows: ReadonlyArray<Employee>, label: string): Promise<Cost> => {
  const emu: RunningEmulator = org.emu
  const base = `${emu.url}/api/v1/identity-sources/${H.SOURCE_ID}`
  const headers = { authorization: `SSWS ${H.API_TOKEN}`, "content-type": "application/json", accept: "application/json" }
  /** One call; a 429 waits (on the emulator clock) until X-Rate-Limit-Reset, then retries. */
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    for (;;) {
      const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
      const text = await res.text()
      if (res.status === 429) {
        const reset = Number(res.headers.get("x-rate-limit-reset")) * 1000
        org.clock.set(Math.max(org.clock.now() + 1000, reset))
        continue
      }
      return { status: res.status, json: text === "" ? undefined : JSON.parse(text) }
    }
  }
  const waitCompleted = async (id: string) => {
    for (;;) {
      const s = await call("GET", `/sessions/${id}`)
      if (s.json?.status === "COMPLETED" || s.json?.status === "ERROR") return
      org.clock.advance(POLL_MS)
    }
  }
  const perUpload = 100
  const perSession = 50
  return measure(org, label, rows.length, async () => {
    let previous: { id: string; created: number } | undefined
    for (let at = 0; at < rows.length; at += perUpload * perSession) {
      if (previous) {
        await waitCompleted(previous.id)
        const next = previous.created + FIVE_MINUTES
        if (org.clock.now() < next) org.clock.set(next)
      }
      let created = await call("POST", "/sessions")
      while (created.status === 400) {
        org.clock.advance(POLL_MS)
        created = await call("POST", "/sessions")
      }
      if (created.status !== 201 && created.status !== 200) throw new Error(`create session: ${created.status}`)
      const id = created.json.id as string
      previous = { id, created: org.clock.now() }
      const slice = rows.slice(at, at + perUpload * perSession)
      for (let u = 0; u < slice.length; u += perUpload) {
        const profiles = slice.slice(u, u + perUpload).map((e) => ({ externalId: e.employee_id, profile: H.expectedProfile(e) }))
        const r = await call("POST", `/sessions/${id}/bulk-upsert`, { entityType: "USERS", profiles })
        if (r.status !== 202) throw new Error(`upload: ${r.status} ${JSON.stringify(r.json)}`)
      }
      const t = await call("POST", `/sessions/${id}/start-import`)
      if (t.status >= 300) throw new Error(`start-import: ${t.status}`)
    }
    if (previous) await waitCompleted(previous.id)
  })
}

// ---------------------------------------------------------------------------------------------------------------

const results: Array<Cost> = []
{
  const dir = H.tempDir("steady")
  const org = await H.startOrg({ processingDelayMs })
  try {
    log(`anysource: initial load of ${n.toLocaleString("en-US")} people`)
    results.push(await anysourceDay(org, dir.path, day0, "anysource, initial load"))
    log(`anysource: a day with ${(change * 100).toFixed(1)}% change`)
    results.push(await anysourceDay(org, dir.path, day1, "anysource, daily diff"))
  } finally {
    await org.close()
    dir.remove()
  }
}
{
  const org = await H.startOrg({ processingDelayMs })
  try {
    log("full re-send: initial load")
    results.push(await fullResendRun(org, day0, "full re-send, initial load"))
    log("full re-send: the next day")
    results.push(await fullResendRun(org, day1, "full re-send, daily run"))
    // a full re-send never deactivates leavers: it has no memory of who was sent before
    const stale = H.directoryVersusSource(org.emu, day1).filter((p) => p.includes("ACTIVE but not in the source")).length
    log(`full re-send leaves ${stale} leavers ACTIVE (counted up to 25)`)
  } finally {
    await org.close()
  }
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US")
const duration = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`)
if (values.json) process.stdout.write(`${JSON.stringify({ n, change, processingDelayMs, results }, null, 2)}\n`)
else {
  const lines = [
    `| run | records sent | Okta requests | uploads | sessions | bytes sent | forced wait (emulator clock) | real time (loopback) |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...results.map(
      (r) =>
        `| ${r.label} | ${fmt(r.records)} | ${fmt(r.requests)} | ${fmt(r.uploads)} | ${fmt(r.sessions)} | ${(r.bytes / 1e6).toFixed(2)} MB | ${duration(r.forcedWaitMs)} | ${duration(r.realMs)} |`
    )
  ]
  const diff = results[1]!
  const resend = results[3]!
  process.stdout.write(`${lines.join("\n")}\n\n`)
  process.stdout.write(
    `daily: full re-send / anysource = ${(resend.requests / diff.requests).toFixed(0)}× requests, ${(resend.bytes / diff.bytes).toFixed(0)}× bytes, ${resend.sessions} vs ${diff.sessions} sessions, ${duration(resend.forcedWaitMs)} vs ${duration(diff.forcedWaitMs)} forced wait\n`
  )
  process.stdout.write(
    `n=${n}, change=${change} (${spec.updates * 100}% updates, ${spec.leavers * 100}% leavers, ${spec.joiners * 100}% joiners), import processing ${processingDelayMs / 1000} s per session; machine: ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`
  )
}
