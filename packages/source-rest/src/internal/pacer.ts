/**
 * Request pacing on Effect's Clock: at most `requestsPerSecond` requests start per second, and a "hold"
 * (the server said its window is used up) keeps every request back until the window resets.
 */
import { Clock, Effect, Ref } from "effect"

export interface Pacer {
  /** Wait for this request's slot; returns the milliseconds waited. */
  readonly acquire: Effect.Effect<number>
  /** Keep every request back for `millis` from now. */
  readonly hold: (millis: number) => Effect.Effect<void>
}

export const make = (requestsPerSecond: number | undefined): Effect.Effect<Pacer> =>
  Effect.gen(function* () {
    const interval = requestsPerSecond === undefined ? 0 : 1000 / requestsPerSecond
    const state = yield* Ref.make({ nextAt: Number.NEGATIVE_INFINITY, holdUntil: Number.NEGATIVE_INFINITY })
    const acquire = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const wait = yield* Ref.modify(state, (s) => {
        const start = Math.max(now, s.nextAt, s.holdUntil)
        return [Math.ceil(start - now), { ...s, nextAt: start + interval }] as const
      })
      if (wait > 0) yield* Effect.sleep(wait)
      return wait
    })
    const hold = (millis: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.update(state, (s) => ({ ...s, holdUntil: Math.max(s.holdUntil, now + millis) }))
      )
    return { acquire, hold }
  })
