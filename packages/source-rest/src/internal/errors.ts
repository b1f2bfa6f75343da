/** Every expected failure of the `rest` source is a `SourceError` with `source: "rest"`. */
import { SourceError } from "@anysource/core"
import type { Errors } from "@anysource/core"

export const SOURCE = "rest"

export const sourceError = (
  reason: Errors.SourceErrorReason,
  message: string,
  extra: { readonly location?: string; readonly retryable?: boolean; readonly cause?: unknown } = {}
): SourceError =>
  new SourceError({
    source: SOURCE,
    reason,
    message,
    retryable: extra.retryable ?? false,
    ...(extra.location !== undefined ? { location: extra.location } : {}),
    ...(extra.cause !== undefined ? { cause: extra.cause } : {})
  })

/**
 * A failed attempt, before the retry policy decides. `waitMillis` is what the server asked for
 * (`Retry-After`, a rate-limit reset); without it the policy backs off exponentially.
 */
export class AttemptFailure {
  readonly _tag = "AttemptFailure"
  /** Whether this source tries again now (by default: when the error is retryable). */
  readonly retry: boolean
  constructor(
    readonly error: SourceError,
    readonly waitMillis?: number,
    retry?: boolean
  ) {
    this.retry = retry ?? error.retryable === true
  }
}
