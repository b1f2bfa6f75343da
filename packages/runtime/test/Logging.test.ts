import { describe, expect, it } from "@effect/vitest"
import { Effect, LogLevel, Redacted } from "effect"
import * as Logging from "../src/Logging.ts"

const capture = (level?: LogLevel.LogLevel) => {
  const lines: Array<string> = []
  const redactor = Logging.makeRedactor()
  return { lines, redactor, layer: Logging.layer(redactor, (line) => lines.push(line), level) }
}

describe("Logging", () => {
  it.effect("one JSON object per line, Effect's jsonLogger shape, with the annotations", () =>
    Effect.gen(function* () {
      const { lines, layer } = capture()
      yield* Effect.logInfo("run started").pipe(Effect.annotateLogs({ runId: "run-1", pipeline: "hr" }), Effect.provide(layer))
      expect(lines).toHaveLength(1)
      const line = JSON.parse(lines[0]!)
      expect(line).toMatchObject({ message: "run started", logLevel: "INFO", annotations: { runId: "run-1", pipeline: "hr" } })
      expect(typeof line.timestamp).toBe("string")
    })
  )

  it.effect("scrubs known secrets raw and JSON-escaped; Redacted prints as <redacted>; short values stay", () =>
    Effect.gen(function* () {
      const { lines, redactor, layer } = capture()
      const pem = '-----BEGIN PRIVATE KEY-----\nMIIabc"def\n-----END PRIVATE KEY-----'
      redactor.add(["tok-0123456789", pem, "abc"])
      yield* Effect.logError("failed with tok-0123456789 in the URL").pipe(Effect.provide(layer))
      yield* Effect.logWarning(`key was ${pem}`).pipe(Effect.provide(layer))
      yield* Effect.logInfo("token", Redacted.make("other-secret-value")).pipe(Effect.provide(layer))
      yield* Effect.logInfo("abc is too short to scrub").pipe(Effect.annotateLogs({ nested: "tok-0123456789" }), Effect.provide(layer))
      expect(lines[0]).toContain("failed with <redacted> in the URL")
      expect(lines[1]).toContain("key was <redacted>")
      expect(lines[1]).not.toContain("MIIabc")
      expect(lines[2]).toContain("<redacted>")
      expect(lines[2]).not.toContain("other-secret-value")
      expect(lines[3]).toContain("abc is too short")
      expect(lines[3]).not.toContain("tok-0123456789")
      for (const l of lines) expect(() => JSON.parse(l)).not.toThrow()
    })
  )

  it.effect("drops lines below the level", () =>
    Effect.gen(function* () {
      const { lines, layer } = capture(LogLevel.Info)
      yield* Effect.gen(function* () {
        yield* Effect.logDebug("hidden")
        yield* Effect.logWarning("shown")
      }).pipe(Effect.provide(layer))
      expect(lines.map((l) => JSON.parse(l).message)).toEqual(["shown"])
    })
  )

  it("maps level names, any case", () => {
    expect(Logging.levelOf("debug")?._tag).toBe("Debug")
    expect(Logging.levelOf("WARN")?._tag).toBe("Warning")
    expect(Logging.levelOf(" warning ")?._tag).toBe("Warning")
    expect(Logging.levelOf("nope")).toBeUndefined()
    expect(Logging.levelOf(undefined)).toBeUndefined()
  })
})
