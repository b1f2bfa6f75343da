/**
 * One tagged error per boundary, each with a `reason` (a union, so apps can match on it) and a readable
 * `message` that says what went wrong and what to do. Messages never contain secrets: anything secret is
 * `Redacted` before it gets here.
 */
import { Data } from "effect"
import type { SourceLocation } from "./Model.ts"

export type ConfigErrorReason = "NotFound" | "Parse" | "Invalid" | "Interpolation" | "SecretFile" | "Unsupported"

/** Bad configuration: `path` names the config path (`mapping.profile.email`) or the file. */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly reason: ConfigErrorReason
  readonly message: string
  readonly path?: string
  readonly file?: string
  readonly issues?: ReadonlyArray<{ readonly path: string; readonly message: string }>
}> {}

export type SourceErrorReason =
  | "Config"
  | "Auth"
  | "HostKey"
  | "Permission"
  | "NotFound"
  | "NotReady"
  | "Connect"
  | "Timeout"
  | "RateLimited"
  | "Http"
  | "Pagination"
  | "Query"
  | "Read"
  | "Decode"
  | "Consistency"

/** A source failed. `retryable` tells core's retry policy whether trying again can help. */
export class SourceError extends Data.TaggedError("SourceError")<{
  readonly source: string
  readonly reason: SourceErrorReason
  readonly message: string
  readonly location?: SourceLocation
  readonly retryable?: boolean
  readonly cause?: unknown
}> {}

export interface RecordIssue {
  readonly location: SourceLocation
  readonly externalId?: string
  readonly field?: string
  readonly message: string
  readonly kind: "invalid" | "mapping" | "filter" | "duplicate"
}

/** `Duplicate`: two rows share an externalId (always fatal). `Invalid`: invalid rows with `validation.strict: true`. */
export type ValidationErrorReason = "Duplicate" | "Invalid"

/** Validation failed for the run as a whole (strict mode, or a duplicate externalId). */
export class ValidationError extends Data.TaggedError("ValidationError")<{
  readonly reason: ValidationErrorReason
  readonly message: string
  readonly issues: ReadonlyArray<RecordIssue>
}> {}

export interface SafeguardViolation {
  readonly entity: "users" | "groups" | "memberships"
  readonly rule:
    | "maxDeactivations"
    | "maxDeactivationPercent"
    | "minRecords"
    | "minRecordsPercent"
    | "maxRemovals"
    | "maxRemovalPercent"
    | "emptySource"
  readonly limit: number
  readonly actual: number
  readonly message: string
}

/**
 * `Limit`: a deactivation, removal or minimum-records limit (`--allow-deletes` lets it through).
 * `EmptySource`: the source has no valid records while some are ACTIVE (only `allowEmptySource` lets it through).
 */
export type SafeguardTrippedReason = "Limit" | "EmptySource"

/** A safeguard stopped the run before any Okta call. `override` names the flag/config that lets it through. */
export class SafeguardTripped extends Data.TaggedError("SafeguardTripped")<{
  readonly reason: SafeguardTrippedReason
  readonly message: string
  readonly violations: ReadonlyArray<SafeguardViolation>
  readonly override: string
}> {}

export type OktaApiErrorReason =
  | "RateLimited"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "SessionConflict"
  | "InvalidSessionState"
  | "Rejected"
  | "Server"
  | "Transport"
  | "Decode"
  | "Timeout"

export interface OktaErrorCause {
  readonly errorSummary: string
}

/** Any failure talking to Okta. Never carries a token. */
export class OktaApiError extends Data.TaggedError("OktaApiError")<{
  readonly reason: OktaApiErrorReason
  readonly message: string
  readonly status?: number
  readonly method?: string
  readonly url?: string
  readonly errorCode?: string
  readonly errorSummary?: string
  readonly errorCauses?: ReadonlyArray<OktaErrorCause>
  readonly errorId?: string
  readonly requestId?: string
  readonly retryAfterMillis?: number
  /** `Forbidden`: the OAuth scope the call needs (the message says where an admin grants it). */
  readonly scope?: string
}> {}

/**
 * `Empty`: the state is empty but Okta already holds records of this source (a lost state; `state rebuild`, or
 * `--initial` for a real first run). `Rebuilding`: a `state rebuild` was started and not finished. `NotEmpty`:
 * `state rebuild` refused a state that already holds records.
 */
export type StateErrorReason = "Io" | "Corrupt" | "Locked" | "Migration" | "Conflict" | "Empty" | "Rebuilding" | "NotEmpty"

export class StateError extends Data.TaggedError("StateError")<{
  readonly reason: StateErrorReason
  readonly message: string
  readonly cause?: unknown
}> {}

/** `HashMismatch`: the plan recomputed from the source, state and config hashes differently from the reviewed one. */
export type PlanDriftErrorReason = "HashMismatch"

/** `apply --plan` was given a plan whose inputs moved since it was made. */
export class PlanDriftError extends Data.TaggedError("PlanDriftError")<{
  readonly reason: PlanDriftErrorReason
  readonly message: string
  readonly expectedHash: string
  readonly actualHash: string
}> {}

export type ApplyErrorReason = "SessionFailed" | "SessionExpired" | "ForeignSession" | "Timeout" | "Interrupted"

/** The apply could not finish; state holds everything Okta confirmed COMPLETED. */
export class ApplyError extends Data.TaggedError("ApplyError")<{
  readonly reason: ApplyErrorReason
  readonly message: string
  readonly sessionId?: string
}> {}
