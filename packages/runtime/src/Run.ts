/**
 * Running `Sync` with an app's services. `runWithReport` builds the Okta client for one run (each report then
 * counts that run's own requests) and never fails: a client that cannot be built (a key that does not parse,
 * `embedded` where the app does not serve it) is a failed run with a report like any other failure
 * (`RunReport.notStarted`), so an app keeps one record of every attempt.
 */
import { type ConfigError, type OktaClient, RunReport, type StateStore, Sync } from "@anysource/core"
import { Clock, Effect, Layer, Option } from "effect"

export interface RunResult {
  readonly report: RunReport.RunReport
  readonly error: Option.Option<Sync.SyncError>
}

/** `Sync.runWithReport` with the Okta client built from `okta` for this run only. */
export const runWithReport = (
  options: Sync.SyncOptions,
  okta: Layer.Layer<OktaClient.OktaClient, ConfigError>
): Effect.Effect<RunResult, never, StateStore.StateStore> =>
  Effect.scoped(
    Effect.gen(function* () {
      const startMillis = yield* Clock.currentTimeMillis
      const runId = options.runId ?? Sync.newRunId(startMillis)
      return yield* Layer.build(okta).pipe(
        Effect.matchEffect({
          onFailure: (error) =>
            Effect.map(Clock.currentTimeMillis, (endMillis) => ({
              report: RunReport.notStarted({
                runId,
                identitySourceId: options.loaded.config.okta.identitySourceId,
                mode: options.mode,
                startMillis,
                endMillis,
                error
              }),
              error: Option.some<Sync.SyncError>(error)
            })),
          onSuccess: (context) => Sync.runWithReport({ ...options, runId }).pipe(Effect.provide(context))
        })
      )
    })
  )

/** A run's error as a failure, so apps handle it with `Effect.catchTag(s)`: `failed(result.error)`. */
export const failed = <E>(error: Option.Option<E>): Effect.Effect<void, E> =>
  Option.match(error, { onNone: () => Effect.void, onSome: Effect.fail })
