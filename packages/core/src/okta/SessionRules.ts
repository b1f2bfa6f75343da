/**
 * Okta's rules for import sessions, and the schedules the orchestrator keeps them with (all on Effect's `Clock`,
 * so `TestClock` drives them):
 *
 * - one session at a time per identity source: CREATED, IN_PROGRESS and TRIGGERED sessions block a new one; only
 *   CREATED and IN_PROGRESS can be cancelled;
 * - the 5-minute rule: a new session only 5 minutes after the last one's activity (docs/okta/identity-sources-api.md §4);
 * - a create whose answer was lost may still have made a session: only an empty CREATED session created after the
 *   journal started (in Okta's clock) can be that one;
 * - create-session is retried after a failure with no answer (5xx, dropped connection, timeout) on its own
 *   backoff (`createSessionRetry`), since the client never retries a create itself;
 * - a TRIGGERED session is polled on a slowly growing interval (`pollSchedule`) until it ends or the deadline.
 */
import { Clock, Duration, Effect, Schedule } from "effect"
import type { OktaApiError } from "../domain/Errors.ts"
import { OktaLimits } from "./Limits.ts"
import type { IdentitySourceSession, SessionStatus } from "./Schemas.ts"

/** The 5-minute rule. */
export const sessionGapMillis = OktaLimits.sessionCreateGapMillis

/** Waits longer than this are counted down in steps, with an event per step. */
export const countdownStepMillis = 5_000

/** Allowed error of the journal's start moved into Okta's clock (`Date` has 1 s resolution; requests take time). */
export const adoptClockSkewMillis = 60_000

const activeStatuses: ReadonlySet<string> = new Set<SessionStatus>(["CREATED", "IN_PROGRESS", "TRIGGERED"])

/** The session blocks a new one on the identity source. */
export const isActive = (s: IdentitySourceSession): boolean => activeStatuses.has(s.status)

/** The session may be cancelled (not yet triggered). */
export const isCancellable = (s: IdentitySourceSession): boolean =>
  s.status === "CREATED" || s.status === "IN_PROGRESS"

/** The session ended for good without being imported: its plan session must be redone in a new one. */
export const isDead = (status: string): boolean =>
  status === "ERROR" || status === "EXPIRED" || status === "CLOSED"

/** The newest `created`/`lastUpdated` of the listed sessions (Okta's clock), if any. */
export const newestActivity = (sessions: ReadonlyArray<IdentitySourceSession>): number | undefined => {
  let best: number | undefined
  for (const s of sessions) {
    for (const t of [s.created, s.lastUpdated]) {
      const v = t === undefined ? NaN : Date.parse(t)
      if (Number.isFinite(v) && (best === undefined || v > best)) best = v
    }
  }
  return best
}

const createdAtOrAfter = (s: IdentitySourceSession, millis: number): boolean => {
  const created = s.created === undefined ? Number.NaN : Date.parse(String(s.created))
  return !Number.isNaN(created) && created >= millis
}

/**
 * The session a lost create of ours made, if one is listed: CREATED, not one the journal knows, and created after
 * the journal started. `journalStartInOkta` is the journal's start moved into Okta's clock (the offset comes from
 * the `Date` header), so a machine whose clock is off by hours neither misses its own session nor takes someone
 * else's; an older empty CREATED session is what blocked us, never ours to upload into.
 */
export const lostCreate = (
  active: ReadonlyArray<IdentitySourceSession>,
  known: ReadonlySet<string>,
  journalStartInOkta: number
): IdentitySourceSession | undefined =>
  active.find(
    (s) =>
      s.status === "CREATED" &&
      !known.has(s.id) &&
      createdAtOrAfter(s, journalStartInOkta - adoptClockSkewMillis)
  )

/**
 * How long the 5-minute rule still holds when nothing is active: from the newest activity Okta lists (or our own
 * last create), else from the first refusal seen; at least one countdown step, at most the whole gap.
 */
export const gapRemaining = (options: {
  readonly lastActivity: number | undefined
  readonly serverNow: number
  readonly now: number
  readonly firstConflictAt: number
}): number => {
  const remaining =
    options.lastActivity !== undefined
      ? options.lastActivity + sessionGapMillis - options.serverNow
      : sessionGapMillis - (options.now - options.firstConflictAt)
  return Math.min(remaining <= 0 ? countdownStepMillis : remaining, sessionGapMillis)
}

/** A wait of `millis` as countdown steps of at most 5 s: the time still to wait before each step, and the step. */
export const countdownSteps = (
  millis: number
): ReadonlyArray<{ readonly remainingMillis: number; readonly stepMillis: number }> => {
  const steps: Array<{ remainingMillis: number; stepMillis: number }> = []
  for (let remaining = Math.max(0, millis); remaining > 0; remaining -= countdownStepMillis)
    steps.push({ remainingMillis: remaining, stepMillis: Math.min(countdownStepMillis, remaining) })
  return steps
}

/**
 * Retrying create-session after a failure with no answer: 1 s, 2 s, 4 s, 8 s, 16 s, then 30 s (capped), 6 retries,
 * no jitter. Its input is the failed attempt's error; `onRetry` hears each retry (1-based) and its wait before it.
 */
export const createSessionRetry = (
  onRetry: (error: OktaApiError, attempt: number, waitMillis: number) => Effect.Effect<void>
): Schedule.Schedule<[[OktaApiError, Duration.Duration], number], OktaApiError> =>
  Schedule.identity<OktaApiError>().pipe(
    Schedule.intersect(Schedule.exponential("1 second", 2)),
    Schedule.intersect(Schedule.recurs(6)),
    Schedule.modifyDelayEffect(([[error], n], delay) => {
      const wait = Math.min(30_000, Duration.toMillis(delay))
      return Effect.as(onRetry(error, n + 1, wait), Duration.millis(wait))
    })
  )

/**
 * Polling a TRIGGERED session: first after `baseMillis`, then ×1.5 (rounded up) per poll up to 16 × base (at most
 * 30 s, at least base), never sleeping past `deadline` (Clock millis). The caller stops on its own condition.
 */
export const pollSchedule = (baseMillis: number, deadline: number): Schedule.Schedule<number> => {
  const cap = Math.max(baseMillis, Math.min(30_000, baseMillis * 16))
  return Schedule.unfold(baseMillis, (d) => Math.min(cap, Math.ceil(d * 1.5))).pipe(
    Schedule.addDelay((d) => Duration.millis(d)),
    Schedule.modifyDelayEffect((_, delay) =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        Duration.millis(Math.min(Duration.toMillis(delay), Math.max(0, deadline - now)))
      )
    )
  )
}
