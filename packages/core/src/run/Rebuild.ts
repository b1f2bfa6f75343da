/**
 * `state rebuild` as a use case: read the source into a plan against an empty state (what the source wants,
 * every record a create), then rebuild the state store from it and single-entity reads of Okta
 * (verify/Rebuild.ts), holding the identity source's lock so no apply runs meanwhile.
 */
import { Clock, Effect } from "effect"
import type { LoadedConfig } from "../config/ConfigLoader.ts"
import type { ConfigError, OktaApiError, SourceError, StateError, ValidationError } from "../domain/Errors.ts"
import type { OktaClient } from "../okta/OktaClient.ts"
import * as Retry from "../okta/Retry.ts"
import type { Plan } from "../plan/Plan.ts"
import * as Planner from "../plan/Planner.ts"
import { makeMemory, StateStore } from "../state/StateStore.ts"
import type * as Progress from "../verify/Progress.ts"
import * as Rebuild from "../verify/Rebuild.ts"

export type { RebuildReport } from "../verify/Rebuild.ts"

export interface RebuildStateOptions {
  readonly loaded: LoadedConfig
  readonly runId?: string
  /** Reads in flight (default `verify.concurrency`). */
  readonly concurrency?: number
  /** Share of each rate-limit window to use (default `verify.rateLimitShare`). */
  readonly rateLimitShare?: number
  readonly onEvent?: Progress.OnEvent
  /** Called once the source is read, with its row count. */
  readonly onRead?: (rows: number) => Effect.Effect<void>
  readonly lockTtlMillis?: number
}

/** What the source wants, as a plan against an empty state (read with the usual retries of transient errors). */
export const desiredPlan = (
  loaded: LoadedConfig
): Effect.Effect<Plan, ConfigError | SourceError | ValidationError | StateError> =>
  Effect.gen(function* () {
    const source = yield* loaded.source.make(loaded.sourceConfig, { baseDir: loaded.baseDir })
    const empty = yield* makeMemory(loaded.config.okta.identitySourceId)
    return yield* Planner.fromConfig({
      config: loaded.config,
      rows: source.read,
      identitySourceId: loaded.config.okta.identitySourceId,
      configHash: loaded.configHash
    }).pipe(Effect.provideService(StateStore, empty))
  }).pipe(
    Effect.scoped,
    Effect.retry({
      schedule: Retry.backoff(),
      times: 3,
      while: (e) => e._tag === "SourceError" && e.retryable === true
    })
  )

/** Rebuild the state store from the source and Okta; resumes an unfinished rebuild. */
export const rebuildState = (
  options: RebuildStateOptions
): Effect.Effect<
  Rebuild.RebuildReport,
  ConfigError | SourceError | ValidationError | StateError | OktaApiError,
  OktaClient | StateStore
> =>
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* StateStore
      const now = yield* Clock.currentTimeMillis
      const runId =
        options.runId ??
        `rebuild-${new Date(now).toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15)}`
      yield* store.lock(runId, options.lockTtlMillis ?? 2 * 60 * 1000)
      const desired = yield* desiredPlan(options.loaded)
      if (options.onRead) yield* options.onRead(desired.summary.rowsRead)
      const verify = options.loaded.config.verify
      return yield* Rebuild.rebuild(desired, {
        runId,
        concurrency: options.concurrency ?? verify.concurrency,
        rateLimitShare: options.rateLimitShare ?? verify.rateLimitShare,
        ...(options.onEvent ? { onEvent: options.onEvent } : {})
      })
    })
  )
