/** Shared helpers of the adapter's tests. */
import type { Model, SourceError } from "@anysource/core"
import { Cause, Chunk, Effect, Exit, Fiber, Option, Stream } from "effect"
import * as TestClock from "effect/TestClock"
import { makeRestSource, RestSourceConfig, type RestSourceHandle, type Stats } from "../src/index.ts"

export const parse = (raw: unknown): RestSourceConfig => RestSourceConfig.parse(raw)

/** Build the source from a raw config, run `use` with it, close the scope. */
export const withSource = <A, E>(raw: unknown, use: (source: RestSourceHandle) => Effect.Effect<A, E>, baseDir = "/") =>
  Effect.scoped(Effect.flatMap(makeRestSource(parse(raw), { baseDir }), use))

export interface ReadResult {
  readonly exit: Exit.Exit<ReadonlyArray<Model.SourceRow>, SourceError>
  readonly stats: Stats
}

/** Read every row (or the error), with the source's counters. */
export const read = (raw: unknown, baseDir = "/"): Effect.Effect<ReadResult, SourceError> =>
  withSource(raw, (source) =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.map(Stream.runCollect(source.read), Chunk.toReadonlyArray))
      return { exit, stats: yield* source.stats }
    }), baseDir
  )

export const rowsOf = (result: ReadResult): ReadonlyArray<Model.SourceRow> => {
  if (Exit.isFailure(result.exit)) throw new Error(`the read failed: ${String(result.exit.cause)}`)
  return result.exit.value
}

export const errorOf = (result: ReadResult): SourceError => {
  if (Exit.isSuccess(result.exit)) throw new Error(`the read succeeded with ${result.exit.value.length} rows`)
  const failure = Cause.failureOption(result.exit.cause)
  if (Option.isNone(failure)) throw new Error(`the read died instead of failing: ${Cause.pretty(result.exit.cause)}`)
  return failure.value
}

/**
 * Run `effect` under TestClock, advancing the clock to each sleep as soon as the effect is waiting (and letting
 * real I/O progress in between). Returns the effect's exit and every wait it made, in milliseconds.
 */
export const drive = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly waits: ReadonlyArray<number> }> =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    const waits: Array<number> = []
    for (;;) {
      const polled = yield* Fiber.poll(fiber)
      if (Option.isSome(polled)) return { exit: polled.value, waits }
      const pending = Chunk.toReadonlyArray(yield* TestClock.sleeps())
      if (pending.length > 0) {
        const now = yield* TestClock.currentTimeMillis
        const next = Math.min(...pending)
        waits.push(next - now)
        yield* TestClock.adjust(Math.max(0, next - now))
      } else {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 2)))
      }
    }
  })

/** `drive(read(raw))`, unwrapped. */
export const readDriven = (raw: unknown, baseDir = "/") =>
  Effect.map(drive(read(raw, baseDir)), ({ exit, waits }) => {
    if (Exit.isFailure(exit)) throw new Error(`building the source failed: ${String(exit.cause)}`)
    return { ...exit.value, waits }
  })
