/**
 * Streaming decoders from bytes to `SourceRow`s, shared by every file-based source (local files, SFTP):
 * CSV (csv-parse), NDJSON, JSON arrays (stream-json), UTF-8 / UTF-16 / latin1 / windows-1252 (iconv-lite),
 * gzip (by flag, extension or magic bytes) and sha256 verification while streaming.
 *
 * ```ts
 * const rows = Formats.decode(fs.createReadStream("people.csv"), { name: "people.csv", csv: { delimiter: ";" } })
 * ```
 *
 * A CSV or NDJSON file must end its last record with a line break (LF or CRLF) unless `allowUnterminatedLastRecord`
 * is set: a file cut mid-record while it was being written would otherwise sync a half-written last row and miss
 * every row after it. A JSON document that stops early is always an error.
 */
import type { Model } from "@anysource/core"
import { SourceError } from "@anysource/core"
import { Effect, Stream, type Scope } from "effect"
import { z } from "zod"
import { isGzipName } from "./internal/bytes.ts"
import { detectDelimiter as detectDelimiterInternal } from "./internal/csv.ts"
import { decodeRows, formatFromName, type DecodeSettings } from "./internal/decodeRows.ts"
import { rowStream, type ByteSource } from "./internal/effect.ts"
import type { FailContext } from "./internal/fail.ts"
import { encodingSupported } from "./internal/text.ts"
import { decodeWorkerUrl, workerRows } from "./internal/workerRows.ts"

export type { ByteSource } from "./internal/effect.ts"
export type { Digest } from "./internal/bytes.ts"
import type { Digest } from "./internal/bytes.ts"

// ---------------------------------------------------------------------------------------------- config

export const CsvOptions = z
  .strictObject({
    delimiter: z
      .string()
      .min(1)
      .default("auto")
      .transform((d) => (d.toLowerCase() === "tab" ? "\t" : d))
      .meta({ description: 'Field delimiter, or "auto" to pick among , ; tab | from the header line. "tab" means \\t.' }),
    quote: z
      .union([z.string().length(1), z.literal(false)])
      .default('"')
      .meta({ description: "Quote character, or false when fields are never quoted." }),
    escape: z.string().length(1).default('"').meta({ description: "Escapes a quote inside a quoted field (RFC 4180: the quote itself)." }),
    header: z.boolean().default(true).meta({ description: "The first (non-skipped) line names the columns." }),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .meta({ description: "Column names to use instead of the header (required when header is false)." }),
    skipLines: z.number().int().min(0).default(0).meta({ description: "Lines before the header row to ignore (banners, titles)." }),
    relaxColumnCount: z.boolean().default(false).meta({ description: "Accept records whose field count differs from the header." }),
    relaxQuotes: z.boolean().default(false).meta({ description: "Accept stray quotes inside unquoted fields." }),
    trim: z.boolean().default(false).meta({ description: "Trim whitespace around fields (core already normalizes values)." }),
    skipEmptyLines: z.boolean().default(true),
    comment: z.string().length(1).optional().meta({ description: "Lines starting with this character are ignored." })
  })
  .refine((o) => o.header || o.columns !== undefined, { message: "csv.columns is required when csv.header is false", path: ["columns"] })
export type CsvOptions = z.output<typeof CsvOptions>

export const FormatName = z.enum(["auto", "csv", "ndjson", "json"])
export type FormatName = z.output<typeof FormatName>

/** The format keys every file-based source accepts; spread into an adapter's own `z.strictObject`. */
export const formatOptionsShape = {
  format: FormatName.default("auto").meta({
    description: "csv, ndjson (one JSON object per line), json (an array of objects), or auto: by extension, else by content."
  }),
  csv: CsvOptions.prefault({}),
  encoding: z
    .string()
    .min(1)
    .default("auto")
    .refine(encodingSupported, { message: "unknown encoding: use auto, utf-8, utf-16le, utf-16be, latin1 or windows-1252" })
    .meta({ description: "auto (BOM, else UTF-8), utf-8, utf-16le, utf-16be, latin1, windows-1252, or any iconv-lite encoding. A BOM wins." }),
  gzip: z
    .union([z.literal("auto"), z.boolean()])
    .default("auto")
    .meta({ description: "Decompress: auto (by .gz extension or gzip magic bytes), true or false." }),
  maxRecordSize: z
    .number()
    .int()
    .positive()
    .default(1_048_576)
    .meta({ description: "Largest record (CSV record, NDJSON line, JSON element) in characters; guards against runaway quotes." }),
  allowUnterminatedLastRecord: z
    .boolean()
    .default(false)
    .meta({
      description:
        "Accept a CSV or NDJSON file whose last record has no line break after it. Off by default: such a file may have been cut mid-record while it was written, so it fails the read."
    })
} as const

export const FormatOptions = z.strictObject(formatOptionsShape)
export type FormatOptions = z.output<typeof FormatOptions>
export type FormatOptionsInput = z.input<typeof FormatOptions>

/** Checksum config shared by file sources: a checksum file (`{name}` = data file's name) or an inline sha256. */
export const ChecksumOptions = z.union([
  z.strictObject({
    file: z.string().min(1).meta({ description: 'sha256sum-style file; "{name}" is replaced by the data file\'s name, e.g. "{name}.sha256".' })
  }),
  z.strictObject({ sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "a sha256 is 64 hex digits") })
])
export type ChecksumOptions = z.output<typeof ChecksumOptions>

// ---------------------------------------------------------------------------------------------- helpers

export { formatFromName }

export { isGzipName }

/** The most frequent of `,` `;` tab `|` in a header line (comma when none occurs). */
export const detectDelimiter = (headerLine: string, quote: string | false = '"'): string => detectDelimiterInternal(headerLine, quote)

/**
 * The sha256 for `fileName` in a checksum file: a bare hex digest, or `sha256sum` lines (`<hex>  name` / `<hex> *name`),
 * or BSD style (`SHA256 (name) = <hex>`). Undefined when the file has no entry for that name.
 */
export const parseChecksumFile = (text: string, fileName: string): string | undefined => {
  const base = fileName.split(/[\\/]/).pop() ?? fileName
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
  for (const line of lines) {
    const bsd = /^SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/.exec(line)
    if (bsd !== null && (bsd[1] === fileName || bsd[1]?.split(/[\\/]/).pop() === base)) return bsd[2]?.toLowerCase()
    const gnu = /^([0-9a-fA-F]{64})(?:\s+\*?(.+))?$/.exec(line)
    if (gnu !== null) {
      const named = gnu[2]
      if (named === undefined) {
        if (lines.length === 1) return gnu[1]?.toLowerCase()
        continue
      }
      if (named === fileName || named.split(/[\\/]/).pop() === base) return gnu[1]?.toLowerCase()
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------- decode

export interface DecodeOptions extends Partial<FormatOptionsInput> {
  /** How locations and messages name the file, e.g. `exports/people.csv`. Also used for `format: auto` and `.gz`. */
  readonly name: string
  /** `SourceError.source` of failures (the adapter id). Default `file`. */
  readonly source?: string
  /** Expected sha256 (hex) of the bytes as stored (before gunzip); a mismatch fails the stream at the end. */
  readonly sha256?: string
  /** Called once the last byte was read, with the sha256 and size of the bytes as stored. */
  readonly onDigest?: (digest: Digest) => void
  /**
   * Parse in a worker thread, on another core, while the caller's thread works on the rows: `true` (fails when the
   * worker script is missing), `false`, or `"auto"` (default): when `sizeHint` is at least 4 MiB and the worker
   * script is there. The environment variable `ANYSOURCE_DECODE_WORKER` overrides "auto": `0` means false, `1` true.
   */
  readonly worker?: boolean | "auto"
  /** The size of the bytes as stored, when known (for `worker: "auto"`). */
  readonly sizeHint?: number
}

/** Below this size a worker thread's start-up costs more than parsing on the calling thread saves. */
export const WORKER_MIN_BYTES = 4 * 1024 * 1024

/** `decode` accepts an adapter's whole config and takes the format keys from it. */
const LooseFormatOptions = z.object(formatOptionsShape)

const configError = (source: string, name: string, error: z.ZodError): SourceError =>
  new SourceError({
    source,
    reason: "Config",
    message: `invalid format options for ${name}: ${error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`
  })

/**
 * Decode bytes into rows, lazily and in constant memory. `input` may be an Effect that opens the bytes in the
 * stream's scope (so nothing is opened until the stream runs); a Node `Readable` given here is destroyed when the
 * stream ends, fails or is interrupted.
 */
export const decode = (
  input: ByteSource | Effect.Effect<ByteSource, SourceError, Scope.Scope>,
  options: DecodeOptions
): Stream.Stream<Model.SourceRow, SourceError> => {
  const { name, source = "file", sha256, onDigest, worker: asked = "auto", sizeHint, ...formatInput } = options
  const ctx: FailContext = { source, name }
  const parsed = LooseFormatOptions.safeParse(formatInput)
  if (!parsed.success) return Stream.fail(configError(source, name, parsed.error))
  const { format, csv, encoding, gzip, maxRecordSize, allowUnterminatedLastRecord } = parsed.data
  const settings: DecodeSettings = { format, csv, encoding, gzip, maxRecordSize, allowUnterminatedLastRecord }
  const extra = { ...(sha256 !== undefined ? { sha256 } : {}), ...(onDigest !== undefined ? { onDigest } : {}) }
  // A process-wide switch for where parsing runs (not pipeline configuration): the escape hatch named in the worker's
  // error message, and how the test suite runs every decoder test on both threads.
  // eslint-disable-next-line no-restricted-properties
  const env = process.env["ANYSOURCE_DECODE_WORKER"]
  const worker = asked === "auto" && (env === "0" || env === "1") ? env === "1" : asked
  const script = worker === true || (worker === "auto" && (sizeHint ?? 0) >= WORKER_MIN_BYTES) ? decodeWorkerUrl() : undefined
  if (worker === true && script === undefined)
    return Stream.fail(
      new SourceError({
        source,
        reason: "Config",
        message: `cannot decode ${name} in a worker thread: the worker script (decode-worker.js) is not next to this build of @anysource/source-file (unset ANYSOURCE_DECODE_WORKER to decode on the main thread)`
      })
    )
  const acquire: Effect.Effect<ByteSource, SourceError, Scope.Scope> = Effect.isEffect(input)
    ? (input as Effect.Effect<ByteSource, SourceError, Scope.Scope>)
    : Effect.succeed(input as ByteSource)
  return rowStream(ctx, acquire, (bytes) =>
    script !== undefined ? workerRows(ctx, bytes, settings, extra, script) : decodeRows(ctx, bytes, settings, extra)
  )
}
