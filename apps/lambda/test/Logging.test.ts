import { Effect, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import * as Logging from "../src/Logging.ts"

const capture = () => {
  const lines: Array<string> = []
  const sink: Logging.LogSink = { write: (l) => lines.push(l), secrets: new Set() }
  return { lines, sink }
}

describe("JSON logs", () => {
  it("writes one JSON object per line with the annotations, at or above the level", async () => {
    const { lines, sink } = capture()
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* Effect.logDebug("hidden")
        yield* Effect.logInfo("session created", { sessionId: "aps1" })
        yield* Effect.logWarning("slow")
      }).pipe(Effect.annotateLogs({ runId: "run-1", pipeline: "hr" }), Effect.provide(Logging.layer(sink, "info")))
    )
    expect(lines).toHaveLength(2)
    const parsed = lines.map((l) => JSON.parse(l) as { message: unknown; logLevel: string; annotations: Record<string, string> })
    expect(parsed.map((p) => p.logLevel)).toEqual(["INFO", "WARN"])
    expect(parsed[0]!.message).toEqual(["session created", { sessionId: "aps1" }])
    for (const p of parsed) expect(p.annotations).toEqual({ runId: "run-1", pipeline: "hr" })
  })

  it("never shows a secret: Redacted prints as <redacted>, known values are scrubbed", async () => {
    const { lines, sink } = capture()
    const token = "00aBcD-super-secret-token\"x"
    sink.secrets.add(token)
    sink.secrets.add("abc") // too short to scrub safely: left alone
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* Effect.logInfo("auth", { token: Redacted.make(token) })
        yield* Effect.logError(`a library put it in a message: ${token}`, { nested: { value: token } })
        yield* Effect.logInfo("abc stays")
      }).pipe(Effect.provide(Logging.layer(sink, "debug")))
    )
    const all = lines.join("\n")
    expect(all).not.toContain("super-secret")
    expect(all).toContain("<redacted>")
    expect(all).toContain("abc stays")
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow()
  })
})
