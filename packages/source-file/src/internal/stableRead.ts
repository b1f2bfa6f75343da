/**
 * A local file's bytes as they were when it was opened, or a failure saying it changed while it was read.
 *
 * The bytes `[0, size)` of the open handle are read (size from the fstat taken at open), then the handle is stat'ed
 * again. When the size or the modification time moved, or fewer bytes came than the size promised, something wrote
 * to the file during the read: the stream fails with `NotReady`, `retryable: true`, so core discards the rows and
 * reads the source again (a bounded number of times) instead of syncing a file caught half-written.
 *
 * A file replaced by a rename during the read is not a change: the open handle still reads the old, complete file.
 */
import { SourceError } from "@anysource/core"
import type { Stats } from "node:fs"
import type { FileHandle } from "node:fs/promises"
import { pipeline, Readable, Transform } from "node:stream"

const CHUNK = 64 * 1024

/** Test seam: runs after each chunk was read and before it is handed on (tests change the file here). */
export interface ReadHooks {
  readonly afterChunk?: (bytesRead: number) => Promise<void>
}

const iso = (millis: number): string => new Date(millis).toISOString()

/** The failure for a file that changed while it was read, naming both sizes and modification times. */
export const changedWhileRead = (
  source: string,
  name: string,
  opened: Stats,
  now: Stats,
  bytesRead: number
): SourceError => {
  const short =
    bytesRead < opened.size && now.size === opened.size
      ? `; only ${bytesRead} of its ${opened.size} bytes could be read`
      : ""
  return new SourceError({
    source,
    reason: "NotReady",
    message: `${name} changed while it was read (size ${opened.size} → ${now.size} bytes, modified ${iso(opened.mtimeMs)} → ${iso(now.mtimeMs)}${short}): it is still being written. The rows read are discarded and the file is read again; if it keeps changing, run again once the export is complete — and have the exporter write to a temporary name and rename it when done, so a half-written file is never read`,
    location: name,
    retryable: true
  })
}

/** The bytes of `handle` as of `opened` (its fstat at open), verified against a second fstat at the end. */
export const stableRead = (
  source: string,
  name: string,
  handle: FileHandle,
  opened: Stats,
  hooks: ReadHooks = {}
): Readable => {
  let bytesRead = 0
  const verify = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytesRead += chunk.length
      if (hooks.afterChunk === undefined) return callback(null, chunk)
      hooks.afterChunk(bytesRead).then(
        () => callback(null, chunk),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)))
      )
    },
    flush(callback) {
      handle.stat().then(
        (now) =>
          callback(
            now.size !== opened.size || now.mtimeMs !== opened.mtimeMs || bytesRead !== opened.size
              ? changedWhileRead(source, name, opened, now, bytesRead)
              : null
          ),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)))
      )
    }
  })
  const bytes =
    opened.size === 0
      ? Readable.from([])
      : handle.createReadStream({ autoClose: false, start: 0, end: opened.size - 1, highWaterMark: CHUNK })
  // pipeline: destroying `verify` (the stream ends early, fails or is interrupted) destroys the read stream too
  return pipeline(bytes, verify, () => {})
}
