/** Durations in config: a number of seconds, or text such as `90s`, `5m`, `1h30m`, `500ms`, `2d`. */
import { z } from "zod"

const UNIT_MILLIS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy

/** Milliseconds for a duration text, or undefined when it is not one. */
export const parseDuration = (text: string): number | undefined => {
  const input = text.trim().toLowerCase()
  if (/^\d+(\.\d+)?$/.test(input)) return Math.round(Number(input) * 1000)
  if (input === "") return undefined
  PART.lastIndex = 0
  let total = 0
  let consumed = 0
  for (;;) {
    const start = PART.lastIndex
    const match = PART.exec(input)
    if (match === null) {
      PART.lastIndex = start
      break
    }
    total += Number(match[1]) * UNIT_MILLIS[match[2]!]!
    consumed = PART.lastIndex
    while (input[PART.lastIndex] === " ") PART.lastIndex++
  }
  return consumed === input.length ? Math.round(total) : undefined
}

/** A zod duration: number of seconds or `30s` / `5m` / `1h` / `1h30m` / `250ms`, parsed to milliseconds. */
export const Duration = (description: string) =>
  z
    .union([z.number().min(0), z.string().min(1)])
    .transform((value, context) => {
      const millis = typeof value === "number" ? Math.round(value * 1000) : parseDuration(value)
      if (millis === undefined) {
        context.addIssue({ code: "custom", message: `"${String(value)}" is not a duration: write seconds (30) or text such as 30s, 5m, 1h30m` })
        return z.NEVER
      }
      return millis
    })
    .meta({ description: `${description} A number of seconds, or 30s / 5m / 1h / 1h30m / 500ms.` })

/** `90000` → `1m 30s`, for messages. */
export const formatDuration = (millis: number): string => {
  if (millis < 1000) return `${millis} ms`
  if (millis < 60_000) return `${Number((millis / 1000).toFixed(1))}s`
  const seconds = Math.round(millis / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return [h > 0 ? `${h}h` : "", m > 0 ? `${m}m` : "", s > 0 || (h === 0 && m === 0) ? `${s}s` : ""].filter((p) => p !== "").join(" ")
}
