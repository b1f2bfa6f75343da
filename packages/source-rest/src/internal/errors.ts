/** Every expected failure of the `rest` source is a `SourceError` with `source: "rest"`. */
import { Source, type SourceError } from "@anysource/core"

export const SOURCE = "rest"

export const sourceError = Source.errorFactory(SOURCE)

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
