import { Logging as RuntimeLogging } from "@anysource/runtime"
import { Effect, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import * as Logging from "../src/Logging.ts"

const capture = () => {
  const lines: Array<string> = []
  const sink: Logging.LogSink = { write: (l) => lines.push(l) }
  return { lines, sink, redactor: RuntimeLogging.makeRedactor() }
}

describe("JSON logs", () => {
  it("writes one JSON object per line with the annotations, at or above the level", async () => {
    const { lines, sink, redactor } = capture()
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* Effect.logDebug("hidden")
        yield* Effect.logInfo("session created").pipe(Effect.annotateLogs({ sessionId: "aps1" }))
        yield* Effect.logWarning("slow")
      }).pipe(Effect.annotateLogs({ runId: "run-1", pipeline: "hr" }), Effect.provide(Logging.layer(sink, redactor, "info")))
    )
    expect(lines).toHaveLength(2)
    const parsed = lines.map((l) => JSON.parse(l) as { message: unknown; logLevel: string; annotations: Record<string, string> })
    expect(parsed.map((p) => p.logLevel)).toEqual(["INFO", "WARN"])
    expect(parsed[0]!.message).toBe("session created")
    expect(parsed[0]!.annotations).toEqual({ runId: "run-1", pipeline: "hr", sessionId: "aps1" })
    expect(parsed[1]!.annotations).toEqual({ runId: "run-1", pipeline: "hr" })
  })

  it("never shows a secret: Redacted prints as <redacted>, known values are scrubbed", async () => {
    const { lines, sink, redactor } = capture()
    const token = "00aBcD-super-secret-token\"x"
    redactor.add([token, "abc"]) // "abc": too short to scrub safely, left alone
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* Effect.logInfo("auth", { token: Redacted.make(token) })
        yield* Effect.logError(`a library put it in a message: ${token}`, { nested: { value: token } })
        yield* Effect.logInfo("abc stays")
      }).pipe(Effect.provide(Logging.layer(sink, redactor, "debug")))
    )
    const all = lines.join("\n")
    expect(all).not.toContain("super-secret")
    expect(all).toContain("<redacted>")
    expect(all).toContain("abc stays")
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow()
  })
})
