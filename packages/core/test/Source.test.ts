import { describe, expect, it } from "vitest"
import { SourceError } from "../src/domain/Errors.ts"
import * as Source from "../src/domain/Source.ts"

const fields = (e: SourceError) => ({
  _tag: e._tag,
  source: e.source,
  reason: e.reason,
  message: e.message,
  retryable: e.retryable,
  location: e.location,
  cause: e.cause
})

describe("Source.errorFactory", () => {
  const sourceError = Source.errorFactory("rest")

  it("binds the adapter's id and says not retryable unless told", () => {
    const e = sourceError("NotFound", "GET https://hr/api/people answered 404")
    expect(e).toBeInstanceOf(SourceError)
    expect(fields(e)).toEqual({
      _tag: "SourceError",
      source: "rest",
      reason: "NotFound",
      message: "GET https://hr/api/people answered 404",
      retryable: false,
      location: undefined,
      cause: undefined
    })
  })

  it("keeps the options it is given and leaves out the undefined ones", () => {
    const cause = new Error("ECONNRESET")
    const e = sourceError("Read", "connection dropped", {
      retryable: true,
      location: "https://hr/api?page=2",
      cause
    })
    expect(fields(e)).toEqual({
      _tag: "SourceError",
      source: "rest",
      reason: "Read",
      message: "connection dropped",
      retryable: true,
      location: "https://hr/api?page=2",
      cause
    })
    const bare = sourceError("Decode", "not JSON", {
      location: undefined,
      cause: undefined,
      retryable: undefined
    })
    expect("location" in bare).toBe(false)
    expect("cause" in bare).toBe(false)
    expect(bare.retryable).toBe(false)
  })
})
