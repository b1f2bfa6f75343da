/** Build the source from a raw config and run something with it, in a scope (closed at the end). */
import type { Model, Source, SourceError } from "@anysource/core"
import { Chunk, Effect, Logger, Stream, type Scope } from "effect"
import { SftpSource, SftpSourceConfig } from "../../src/index.ts"

export const make = (raw: unknown, baseDir = process.cwd()): Effect.Effect<Source.Source, SourceError, Scope.Scope> =>
  SftpSource.make(SftpSourceConfig.parse(raw), { baseDir })

/** Every row of a read. */
export const readAll = (raw: unknown, baseDir?: string): Effect.Effect<ReadonlyArray<Model.SourceRow>, SourceError> =>
  Effect.scoped(
    make(raw, baseDir).pipe(
      Effect.flatMap((source) => Stream.runCollect(source.read)),
      Effect.map(Chunk.toReadonlyArray)
    )
  )

/** The SourceError a read fails with (the test fails if it succeeds). */
export const readError = (raw: unknown, baseDir?: string): Effect.Effect<SourceError> =>
  readAll(raw, baseDir).pipe(
    Effect.flip,
    Effect.orElse(() => Effect.dieMessage("expected the read to fail, but it succeeded"))
  )

export const checkError = (raw: unknown, baseDir?: string): Effect.Effect<SourceError> =>
  Effect.scoped(make(raw, baseDir).pipe(Effect.flatMap((s) => s.check))).pipe(
    Effect.flip,
    Effect.orElse(() => Effect.dieMessage("expected check to fail, but it succeeded"))
  )

/** Run an effect and collect what it logs (level and message). */
export const withLogs = <A, E>(
  effect: Effect.Effect<A, E>
): Effect.Effect<{ readonly value: A; readonly logs: ReadonlyArray<{ readonly level: string; readonly message: string }> }, E> =>
  Effect.suspend(() => {
    const logs: Array<{ level: string; message: string }> = []
    const logger = Logger.make(({ logLevel, message }) => {
      logs.push({ level: logLevel.label, message: (Array.isArray(message) ? message : [message]).map(String).join(" ") })
    })
    return effect.pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Effect.map((value) => ({ value, logs }))
    )
  })
