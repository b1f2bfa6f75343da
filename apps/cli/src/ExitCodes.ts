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
  /**
   * `apply` or `sessions cancel` without `--yes` where nobody can be asked (stdin or stderr is not a terminal,
   * or CI is set): refused before anything was read or sent. Like `terraform apply` without `-auto-approve`.
   */
  ConfirmationRequired: 11,
  /** Bad command-line usage (unknown flag, missing argument) or a file named on the command line that cannot be read or written. */
  Usage: 64,
  /** Interrupted (Ctrl-C, SIGINT). */
  Interrupted: 130,
  /** stdout was closed by its reader (`anysource plan --json | head`): output stopped there, quietly (as git and gh, killed by SIGPIPE). */
  OutputClosed: 141,
  /** Terminated (SIGTERM). */
  Terminated: 143
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
  ConfirmationRequired: ExitCode.ConfirmationRequired,
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

/**
 * The documented table (`anysource help exit-codes`), kept in step with the README by a test: the code, a
 * few words for one-line summaries, and the full meaning.
 */
export const table: ReadonlyArray<readonly [code: number, short: string, meaning: string]> = [
  [ExitCode.Ok, "success", "success; `plan`: no changes"],
  [ExitCode.Internal, "bug", "unexpected error (a bug: please report it)"],
  [ExitCode.Changes, "changes pending", "`plan`: changes pending (also `apply` declined at the prompt; `okta conformance`: differences found)"],
  [ExitCode.Config, "config error", "configuration error (names the file and the config path)"],
  [ExitCode.Source, "source error", "source error (names file/line/column or the endpoint); nothing sent, nobody deactivated"],
  [ExitCode.Validation, "validation error", "validation error (strict mode, duplicate externalIds)"],
  [ExitCode.Safeguard, "safeguard tripped", "a safeguard tripped; nothing was sent to Okta (`--allow-deletes` after review)"],
  [ExitCode.Okta, "Okta error", "Okta API error (auth, permissions, unknown identity source, session conflict, …)"],
  [ExitCode.PlanDrift, "plan out of date", "`apply --plan`: the source, state or config moved since the plan; nothing applied"],
  [ExitCode.Apply, "apply incomplete", "apply incomplete; state holds everything Okta confirmed; re-run to resume"],
  [ExitCode.State, "state error", "state store error, or locked by another run"],
  [
    ExitCode.ConfirmationRequired,
    "confirmation needed",
    "`apply` / `sessions cancel` without `--yes` where nobody can be asked (no terminal, or `CI` set); nothing was done"
  ],
  [ExitCode.Usage, "usage error", "bad command-line usage, or a file given on the command line cannot be read or written"],
  [ExitCode.Interrupted, "interrupted", "interrupted (Ctrl-C)"],
  [ExitCode.OutputClosed, "output closed", "stdout was closed by its reader (`| head`); the output stopped there, quietly"],
  [ExitCode.Terminated, "terminated", "terminated (SIGTERM)"]
]
