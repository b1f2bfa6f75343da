import { Effect, Logger } from "effect"
import { describe, expect, it } from "vitest"
import { logger } from "../src/Logging.ts"
import * as Style from "../src/internal/Style.ts"

const capture = (format: "text" | "json", effect: Effect.Effect<void>) => {
  const lines: Array<string> = []
  Effect.runSync(effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger(format, Style.plain, (l) => lines.push(l))))))
  return lines
}

describe("Logging", () => {
  it("text: time, level, message and annotations on one line", () => {
    const [line] = capture("text", Effect.logWarning("rate-limited").pipe(Effect.annotateLogs("waitMillis", 1500)))
    expect(line).toMatch(/^\d\d:\d\d:\d\d WARN {2}rate-limited waitMillis=1500$/)
  })

  it("json: one parseable object per line", () => {
    const [line] = capture("json", Effect.logInfo("session", "created").pipe(Effect.annotateLogs({ sessionId: "aps1" })))
    expect(JSON.parse(line!)).toMatchObject({ level: "INFO", message: "session created", sessionId: "aps1" })
  })
})
