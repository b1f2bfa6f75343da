/**
 * Errors inside the Node/async-iterator part of the decoders travel as `DecodeFailure`
 * (a real `Error`, so Node streams carry it unchanged) and become a `SourceError` at the Effect boundary.
 */
import { SourceError } from "@anysource/core"
import type { Errors } from "@anysource/core"

export class DecodeFailure extends Error {
  constructor(readonly error: SourceError) {
    super(error.message)
    this.name = "DecodeFailure"
  }
}

export interface FailContext {
  /** `SourceError.source`, e.g. `file` or `sftp`. */
  readonly source: string
  /** The file's display name used in locations, e.g. `exports/people.csv`. */
  readonly name: string
}

export const failure = (
  ctx: FailContext,
  reason: Errors.SourceErrorReason,
  message: string,
  extra: { readonly location?: string; readonly cause?: unknown; readonly retryable?: boolean } = {}
): DecodeFailure =>
  new DecodeFailure(
    new SourceError({
      source: ctx.source,
      reason,
      message,
      ...(extra.location !== undefined ? { location: extra.location } : {}),
      ...(extra.cause !== undefined ? { cause: extra.cause } : {}),
      ...(extra.retryable !== undefined ? { retryable: extra.retryable } : {})
    })
  )

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

/** Whatever came out of the pipeline, as a `SourceError`. */
export const toSourceError = (ctx: FailContext, error: unknown): SourceError => {
  if (error instanceof DecodeFailure) return error.error
  if (error instanceof SourceError) return error
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined
  const text = error instanceof Error ? error.message : String(error)
  if (code?.startsWith("Z_") || code === "ERR_ZLIB_INITIALIZATION_FAILED") {
    return new SourceError({
      source: ctx.source,
      reason: "Decode",
      message: `${ctx.name} is not a valid gzip stream (${text}): the file may be truncated or not gzip-compressed — set gzip: false if it is plain text`,
      cause: error
    })
  }
  const reason = errnoReason(code)
  return new SourceError({
    source: ctx.source,
    reason,
    message: `cannot read ${ctx.name}: ${text}`,
    retryable: reason === "Read",
    cause: error
  })
}
