/**
 * The retry policy of the `rest` source as an Effect `Schedule` (all waits on Effect's Clock, so tests drive
 * them with TestClock). Its input is the failed attempt:
 *
 * - a failure that is not `retryable` (4xx, decode errors, TLS) stops at once;
 * - otherwise up to `maxRetries` more attempts, each after what the server asked for (`Retry-After`, a
 *   rate-limit reset) or, when it asked nothing, capped exponential backoff with jitter
 *   (`base × 2^n`, ×0.8–1.2, at most `cap`).
 *
 * Core's Okta client has its own named schedules (packages/core/src/Retry.ts); they are not exported from
 * @anysource/core, so this module mirrors `Retry.backoff` for HTTP sources.
 */
import { Duration, Effect, Schedule } from "effect"
import type { AttemptFailure } from "./errors.ts"

export interface RetryPolicy {
  readonly maxRetries: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

/** Capped exponential backoff with jitter. */
export const backoff = (policy: RetryPolicy): Schedule.Schedule<Duration.Duration> => {
  const cap = Duration.millis(policy.maxDelayMs)
  return Schedule.exponential(Duration.millis(policy.baseDelayMs), 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap))
  )
}

/** Called once per scheduled retry with the failure, the retry's number (1-based) and the wait. */
export type OnRetry = (failure: AttemptFailure, retry: number, waitMillis: number) => Effect.Effect<void>

export const schedule = (
  policy: RetryPolicy,
  onRetry: OnRetry
): Schedule.Schedule<[[AttemptFailure, Duration.Duration], number], AttemptFailure> =>
  Schedule.identity<AttemptFailure>().pipe(
    Schedule.intersect(backoff(policy)),
    Schedule.intersect(Schedule.recurs(policy.maxRetries)),
    Schedule.whileInput((failure: AttemptFailure) => failure.retry),
    Schedule.modifyDelayEffect(([[failure], retry], delay) => {
      const wait = failure.waitMillis ?? Duration.toMillis(delay)
      return Effect.as(onRetry(failure, retry + 1, wait), Duration.millis(wait))
    })
  )
