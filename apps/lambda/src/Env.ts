/**
 * The ONE module that reads `process.env`. Everything else takes a `LambdaEnv`, so tests pass their own.
 *
 * | variable                                 | meaning                                                                  | default |
 * | ---------------------------------------- | ------------------------------------------------------------------------ | ------- |
 * | `ANYSOURCE_CONFIG`                       | the packaged pipeline config                                             | `anysource.yaml` next to the bundle |
 * | `ANYSOURCE_PIPELINES_DIR`                | where `{ "pipeline": "hr" }` finds `hr.yaml` / `hr.yml` / `hr.json`       | `pipelines/` next to the bundle |
 * | `ANYSOURCE_SAFETY_MARGIN_MS`             | stop before a new Okta session when less time than this remains          | `360000` (6 min) |
 * | `ANYSOURCE_LOCK_TTL_MS`                  | lease on the identity source (renewed every third of it while running)   | `120000` (2 min) |
 * | `ANYSOURCE_LOG_LEVEL`                    | `debug`, `info`, `warning` or `error`                                    | `info` |
 * | `ANYSOURCE_SECRETS`                      | `NAME=secretsmanager:<id>` / `NAME=ssm:<name>`, comma-separated: fetched through the AWS Parameters and Secrets Lambda Extension and offered to `${NAME}` | none |
 * | `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` | the extension's port                                                     | `2773` |
 * | `AWS_SESSION_TOKEN`                      | authenticates calls to the extension (set by Lambda)                     | — |
 * Every other variable is available to `${VAR}` in the config (and `VAR_FILE` for secret files).
 */
import * as Path from "node:path"

export interface SecretRef {
  /** The variable name the value is offered as (`${NAME}` in the config). */
  readonly name: string
  readonly store: "secretsmanager" | "ssm"
  readonly id: string
}

export type LogLevelName = "debug" | "info" | "warning" | "error"

export interface LambdaEnv {
  /** Every variable, for `${VAR}` interpolation and `VAR_FILE` secrets. */
  readonly vars: Readonly<Record<string, string | undefined>>
  readonly configPath: string
  readonly pipelinesDir: string
  readonly safetyMarginMillis: number
  readonly lockTtlMillis: number
  readonly logLevel: LogLevelName
  readonly secrets: ReadonlyArray<SecretRef>
  readonly extension: { readonly port: number; readonly token: string | undefined }
  /** Problems with the variables above; the handler fails the invocation with them. */
  readonly problems: ReadonlyArray<string>
}

export const defaults = {
  safetyMarginMillis: 6 * 60 * 1000,
  lockTtlMillis: 2 * 60 * 1000,
  extensionPort: 2773
} as const

const logLevels: ReadonlyArray<LogLevelName> = ["debug", "info", "warning", "error"]

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : value.trim())

/** Parse the environment (pure). `bundleDir` is the directory of the handler file. */
export const parse = (vars: Readonly<Record<string, string | undefined>>, bundleDir: string): LambdaEnv => {
  const problems: Array<string> = []
  const whole = (name: string, fallback: number, min: number, unit = "milliseconds"): number => {
    const raw = nonEmpty(vars[name])
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min) {
      problems.push(`${name} must be a whole number (${unit}) ≥ ${min}, got ${JSON.stringify(raw)}`)
      return fallback
    }
    return n
  }
  const configPath = Path.resolve(bundleDir, nonEmpty(vars["ANYSOURCE_CONFIG"]) ?? "anysource.yaml")
  const pipelinesDir = Path.resolve(bundleDir, nonEmpty(vars["ANYSOURCE_PIPELINES_DIR"]) ?? "pipelines")
  const levelRaw = (nonEmpty(vars["ANYSOURCE_LOG_LEVEL"]) ?? "info").toLowerCase()
  const logLevel = (levelRaw === "warn" ? "warning" : levelRaw) as LogLevelName
  if (!logLevels.includes(logLevel)) problems.push(`ANYSOURCE_LOG_LEVEL must be one of ${logLevels.join(", ")}, got ${JSON.stringify(levelRaw)}`)

  const secrets: Array<SecretRef> = []
  for (const entry of (nonEmpty(vars["ANYSOURCE_SECRETS"]) ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(secretsmanager|ssm):(.+)$/.exec(entry)
    if (match === null) {
      problems.push(`ANYSOURCE_SECRETS: ${JSON.stringify(entry)} is not NAME=secretsmanager:<secret id or ARN> or NAME=ssm:<parameter name>`)
      continue
    }
    secrets.push({ name: match[1]!, store: match[2] as SecretRef["store"], id: match[3]! })
  }
  return {
    vars,
    configPath,
    pipelinesDir,
    safetyMarginMillis: whole("ANYSOURCE_SAFETY_MARGIN_MS", defaults.safetyMarginMillis, 0),
    lockTtlMillis: whole("ANYSOURCE_LOCK_TTL_MS", defaults.lockTtlMillis, 10_000),
    logLevel: logLevels.includes(logLevel) ? logLevel : "info",
    secrets,
    extension: {
      port: whole("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", defaults.extensionPort, 1, "a TCP port"),
      token: nonEmpty(vars["AWS_SESSION_TOKEN"])
    },
    problems
  }
}

/** The process's environment, read at each invocation (cheap; lets tests set variables before calling). */
export const fromProcess = (bundleDir: string): LambdaEnv => parse(process.env, bundleDir)
