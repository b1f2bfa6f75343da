/**
 * The CLI's exit codes: one per kind of outcome so scripts and CI can branch on them.
 * Documented in README.md (keep the two in step).
 */
export const ExitCode = {
  /** Success; for `plan`: no changes. */
  Ok: 0,
  /** An unexpected failure (a bug): please report it. */
  Internal: 1,
  /** `plan` (and `apply` declined at the prompt): changes are pending. Like `terraform plan -detailed-exitcode`. */
  Changes: 2,
  /** The configuration is missing, unreadable or invalid (names the path). */
  Config: 3,
  /** The source could not be read (names file/line/column or the endpoint). */
  Source: 4,
  /** Records failed validation in strict mode, or duplicate externalIds. */
  Validation: 5,
  /** A safeguard stopped the run before anything was sent to Okta. */
  Safeguard: 6,
  /** Okta (or the emulator) refused or failed a request. */
  Okta: 7,
  /** `apply --plan`: the data or state moved since the plan was made. */
  PlanDrift: 8,
  /** The apply did not finish; state holds everything Okta confirmed. Re-run to resume. */
  Apply: 9,
  /** The state store failed or is locked by another run. */
  State: 10,
  /** Bad command-line usage (unknown flag, missing argument) or a file named on the command line that cannot be read or written. */
  Usage: 64,
  /** Interrupted (Ctrl-C). */
  Interrupted: 130
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

const byTag: Readonly<Record<string, ExitCode>> = {
  ConfigError: ExitCode.Config,
  SourceError: ExitCode.Source,
  ValidationError: ExitCode.Validation,
  SafeguardTripped: ExitCode.Safeguard,
  OktaApiError: ExitCode.Okta,
  PlanDriftError: ExitCode.PlanDrift,
  ApplyError: ExitCode.Apply,
  StateError: ExitCode.State,
  // the CLI's own usage and file errors
  UsageError: ExitCode.Usage,
  FileError: ExitCode.Usage,
  // @effect/cli's parse failures
  InvalidValue: ExitCode.Usage,
  MissingValue: ExitCode.Usage,
  MissingFlag: ExitCode.Usage,
  MultipleValuesDetected: ExitCode.Usage,
  MissingSubcommand: ExitCode.Usage,
  NoBuiltInMatch: ExitCode.Usage,
  UnclusteredFlag: ExitCode.Usage,
  CorrectedFlag: ExitCode.Usage,
  InvalidArgument: ExitCode.Usage,
  CommandMismatch: ExitCode.Usage,
  // @effect/cli's Prompt when the user presses Ctrl-C
  QuitException: ExitCode.Interrupted
}

/** The exit code for an error tag (`ConfigError`, …); unknown tags are internal errors. */
export const fromTag = (tag: string | undefined): ExitCode =>
  (tag !== undefined ? byTag[tag] : undefined) ?? ExitCode.Internal

/** The exit code for a failure value: anything with a known `_tag`, else `Internal`. */
export const fromError = (error: unknown): ExitCode =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? fromTag(error._tag)
    : ExitCode.Internal

/** The documented table, used by `--help` and kept in step with the README by a test. */
export const table: ReadonlyArray<readonly [code: number, meaning: string]> = [
  [ExitCode.Ok, "success; plan: no changes"],
  [ExitCode.Internal, "unexpected error (a bug)"],
  [ExitCode.Changes, "plan: changes pending"],
  [ExitCode.Config, "configuration error"],
  [ExitCode.Source, "source error"],
  [ExitCode.Validation, "validation error (strict mode, duplicates)"],
  [ExitCode.Safeguard, "safeguard tripped, nothing sent"],
  [ExitCode.Okta, "Okta API error"],
  [ExitCode.PlanDrift, "apply --plan: data moved since the plan"],
  [ExitCode.Apply, "apply incomplete (re-run resumes)"],
  [ExitCode.State, "state store error or locked"],
  [ExitCode.Usage, "bad command-line usage, or a file given on the command line is unreadable/unwritable"],
  [ExitCode.Interrupted, "interrupted"]
]
