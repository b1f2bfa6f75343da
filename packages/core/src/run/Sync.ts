/**
 * The one use case every app calls: read → plan → guard → (apply → commit) → report.
 * Apps stay thin: they load the config, build the OktaClient and StateStore layers, call `run`,
 * and render the report.
 */
import { Clock, Effect, Option, Stream } from "effect"
import type { LoadedConfig } from "../config/ConfigLoader.ts"
import {
  type ApplyError,
  type ConfigError,
  type OktaApiError,
  PlanDriftError,
  type SafeguardTripped,
  type SourceError,
  type StateError,
  type ValidationError
} from "../domain/Errors.ts"
import { OktaClient } from "../okta/OktaClient.ts"
import * as Orchestrator from "../apply/Orchestrator.ts"
import * as Retry from "../okta/Retry.ts"
import { isEmpty, type Plan } from "../plan/Plan.ts"
import * as Planner from "../plan/Planner.ts"
import * as Proof from "./Proof.ts"
import {
  describeError,
  emptyOktaUsage,
  type OktaUsage,
  type RunOutcome,
  type RunReport
} from "./RunReport.ts"
import * as Safeguards from "../plan/Safeguards.ts"
import * as SchemaGuard from "../setup/SchemaGuard.ts"
import { StateStore } from "../state/StateStore.ts"
import type { ReadBackEvent } from "../verify/Progress.ts"
import type { RefreshReport } from "../verify/Refresh.ts"
import type { VerificationReport } from "../verify/Verify.ts"

export type SyncEvent =
  | { readonly _tag: "ReadProgress"; readonly rows: number }
  | { readonly _tag: "Planned"; readonly plan: Plan }
  | { readonly _tag: "Apply"; readonly event: Orchestrator.ApplyEvent }
  /** Reading records back from Okta: verification, refresh. */
  | { readonly _tag: "ReadBack"; readonly event: ReadBackEvent }

export interface SyncOptions extends Proof.ProofOptions {
  readonly loaded: LoadedConfig
  readonly mode: "plan" | "apply"
  /** Let a tripped deactivation safeguard through (`--allow-deletes`). */
  readonly allowDeletes?: boolean
  /**
   * Read the identity source's schema first and refuse attributes it lacks (setup/SchemaGuard.ts). Default:
   * `okta.schemaCheck` of the config, else true. `--skip-schema-check` passes false.
   */
  readonly schemaCheck?: boolean
  /** `apply --plan`: refuse when the recomputed plan's hash differs. */
  readonly expectedPlanHash?: string
  readonly runId?: string
  readonly onEvent?: (event: SyncEvent) => Effect.Effect<void>
  /** Checked before each new Okta session (Lambda deadline, SIGTERM): true = stop at this boundary. */
  readonly stopBefore?: Effect.Effect<boolean>
  /** How many times a read that failed with a retryable SourceError is started again (default 3). */
  readonly sourceRetries?: number
  /**
   * Lock lease for the identity source (default 2 minutes). The durable stores renew a held lease every ttl/3,
   * so a long apply keeps it, while a killed run blocks the next one for at most this long.
   */
  readonly lockTtlMillis?: number
  /**
   * An apply that finds another run holding the identity source's lock fails with `StateError` `Locked` either way.
   * `"fail"` (default) records it in the run history as a failed run; `"skip"` leaves the history untouched, for a
   * caller that treats it as a skipped turn (a worker replica whose tick another replica is running).
   */
  readonly whenLocked?: "fail" | "skip"
}

export type SyncError =
  | ConfigError
  | SourceError
  | ValidationError
  | SafeguardTripped
  | OktaApiError
  | StateError
  | PlanDriftError
  | ApplyError

const READ_PROGRESS_EVERY = 1_000

export const newRunId = (now: number): string =>
  `run-${new Date(now).toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15)}-${Math.random().toString(36).slice(2, 8)}`

const iso = (millis: number) => new Date(millis).toISOString()

interface Progress {
  plan?: Plan
  sessions: RunReport["sessions"]
  resumedRunId?: string
  sourceFingerprint?: string
  outcome?: RunOutcome
  verification?: VerificationReport | undefined
  refresh?: RefreshReport
}

const oktaUsage = Effect.gen(function* () {
  const client = yield* Effect.serviceOption(OktaClient)
  if (Option.isNone(client)) return emptyOktaUsage
  const m = yield* client.value.metrics
  const usage: OktaUsage = {
    requests: m.requests,
    retries: m.retries,
    rateLimited: m.rateLimited,
    waitedMillis: m.waitedMillis,
    bytesSent: m.bytesSent
  }
  return usage
})

/**
 * Run the pipeline and return its report; a failure is returned in `report.error` (with `outcome`
 * `failed` or `safeguard`) AND as the typed error, so apps can both render the report and pick an exit code.
 */
export const runWithReport = (
  options: SyncOptions
): Effect.Effect<
  { readonly report: RunReport; readonly error: Option.Option<SyncError> },
  never,
  OktaClient | StateStore
> =>
  Effect.gen(function* () {
    const startMillis = yield* Clock.currentTimeMillis
    const runId = options.runId ?? newRunId(startMillis)
    const identitySourceId = options.loaded.config.okta.identitySourceId
    const store = yield* StateStore
    const progress: Progress = { sessions: [] }
    const emit = (event: SyncEvent) => (options.onEvent ? options.onEvent(event) : Effect.void)
    const readBack = (event: ReadBackEvent) => emit({ _tag: "ReadBack", event })

    // The run enters the history when it starts; with whenLocked "skip", only once it holds the lock.
    let recorded = false
    const recordStart = Effect.suspend(() => {
      recorded = true
      return store
        .recordRun({ runId, identitySourceId, startedAt: iso(startMillis), mode: options.mode })
        .pipe(Effect.ignore)
    })
    if (options.mode !== "apply" || options.whenLocked !== "skip") yield* recordStart

    const body = Effect.scoped(
      Effect.gen(function* () {
        // Before the lock and any session: a config sending attributes the identity source lacks stops here.
        if (options.schemaCheck ?? options.loaded.config.okta.schemaCheck ?? true)
          yield* SchemaGuard.check(options.loaded)
        // a refresh writes state too: it holds the lock like an apply
        if (options.mode === "apply" || options.refresh === true)
          yield* store.lock(runId, options.lockTtlMillis ?? 2 * 60 * 1000)
        if (options.mode === "apply") {
          if (!recorded) yield* recordStart
          const pending = yield* store.journal
          const resumed = yield* Orchestrator.resumePending({
            onEvent: (event) => emit({ _tag: "Apply", event }),
            ...(options.stopBefore ? { stopBefore: options.stopBefore } : {}),
            foreignSessionPolicy: options.loaded.config.okta.foreignSessionPolicy,
            sessionTimeoutMs: options.loaded.config.okta.sessionTimeoutMs
          })
          if (Option.isSome(resumed)) {
            if (Option.isSome(pending)) progress.resumedRunId = pending.value.runId
            progress.sessions = resumed.value.sessions
            if (!resumed.value.completed) {
              progress.outcome = "partial"
              return
            }
          }
        }

        // Read and plan. Nothing is sent to Okta before the whole source was read, so a read that fails
        // with a transient (retryable) SourceError is simply read again from the start, a bounded number of times.
        const readAndPlan = Effect.gen(function* () {
          const source = yield* options.loaded.source.make(options.loaded.sourceConfig, {
            baseDir: options.loaded.baseDir
          })
          let rows = 0
          // Counted per chunk, not per row (one Effect per row is measurable at a million rows).
          const read = source.read.pipe(
            Stream.mapChunksEffect((chunk) => {
              const before = rows
              rows += chunk.length
              return Math.floor(rows / READ_PROGRESS_EVERY) > Math.floor(before / READ_PROGRESS_EVERY)
                ? Effect.as(emit({ _tag: "ReadProgress", rows }), chunk)
                : Effect.succeed(chunk)
            })
          )
          const plan = yield* Planner.fromConfig({
            config: options.loaded.config,
            rows: read,
            identitySourceId,
            configHash: options.loaded.configHash
          })
          yield* emit({ _tag: "ReadProgress", rows })
          const fingerprint = source.fingerprint ? yield* source.fingerprint : undefined
          return { source, plan, fingerprint }
        })
        const readAndPlanRetried = readAndPlan.pipe(
          Effect.retry({
            schedule: Retry.backoff(),
            times: options.sourceRetries ?? 3,
            while: (e) => e._tag === "SourceError" && e.retryable === true
          })
        )
        let { source, plan, fingerprint } = yield* readAndPlanRetried
        if (options.refresh === true && !isEmpty(plan)) {
          progress.refresh = yield* Proof.refresh(options.loaded, plan, runId, readBack)
          if (progress.refresh.corrected > 0) ({ source, plan, fingerprint } = yield* readAndPlanRetried)
        }
        if (fingerprint !== undefined) progress.sourceFingerprint = fingerprint
        progress.plan = plan
        yield* emit({ _tag: "Planned", plan })

        if (options.expectedPlanHash !== undefined && options.expectedPlanHash !== plan.hash) {
          return yield* Effect.fail(
            new PlanDriftError({
              reason: "HashMismatch",
              message:
                "The data moved since this plan was made (source, state or config changed): the plan was not applied. Run `anysource plan` again and review it.",
              expectedHash: options.expectedPlanHash,
              actualHash: plan.hash
            })
          )
        }

        yield* Proof.guard(plan, options)
        yield* Safeguards.check(plan, options.loaded.config.safeguards, {
          allowDeletes: options.allowDeletes ?? false
        })

        if (isEmpty(plan)) {
          // finishing an earlier run's journal was this run's work: that is an apply, even if nothing else changed
          progress.outcome =
            progress.resumedRunId !== undefined && progress.sessions.length > 0 ? "applied" : "no-changes"
          return
        }
        if (options.mode === "plan") {
          progress.outcome = "planned"
          return
        }
        const result = yield* Orchestrator.apply({
          plan,
          runId,
          onEvent: (event) => emit({ _tag: "Apply", event }),
          ...(options.stopBefore ? { stopBefore: options.stopBefore } : {}),
          foreignSessionPolicy: options.loaded.config.okta.foreignSessionPolicy,
          sessionTimeoutMs: options.loaded.config.okta.sessionTimeoutMs
        })
        progress.sessions = [...progress.sessions, ...result.sessions]
        progress.outcome = result.completed ? "applied" : "partial"
        if (result.completed && source.afterApply) yield* source.afterApply
        if (result.completed)
          progress.verification = yield* Proof.verifyAfterApply(
            options.loaded,
            plan,
            runId,
            options,
            readBack
          )
      })
    )

    const exit = yield* Effect.either(body)
    const endMillis = yield* Clock.currentTimeMillis
    const okta = yield* oktaUsage
    const error = exit._tag === "Left" ? Option.some(exit.left as SyncError) : Option.none<SyncError>()
    const outcome: RunOutcome =
      exit._tag === "Left"
        ? exit.left._tag === "SafeguardTripped"
          ? "safeguard"
          : "failed"
        : (progress.outcome ?? "failed")
    const plan = progress.plan
    const report: RunReport = {
      runId,
      identitySourceId,
      mode: options.mode,
      outcome,
      startedAt: iso(startMillis),
      finishedAt: iso(endMillis),
      durationMs: endMillis - startMillis,
      ...(plan ? { planHash: plan.hash, plan, summary: plan.summary } : {}),
      ...(progress.sourceFingerprint ? { sourceFingerprint: progress.sourceFingerprint } : {}),
      ...(progress.resumedRunId ? { resumedRunId: progress.resumedRunId } : {}),
      issues:
        plan?.issues ??
        (exit._tag === "Left" && exit.left._tag === "ValidationError" ? exit.left.issues : []),
      sessions: progress.sessions,
      okta,
      ...(progress.verification ? { verification: progress.verification } : {}),
      ...(progress.refresh ? { refresh: progress.refresh } : {}),
      ...(exit._tag === "Left" ? { error: describeError(exit.left) } : {})
    }
    if (recorded)
      yield* store
        .recordRun({
          runId,
          identitySourceId,
          startedAt: report.startedAt,
          finishedAt: report.finishedAt,
          mode: options.mode,
          outcome,
          ...(plan
            ? {
                planHash: plan.hash,
                counts: { ...flattenCounts(plan), ...Proof.historyCounts(progress.verification) }
              }
            : {}),
          ...(report.error ? { message: report.error.message } : {})
        })
        .pipe(Effect.ignore)
    return { report, error }
  })

/** Run the pipeline; fails with the typed error (the report is lost on failure: use `runWithReport` to keep it). */
export const run = (options: SyncOptions): Effect.Effect<RunReport, SyncError, OktaClient | StateStore> =>
  runWithReport(options).pipe(
    Effect.flatMap(({ error, report }) =>
      Option.isSome(error) ? Effect.fail(error.value) : Effect.succeed(report)
    )
  )

const flattenCounts = (plan: Plan): Record<string, number> => {
  const s = plan.summary
  return {
    usersCreate: s.users.create,
    usersUpdate: s.users.update,
    usersReactivate: s.users.reactivate,
    usersDeactivate: s.users.deactivate,
    usersUnchanged: s.users.unchanged,
    groupsCreate: s.groups.create,
    groupsUpdate: s.groups.update,
    groupsDeactivate: s.groups.deactivate,
    membershipsAdd: s.memberships.add,
    membershipsRemove: s.memberships.remove,
    rowsRead: s.rowsRead,
    invalid: s.invalid
  }
}
