/**
 * Structured logs for the unattended runtimes (Lambda, worker): one JSON object per line, in Effect's
 * `Logger.jsonLogger` format (`message`, `logLevel`, `timestamp`, `annotations`, `spans`, `fiberId`, `cause`), so log
 * shippers and CloudWatch metric filters read every line the same way.
 *
 * Secrets are `Redacted` everywhere (they print as `<redacted>`). As a second line of defence every line is scrubbed
 * of the secret values the process knows (`Secrets.ofConfig`, fetched secrets, the worker's API token) before it
 * is written, also in their JSON-escaped form (a PEM key holds newlines and quotes).
 */
import { Layer, Logger, LogLevel } from "effect"

export const REDACTED = "<redacted>"

/** Values shorter than this are not scrubbed: they would blank out ordinary words (and are no real secret). */
export const MIN_SECRET_LENGTH = 4

export interface Redactor {
  /** Remember secret values to scrub from now on. */
  readonly add: (secrets: Iterable<string>) => void
  readonly scrub: (line: string) => string
}

export const makeRedactor = (): Redactor => {
  const needles = new Set<string>()
  return {
    add: (secrets) => {
      for (const secret of secrets) {
        if (secret.length < MIN_SECRET_LENGTH) continue
        needles.add(secret)
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

/** The JSON line logger, scrubbed by `redactor`, written with `write`. */
export const jsonLogger = (redactor: Redactor, write: (line: string) => void): Logger.Logger<unknown, void> =>
  Logger.make((options) => write(redactor.scrub(Logger.jsonLogger.log(options))))

/** Replace the default logger with the scrubbed JSON logger (and set the minimum level, when given). */
export const layer = (redactor: Redactor, write: (line: string) => void, level?: LogLevel.LogLevel): Layer.Layer<never> => {
  const logger = Logger.replace(Logger.defaultLogger, jsonLogger(redactor, write))
  return level === undefined ? logger : Layer.merge(logger, Logger.minimumLogLevel(level))
}

/** A level by name (`debug`, `info`, `warn`/`warning`, `error`, …, any case); undefined for anything else. */
export const levelOf = (name: string | undefined): LogLevel.LogLevel | undefined => {
  switch (name?.trim().toLowerCase()) {
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
