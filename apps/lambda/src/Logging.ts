/**
 * Structured logs: one JSON object per line on stdout (CloudWatch Logs keeps each line as one event), in
 * Effect's `Logger.json` format (`message`, `logLevel`, `timestamp`, `annotations`, `spans`, `fiberId`).
 * Every line carries the run's annotations (`runId`, `awsRequestId`, `pipeline`).
 *
 * Secrets are `Redacted` everywhere (they print as `<redacted>`); as a second line of defence every line is
 * scrubbed of the values of the secrets this invocation knows (the config's secret fields, fetched secrets).
 */
import { Layer, Logger, LogLevel } from "effect"
import type { LogLevelName } from "./Env.ts"

export interface LogSink {
  readonly write: (line: string) => void
  /** Secret values to scrub from every line (grows once the config is loaded). */
  readonly secrets: Set<string>
}

export const stdoutSink = (): LogSink => ({
  write: (line) => {
    process.stdout.write(`${line}\n`)
  },
  secrets: new Set()
})

/** Values shorter than this are not scrubbed: they would blank out ordinary words. */
const minSecretLength = 6

export const scrub = (line: string, secrets: ReadonlySet<string>): string => {
  let out = line
  for (const secret of secrets) {
    if (secret.length < minSecretLength) continue
    // the secret as it appears inside a JSON string, and raw
    for (const form of new Set([JSON.stringify(secret).slice(1, -1), secret])) out = out.split(form).join("<redacted>")
  }
  return out
}

const levels: Record<LogLevelName, LogLevel.LogLevel> = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error
}

export const logger = (sink: LogSink) => Logger.make<unknown, void>((options) => sink.write(scrub(Logger.jsonLogger.log(options), sink.secrets)))

export const layer = (sink: LogSink, level: LogLevelName): Layer.Layer<never> =>
  Layer.merge(Logger.replace(Logger.defaultLogger, logger(sink)), Logger.minimumLogLevel(levels[level]))
