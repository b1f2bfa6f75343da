/**
 * Okta rate limits (docs/okta/identity-sources-api.md §6).
 *
 * Every response carries `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (UTC epoch
 * seconds) plus `Date`. Reset times are turned into waits against the server's `Date`, never the local clock
 * (the machines' clocks may disagree); the wait is then spent on the local Effect `Clock`.
 *
 * - 429: wait `Retry-After` when given, else `reset − Date`, plus a margin and jitter.
 * - Slow-down: when fewer than `slowDownBelow` (10 %) of the bucket remain, the next requests are spread over
 *   the time left until the reset, so the bucket is not emptied (which would turn into 429s).
 */
import { Clock, Effect, Random, Ref } from "effect"

export interface RateLimitInfo {
  readonly limit?: number
  readonly remaining?: number
  /** `X-Rate-Limit-Reset` in epoch milliseconds (server time). */
  readonly resetAtMillis?: number
  /** The server's `Date` in epoch milliseconds. */
  readonly serverDateMillis?: number
  /** `Retry-After`, in milliseconds, when present. */
  readonly retryAfterMillis?: number
}

const header = (headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined => {
  const v = headers[name] ?? headers[name.toLowerCase()]
  return v === undefined ? undefined : v.trim()
}

const int = (s: string | undefined): number | undefined => {
  if (s === undefined || s === "" || s.includes(",")) return undefined
  const n = Number(s)
  return Number.isFinite(n) ? n : undefined
}

/** Read the rate-limit headers (lower-case names, as Node and @effect/platform give them). */
export const parseHeaders = (headers: Readonly<Record<string, string | undefined>>): RateLimitInfo => {
  const limit = int(header(headers, "x-rate-limit-limit"))
  const remaining = int(header(headers, "x-rate-limit-remaining"))
  const reset = int(header(headers, "x-rate-limit-reset"))
  const dateText = header(headers, "date")
  const date = dateText === undefined ? undefined : Date.parse(dateText)
  const retryAfterText = header(headers, "retry-after")
  let retryAfterMillis: number | undefined
  if (retryAfterText !== undefined) {
    const secs = int(retryAfterText)
    if (secs !== undefined) retryAfterMillis = Math.max(0, secs * 1000)
    else if (date !== undefined && Number.isFinite(date)) {
      const at = Date.parse(retryAfterText)
      if (Number.isFinite(at)) retryAfterMillis = Math.max(0, at - date)
    }
  }
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(reset !== undefined ? { resetAtMillis: reset * 1000 } : {}),
    ...(date !== undefined && Number.isFinite(date) ? { serverDateMillis: date } : {}),
    ...(retryAfterMillis !== undefined ? { retryAfterMillis } : {})
  }
}

export interface WaitPolicy {
  /** Added to every 429 wait (the reset has 1 s granularity). */
  readonly marginMillis: number
  /** Up to this much random extra, so parallel clients do not all return at once. */
  readonly jitterMillis: number
  /** Used when a 429 carries neither `Retry-After` nor a usable reset/date pair. */
  readonly fallbackMillis: number
  /** Never wait longer than this for one 429 (a broken header must not park a run for hours). */
  readonly maxMillis: number
}

export const defaultWaitPolicy: WaitPolicy = {
  marginMillis: 500,
  jitterMillis: 1000,
  fallbackMillis: 5_000,
  maxMillis: 5 * 60_000
}

/** The wait before retrying a 429, without jitter: `Retry-After` wins, else `reset − Date`, else the fallback. */
export const baseWaitMillis = (info: RateLimitInfo, policy: WaitPolicy = defaultWaitPolicy): number => {
  let base: number
  if (info.retryAfterMillis !== undefined) base = info.retryAfterMillis
  else if (info.resetAtMillis !== undefined && info.serverDateMillis !== undefined)
    base = Math.max(0, info.resetAtMillis - info.serverDateMillis)
  else base = policy.fallbackMillis
  return Math.min(policy.maxMillis, base + policy.marginMillis)
}

/** `baseWaitMillis` plus random jitter in `[0, jitterMillis)` (Effect's `Random`, so tests can pin it). */
export const waitAfter429 = (info: RateLimitInfo, policy: WaitPolicy = defaultWaitPolicy): Effect.Effect<number> =>
  Effect.map(Random.next, (r) => Math.min(policy.maxMillis, baseWaitMillis(info, policy) + Math.floor(r * policy.jitterMillis)))

export interface BucketState {
  readonly limit: number
  readonly remaining: number
  /** Local-clock epoch millis at which the bucket resets (server reset translated by the server/local offset). */
  readonly resetAtLocalMillis: number
}

/**
 * How long to hold the next request: 0 while more than `slowDownBelow × limit` requests remain; otherwise the
 * time left until the reset divided over the remaining requests (all of it when none remain).
 */
export const slowDownMillis = (state: BucketState | undefined, nowLocalMillis: number, slowDownBelow: number): number => {
  if (state === undefined || state.limit <= 0) return 0
  const left = state.resetAtLocalMillis - nowLocalMillis
  if (left <= 0) return 0
  if (state.remaining >= Math.ceil(state.limit * slowDownBelow)) return 0
  if (state.remaining <= 0) return left
  return Math.ceil(left / (state.remaining + 1))
}

export interface Limiter {
  /** Record a response's headers (keeps the server/local clock offset too). */
  readonly observe: (info: RateLimitInfo) => Effect.Effect<void>
  /** The wait to apply before the next request (and counts the request against the local estimate). */
  readonly reserve: Effect.Effect<number>
  readonly state: Effect.Effect<BucketState | undefined>
  /** Local clock + the last observed server offset: the server's "now". */
  readonly serverNow: Effect.Effect<number>
}

export const makeLimiter = (slowDownBelow = 0.1): Effect.Effect<Limiter> =>
  Effect.gen(function* () {
    const bucket = yield* Ref.make<BucketState | undefined>(undefined)
    const offset = yield* Ref.make(0)
    return {
      observe: (info) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          if (info.serverDateMillis !== undefined) yield* Ref.set(offset, info.serverDateMillis - now)
          if (info.limit !== undefined && info.remaining !== undefined && info.resetAtMillis !== undefined) {
            const serverNow = info.serverDateMillis ?? now
            yield* Ref.set(bucket, {
              limit: info.limit,
              remaining: info.remaining,
              resetAtLocalMillis: now + (info.resetAtMillis - serverNow)
            })
          }
        }),
      reserve: Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const state = yield* Ref.get(bucket)
        const wait = slowDownMillis(state, now, slowDownBelow)
        if (state !== undefined) {
          // the request about to go out uses one slot; past the reset the bucket is full again (unknown size)
          const next =
            now + wait >= state.resetAtLocalMillis ? undefined : { ...state, remaining: Math.max(0, state.remaining - 1) }
          yield* Ref.set(bucket, next)
        }
        return wait
      }),
      state: Ref.get(bucket),
      serverNow: Effect.zipWith(Clock.currentTimeMillis, Ref.get(offset), (n, o) => n + o)
    }
  })
