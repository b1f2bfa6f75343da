/**
 * Keeps requests within a per-minute quota: at most `limit` requests start in any `windowMillis` (a sliding
 * window over the start times of the last `limit` requests). Unlike a token bucket, which lets a full bucket
 * plus a minute's refill through in the first minute, this never exceeds Google's "N read requests per minute"
 * however the minute boundaries fall. Time comes from Effect's Clock, so tests drive it with `TestClock`.
 */
import { Clock, Effect } from "effect"

/** Wait (if needed) for a slot, then run `self`. Callers take slots one at a time, in order. */
export type Pacer = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

export const make = (limit: number, windowMillis = 60_000): Effect.Effect<Pacer> =>
  Effect.gen(function* () {
    const starts: Array<number> = []
    const semaphore = yield* Effect.makeSemaphore(1)
    const slot = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      while (starts.length > 0 && starts[0]! <= now - windowMillis) starts.shift()
      if (starts.length >= limit) {
        const wait = starts[0]! + windowMillis - now
        yield* Effect.sleep(wait)
        starts.shift()
      }
      starts.push(yield* Clock.currentTimeMillis)
    })
    const pacer: Pacer = (self) => Effect.zipRight(semaphore.withPermits(1)(slot), self)
    return pacer
  })
