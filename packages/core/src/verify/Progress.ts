/**
 * What reading records back reports while it runs (the CLI's progress bar, the worker's and Lambda's logs): the
 * same three events for verification, refresh, drift checks and `state rebuild`.
 */
import { Effect, Ref } from "effect"

export type Task = "verify" | "refresh" | "drift" | "rebuild"

export type ReadBackEvent =
  /** `total` records of `what` (users, groups, memberships, or all of them) are about to be read. */
  | { readonly _tag: "ReadBackStarted"; readonly task: Task; readonly what: string; readonly total: number }
  | { readonly _tag: "ReadBackProgress"; readonly task: Task; readonly done: number; readonly total: number }
  /** Holding reads until the rate-limit window resets, so the rest of the window stays free. */
  | { readonly _tag: "ReadBackPaused"; readonly task: Task; readonly millis: number }

export type OnEvent = (event: ReadBackEvent) => Effect.Effect<void>

export const silent: OnEvent = () => Effect.void

/** Counts records as they are done and reports every `every` of them (and the last one). */
export const counter = (task: Task, total: number, onEvent: OnEvent, every = 25, offset = 0) =>
  Effect.map(Ref.make(0), (done) => ({
    tick: Effect.flatMap(
      Ref.updateAndGet(done, (n) => n + 1),
      (n) =>
        n % every === 0 || n === total
          ? onEvent({ _tag: "ReadBackProgress", task, done: n + offset, total: total + offset })
          : Effect.void
    )
  }))
