/** The bridge from the async-iterator decoders to an Effect `Stream` that releases everything on interruption. */
import type { Model } from "@anysource/core"
import { SourceError } from "@anysource/core"
import { Chunk, Effect, Option, Stream, type Scope } from "effect"
import { Readable } from "node:stream"
import { asFailure, type FailContext } from "./fail.ts"

/** Bytes to decode: a Node stream, any async iterable of bytes, or an Effect stream. */
export type ByteSource = Readable | AsyncIterable<Uint8Array> | Stream.Stream<Uint8Array, SourceError>

interface Opened {
  readonly iterable: AsyncIterable<Uint8Array>
  readonly destroy: () => void
}

const open = (source: ByteSource): Opened => {
  if (source instanceof Readable) return { iterable: source, destroy: () => source.destroy() }
  if (Stream.StreamTypeId in source) {
    const iterator = Stream.toAsyncIterable(source as Stream.Stream<Uint8Array, SourceError>)[Symbol.asyncIterator]()
    return {
      iterable: { [Symbol.asyncIterator]: () => iterator },
      destroy: () => void iterator.return?.(undefined)?.catch(() => undefined)
    }
  }
  return { iterable: source, destroy: () => {} }
}

/** Whatever came out of the pipeline, as a `SourceError`. */
export const toSourceError = (ctx: FailContext, error: unknown): SourceError => {
  if (error instanceof SourceError) return error
  const f = asFailure(ctx, error)
  return new SourceError({ ...f.fields, ...(f.original !== undefined ? { cause: f.original } : {}) })
}

export const rowStream = (
  ctx: FailContext,
  acquire: Effect.Effect<ByteSource, SourceError, Scope.Scope>,
  decode: (bytes: AsyncIterable<Uint8Array>) => AsyncGenerator<ReadonlyArray<Model.SourceRow>>
): Stream.Stream<Model.SourceRow, SourceError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const source = yield* acquire
      const opened = open(source)
      const rows = decode(opened.iterable)
      // Destroy the byte source first (ends a pending read), then let the generator chain unwind, and wait (at most
      // 2 s) for it: a decode worker may still have a read in flight on a file handle the caller closes next.
      yield* Effect.addFinalizer(() =>
        Effect.promise(() => {
          opened.destroy()
          return Promise.race([
            rows.return(undefined).then(
              () => undefined,
              () => undefined
            ),
            new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())
          ])
        })
      )
      const pull = Effect.tryPromise({
        try: () => rows.next(),
        catch: (error) => Option.some(toSourceError(ctx, error))
      }).pipe(
        Effect.flatMap((result) =>
          result.done === true ? Effect.fail(Option.none()) : Effect.succeed(Chunk.unsafeFromArray(result.value))
        )
      )
      return Stream.repeatEffectChunkOption(pull)
    })
  )
