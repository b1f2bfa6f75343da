/**
 * What strict mode costs the Okta emulator: requests per second of a client's usual mix, strict versus not, back to
 * back in one process.
 *
 *   pnpm --filter @anysource/bench emulator-strict                        # 5 runs per mode, 20 sessions per run
 *   pnpm --filter @anysource/bench emulator-strict -- --runs 3 --sessions 10 --json
 *
 * One run is `sessions` rounds of: create a session, `uploads` bulk-upserts of 200 employees each (about 45 KB of
 * JSON), start-import, `polls` GETs of the session; sequential over keep-alive connections, against a fresh
 * emulator on a manual clock (advanced past the import after the polls, so nothing sleeps; no rate limit). Only
 * the request round trips are timed (wall time, and the process's CPU time: client and emulator share the
 * process, and the CPU figure is the steadier one on a busy machine); the import itself is not. Modes alternate
 * (plain, strict, plain, strict, …) after one warm-up run each, which also pays the validator's one-off start-up,
 * measured separately first.
 */
import { cpus, loadavg } from "node:os"
import { parseArgs } from "node:util"
import {
  DEFAULT_API_TOKEN,
  DEFAULT_IDENTITY_SOURCE_ID,
  ManualClock,
  startEmulator
} from "@anysource/okta-emulator"
import { employees } from "./Dataset.ts"
import { CUSTOM_ATTRIBUTES, expectedProfile } from "./Harness.ts"

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    runs: { type: "string", default: "5" },
    sessions: { type: "string", default: "20" },
    uploads: { type: "string", default: "10" },
    polls: { type: "string", default: "5" },
    json: { type: "boolean", default: false }
  }
})
const runs = Number(values.runs)
const sessions = Number(values.sessions)
const uploads = Number(values.uploads)
const polls = Number(values.polls)
const log = (message: string) => process.stderr.write(`${message}\n`)

type Kind = "create" | "upload" | "trigger" | "poll"
const kinds: ReadonlyArray<Kind> = ["create", "upload", "trigger", "poll"]

// The upload bodies are built once: the run times the emulator, not JSON.stringify on the client side.
const people = [...employees(uploads * 200, 7)]
const bodies = Array.from({ length: uploads }, (_, i) =>
  JSON.stringify({
    entityType: "USERS",
    profiles: people
      .slice(i * 200, (i + 1) * 200)
      .map((e) => ({ externalId: e.employee_id, profile: expectedProfile(e) }))
  })
)
const uploadBytes = bodies.reduce((sum, b) => sum + Buffer.byteLength(b), 0) / bodies.length

interface Run {
  readonly strict: boolean
  readonly requests: number
  readonly seconds: number
  readonly cpuSeconds: number
  readonly perKind: Record<Kind, { count: number; seconds: number; cpuSeconds: number }>
}

const run = async (strict: boolean): Promise<Run> => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9))
  const emu = await startEmulator({
    strict,
    clock,
    processingDelayMs: 1_000,
    identitySources: [{ id: DEFAULT_IDENTITY_SOURCE_ID, customAttributes: CUSTOM_ATTRIBUTES }],
    requestLog: false,
    rateLimit: { limit: 1e9 }
  })
  const base = `${emu.url}/api/v1/identity-sources/${DEFAULT_IDENTITY_SOURCE_ID}/sessions`
  const headers = {
    Authorization: `SSWS ${DEFAULT_API_TOKEN}`,
    Accept: "application/json",
    "Content-Type": "application/json"
  }
  const perKind = Object.fromEntries(
    kinds.map((k) => [k, { count: 0, seconds: 0, cpuSeconds: 0 }])
  ) as Run["perKind"]
  const call = async (kind: Kind, url: string, method: string, expected: number, body?: string) => {
    const start = process.hrtime.bigint()
    const cpu = process.cpuUsage()
    const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await res.text()
    const used = process.cpuUsage(cpu)
    perKind[kind].seconds += Number(process.hrtime.bigint() - start) / 1e9
    perKind[kind].cpuSeconds += (used.user + used.system) / 1e6
    perKind[kind].count += 1
    if (res.status !== expected) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`)
    return text
  }
  try {
    for (let s = 0; s < sessions; s++) {
      const { id } = JSON.parse(await call("create", base, "POST", 201)) as { id: string }
      for (const body of bodies) await call("upload", `${base}/${id}/bulk-upsert`, "POST", 202, body)
      await call("trigger", `${base}/${id}/start-import`, "POST", 200)
      for (let p = 0; p < polls; p++) await call("poll", `${base}/${id}`, "GET", 200)
      clock.advance(1_000)
      const done = JSON.parse(await call("poll", `${base}/${id}`, "GET", 200)) as { status: string }
      if (done.status !== "COMPLETED") throw new Error(`session ${id} is ${done.status}`)
    }
  } finally {
    await emu.close()
  }
  const requests = kinds.reduce((n, k) => n + perKind[k].count, 0)
  const seconds = kinds.reduce((n, k) => n + perKind[k].seconds, 0)
  const cpuSeconds = kinds.reduce((n, k) => n + perKind[k].cpuSeconds, 0)
  return { strict, requests, seconds, cpuSeconds, perKind }
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

// The validator's one-off cost: the first strict start in a process loads openapi-backend, Ajv and the spec.
const coldStart = process.hrtime.bigint()
await (await startEmulator({ strict: true })).close()
const strictStartMs = Number(process.hrtime.bigint() - coldStart) / 1e6
const warmStart = process.hrtime.bigint()
await (await startEmulator({ strict: true })).close()
const strictRestartMs = Number(process.hrtime.bigint() - warmStart) / 1e6

log(
  `mix per session: 1 create, ${uploads} bulk-upserts of 200 users (${(uploadBytes / 1024).toFixed(1)} KiB each), 1 start-import, ${polls + 1} polls`
)
log(`warm-up (one run per mode) …`)
await run(false)
await run(true)
const results: Array<Run> = []
for (let i = 0; i < runs; i++) {
  for (const strict of [false, true]) {
    const r = await run(strict)
    results.push(r)
    log(
      `run ${i + 1} ${strict ? "strict" : "plain "}: ${r.requests} requests in ${r.seconds.toFixed(2)} s = ` +
        `${(r.requests / r.seconds).toFixed(0)} req/s, ${(r.requests / r.cpuSeconds).toFixed(0)} per CPU-second`
    )
  }
}

const perKind = (rs: ReadonlyArray<Run>, f: (k: Run["perKind"][Kind]) => number) =>
  Object.fromEntries(kinds.map((k) => [k, median(rs.map((r) => f(r.perKind[k])))])) as Record<Kind, number>
const summary = (strict: boolean) => {
  const rs = results.filter((r) => r.strict === strict)
  return {
    requestsPerSecond: median(rs.map((r) => r.requests / r.seconds)),
    requestsPerCpuSecond: median(rs.map((r) => r.requests / r.cpuSeconds)),
    msPerRequest: perKind(rs, (k) => (k.seconds * 1000) / k.count),
    cpuMsPerRequest: perKind(rs, (k) => (k.cpuSeconds * 1000) / k.count)
  }
}
const plain = summary(false)
const strict = summary(true)
const report = {
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? "?", node: process.version, loadavg: loadavg() },
  mix: {
    sessions,
    uploadsPerSession: uploads,
    usersPerUpload: 200,
    uploadKiB: uploadBytes / 1024,
    pollsPerSession: polls + 1,
    runs
  },
  strictStartMs,
  strictRestartMs,
  plain,
  strict
}
const labels: Record<Kind, string> = {
  create: "create session",
  upload: "bulk-upsert (200 users)",
  trigger: "start-import",
  poll: "poll (GET session)"
}
if (values.json) {
  process.stdout.write(`${JSON.stringify(report)}\n`)
} else {
  const row = (label: string, a: number, b: number, digits: number) =>
    `| ${label} | ${a.toFixed(digits)} | ${b.toFixed(digits)} | ${(b / a).toFixed(2)}× |`
  process.stdout.write(
    [
      `| median of ${runs} runs (${results[0]!.requests} requests each) | plain | strict | strict / plain |`,
      "| --- | ---: | ---: | ---: |",
      row("requests per second (wall)", plain.requestsPerSecond, strict.requestsPerSecond, 0),
      row("requests per CPU-second", plain.requestsPerCpuSecond, strict.requestsPerCpuSecond, 0),
      ...kinds.map((k) =>
        row(`CPU ms per ${labels[k]}`, plain.cpuMsPerRequest[k], strict.cpuMsPerRequest[k], 2)
      ),
      ...kinds.map((k) => row(`wall ms per ${labels[k]}`, plain.msPerRequest[k], strict.msPerRequest[k], 2)),
      "",
      `first strict start in a process (loads the validator): ${strictStartMs.toFixed(0)} ms; later starts: ${strictRestartMs.toFixed(1)} ms`,
      `load average while measuring: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(", ")}`,
      ""
    ].join("\n")
  )
}
