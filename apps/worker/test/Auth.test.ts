import { describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import { bearerToken, isAuthorized } from "../src/internal/auth.ts"

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
