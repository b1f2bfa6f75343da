/** Byte-level stages: checksum while streaming, gunzip (by flag, extension or magic bytes). */
import { createHash } from "node:crypto"
import { Readable, pipeline, type Duplex } from "node:stream"
import { createGunzip } from "node:zlib"
import { failure, type FailContext } from "./fail.ts"

/**
 * Run an async iterable through a Node `Transform` and iterate its output. Errors from either side
 * come out of the iteration unchanged; stopping the iteration destroys both sides.
 */
export async function* through<O>(input: AsyncIterable<unknown>, transform: Duplex): AsyncGenerator<O> {
  pipeline(Readable.from(input, { objectMode: true }), transform, () => {})
  for await (const chunk of transform) yield chunk as O
}

export interface Digest {
  readonly sha256: string
  readonly bytes: number
}

/** Pass bytes through unchanged while hashing them; at the end report the digest and compare it with `expected`. */
export async function* digest(
  ctx: FailContext,
  input: AsyncIterable<Uint8Array>,
  expected: string | undefined,
  onDigest: ((digest: Digest) => void) | undefined
): AsyncGenerator<Uint8Array> {
  const hash = createHash("sha256")
  let bytes = 0
  for await (const chunk of input) {
    hash.update(chunk)
    bytes += chunk.byteLength
    yield chunk
  }
  const sha256 = hash.digest("hex")
  onDigest?.({ sha256, bytes })
  if (expected !== undefined && expected.toLowerCase() !== sha256) {
    throw failure(
      ctx,
      "Consistency",
      `${ctx.name} does not match its checksum: expected sha256 ${expected.toLowerCase()}, got ${sha256} — the file is incomplete or was replaced; fetch it again (rows already read are discarded)`
    )
  }
}

const GZIP_MAGIC_0 = 0x1f
const GZIP_MAGIC_1 = 0x8b

export const isGzipName = (name: string): boolean => /\.gz$/i.test(name)

/** Gunzip when `mode` is true, or when `auto` and the name ends in `.gz` or the data starts with gzip's magic bytes. */
export async function* maybeGunzip(
  ctx: FailContext,
  input: AsyncIterable<Uint8Array>,
  mode: boolean | "auto"
): AsyncGenerator<Uint8Array> {
  if (mode === false) {
    yield* input
    return
  }
  const iterator = input[Symbol.asyncIterator]()
  const head: Array<Uint8Array> = []
  let headBytes = 0
  let ended = false
  while (headBytes < 2) {
    const next = await iterator.next()
    if (next.done === true) {
      ended = true
      break
    }
    head.push(next.value)
    headBytes += next.value.byteLength
  }
  const first = Buffer.concat(head)
  const magic = first.length >= 2 && first[0] === GZIP_MAGIC_0 && first[1] === GZIP_MAGIC_1
  async function* rest(): AsyncGenerator<Uint8Array> {
    try {
      if (first.length > 0) yield first
      if (!ended) {
        for (;;) {
          const next = await iterator.next()
          if (next.done === true) return
          yield next.value
        }
      }
    } finally {
      if (!ended) await iterator.return?.(undefined)
    }
  }
  if (!magic) {
    if (mode === true || isGzipName(ctx.name)) {
      if (first.length === 0) {
        throw failure(ctx, "Decode", `${ctx.name} is empty (0 bytes): expected gzip-compressed data — did the export fail?`)
      }
      throw failure(
        ctx,
        "Decode",
        `${ctx.name} is not gzip-compressed (no gzip magic bytes at the start) — set gzip: false if the file is plain text`
      )
    }
    yield* rest()
    return
  }
  yield* through<Uint8Array>(rest(), createGunzip())
}
