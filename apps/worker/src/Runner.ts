/**
 * Runs pipelines: at most one run per pipeline in this process (a tick that finds it running is
 * recorded as skipped, reason `busy`), and at most one per identity source across replicas (the
 * state store's lease lock: a replica that finds it held skips the tick, reason `locked`).
 *
 * Every run is `Sync.runWithReport` with a `stopBefore` that turns true when shutdown begins, so a
 * SIGTERM stops an apply at the next session boundary with the journal saved; the next process
 * resumes it (core's Orchestrator.resumePending inside Sync, started at once by `resumePending`).
 * Logs of a run carry `runId` and `pipeline` annotations.
 */
import { type ConfigLoader, type Plan, RunReport, StateStore, Sync } from "@anysource/core"
import { Clock, Effect, FiberSet, Layer, Option, Ref, type Scope } from "effect"
import * as Layers from "./Layers.ts"
import type * as Metrics from "./Metrics.ts"
import type { Pipeline } from "./WorkerConfig.ts"

export type Trigger = "schedule" | "api" | "resume"

export interface RunRequest {
  readonly trigger: Trigger
  /** Plan only (dry run): report what would change, send nothing. Default: the pipeline's mode. */
  readonly dryRun?: boolean
  /** Let a tripped deactivation safeguard through. Default: the pipeline's `allowDeletes`. */
  readonly allowDeletes?: boolean
}

/** A run as this process saw it (GET /runs, GET /runs/{id}). */
export interface RunEntry {
  readonly runId: string
  readonly pipeline: string
  readonly trigger?: Trigger
  readonly replica?: string
  readonly mode: "apply" | "plan"
  readonly status: "running" | "finished" | "skipped"
  readonly outcome?: Metrics.Outcome
  readonly skipReason?: Metrics.SkipReason
  readonly startedAt: string
  readonly finishedAt?: string
  readonly durationMs?: number
  /** The run report without the plan body (which can hold thousands of changes). */
  readonly report?: Omit<RunReport.RunReport, "plan">
  readonly message?: string
}

export type TriggerResult =
  | { readonly _tag: "Started"; readonly runId: string; readonly mode: "apply" | "plan" }
  | { readonly _tag: "Busy"; readonly runId: string }
  | { readonly _tag: "Stopping" }
  | { readonly _tag: "NotFound" }

export interface PipelineRuntime {
  readonly entry: Pipeline
  readonly loaded: ConfigLoader.LoadedConfig
  readonly store: StateStore.StateStoreService
}

export interface RunnerOptions {
  readonly pipelines: ReadonlyArray<PipelineRuntime>
  readonly metrics: Metrics.Metrics
  readonly replicaId: string
  readonly recentRuns: number
}

export interface Runner {
  readonly pipelines: ReadonlyArray<PipelineRuntime>
  /** Start a run in the background. */
  readonly trigger: (pipeline: string, request: RunRequest) => Effect.Effect<TriggerResult>
  /** Runs this process knows (newest first), including skipped ticks. */
  readonly recent: Effect.Effect<ReadonlyArray<RunEntry>>
  readonly get: (runId: string) => Effect.Effect<Option.Option<RunEntry>>
  /** Runs in progress in this process. */
  readonly active: Effect.Effect<ReadonlyArray<RunEntry>>
  /** Start a run for every pipeline whose state holds an unfinished apply (after a SIGTERM or crash). */
  readonly resumePending: Effect.Effect<void>
  /** From now on: no new runs, and running applies stop at their next session boundary. */
  readonly beginShutdown: Effect.Effect<void>
  readonly stopping: Effect.Effect<boolean>
  /** Wait until no run is in progress. */
  readonly awaitIdle: Effect.Effect<void>
  /** Interrupt every run (finalizers release the locks; the journal lets the next process resume). */
  readonly interruptAll: Effect.Effect<void>
}

type PlanSummary = Plan.PlanSummary

const iso = (millis: number) => new Date(millis).toISOString()

const withoutPlan = (report: RunReport.RunReport): Omit<RunReport.RunReport, "plan"> => {
  const { plan: _plan, ...rest } = report
  return rest
}

const isLocked = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "StateError" && (error as { reason?: unknown }).reason === "Locked"

/** A report for a run that could not start (the Okta client could not be built). */
const failedReport = (
  runId: string,
  identitySourceId: string,
  mode: "apply" | "plan",
  startMillis: number,
  endMillis: number,
  error: unknown
): RunReport.RunReport => ({
  runId,
  identitySourceId,
  mode,
  outcome: "failed",
  startedAt: iso(startMillis),
  finishedAt: iso(endMillis),
  durationMs: endMillis - startMillis,
  issues: [],
  sessions: [],
  okta: RunReport.emptyOktaUsage,
  error: RunReport.describeError(error)
})

const summaryText = (s: PlanSummary): string => {
  const parts = [
    `users +${s.users.create} ~${s.users.update} ↺${s.users.reactivate} -${s.users.deactivate}`,
    `groups +${s.groups.create} ~${s.groups.update} -${s.groups.deactivate}`,
    `memberships +${s.memberships.add} -${s.memberships.remove}`
  ]
  return parts.join(", ")
}

export const make = (options: RunnerOptions): Effect.Effect<Runner, never, Scope.Scope> =>
  Effect.gen(function* () {
    const byName = new Map(options.pipelines.map((p) => [p.entry.name, p]))
    const running = new Map<string, string>() // pipeline → runId
    const entries = new Map<string, RunEntry>() // runId → entry (insertion order = start order)
    const stopping = yield* Ref.make(false)
    const fibers = yield* FiberSet.make<void, never>()
    const userAgent = `anysource-worker/0.1 (${options.replicaId})`

    /** Add or update (in place: the map keeps start order) a run. */
    const remember = (entry: RunEntry) => {
      entries.set(entry.runId, entry)
      while (entries.size > options.recentRuns) {
        const oldest = entries.keys().next().value
        if (oldest === undefined || [...running.values()].includes(oldest)) break
        entries.delete(oldest)
      }
    }

    const skip = (p: PipelineRuntime, runId: string, request: RunRequest, mode: "apply" | "plan", reason: Metrics.SkipReason, message: string) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        options.metrics.skipped(p.entry.name, reason)
        remember({
          runId,
          pipeline: p.entry.name,
          trigger: request.trigger,
          replica: options.replicaId,
          mode,
          status: "skipped",
          outcome: "skipped",
          skipReason: reason,
          startedAt: iso(now),
          finishedAt: iso(now),
          durationMs: 0,
          message
        })
        const quiet = reason === "busy" && request.trigger === "schedule"
        yield* (quiet ? Effect.logDebug : Effect.logInfo)(`run skipped (${reason}): ${message}`).pipe(
          Effect.annotateLogs({ runId, pipeline: p.entry.name, trigger: request.trigger, skipReason: reason })
        )
      })

    const execute = (p: PipelineRuntime, runId: string, request: RunRequest, mode: "apply" | "plan") =>
      Effect.gen(function* () {
        const name = p.entry.name
        const allowDeletes = request.allowDeletes ?? p.entry.allowDeletes
        // Take the identity source's lock first (held until this run ends; Sync takes it again under the
        // same owner, which the stores allow): another replica holding it = skip this tick without
        // touching the run history.
        if (mode === "apply") {
          const lock = yield* Effect.either(p.store.lock(runId, p.entry.lockTtl))
          if (lock._tag === "Left" && isLocked(lock.left)) {
            return yield* skip(p, runId, request, mode, "locked", lock.left.message)
          }
        }
        const startMillis = yield* Clock.currentTimeMillis
        const base: RunEntry = {
          runId,
          pipeline: name,
          trigger: request.trigger,
          replica: options.replicaId,
          mode,
          status: "running",
          startedAt: iso(startMillis)
        }
        remember(base)
        options.metrics.runStarted(name)
        yield* Effect.logInfo(`run started (${request.trigger}, ${mode}${allowDeletes ? ", deletes allowed" : ""})`)

        const countEvent = options.metrics.onEvent(name)
        const onEvent = (event: Sync.SyncEvent): Effect.Effect<void> =>
          Effect.suspend(() => {
            countEvent(event)
            if (event._tag === "Planned") return Effect.logInfo(`planned: ${summaryText(event.plan.summary)}`)
            if (event._tag !== "Apply") return Effect.void
            const e = event.event
            switch (e._tag) {
              case "SessionCreated":
                return Effect.logInfo(`Okta session ${e.index + 1}/${e.total} created`).pipe(Effect.annotateLogs({ sessionId: e.sessionId }))
              case "SessionTriggered":
                return Effect.logInfo("import started").pipe(Effect.annotateLogs({ sessionId: e.sessionId }))
              case "SessionCompleted":
                return Effect.logInfo(`Okta session ${e.index + 1} completed`).pipe(Effect.annotateLogs({ sessionId: e.sessionId }))
              case "Committed":
                return Effect.logInfo(`committed ${e.changes} changes of session ${e.index + 1}`)
              case "WaitingForSessionGap":
                return Effect.logInfo(`waiting ${Math.ceil(e.remainingMillis / 1000)} s before the next Okta session (${e.reason})`)
              case "RateLimited":
                return Effect.logWarning(`rate limited by Okta: waiting ${Math.ceil(e.waitMillis / 1000)} s`)
              case "Retrying":
                return Effect.logWarning(`retrying (attempt ${e.attempt}): ${e.reason}`)
              case "Resumed":
                return Effect.logInfo(`resuming the unfinished apply of ${e.runId} from session ${e.fromSession + 1}`)
              default:
                return Effect.logDebug(`${e._tag}`)
            }
          })

        const syncOptions: Sync.SyncOptions = {
          loaded: p.loaded,
          mode,
          allowDeletes,
          runId,
          onEvent,
          stopBefore: Ref.get(stopping),
          lockTtlMillis: p.entry.lockTtl
        }
        const outcome = yield* Effect.scoped(
          Effect.gen(function* () {
            const okta = yield* Effect.either(Layer.build(Layers.oktaLayer(p.loaded, userAgent)))
            if (okta._tag === "Left") {
              const end = yield* Clock.currentTimeMillis
              return { report: failedReport(runId, p.loaded.config.okta.identitySourceId, mode, startMillis, end, okta.left), error: Option.some<unknown>(okta.left) }
            }
            const result = yield* Sync.runWithReport(syncOptions).pipe(Effect.provide(okta.right), Effect.provideService(StateStore.StateStore, p.store))
            return { report: result.report, error: Option.map(result.error, (e): unknown => e) }
          })
        )
        const endMillis = yield* Clock.currentTimeMillis
        const { report, error } = outcome

        if (Option.isSome(error) && isLocked(error.value)) {
          // Sync could not take the lock although this run holds it (a store that does not let the same
          // owner take it again, or the lease was lost): count it as a locked tick, not a failure.
          options.metrics.runAborted(name)
          entries.delete(runId)
          return yield* skip(p, runId, request, mode, "locked", report.error?.message ?? "identity source locked")
        }

        options.metrics.runFinished(name, report, endMillis)
        const stopped = report.outcome === "partial" && (yield* Ref.get(stopping))
        remember({
          ...base,
          status: "finished",
          outcome: report.outcome,
          finishedAt: report.finishedAt,
          durationMs: report.durationMs,
          report: withoutPlan(report),
          ...(report.error ? { message: report.error.message } : stopped ? { message: "stopped at a session boundary for shutdown; the next start resumes it" } : {})
        })
        const annotations = {
          outcome: report.outcome,
          durationMs: report.durationMs,
          sessions: report.sessions.length,
          oktaRequests: report.okta.requests,
          ...(report.resumedRunId ? { resumed: true } : {})
        }
        const line = `run ${report.outcome} in ${(report.durationMs / 1000).toFixed(1)} s${report.summary ? `: ${summaryText(report.summary)}` : ""}`
        switch (report.outcome) {
          case "failed":
            yield* Effect.logError(`${line}: ${report.error?.message ?? "unknown error"}`).pipe(
              Effect.annotateLogs({ ...annotations, errorTag: report.error?.tag ?? "", ...(report.error?.reason ? { errorReason: report.error.reason } : {}) })
            )
            break
          case "safeguard":
            yield* Effect.logWarning(`${line}: ${report.error?.message ?? ""}`).pipe(Effect.annotateLogs(annotations))
            break
          case "partial":
            yield* Effect.logInfo(
              stopped ? `${line}: stopped at a session boundary for shutdown, journal saved; the next start resumes it` : `${line}: stopped at a session boundary, journal saved`
            ).pipe(Effect.annotateLogs(annotations))
            break
          default:
            yield* Effect.logInfo(line).pipe(Effect.annotateLogs(annotations))
        }
      }).pipe(
        Effect.scoped,
        Effect.catchAllCause((cause) =>
          Effect.gen(function* () {
            // A defect (bug): record it, keep the worker alive for the next tick.
            const now = yield* Clock.currentTimeMillis
            const entry = entries.get(runId)
            options.metrics.runFinished(p.entry.name, failedReport(runId, p.loaded.config.okta.identitySourceId, mode, now, now, cause), now)
            if (entry) remember({ ...entry, status: "finished", outcome: "failed", finishedAt: iso(now), message: "internal error (see the log)" })
            yield* Effect.logError("run crashed", cause)
          })
        ),
        Effect.ensuring(Effect.sync(() => running.delete(p.entry.name))),
        Effect.annotateLogs({ runId, pipeline: p.entry.name })
      )

    const trigger = (pipeline: string, request: RunRequest): Effect.Effect<TriggerResult> =>
      Effect.gen(function* () {
        const p = byName.get(pipeline)
        if (!p) return { _tag: "NotFound" } as const
        const mode: "apply" | "plan" = request.dryRun === true ? "plan" : request.dryRun === false ? "apply" : p.entry.mode
        const now = yield* Clock.currentTimeMillis
        const runId = Sync.newRunId(now)
        if (yield* Ref.get(stopping)) {
          yield* skip(p, runId, request, mode, "stopping", "the worker is shutting down")
          return { _tag: "Stopping" } as const
        }
        const current = running.get(pipeline)
        if (current !== undefined) {
          yield* skip(p, runId, request, mode, "busy", `run ${current} is still in progress in this process`)
          return { _tag: "Busy", runId: current } as const
        }
        running.set(pipeline, runId)
        remember({ runId, pipeline, trigger: request.trigger, replica: options.replicaId, mode, status: "running", startedAt: iso(now) })
        yield* FiberSet.run(fibers, execute(p, runId, request, mode))
        return { _tag: "Started", runId, mode } as const
      })

    const newestFirst = () => [...entries.values()].reverse()

    const runner: Runner = {
      pipelines: options.pipelines,
      trigger,
      recent: Effect.sync(newestFirst),
      get: (runId) => Effect.sync(() => Option.fromNullable(entries.get(runId))),
      active: Effect.sync(() => newestFirst().filter((e) => e.status === "running")),
      resumePending: Effect.forEach(
        options.pipelines.filter((p) => p.entry.mode === "apply" && p.entry.resumeOnStart),
        (p) =>
          p.store.journal.pipe(
            Effect.flatMap((journal) =>
              Option.isSome(journal)
                ? Effect.logInfo(`unfinished apply ${journal.value.runId} found in state: resuming now`).pipe(
                    Effect.annotateLogs({ pipeline: p.entry.name }),
                    Effect.zipRight(trigger(p.entry.name, { trigger: "resume" }))
                  )
                : Effect.void
            ),
            Effect.catchAll((error) => Effect.logWarning(`could not read the journal: ${error.message}`).pipe(Effect.annotateLogs({ pipeline: p.entry.name })))
          ),
        { discard: true }
      ),
      beginShutdown: Ref.set(stopping, true),
      stopping: Ref.get(stopping),
      awaitIdle: FiberSet.awaitEmpty(fibers),
      interruptAll: FiberSet.clear(fibers)
    }
    return runner
  })
