/**
 * A real worker process (the bundle, `node dist/main.mjs`) on loopback, with PostgreSQL state and the
 * Okta emulator: a scheduled run happens and /metrics shows it; POST /runs triggers one (401 without
 * the token); health, readiness and the run list; SIGTERM when idle exits 0; no secret in the logs.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  dropSchema,
  emulator,
  eventually,
  messageOf,
  metricValue,
  OKTA_TOKEN,
  people,
  pgUrl,
  pipelineYaml,
  schemaName,
  startWorker,
  tempDir,
  TOKEN,
  workerYaml,
  writeCsv,
  type Emulator,
  type WorkerProcess
} from "./support/harness.ts"

const SOURCE_ID = "0oaWORKERSCHED000001"

describe("worker process: schedule, metrics, run API", () => {
  let okta: Emulator
  let tmp: ReturnType<typeof tempDir>
  let worker: WorkerProcess
  const schema = schemaName("sched")

  beforeAll(async () => {
    const pg = pgUrl()
    okta = await emulator({ identitySources: [{ id: SOURCE_ID }] })
    tmp = tempDir("sched")
    writeCsv(join(tmp.dir, "people.csv"), people(40))
    const state = { type: "postgres" as const, schema }
    writeFileSync(join(tmp.dir, "hr.yaml"), pipelineYaml({ orgUrl: okta.emu.url, identitySourceId: SOURCE_ID, csv: "people.csv", state, groups: true }))
    // the same pipeline without a schedule, for on-demand runs (dry runs do not take the lock)
    writeFileSync(
      join(tmp.dir, "worker.yaml"),
      workerYaml({
        pipelines: [
          { name: "hr", config: "hr.yaml", schedule: "* * * * * *" },
          { name: "hr-manual", config: "hr.yaml" }
        ]
      })
    )
    worker = await startWorker({
      env: { ANYSOURCE_WORKER_CONFIG: join(tmp.dir, "worker.yaml"), WORKER_TOKEN: TOKEN, OKTA_API_TOKEN: OKTA_TOKEN, PG_URL: pg, ANYSOURCE_REPLICA_ID: "replica-a" }
    })
  })

  afterAll(async () => {
    await worker?.stop("SIGKILL")
    await okta?.close()
    tmp?.remove()
    await dropSchema(schema)
  })

  it("answers /healthz and /readyz (state reachable)", async () => {
    const health = await worker.api("/healthz", { token: null })
    expect(health.status).toBe(200)
    expect(health.json).toEqual({ status: "ok" })
    const ready = await worker.api("/readyz", { token: null })
    expect(ready.status).toBe(200)
    expect(ready.json).toMatchObject({ status: "ready", pipelines: [{ pipeline: "hr", state: "ok" }, { pipeline: "hr-manual", state: "ok" }] })
  })

  it("runs on its schedule: the directory gets the source, and /metrics shows the run", async () => {
    const applied = await worker.waitFor((l) => messageOf(l).startsWith("run applied"), 30_000, "a scheduled run to apply")
    expect(applied.annotations).toMatchObject({ pipeline: "hr", outcome: "applied" })
    expect(String(applied.annotations.runId)).toMatch(/^run-/)
    expect(okta.emu.directory.users()).toHaveLength(40)
    expect(okta.emu.directory.groups().map((g) => g.externalId).sort()).toEqual(["dept-engineering", "dept-finance", "dept-sales", "dept-support"])

    // every line of that run carries its run id
    const runId = String(applied.annotations.runId)
    const runLines = worker.lines.filter((l) => l.annotations.runId === runId)
    expect(runLines.map(messageOf)).toEqual(expect.arrayContaining([expect.stringMatching(/^run started \(schedule, apply\)/), expect.stringMatching(/Okta session 1\/1 created/)]))
    for (const line of runLines) expect(line.annotations.pipeline).toBe("hr")

    const metrics = await eventually(async () => {
      const text = (await worker.api("/metrics", { token: null })).text
      return (metricValue(text, "anysource_runs_total", { pipeline: "hr", outcome: "applied" }) ?? 0) >= 1 ? text : undefined
    }, 10_000, "the run in /metrics")
    expect(metricValue(metrics, "anysource_changes_total", { pipeline: "hr", entity: "users", op: "create" })).toBe(40)
    expect(metricValue(metrics, "anysource_changes_total", { pipeline: "hr", entity: "groups", op: "create" })).toBe(4)
    expect(metricValue(metrics, "anysource_okta_sessions_total", { pipeline: "hr" })).toBeGreaterThanOrEqual(1)
    expect(metricValue(metrics, "anysource_okta_requests_total", { pipeline: "hr" })).toBeGreaterThanOrEqual(4)
    expect(metricValue(metrics, "anysource_committed_changes_total", { pipeline: "hr" })).toBeGreaterThanOrEqual(44)
    expect(metricValue(metrics, "anysource_run_duration_seconds_count", { pipeline: "hr", outcome: "applied" })).toBeGreaterThanOrEqual(1)
    const lastSuccess = metricValue(metrics, "anysource_last_success_timestamp_seconds", { pipeline: "hr" })
    expect(lastSuccess).toBeGreaterThan(Date.now() / 1000 - 60)
    expect(metricValue(metrics, "anysource_okta_rate_limited_total", { pipeline: "hr" })).toBe(0)
    expect(metricValue(metrics, "anysource_runs_total", { pipeline: "hr-manual", outcome: "applied" })).toBe(0)
    expect(metrics).toContain("process_cpu_user_seconds_total")

    // the next ticks find nothing to change
    await eventually(async () => {
      const text = (await worker.api("/metrics", { token: null })).text
      return (metricValue(text, "anysource_runs_total", { pipeline: "hr", outcome: "no-changes" }) ?? 0) >= 1 ? true : undefined
    }, 10_000, "a no-changes tick")
  })

  it("protects the run API with the bearer token", async () => {
    for (const token of [null, "wrong-token-0123456789abcdef", `${TOKEN}x`]) {
      const list = await worker.api("/runs", { token })
      expect(list.status).toBe(401)
      const post = await worker.api("/runs", { method: "POST", body: { pipeline: "hr-manual" }, token })
      expect(post.status).toBe(401)
      expect(post.json.error).toBe("unauthorized")
    }
    const scheme = await fetch(`${worker.url}/runs`, { headers: { authorization: `Basic ${TOKEN}` } })
    expect(scheme.status).toBe(401)
    expect(scheme.headers.get("www-authenticate")).toContain("Bearer")
    expect((await worker.api("/runs/nope", { token: null })).status).toBe(401)
  })

  it("POST /runs triggers a run; GET /runs and /runs/{id} show it", async () => {
    writeCsv(join(tmp.dir, "people.csv"), people(40, (i) => (i < 5 ? "Promoted" : `Engineer ${i % 7}`)))
    const dry = await worker.api("/runs", { method: "POST", body: { pipeline: "hr-manual", dryRun: true } })
    expect(dry.status).toBe(202)
    expect(dry.json).toMatchObject({ status: "started", pipeline: "hr-manual", mode: "plan" })
    const planned = await eventually(async () => {
      const r = await worker.api(`/runs/${dry.json.runId}`)
      return r.json?.status === "finished" ? r.json : undefined
    }, 20_000, "the dry run")
    expect(planned).toMatchObject({ runId: dry.json.runId, outcome: "planned", trigger: "api", replica: "replica-a", mode: "plan" })
    expect(planned.report.summary.users.update).toBe(5)

    const bad = await worker.api("/runs", { method: "POST", body: { pipeline: "nope" } })
    expect(bad.status).toBe(404)
    const invalid = await worker.api("/runs", { method: "POST", body: { pipeline: "hr", dryRun: "yes" } })
    expect(invalid.status).toBe(400)
    expect(invalid.json.message).toContain("dryRun")
    expect((await worker.api("/runs", { method: "POST", body: "{not json" })).status).toBe(400)

    // an applied change, by the scheduler or by a trigger: the directory follows the source
    const triggered = await worker.api("/runs", { method: "POST", body: { pipeline: "hr-manual" } })
    expect([202, 409]).toContain(triggered.status)
    await eventually(() => (okta.emu.directory.users().filter((u) => u.profile.title === "Promoted").length === 5 ? true : undefined), 20_000, "the update in Okta")

    const list = await worker.api("/runs?limit=500")
    expect(list.status).toBe(200)
    const runs: Array<any> = list.json.runs
    const mine = runs.find((r) => r.runId === dry.json.runId)
    expect(mine).toMatchObject({ pipeline: "hr-manual", outcome: "planned", status: "finished", trigger: "api" })
    expect(runs.some((r) => r.pipeline === "hr" && r.trigger === "schedule" && r.outcome === "applied" && r.counts?.usersCreate === 40)).toBe(true)
    // newest first
    const starts = runs.map((r) => r.startedAt)
    expect([...starts].sort().reverse()).toEqual(starts)
    const onlyManual = await worker.api("/runs?pipeline=hr-manual")
    expect(onlyManual.json.runs.every((r: any) => r.pipeline === "hr-manual")).toBe(true)
    expect((await worker.api("/runs?pipeline=nope")).status).toBe(404)
  })

  it("stops on SIGTERM with exit code 0, and never logged a secret", async () => {
    const exit = await worker.stop("SIGTERM", 30_000)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(worker.lines.map(messageOf)).toEqual(expect.arrayContaining([expect.stringMatching(/^received SIGTERM/), "stopped"]))
    const output = worker.output()
    expect(output).not.toContain(TOKEN)
    expect(output).not.toContain(OKTA_TOKEN)
    const password = new URL(pgUrl()).password
    if (password) expect(output).not.toContain(`:${password}@`)
  })
})
