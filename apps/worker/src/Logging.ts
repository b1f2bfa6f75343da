/**
 * Structured JSON logs, one object per line on stdout (Effect's `Logger.jsonLogger` format:
 * `message`, `logLevel`, `timestamp`, `annotations` — `runId` and `pipeline` on every line of a run —,
 * `spans`, `fiberId`, `cause`).
 *
 * Secrets are `Redacted` everywhere (they print as `<redacted>`); as a second line of defence every
 * line is scrubbed of the secret values the worker knows (its API token, Okta tokens and keys,
 * database URLs from the pipeline configs) before it is written.
 */
import { Layer, Logger, LogLevel } from "effect"

export interface Redactor {
  /** Remember secret values to scrub (values shorter than 4 characters are ignored). */
  readonly add: (secrets: ReadonlyArray<string>) => void
  readonly scrub: (line: string) => string
}

export const REDACTED = "<redacted>"

export const makeRedactor = (): Redactor => {
  const needles = new Set<string>()
  return {
    add: (secrets) => {
      for (const secret of secrets) {
        if (secret.length < 4) continue
        needles.add(secret)
        // the same value as it appears inside a JSON string (PEM keys hold newlines and quotes)
        needles.add(JSON.stringify(secret).slice(1, -1))
      }
    },
    scrub: (line) => {
      let out = line
      for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED)
      return out
    }
  }
}

export const logger = (redactor: Redactor, write: (line: string) => void) =>
  Logger.make<unknown, void>((options) => {
    write(redactor.scrub(Logger.jsonLogger.log(options)))
  })

/** Replace the default logger with the redacting JSON logger. */
export const layer = (redactor: Redactor, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Layer.Layer<never> =>
  Logger.replace(Logger.defaultLogger, logger(redactor, write))

export type LevelName = "all" | "trace" | "debug" | "info" | "warning" | "error" | "fatal" | "none"

export const levelOf = (name: string | undefined): LogLevel.LogLevel | undefined => {
  switch (name?.toLowerCase()) {
    case "all":
      return LogLevel.All
    case "trace":
      return LogLevel.Trace
    case "debug":
      return LogLevel.Debug
    case "info":
      return LogLevel.Info
    case "warn":
    case "warning":
      return LogLevel.Warning
    case "error":
      return LogLevel.Error
    case "fatal":
      return LogLevel.Fatal
    case "none":
      return LogLevel.None
    default:
      return undefined
  }
}
