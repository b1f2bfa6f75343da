/**
 * The CLI's logger: everything goes to stderr (stdout is reserved for results, e.g. `plan --json`).
 * `--log-format text` (default): `HH:MM:SS LEVEL message key=value`; `--log-format json`: one JSON
 * object per line. Log messages never contain secrets (core keeps them Redacted).
 */
import { HashMap, Inspectable, Layer, List, Logger, type LogLevel } from "effect"
import * as Style from "./internal/Style.ts"

export type LogFormat = "text" | "json"

const messageText = (message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  return parts.map((p) => (typeof p === "string" ? p : Inspectable.toStringUnknown(p))).join(" ")
}

const levelColor = (level: LogLevel.LogLevel, s: Style.Style) =>
  level._tag === "Error" || level._tag === "Fatal" ? s.red : level._tag === "Warning" ? s.yellow : level._tag === "Info" ? s.cyan : s.dim

export const formatText = (
  options: { readonly date: Date; readonly logLevel: LogLevel.LogLevel; readonly message: unknown; readonly annotations: ReadonlyArray<readonly [string, unknown]> },
  s: Style.Style
): string => {
  const time = options.date.toISOString().slice(11, 19)
  const level = levelColor(options.logLevel, s)(options.logLevel.label.padEnd(5))
  const ann = options.annotations.map(([k, v]) => `${k}=${typeof v === "string" ? v : Inspectable.toStringUnknown(v)}`).join(" ")
  return `${s.dim(time)} ${level} ${messageText(options.message)}${ann ? ` ${s.dim(ann)}` : ""}`
}

export const formatJson = (options: {
  readonly date: Date
  readonly logLevel: LogLevel.LogLevel
  readonly message: unknown
  readonly annotations: ReadonlyArray<readonly [string, unknown]>
  readonly spans?: ReadonlyArray<string>
}): string =>
  JSON.stringify({
    timestamp: options.date.toISOString(),
    level: options.logLevel.label,
    message: messageText(options.message),
    ...Object.fromEntries(options.annotations)
  })

export const logger = (format: LogFormat, style: Style.Style, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) =>
  Logger.make(({ annotations, date, logLevel, message, spans }) => {
    const ann = [...HashMap.toEntries(annotations)] as ReadonlyArray<readonly [string, unknown]>
    write(
      format === "json"
        ? formatJson({ date, logLevel, message, annotations: ann, spans: List.toArray(spans).map((sp) => sp.label) })
        : formatText({ date, logLevel, message, annotations: ann }, style)
    )
  })

export const layer = (format: LogFormat, style: Style.Style, write?: (line: string) => void): Layer.Layer<never> =>
  Logger.replace(Logger.defaultLogger, logger(format, style, write))
