import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as Logging from "../src/Logging.ts"
import { bearerToken, isAuthorized } from "../src/internal/auth.ts"

const capture = () => {
  const lines: Array<string> = []
  const redactor = Logging.makeRedactor()
  return { lines, redactor, layer: Logging.layer(redactor, (line) => lines.push(line)) }
}

describe("Logging", () => {
  it.effect("writes one JSON object per line with the run's annotations", () =>
    Effect.gen(function* () {
      const { lines, layer } = capture()
      yield* Effect.logInfo("run started").pipe(Effect.annotateLogs({ runId: "run-1", pipeline: "hr" }), Effect.provide(layer))
      expect(lines).toHaveLength(1)
      const line = JSON.parse(lines[0]!)
      expect(line).toMatchObject({ message: "run started", logLevel: "INFO", annotations: { runId: "run-1", pipeline: "hr" } })
      expect(typeof line.timestamp).toBe("string")
    })
  )

  it.effect("scrubs known secrets, also inside JSON-escaped text, and prints Redacted values as <redacted>", () =>
    Effect.gen(function* () {
      const { lines, redactor, layer } = capture()
      const pem = '-----BEGIN PRIVATE KEY-----\nMIIabc"def\n-----END PRIVATE KEY-----'
      redactor.add(["tok-0123456789", pem, "ab"])
      yield* Effect.logError("failed with tok-0123456789 in the URL").pipe(Effect.provide(layer))
      yield* Effect.logWarning(`key was ${pem}`).pipe(Effect.provide(layer))
      yield* Effect.logInfo("token", Redacted.make("other-secret-value")).pipe(Effect.provide(layer))
      yield* Effect.logInfo("ab is too short to scrub").pipe(Effect.provide(layer))
      expect(lines[0]).toContain("failed with <redacted> in the URL")
      expect(lines[1]).toContain("key was <redacted>")
      expect(lines[1]).not.toContain("MIIabc")
      expect(lines[2]).toContain("<redacted>")
      expect(lines[2]).not.toContain("other-secret-value")
      expect(lines[3]).toContain("ab is too short")
      for (const l of lines) expect(() => JSON.parse(l)).not.toThrow()
    })
  )

  it("maps level names", () => {
    expect(Logging.levelOf("debug")?._tag).toBe("Debug")
    expect(Logging.levelOf("WARN")?._tag).toBe("Warning")
    expect(Logging.levelOf("nope")).toBeUndefined()
  })
})

describe("bearer token check", () => {
  const expected = Redacted.make("the-right-token-0123")
  it("accepts exactly `Bearer <token>`", () => {
    expect(isAuthorized("Bearer the-right-token-0123", expected)).toBe(true)
    expect(isAuthorized("bearer the-right-token-0123", expected)).toBe(true)
    expect(isAuthorized("Bearer the-right-token-012", expected)).toBe(false)
    expect(isAuthorized("Bearer the-right-token-01234", expected)).toBe(false)
    expect(isAuthorized("Basic the-right-token-0123", expected)).toBe(false)
    expect(isAuthorized("the-right-token-0123", expected)).toBe(false)
    expect(isAuthorized(undefined, expected)).toBe(false)
    expect(isAuthorized("Bearer ", expected)).toBe(false)
  })
  it("an empty expected token never matches a missing header", () => {
    expect(isAuthorized(undefined, Redacted.make(""))).toBe(false)
  })
  it("parses the header", () => {
    expect(bearerToken("Bearer abc")).toBe("abc")
    expect(bearerToken("Bearer a b")).toBeUndefined()
  })
})
