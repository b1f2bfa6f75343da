/**
 * Errors inside the Node/async-iterator part of the decoders travel as `DecodeFailure` (a real `Error`, so Node
 * streams carry it unchanged) holding plain fields, and become a `SourceError` at the Effect boundary
 * (`toSourceError` in effect.ts). Plain fields, because a decoder may run in a worker thread (decodeWorker.ts):
 * nothing here loads @anysource/core, and the fields cross the thread boundary as they are.
 */
import type { Errors } from "@anysource/core"

export interface FailContext {
  /** `SourceError.source`, e.g. `file` or `sftp`. */
  readonly source: string
  /** The file's display name used in locations, e.g. `exports/people.csv`. */
  readonly name: string
}

/** What a `SourceError` is made of (minus a cause that cannot cross threads). */
export interface FailureFields {
  readonly source: string
  readonly reason: Errors.SourceErrorReason
  readonly message: string
  readonly location?: string
  readonly retryable?: boolean
}

export class DecodeFailure extends Error {
  constructor(
    readonly fields: FailureFields,
    readonly original?: unknown
  ) {
    super(fields.message)
    this.name = "DecodeFailure"
  }
}

export const failure = (
  ctx: FailContext,
  reason: Errors.SourceErrorReason,
  message: string,
  extra: { readonly location?: string; readonly cause?: unknown; readonly retryable?: boolean } = {}
): DecodeFailure =>
  new DecodeFailure(
    {
      source: ctx.source,
      reason,
      message,
      ...(extra.location !== undefined ? { location: extra.location } : {}),
      ...(extra.retryable !== undefined ? { retryable: extra.retryable } : {})
    },
    extra.cause
  )

/** The question every "the file stops early" message asks: the usual cause is reading an export while it is written. */
export const STILL_WRITING = "was the export still being written?"

/**
 * The last record of a CSV or NDJSON file has no line break after it (`allowUnterminatedLastRecord` is off): the file
 * may have been cut mid-record, with the rows after it missing. `Consistency`, not `Decode`: the bytes parse, but the
 * file is not provably complete, and syncing it could deactivate everyone in the missing part.
 */
export const unterminatedLastRecord = (ctx: FailContext, line: number): DecodeFailure => {
  const location = `${ctx.name}:${line}`
  return failure(
    ctx,
    "Consistency",
    `${location}: the file ends mid-record: ${STILL_WRITING} The last record (line ${line}) has no line break after it, so it may be cut short and the rows after it missing: nothing from this read is synced. Export the file again; if the program that writes it never ends its last line, set allowUnterminatedLastRecord: true`,
    { location }
  )
}

const errnoReason = (code: string | undefined): Errors.SourceErrorReason => {
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return "NotFound"
    case "EACCES":
    case "EPERM":
      return "Permission"
    default:
      return "Read"
  }
}

/** Whatever came out of the pipeline (a `DecodeFailure`, a zlib or file-system error, ...), as a `DecodeFailure`. */
export const asFailure = (ctx: FailContext, error: unknown): DecodeFailure => {
  if (error instanceof DecodeFailure) return error
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined
  const text = error instanceof Error ? error.message : String(error)
  if (code?.startsWith("Z_") || code === "ERR_ZLIB_INITIALIZATION_FAILED")
    return failure(
      ctx,
      "Decode",
      `${ctx.name} is not a valid gzip stream (${text}): the file may be truncated or not gzip-compressed — set gzip: false if it is plain text`,
      { cause: error }
    )
  const reason = errnoReason(code)
  return failure(ctx, reason, `cannot read ${ctx.name}: ${text}`, { retryable: reason === "Read", cause: error })
}
