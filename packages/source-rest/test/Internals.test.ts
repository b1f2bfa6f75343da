/** Pure helpers: rate-limit headers, URL joining and redaction, record and field selection. */
import { describe, expect, it } from "vitest"
import { parseRateLimit, waitAfter429, waitBeforeNext } from "../src/internal/rateLimit.ts"
import { applyFields, selectRecords } from "../src/internal/select.ts"
import { isLoopbackHost, joinUrl, redactUrl } from "../src/internal/url.ts"

describe("parseRateLimit", () => {
  const now = Date.parse("2030-01-01T00:00:00Z")
  it("reads Retry-After as seconds or as an HTTP date (against Date, else the local clock)", () => {
    expect(parseRateLimit({ "retry-after": "30" }, now)).toEqual({ retryAfterMillis: 30_000 })
    const at = new Date(now + 45_000).toUTCString()
    expect(parseRateLimit({ "retry-after": at }, now).retryAfterMillis).toBe(45_000)
    const serverDate = new Date(now - 10_000).toUTCString()
    expect(parseRateLimit({ "retry-after": at, date: serverDate }, now).retryAfterMillis).toBe(55_000)
    expect(parseRateLimit({ "retry-after": "soon" }, now)).toEqual({})
  })
  it("reads X-RateLimit-*, RateLimit-* and the structured RateLimit header; resets as delta or epoch", () => {
    expect(parseRateLimit({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "12" }, now)).toEqual({ remaining: 0, resetMillis: 12_000 })
    expect(parseRateLimit({ "x-rate-limit-remaining": "3", "x-rate-limit-reset": String(now / 1000 + 20) }, now)).toEqual({
      remaining: 3,
      resetMillis: 20_000
    })
    expect(parseRateLimit({ "ratelimit-remaining": "0", "ratelimit-reset": String(now + 5_000) }, now).resetMillis).toBe(5_000)
    expect(parseRateLimit({ ratelimit: '"default";r=0;t=7' }, now)).toEqual({ remaining: 0, resetMillis: 7_000 })
    expect(parseRateLimit({ ratelimit: "limit=100, remaining=4, reset=60" }, now)).toEqual({ remaining: 4, resetMillis: 60_000 })
  })
  it("decides waits: Retry-After first, then the reset of an empty window; holds only when nothing remains", () => {
    expect(waitAfter429({ retryAfterMillis: 1000, remaining: 0, resetMillis: 9000 })).toBe(1000)
    expect(waitAfter429({ remaining: 0, resetMillis: 9000 })).toBe(9000)
    expect(waitAfter429({ resetMillis: 9000 })).toBe(9000)
    expect(waitAfter429({ remaining: 5, resetMillis: 9000 })).toBeUndefined()
    expect(waitAfter429({})).toBeUndefined()
    expect(waitBeforeNext({ remaining: 0, resetMillis: 4000 })).toBe(4000)
    expect(waitBeforeNext({ remaining: 1, resetMillis: 4000 })).toBe(0)
  })
})

describe("urls", () => {
  it("joins baseUrl and path keeping the base path and any query", () => {
    expect(joinUrl("https://hr.example.com/api/v2", "/employees").toString()).toBe("https://hr.example.com/api/v2/employees")
    expect(joinUrl("https://hr.example.com/api/v2/", "employees?status=active").toString()).toBe(
      "https://hr.example.com/api/v2/employees?status=active"
    )
    expect(joinUrl("https://hr.example.com", "").toString()).toBe("https://hr.example.com/")
  })
  it("knows loopback hosts", () => {
    expect(["127.0.0.1", "127.9.9.9", "localhost", "[::1]", "x.localhost"].every(isLoopbackHost)).toBe(true)
    expect(["10.0.0.1", "hr.example.com", "128.0.0.1", "localhost.example.com"].some(isLoopbackHost)).toBe(false)
  })
  it("redacts credentials: user info, the configured key parameter and credential-looking parameters", () => {
    const url = new URL("https://u:p@hr.example.com/x?page=2&apikey=a&custom=b&access_token=c")
    expect(redactUrl(url, ["custom"])).toBe(
      "https://hr.example.com/x?page=2&apikey=REDACTED&custom=REDACTED&access_token=REDACTED"
    )
  })
})

describe("selectRecords", () => {
  const page = { data: { items: [{ id: 1 }, { id: 2, active: true }], empty: [] }, meta: { total: 2 } }
  it("finds the array by JSONPath (array or elements) or JSON Pointer", () => {
    for (const selector of ["$.data.items[*]", "$.data.items", "/data/items"]) {
      expect(selectRecords(selector, page)).toEqual({ _tag: "Records", records: page.data.items })
    }
    expect(selectRecords("", [{ id: 1 }])).toEqual({ _tag: "Records", records: [{ id: 1 }] })
    expect(selectRecords("$.data.items[?(@.active)]", page)).toEqual({ _tag: "Records", records: [{ id: 2, active: true }] })
    expect(selectRecords("$.data.empty[*]", page)).toEqual({ _tag: "Records", records: [] })
  })
  it("a missing or non-array container is reported, never taken for an empty page", () => {
    expect(selectRecords("$.data.nope[*]", page)).toEqual({ _tag: "Missing", message: "no value at `$.data.nope`" })
    expect(selectRecords("/data/nope", page)).toMatchObject({ _tag: "Missing" })
    expect(selectRecords("$.meta[*]", page)).toEqual({ _tag: "Missing", message: "`$.meta` is an object, expected an array of records" })
    expect(selectRecords("", { error: "x" })).toEqual({ _tag: "Missing", message: "the response body is an object, expected an array of records" })
  })
})

describe("applyFields", () => {
  const record = { id: "7", profile: { email: "a@example.com", phones: ["1", "2"] }, "Employee ID": "E7" }
  it("keeps listed keys (missing → null) or builds columns from keys, JSONPath and JSON Pointer", () => {
    expect(applyFields(["id", "x"], record)).toEqual({ id: "7", x: null })
    expect(
      applyFields({ externalId: "Employee ID", email: "/profile/email", phones: "$.profile.phones[*]", first: "$.profile.phones[0]" }, record)
    ).toEqual({ externalId: "E7", email: "a@example.com", phones: ["1", "2"], first: "1" })
    expect(applyFields(undefined, record)).toBe(record)
  })
})
