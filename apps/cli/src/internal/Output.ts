/**
 * Writing output the way a pipe needs it: in chunks, waiting for the stream to drain whenever its buffer is
 * full (so a slow reader such as `| jq` or `| less` gets every byte and the CLI's memory stays flat), and
 * draining stdout/stderr before the process exits (`process.exit` drops whatever is still queued: a pipe
 * takes 64 KiB at a time, so that was where `plan --json | jq` used to be cut).
 */
import { Data, Effect, Exit } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"

/** A stream the CLI writes to (process.stdout/stderr, a file, a test's PassThrough). */
export type Out = NodeJS.WritableStream & { readonly destroyed?: boolean; readonly writableEnded?: boolean }

/** Strings are batched into writes of about this many characters. */
const WRITE_SIZE = 65_536

/** `lines` joined by newlines (each line ends with one), as chunks of about 64 KiB. */
export function* linesToChunks(lines: Iterable<string>): Generator<string, void, undefined> {
  let buffer = ""
  for (const line of lines) {
    buffer += `${line}\n`
    if (buffer.length >= WRITE_SIZE) {
      yield buffer
      buffer = ""
    }
  }
  if (buffer !== "") yield buffer
}

/** The stream failed (EPIPE: the reader went away, ENOSPC, …). */
export class OutputError extends Data.TaggedError("OutputError")<{ readonly cause: unknown }> {}

const isGone = (stream: Out): boolean => stream.destroyed === true || stream.writableEnded === true

/**
 * Write every chunk to `stream`, waiting for 'drain' whenever `write` says its buffer is full. Completes once
 * the last chunk is handed to the stream; fails with `OutputError` if the stream errors or closes first.
 * Interruption stops between chunks.
 */
export const writeChunks = (stream: Out, chunks: Iterable<string>): Effect.Effect<void, OutputError> =>
  Effect.async<void, OutputError>((resume) => {
    const iterator = chunks[Symbol.iterator]()
    let finished = false
    const cleanup = () => {
      stream.removeListener("drain", pump)
      stream.removeListener("error", onError)
      stream.removeListener("close", onClose)
    }
    const finish = (result: Effect.Effect<void, OutputError>) => {
      if (finished) return
      finished = true
      cleanup()
      resume(result)
    }
    const onError = (cause: unknown) => finish(Effect.fail(new OutputError({ cause })))
    const onClose = () => finish(Effect.fail(new OutputError({ cause: new Error("the stream was closed") })))
    function pump(): void {
      try {
        let buffer = ""
        for (;;) {
          if (isGone(stream)) return onClose()
          const next = iterator.next()
          if (next.done !== true) buffer += next.value
          if (buffer.length >= WRITE_SIZE || (next.done === true && buffer !== "")) {
            const more = stream.write(buffer)
            buffer = ""
            if (!more && next.done !== true) return
          }
          if (next.done === true) return finish(Effect.void)
        }
      } catch (cause) {
        // a chunk producer that throws is a bug (a defect), not an output error
        finished = true
        cleanup()
        resume(Effect.die(cause))
      }
    }
    stream.on("drain", pump)
    stream.on("error", onError)
    stream.on("close", onClose)
    pump()
    return Effect.sync(() => {
      finished = true
      cleanup()
      iterator.return?.()
    })
  })

/**
 * Resolves once everything written to `stream` so far has been handed to the operating system (or the
 * stream is gone). An empty write's callback runs after every earlier write completed.
 */
export const drain = (stream: Out): Promise<void> =>
  new Promise((resolve) => {
    if (isGone(stream)) return resolve()
    const done = () => {
      stream.removeListener("error", done)
      stream.removeListener("close", done)
      resolve()
    }
    stream.once("error", done)
    stream.once("close", done)
    try {
      stream.write("", () => done())
    } catch {
      done()
    }
  })

/**
 * Write `chunks` to `file` through a temporary file renamed into place once complete, so an interrupted
 * or failed write never leaves half a plan or report behind. Creates the folder.
 */
export const writeFileChunks = <E>(
  file: string,
  chunks: Iterable<string>,
  onError: (cause: unknown) => E
): Effect.Effect<void, E> =>
  Effect.acquireUseRelease(
    Effect.try({
      try: () => {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
        const temp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`)
        const stream = fs.createWriteStream(temp)
        // the file is opened asynchronously: keep its first error (EACCES, ENOSPC) to report it
        const state: { temp: string; stream: fs.WriteStream; error?: unknown } = { temp, stream }
        stream.on("error", (cause) => (state.error ??= cause))
        return state
      },
      catch: onError
    }),
    (state) =>
      writeChunks(state.stream, chunks).pipe(
        Effect.zipRight(
          Effect.async<void, OutputError>((resume) => {
            state.stream.once("error", (cause) => resume(Effect.fail(new OutputError({ cause }))))
            state.stream.end(() => resume(Effect.void))
          })
        ),
        Effect.zipRight(
          Effect.try({
            try: () => fs.renameSync(state.temp, file),
            catch: (cause) => new OutputError({ cause })
          })
        ),
        Effect.mapError((e) => onError(state.error ?? e.cause))
      ),
    (state, exit) =>
      Effect.sync(() => {
        if (Exit.isSuccess(exit)) return
        state.stream.destroy()
        fs.rmSync(state.temp, { force: true })
      })
  )
