/**
 * The ONE module that reads `process.env` (and the terminal's capabilities). Everything else takes
 * these values as arguments, so tests can pass their own.
 */
export interface CliEnv {
  /** Every variable, for `${ENV}` interpolation and `*_FILE` secrets in the config. */
  readonly vars: Readonly<Record<string, string | undefined>>
  /** `NO_COLOR` set (https://no-color.org) or `TERM=dumb`. */
  readonly noColor: boolean
  /** `FORCE_COLOR` set (colors even when not a TTY). */
  readonly forceColor: boolean
  /** Default for `--config` (`ANYSOURCE_CONFIG`). */
  readonly configPath: string | undefined
  /** Default for `--log-format` (`ANYSOURCE_LOG_FORMAT`). */
  readonly logFormat: string | undefined
  /** Running under CI (`CI` set and not "false"): never prompt. */
  readonly ci: boolean
  readonly stdoutIsTTY: boolean
  readonly stderrIsTTY: boolean
  readonly stdinIsTTY: boolean
  readonly columns: number
}

const flag = (value: string | undefined): boolean => value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false"

export const fromProcess = (): CliEnv => {
  const vars = process.env
  return {
    vars,
    noColor: (vars.NO_COLOR !== undefined && vars.NO_COLOR !== "") || vars.TERM === "dumb",
    forceColor: flag(vars.FORCE_COLOR),
    configPath: vars.ANYSOURCE_CONFIG || undefined,
    logFormat: vars.ANYSOURCE_LOG_FORMAT || undefined,
    ci: flag(vars.CI),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    columns: process.stdout.columns ?? 100
  }
}

/** A fixed environment for tests: no TTY, no color. */
export const forTest = (overrides: Partial<CliEnv> = {}): CliEnv => ({
  vars: {},
  noColor: true,
  forceColor: false,
  configPath: undefined,
  logFormat: undefined,
  ci: true,
  stdoutIsTTY: false,
  stderrIsTTY: false,
  stdinIsTTY: false,
  columns: 100,
  ...overrides
})

/** Interactive: prompts and progress bars are allowed. */
export const isInteractive = (env: CliEnv): boolean => env.stdinIsTTY && env.stderrIsTTY && !env.ci
