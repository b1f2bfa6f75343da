/**
 * The worker's HTTP API (@effect/platform HttpRouter on Node's http server).
 *
 * | route | auth | answer |
 * | --- | --- | --- |
 * | `GET /healthz` | – | 200 while the process is alive (also while draining) |
 * | `GET /readyz` | – | 200 when every pipeline's config is loaded and its state store answers; 503 otherwise or while shutting down |
 * | `GET /metrics` | – | Prometheus text format |
 * | `GET /runs[?pipeline=&limit=]` | bearer | recent runs: the state history of every pipeline (all replicas) joined with this process's runs (skipped ticks included) |
 * | `GET /runs/{runId}` | bearer | one run (with its report when it ran in this process) |
 * | `POST /runs` `{pipeline, dryRun?, allowDeletes?}` | bearer | 202 started; 404 unknown pipeline; 409 already running here; 503 shutting down |
 *
 * The token is compared in constant time and never logged; a missing or wrong token gets 401.
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { StateStore } from "@anysource/core"
import { Duration, Effect, Option, type Redacted } from "effect"
import { z } from "zod"
import { isAuthorized } from "./internal/auth.ts"
import type { Metrics } from "./Metrics.ts"
import type { Runner, RunEntry } from "./Runner.ts"

export interface HttpOptions {
  readonly runner: Runner
  readonly metrics: Metrics
  readonly token: Redacted.Redacted<string>
  /** How long a state store may take to answer the readiness probe. */
  readonly readinessTimeout?: Duration.DurationInput
}

export const RunBody = z.strictObject({
  pipeline: z.string().min(1),
  dryRun: z.boolean().optional(),
  allowDeletes: z.boolean().optional()
})

const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

const unauthorized = HttpServerResponse.unsafeJson(
  { error: "unauthorized", message: "send the worker token as `Authorization: Bearer <token>`" },
  { status: 401, headers: { "www-authenticate": 'Bearer realm="anysource-worker"' } }
)

export interface RunListItem {
  readonly runId: string
  readonly pipeline: string
  readonly status: "running" | "finished" | "skipped"
  readonly mode: "apply" | "plan"
  readonly outcome?: string
  readonly trigger?: string
  readonly replica?: string
  readonly skipReason?: string
  readonly startedAt: string
  readonly finishedAt?: string
  readonly durationMs?: number
  readonly counts?: Readonly<Record<string, number>>
  readonly message?: string
}

const fromEntry = (e: RunEntry): RunListItem => ({
  runId: e.runId,
  pipeline: e.pipeline,
  status: e.status,
  mode: e.mode,
  ...(e.outcome !== undefined ? { outcome: e.outcome } : {}),
  ...(e.trigger !== undefined ? { trigger: e.trigger } : {}),
  ...(e.replica !== undefined ? { replica: e.replica } : {}),
  ...(e.skipReason !== undefined ? { skipReason: e.skipReason } : {}),
  startedAt: e.startedAt,
  ...(e.finishedAt !== undefined ? { finishedAt: e.finishedAt } : {}),
  ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
  ...(e.message !== undefined ? { message: e.message } : {})
})

const fromRecord = (pipeline: string, r: StateStore.RunRecord): RunListItem => ({
  runId: r.runId,
  pipeline,
  status: r.finishedAt === undefined ? "running" : "finished",
  mode: r.mode,
  // the history speaks the report's words (one RunOutcome)
  ...(r.outcome !== undefined ? { outcome: r.outcome } : {}),
  startedAt: r.startedAt,
  ...(r.finishedAt !== undefined ? { finishedAt: r.finishedAt, durationMs: Date.parse(r.finishedAt) - Date.parse(r.startedAt) } : {}),
  ...(r.counts !== undefined ? { counts: r.counts } : {}),
  ...(r.message !== undefined ? { message: r.message } : {})
})

/** Runs from the state history (every replica) joined with this process's own (newest first). */
export const listRuns = (runner: Runner, options: { readonly pipeline?: string; readonly limit: number }) =>
  Effect.gen(function* () {
    const pipelines = runner.pipelines.filter((p) => options.pipeline === undefined || p.entry.name === options.pipeline)
    const byId = new Map<string, RunListItem>()
    const warnings: Array<string> = []
    for (const p of pipelines) {
      const history = yield* p.store.history(options.limit).pipe(
        Effect.catchAll((error) =>
          Effect.sync(() => {
            warnings.push(`${p.entry.name}: state history unavailable: ${error.message}`)
            return [] as ReadonlyArray<StateStore.RunRecord>
          })
        )
      )
      for (const record of history) if (!byId.has(record.runId)) byId.set(record.runId, fromRecord(p.entry.name, record))
    }
    for (const entry of yield* runner.recent) {
      if (options.pipeline !== undefined && entry.pipeline !== options.pipeline) continue
      const own = fromEntry(entry)
      const stored = byId.get(entry.runId)
      // this process knows more (trigger, replica, the report's outcome); the store knows the counts
      byId.set(entry.runId, stored ? { ...stored, ...own, ...(stored.counts ? { counts: stored.counts } : {}) } : own)
    }
    const runs = [...byId.values()].sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0)).slice(0, options.limit)
    return { runs, ...(warnings.length > 0 ? { warnings } : {}) }
  })

export const makeRouter = (options: HttpOptions) => {
  const { runner, metrics } = options
  const readinessTimeout = options.readinessTimeout ?? "3 seconds"

  const authorized = <E, R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      isAuthorized(request.headers["authorization"], options.token) ? handler : Effect.succeed(unauthorized)
    )

  const searchParams = Effect.map(HttpServerRequest.HttpServerRequest, (request) => new URL(request.url, "http://worker").searchParams)

  return HttpRouter.empty.pipe(
    HttpRouter.get("/healthz", Effect.succeed(json({ status: "ok" }))),
    HttpRouter.get(
      "/readyz",
      Effect.gen(function* () {
        if (yield* runner.stopping) return json({ status: "stopping" }, 503)
        const checks = yield* Effect.forEach(
          runner.pipelines,
          (p) =>
            p.store.history(1).pipe(
              Effect.timeoutFail({ duration: readinessTimeout, onTimeout: () => new Error(`no answer within ${Duration.format(Duration.decode(readinessTimeout))}`) }),
              Effect.match({
                onFailure: (error) => ({ pipeline: p.entry.name, state: "unreachable", message: error.message }),
                onSuccess: () => ({ pipeline: p.entry.name, state: "ok" })
              })
            ),
          { concurrency: "unbounded" }
        )
        const ready = checks.every((c) => c.state === "ok")
        return json({ status: ready ? "ready" : "not-ready", pipelines: checks }, ready ? 200 : 503)
      })
    ),
    HttpRouter.get(
      "/metrics",
      Effect.map(Effect.promise(metrics.render), (text) => HttpServerResponse.text(text, { contentType: metrics.contentType }))
    ),
    HttpRouter.get(
      "/runs",
      authorized(
        Effect.gen(function* () {
          const params = yield* searchParams
          const pipeline = params.get("pipeline") ?? undefined
          const limitParam = Number(params.get("limit") ?? "50")
          const limit = Number.isInteger(limitParam) && limitParam > 0 ? Math.min(limitParam, 1_000) : 50
          if (pipeline !== undefined && !runner.pipelines.some((p) => p.entry.name === pipeline))
            return json({ error: "not-found", message: `no pipeline named ${JSON.stringify(pipeline)}` }, 404)
          const result = yield* listRuns(runner, { limit, ...(pipeline !== undefined ? { pipeline } : {}) })
          return json(result)
        })
      )
    ),
    HttpRouter.get(
      "/runs/:runId",
      authorized(
        Effect.gen(function* () {
          const { runId } = yield* HttpRouter.params
          if (runId === undefined) return json({ error: "not-found" }, 404)
          const own = yield* runner.get(runId)
          if (Option.isSome(own)) return json({ ...fromEntry(own.value), ...(own.value.report ? { report: own.value.report } : {}) })
          const listed = yield* listRuns(runner, { limit: 1_000 })
          const found = listed.runs.find((r) => r.runId === runId)
          return found ? json(found) : json({ error: "not-found", message: `no run ${JSON.stringify(runId)} in this worker or the state history` }, 404)
        })
      )
    ),
    HttpRouter.post(
      "/runs",
      authorized(
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const body = yield* request.json.pipe(Effect.option)
          if (Option.isNone(body)) return json({ error: "bad-request", message: "the body must be JSON: {pipeline, dryRun?, allowDeletes?}" }, 400)
          const parsed = RunBody.safeParse(body.value)
          if (!parsed.success)
            return json({ error: "bad-request", message: parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ") }, 400)
          const result = yield* runner.trigger(parsed.data.pipeline, {
            trigger: "api",
            ...(parsed.data.dryRun !== undefined ? { dryRun: parsed.data.dryRun } : {}),
            ...(parsed.data.allowDeletes !== undefined ? { allowDeletes: parsed.data.allowDeletes } : {})
          })
          switch (result._tag) {
            case "Started":
              return json({ status: "started", runId: result.runId, pipeline: parsed.data.pipeline, mode: result.mode }, 202)
            case "Busy":
              return json({ error: "busy", message: `pipeline ${parsed.data.pipeline} is running (${result.runId})`, runId: result.runId }, 409)
            case "Stopping":
              return json({ error: "stopping", message: "the worker is shutting down" }, 503)
            case "NotFound":
              return json({ error: "not-found", message: `no pipeline named ${JSON.stringify(parsed.data.pipeline)}` }, 404)
          }
        })
      )
    )
  )
}
