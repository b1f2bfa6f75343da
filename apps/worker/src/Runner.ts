/**
 * Runs pipelines: at most one run per pipeline in this process (a tick that finds it running is
 * recorded as skipped, reason `busy`), and at most one per identity source across replicas (Sync's lease
 * lock, taken with `whenLocked: "skip"`: a replica that finds it held skips the tick, reason `locked`, and the
 * run history is not touched).
 *
 * Every run is `Sync.runWithReport` with a `stopBefore` that turns true when shutdown begins, so a
 * SIGTERM stops an apply at the next session boundary with the journal saved; the next process
 * resumes it (core's Orchestrator.resumePending inside Sync, started at once by `resumePending`).
 * Logs of a run carry `runId` and `pipeline` annotations.
 */
import { type ConfigLoader, RunReport, StateStore, Sync } from "@anysource/core"
import { Layers, Report, Run, SyncLog } from "@anysource/runtime"
import { Clock, Effect, FiberSet, Option, Ref, type Scope } from "effect"
import type * as Metrics from "./Metrics.ts"
import * as RecentRuns from "./RecentRuns.ts"
import type { RunEntry, RunRequest } from "./RecentRuns.ts"
import { logFinished } from "./RunLog.ts"
import type { Pipeline } from "./WorkerConfig.ts"

export type { RunEntry, RunRequest, Trigger } from "./RecentRuns.ts"

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

const iso = (millis: number) => new Date(millis).toISOString()

export const make = (options: RunnerOptions): Effect.Effect<Runner, never, Scope.Scope> =>
  Effect.gen(function* () {
    const byName = new Map(options.pipelines.map((p) => [p.entry.name, p]))
    const running = new Map<string, string>() // pipeline → runId
    const stopping = yield* Ref.make(false)
    const fibers = yield* FiberSet.make<void, never>()
    const userAgent = `anysource-worker/0.1 (${options.replicaId})`

    const runs = RecentRuns.make(options.recentRuns, (runId) => [...running.values()].includes(runId))
    const remember = runs.remember

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
        const logEvent = SyncLog.make()
        const { report, error } = yield* Run.runWithReport(
          {
            loaded: p.loaded,
            mode,
            allowDeletes,
            runId,
            onEvent: (event) => Effect.zipRight(Effect.sync(() => countEvent(event)), logEvent(event)),
            stopBefore: Ref.get(stopping),
            lockTtlMillis: p.entry.lockTtl,
            // another replica holding the identity source: skip this tick, leave the run history alone
            whenLocked: "skip"
          },
          Layers.oktaLayer(p.loaded, { userAgent, runtime: "the worker" })
        ).pipe(Effect.provideService(StateStore.StateStore, p.store))
        const endMillis = yield* Clock.currentTimeMillis

        const locked = yield* Run.failed(error).pipe(
          Effect.as(false),
          Effect.catchTag("StateError", (e) => Effect.succeed(e.reason === "Locked")),
          Effect.orElseSucceed(() => false)
        )
        if (locked) {
          options.metrics.runAborted(name)
          runs.forget(runId)
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
          report: Report.compact(report),
          ...(report.error ? { message: report.error.message } : stopped ? { message: "stopped at a session boundary for shutdown; the next start resumes it" } : {})
        })
        yield* logFinished(report, stopped)
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.gen(function* () {
            // A defect (bug): record it, keep the worker alive for the next tick.
            const now = yield* Clock.currentTimeMillis
            const entry = runs.get(runId)
            const report = RunReport.notStarted({ runId, identitySourceId: p.loaded.config.okta.identitySourceId, mode, startMillis: now, endMillis: now, error: cause })
            options.metrics.runFinished(p.entry.name, report, now)
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

    const newestFirst = runs.newestFirst

    const runner: Runner = {
      pipelines: options.pipelines,
      trigger,
      recent: Effect.sync(newestFirst),
      get: (runId) => Effect.sync(() => Option.fromNullable(runs.get(runId))),
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

