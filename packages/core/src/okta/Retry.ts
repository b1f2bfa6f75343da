/**
 * Retry policy for Okta calls, as named Schedules (all time through Effect's Clock, so `TestClock` drives it).
 *
 * - `backoff`: capped exponential backoff with jitter, for 5xx, dropped connections and timeouts.
 * - `okta`: the schedule the client retries with. Its input is the `OktaApiError` of the failed attempt:
 *   a 429 waits what the server asked (`retryAfterMillis`, from `X-Rate-Limit-Reset` − `Date` or `Retry-After`,
 *   see RateLimit.ts); transient failures back off; anything the caller's `shouldRetry` refuses stops at once.
 *   A 4xx validation error (`Rejected`) is never retried.
 *
 * Which errors are retried also depends on the request (see OktaClient.ts):
 * - reads, cancel and start-import: transient errors are retried (a repeated cancel/start-import fails
 *   recognisably with InvalidSessionState, which the orchestrator checks with getSession);
 * - create-session: only 429 (a lost response may have created a session; the orchestrator finds it);
 * - bulk uploads: transient errors are retried while the session's upload budget (50) lasts. Re-sending the
 *   same batch into the same session is safe: bulk upserts and deletes are idempotent by externalId, so a batch
 *   the server had already accepted is just applied again with the same content. Each attempt counts against
 *   the 50-uploads rule, because the server may have counted it.
 *
 * Every wait and retry is reported to the current `RetryObserver` (the orchestrator turns them into
 * `RateLimited`/`Retrying` events) and counted in the client's metrics.
 */
import { Duration, Effect, FiberRef, Schedule } from "effect"
import { globalValue } from "effect/GlobalValue"
import type { OktaApiError } from "../domain/Errors.ts"

export interface BackoffPolicy {
  readonly base: Duration.DurationInput
  readonly factor: number
  readonly cap: Duration.DurationInput
}

export const defaultBackoff: BackoffPolicy = { base: "500 millis", factor: 2, cap: "30 seconds" }

/** Exponential backoff (`base × factor^n`), jittered (×0.8–1.2), each delay capped at `cap`. */
export const backoff = (policy: BackoffPolicy = defaultBackoff): Schedule.Schedule<Duration.Duration> => {
  const cap = Duration.decode(policy.cap)
  return Schedule.exponential(policy.base, policy.factor).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, d) => Duration.min(d, cap))
  )
}

export type RetryEvent =
  | { readonly _tag: "RateLimited"; readonly endpoint: string; readonly waitMillis: number; readonly attempt: number }
  | {
      readonly _tag: "Retrying"
      readonly endpoint: string
      readonly attempt: number
      readonly reason: string
      readonly waitMillis: number
    }
  | { readonly _tag: "SlowedDown"; readonly endpoint: string; readonly waitMillis: number }

export type RetryObserver = (event: RetryEvent) => Effect.Effect<void>

/** Who hears about retries and waits in the current fiber (set with `withRetryObserver`). */
export const currentRetryObserver: FiberRef.FiberRef<RetryObserver> = globalValue(
  Symbol.for("@anysource/core/Retry/currentRetryObserver"),
  () => FiberRef.unsafeMake<RetryObserver>(() => Effect.void)
)

export const withRetryObserver =
  (observer: RetryObserver) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(self, currentRetryObserver, observer)

export interface OktaRetryOptions {
  readonly maxRetries: number
  readonly backoff?: BackoffPolicy
  /** Decides per failed attempt whether another one may follow (effectful: may refresh a token, check a budget). */
  readonly shouldRetry: (error: OktaApiError) => Effect.Effect<boolean>
  /** Called once per scheduled retry, with the wait about to be spent. */
  readonly onRetry?: (error: OktaApiError, attempt: number, waitMillis: number) => Effect.Effect<void>
}

/** The Okta retry schedule (input: the failed attempt's error). */
export const okta = (options: OktaRetryOptions): Schedule.Schedule<[[OktaApiError, Duration.Duration], number], OktaApiError> =>
  Schedule.identity<OktaApiError>().pipe(
    Schedule.intersect(backoff(options.backoff)),
    Schedule.intersect(Schedule.recurs(options.maxRetries)),
    Schedule.whileInputEffect((e: OktaApiError) => (e.reason === "Rejected" ? Effect.succeed(false) : options.shouldRetry(e))),
    Schedule.modifyDelayEffect(([[e], n], d) => {
      const wait =
        e.reason === "RateLimited"
          ? (e.retryAfterMillis ?? Duration.toMillis(d))
          : e.reason === "Unauthorized"
            ? 0
            : Duration.toMillis(d)
      return Effect.as(options.onRetry ? options.onRetry(e, n + 1, wait) : Effect.void, Duration.millis(wait))
    })
  )
