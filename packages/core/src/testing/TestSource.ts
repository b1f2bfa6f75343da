/**
 * A fake source over in-memory rows, for tests of code that consumes sources (pipeline, sync, apps) and as
 * the reference adapter the `SourceConformance` battery is checked against. It counts what it does
 * (`stats`) so tests can assert laziness and resource release, and it fails on demand with typed errors.
 */
import { Effect, Option, type Scope, Stream } from "effect"
import { z } from "zod"
import { SourceError } from "../domain/Errors.ts"
import type { SourceRow } from "../domain/Model.ts"
import type { Source, SourceDefinition } from "../domain/Source.ts"

export const TestSourceConfig = z.strictObject({
  /** Where to fail with a `SourceError`: building the source, `check`, or `read` (after `failAfter` rows). */
  failAt: z.enum(["make", "check", "read"]).optional(),
  /** With `failAt: read`: rows emitted before the failure (default 0). */
  failAfter: z.number().int().min(0).optional(),
  /** Emit only the first N rows. */
  limit: z.number().int().min(0).optional()
})
export type TestSourceConfig = z.output<typeof TestSourceConfig>

export interface TestSourceStats {
  /** `make` calls that succeeded / their scopes closed. */
  made: number
  released: number
  /** `read` runs started / their resources released (stream ended, failed or was interrupted). */
  opened: number
  closed: number
  /** Rows pulled from the upstream (one at a time: `take(1)` pulls exactly one). */
  pulled: number
}

export interface TestSourceDefinition extends SourceDefinition<TestSourceConfig> {
  readonly stats: TestSourceStats
  /** Resources open right now (`made - released + opened - closed`). */
  readonly openResources: () => number
  readonly reset: () => void
}

export interface TestSourceOptions {
  readonly id?: string
  readonly displayName?: string
  /** Location of row `i` (0-based); default `memory:<i + 1>`. */
  readonly location?: (index: number) => string
}

/** A source over `rows` (each a row's `data`). */
export const fromRows = (
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
  options: TestSourceOptions = {}
): TestSourceDefinition => {
  const location = options.location ?? ((index: number) => `memory:${index + 1}`)
  return fromSourceRows(
    rows.map((data, index) => ({ data, location: location(index) })),
    options
  )
}

/** A source over complete `SourceRow`s (data and location). */
export const fromSourceRows = (
  rows: ReadonlyArray<SourceRow>,
  options: TestSourceOptions = {}
): TestSourceDefinition => {
  const id = options.id ?? "test"
  const stats: TestSourceStats = { made: 0, released: 0, opened: 0, closed: 0, pulled: 0 }
  const fail = (reason: SourceError["reason"], message: string, location?: string) =>
    new SourceError({ source: id, reason, message, retryable: false, ...(location ? { location } : {}) })

  const make = (config: TestSourceConfig): Effect.Effect<Source, SourceError, Scope.Scope> =>
    Effect.gen(function* () {
      if (config.failAt === "make") return yield* fail("Connect", `${id}: cannot connect (failAt: make)`)
      yield* Effect.acquireRelease(
        Effect.sync(() => stats.made++),
        () => Effect.sync(() => stats.released++)
      )
      const available = rows.slice(0, config.limit ?? rows.length)
      const failAfter = config.failAt === "read" ? (config.failAfter ?? 0) : Infinity
      const read = Stream.unwrapScoped(
        Effect.gen(function* () {
          yield* Effect.acquireRelease(
            Effect.sync(() => stats.opened++),
            () => Effect.sync(() => stats.closed++)
          )
          return Stream.unfoldEffect(0, (index) => {
            if (index >= failAfter)
              return Effect.fail(fail("Read", `${id}: upstream failed after ${index} rows (failAt: read)`))
            const row = available[index]
            if (row === undefined) return Effect.succeed(Option.none())
            return Effect.sync(() => {
              stats.pulled++
              return Option.some([row, index + 1] as const)
            })
          })
        })
      )
      return {
        check:
          config.failAt === "check"
            ? Effect.fail(fail("Auth", `${id}: not authorised (failAt: check)`))
            : Effect.void,
        read,
        fingerprint: Effect.succeed(`${id}:${available.length} rows`)
      }
    })

  return {
    id,
    displayName: options.displayName ?? "In-memory test rows",
    description: "Rows held in memory, for tests.",
    config: TestSourceConfig,
    make,
    stats,
    openResources: () => stats.made - stats.released + stats.opened - stats.closed,
    reset: () => {
      stats.made = stats.released = stats.opened = stats.closed = stats.pulled = 0
    }
  }
}
