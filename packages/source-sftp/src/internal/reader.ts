/**
 * Pipelined reads of one remote file: up to `parallel` SFTP READ requests of `chunkSize` bytes in flight, yielded
 * in order. A plain ssh2 read stream waits for each 64 KiB answer before asking for the next, which makes a
 * round trip per chunk (≈1–3 MB/s); pipelining reaches tens of MB/s with at most `parallel × chunkSize` bytes
 * buffered, so memory stays constant whatever the file size.
 */
import type { SourceError } from "@anysource/core"
import { Effect, type Scope } from "effect"
import type ssh2 from "ssh2"
import { requestError, sourceError } from "./errors.ts"

export interface OpenedFile {
  readonly handle: Buffer
  readonly size: number
  readonly mtimeMs: number
}

export interface ReadTuning {
  readonly chunkSize: number
  readonly parallel: number
}

export const defaultTuning: ReadTuning = { chunkSize: 64 * 1024, parallel: 32 }

const fstat = (sftp: ssh2.SFTPWrapper, handle: Buffer): Promise<ssh2.Stats> =>
  new Promise((resolve, reject) => sftp.fstat(handle, (error, stats) => (error ? reject(error) : resolve(stats))))

/** Open `path` for reading in the scope (closed when the scope closes) and fstat it. */
export const open = (sftp: ssh2.SFTPWrapper, path: string, display: string): Effect.Effect<OpenedFile, SourceError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const handle = await new Promise<Buffer>((resolve, reject) =>
          sftp.open(path, "r", (error, h) => (error ? reject(error) : resolve(h)))
        )
        try {
          const stats = await fstat(sftp, handle)
          return { handle, size: stats.size, mtimeMs: stats.mtime * 1000 }
        } catch (error) {
          sftp.close(handle, () => {})
          throw error
        }
      },
      catch: (error) => requestError(display, error)
    }),
    ({ handle }) =>
      Effect.async<void>((resume) => {
        try {
          sftp.close(handle, () => resume(Effect.void))
        } catch {
          resume(Effect.void) // the connection is already gone: so is the handle
        }
      }).pipe(Effect.timeoutOption(2000), Effect.asVoid)
  )

const iso = (millis: number): string => new Date(millis).toISOString()

/**
 * A file whose size or modification time moved while it was read (or that ended early): it is still being written.
 * `NotReady`, `retryable: true`: core discards the rows and reads the source again (a bounded number of times).
 */
export const changedWhileRead = (
  display: string,
  file: OpenedFile,
  now: { readonly size: number; readonly mtimeMs: number } | undefined,
  endedAt?: number
): SourceError =>
  sourceError(
    "NotReady",
    `${display} changed while it was read (${now === undefined ? `size ${file.size} bytes, modified ${iso(file.mtimeMs)}` : `size ${file.size} → ${now.size} bytes, modified ${iso(file.mtimeMs)} → ${iso(now.mtimeMs)}`}${endedAt !== undefined ? `; it ended at byte ${endedAt} of ${file.size}` : ""}): it is still being written. The rows read are discarded and the file is read again; if it keeps changing, run again once the upload is complete — and use a readiness rule (ready.stable, ready.marker or ready.finalPattern) so a file still being uploaded is never read`,
    { retryable: true }
  )

/**
 * The file's bytes `[0, file.size)`, in order. Fails with `NotReady` (retryable) when the file ends early or its size
 * or modification time changed by the end of the read: it is still being written (or was rewritten in place).
 */
export async function* bytes(
  sftp: ssh2.SFTPWrapper,
  file: OpenedFile,
  display: string,
  tuning: ReadTuning = defaultTuning
): AsyncGenerator<Uint8Array> {
  const readAt = (position: number, length: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const buffer = Buffer.allocUnsafe(length)
      try {
        sftp.read(file.handle, buffer, 0, length, position, (error, read) => {
          if (error) reject(requestError(display, error))
          else resolve(read === length ? buffer : buffer.subarray(0, read))
        })
      } catch (error) {
        reject(requestError(display, error))
      }
    })
  const pending: Array<{ readonly position: number; readonly length: number; readonly result: Promise<Buffer> }> = []
  let next = 0
  const fill = () => {
    while (pending.length < tuning.parallel && next < file.size) {
      const length = Math.min(tuning.chunkSize, file.size - next)
      const result = readAt(next, length)
      result.catch(() => {}) // may be abandoned when the consumer stops; its error is seen when awaited
      pending.push({ position: next, length, result })
      next += length
    }
  }
  fill()
  while (pending.length > 0) {
    const head = pending.shift()!
    const first = await head.result
    fill() // the next request goes out before this chunk is decoded, so the pipe stays full
    let got = first.byteLength
    if (got > 0) yield first
    while (got < head.length) {
      // A short read (the server may answer with less than asked): fetch the rest before moving on.
      const more = await readAt(head.position + got, head.length - got)
      if (more.byteLength === 0) {
        const now = await fstat(sftp, file.handle).then(
          (stats) => ({ size: stats.size, mtimeMs: stats.mtime * 1000 }),
          () => undefined
        )
        throw changedWhileRead(display, file, now, head.position + got)
      }
      yield more
      got += more.byteLength
    }
  }
  const after = await fstat(sftp, file.handle).catch((error: unknown) => {
    throw requestError(display, error)
  })
  if (after.size !== file.size || after.mtime * 1000 !== file.mtimeMs) {
    throw changedWhileRead(display, file, { size: after.size, mtimeMs: after.mtime * 1000 })
  }
}
