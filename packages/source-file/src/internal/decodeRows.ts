/**
 * Bytes → rows for every format: digest (sha256 while streaming), gunzip, text decoding, then CSV / NDJSON / JSON.
 * Runs on the calling thread or in a worker thread (decodeWorker.ts), so it loads nothing but the decoders
 * (no Effect, no @anysource/core values).
 */
import type { Model } from "@anysource/core"
import { digest, maybeGunzip, type Digest } from "./bytes.ts"
import { csvRows, type CsvSettings } from "./csv.ts"
import type { FailContext } from "./fail.ts"
import { jsonRows } from "./json.ts"
import { ndjsonRows } from "./ndjson.ts"
import { decodeText } from "./text.ts"

/** The format options decodeRows needs (the parsed `FormatOptions`). */
export interface DecodeSettings {
  readonly format: "auto" | "csv" | "ndjson" | "json"
  readonly csv: Omit<CsvSettings, "maxRecordSize" | "allowUnterminatedLastRecord">
  readonly encoding: string
  readonly gzip: "auto" | boolean
  readonly maxRecordSize: number
  /** Accept a last CSV record / NDJSON line with no line break after it (otherwise a `Consistency` error). */
  readonly allowUnterminatedLastRecord: boolean
}

export interface DecodeExtra {
  readonly sha256?: string
  readonly onDigest?: (digest: Digest) => void
}

/** The format an extension implies (`.gz` looked through), or undefined when the name does not tell. */
export const formatFromName = (name: string): "csv" | "ndjson" | "json" | undefined => {
  const base = name.replace(/\.gz$/i, "")
  const ext = /\.([^./\\]+)$/.exec(base)?.[1]?.toLowerCase()
  switch (ext) {
    case "csv":
    case "tsv":
    case "psv":
    case "txt":
      return "csv"
    case "ndjson":
    case "jsonl":
      return "ndjson"
    case "json":
      return "json"
    default:
      return undefined
  }
}

export async function* decodeRows(
  ctx: FailContext,
  bytes: AsyncIterable<Uint8Array>,
  options: DecodeSettings,
  extra: DecodeExtra
): AsyncGenerator<ReadonlyArray<Model.SourceRow>> {
  const hashed = digest(ctx, bytes, extra.sha256, extra.onDigest)
  const plain = maybeGunzip(ctx, hashed, options.gzip)
  const text = decodeText(ctx, plain, { encoding: options.encoding })
  let format = options.format === "auto" ? formatFromName(ctx.name) : options.format
  let source: AsyncIterable<string> = text
  if (format === undefined) {
    // No telling extension: sniff the first non-blank character.
    const iterator = text[Symbol.asyncIterator]()
    const seen: Array<string> = []
    let first: string | undefined
    for (;;) {
      const next = await iterator.next()
      if (next.done === true) break
      seen.push(next.value)
      first = /\S/.exec(next.value)?.[0]
      if (first !== undefined) break
    }
    format = first === "[" ? "json" : first === "{" ? "ndjson" : "csv"
    source = (async function* () {
      try {
        yield* seen
        for (;;) {
          const next = await iterator.next()
          if (next.done === true) return
          yield next.value
        }
      } finally {
        await iterator.return?.(undefined)
      }
    })()
  }
  switch (format) {
    case "csv":
      yield* csvRows(ctx, source, {
        ...options.csv,
        maxRecordSize: options.maxRecordSize,
        allowUnterminatedLastRecord: options.allowUnterminatedLastRecord
      })
      return
    case "ndjson":
      yield* ndjsonRows(ctx, source, options.maxRecordSize, options.allowUnterminatedLastRecord)
      return
    case "json":
      yield* jsonRows(ctx, source, options.maxRecordSize)
      return
  }
}

