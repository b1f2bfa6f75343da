import type { Model, SourceError } from "@anysource/core"
import { Effect, Either, Stream } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { Readable } from "node:stream"
import { Formats } from "../src/index.ts"

export const tempDir = (): { readonly dir: string; readonly write: (name: string, data: string | Uint8Array) => string; readonly cleanup: () => void } => {
  const dir = mkdtempSync(Path.join(tmpdir(), "anysource-file-"))
  return {
    dir,
    write: (name, data) => {
      const path = Path.join(dir, name)
      mkdirSync(Path.dirname(path), { recursive: true })
      writeFileSync(path, data)
      return path
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
}

/** Bytes as a Node stream cut into chunks of `chunkSize` (exercises chunk boundaries). */
export const chunked = (data: string | Uint8Array, chunkSize = 7): Readable => {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data)
  const parts: Array<Buffer> = []
  for (let i = 0; i < bytes.length; i += chunkSize) parts.push(bytes.subarray(i, i + chunkSize))
  return Readable.from(parts, { objectMode: false })
}

export const decodeAll = (
  data: string | Uint8Array,
  options: Formats.DecodeOptions,
  chunkSize = 7
): Effect.Effect<Either.Either<ReadonlyArray<Model.SourceRow>, SourceError>> =>
  Formats.decode(chunked(data, chunkSize), options).pipe(
    Stream.runCollect,
    Effect.map((c) => Array.from(c)),
    Effect.either
  )

export const rowsOf = (data: string | Uint8Array, options: Formats.DecodeOptions, chunkSize = 7) =>
  decodeAll(data, options, chunkSize).pipe(
    Effect.flatMap((e) => (Either.isRight(e) ? Effect.succeed(e.right) : Effect.dieMessage(`expected rows, got ${e.left.reason}: ${e.left.message}`)))
  )

export const errorOf = (data: string | Uint8Array, options: Formats.DecodeOptions, chunkSize = 7) =>
  decodeAll(data, options, chunkSize).pipe(
    Effect.flatMap((e) => (Either.isLeft(e) ? Effect.succeed(e.left) : Effect.dieMessage(`expected an error, got ${e.right.length} rows`)))
  )

/** File descriptors of this process that point at `path`. */
export const openFds = (path: string): number =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path
    } catch {
      return false
    }
  }).length
