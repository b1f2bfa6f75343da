/**
 * The retry policy of the `rest` source as an Effect `Schedule` (all waits on Effect's Clock, so tests drive
 * them with TestClock). Its input is the failed attempt:
 *
 * - a failure that is not `retryable` (4xx, decode errors, TLS) stops at once;
 * - otherwise up to `maxRetries` more attempts, each after what the server asked for (`Retry-After`, a
 *   rate-limit reset) or, when it asked nothing, capped exponential backoff with jitter
 *   (`base × 2^n`, ×0.8–1.2, at most `cap`).
 *
 * The backoff itself is core's policy (`Retry.backoff` from @anysource/core); what is local is the decision
 * per failure (the Okta schedule `Retry.okta` is specific to Okta's errors).
 */
import { Retry } from "@anysource/core"
import { Duration, Effect, Schedule } from "effect"
import type { AttemptFailure } from "./errors.ts"

export interface RetryPolicy {
  readonly maxRetries: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

/** Capped exponential backoff with jitter (core's `Retry.backoff`, factor 2). */
export const backoff = (policy: RetryPolicy): Schedule.Schedule<Duration.Duration> =>
  Retry.backoff({ base: Duration.millis(policy.baseDelayMs), factor: 2, cap: Duration.millis(policy.maxDelayMs) })

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
      const wait = Math.round(failure.waitMillis ?? Duration.toMillis(delay))
      return Effect.as(onRetry(failure, retry + 1, wait), Duration.millis(wait))
    })
  )
