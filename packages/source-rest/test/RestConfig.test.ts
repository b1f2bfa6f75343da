/** The config schema: defaults, the HTTPS rule, selector validation, secrets, readable cross-field errors. */
import { JsonSchema } from "@anysource/core"
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { RestSource, RestSourceConfig } from "../src/index.ts"

const issues = (raw: unknown) => {
  const result = RestSourceConfig.safeParse(raw)
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
}

describe("RestSourceConfig", () => {
  it("fills defaults: GET, no auth, no paging, the body is the records array, maxPages 1000", () => {
    const config = RestSourceConfig.parse({ baseUrl: "https://hr.example.com/api" })
    expect(config).toMatchObject({
      method: "GET",
      path: "",
      records: "",
      auth: { type: "none" },
      pagination: { type: "none" },
      maxPages: 1000,
      retry: { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30_000 },
      maxWaitSeconds: 300,
      allowInsecureHttp: false
    })
  })

  it("requires HTTPS unless the host is loopback or allowInsecureHttp is set", () => {
    expect(issues({ baseUrl: "http://hr.example.com/api" })).toEqual([
      "baseUrl: must use https:// (plain http is allowed only to loopback hosts, or with allowInsecureHttp: true)"
    ])
    for (const host of ["127.0.0.1:8080", "127.1.2.3", "localhost:3000", "[::1]:9000", "api.localhost"]) {
      expect(issues({ baseUrl: `http://${host}/api` })).toEqual([])
    }
    expect(issues({ baseUrl: "http://hr.example.com/api", allowInsecureHttp: true })).toEqual([])
    expect(issues({ baseUrl: "ftp://hr.example.com/api" })).toEqual(["baseUrl: must be an https:// URL"])
    expect(
      issues({
        baseUrl: "https://hr.example.com",
        auth: { type: "oauth2", tokenUrl: "http://login.example.com/token", clientId: "a", clientSecret: "b" }
      })
    ).toEqual(["auth.tokenUrl: must use https:// (plain http is allowed only to loopback hosts, or with allowInsecureHttp: true)"])
  })

  it("accepts JSONPath and JSON Pointer selectors and explains anything else", () => {
    for (const records of ["$.data.items[*]", "$.data.items", "$", "/data/items", "", "$.people[?(@.active)]", "/a~1b/0"]) {
      expect(issues({ baseUrl: "https://x.example", records })).toEqual([])
    }
    expect(issues({ baseUrl: "https://x.example", records: "data.items" })[0]).toContain(
      "expected a JSONPath starting with `$`"
    )
    expect(issues({ baseUrl: "https://x.example", records: "/a~2" })[0]).toBe("records: not a valid JSON Pointer (RFC 6901)")
  })

  it("keeps secrets Redacted", () => {
    const config = RestSourceConfig.parse({
      baseUrl: "https://x.example",
      auth: { type: "apiKey", in: "query", name: "api_key", value: "k-123" }
    })
    expect(config.auth.type === "apiKey" && Redacted.isRedacted(config.auth.value)).toBe(true)
    expect(JSON.stringify(config)).not.toContain("k-123")
  })

  it("cross-field rules read as sentences", () => {
    expect(issues({ baseUrl: "https://x.example", body: { q: 1 } })).toEqual(["body: a body needs method: POST"])
    expect(issues({ baseUrl: "https://x.example", path: "https://y.example/people" })).toEqual([
      "path: must be a path like /employees (put the host in baseUrl)"
    ])
    expect(issues({ baseUrl: "https://x.example", pagination: { type: "offset", in: "body" } })).toEqual([
      "pagination.in: paging parameters in the body need method: POST"
    ])
    expect(issues({ baseUrl: "https://x.example", pagination: { type: "offset", stopOnEmptyPage: false } })).toEqual([
      "pagination: offset paging needs a way to stop: stopOnEmptyPage, stopOnShortPage or totalPath"
    ])
    expect(issues({ baseUrl: "https://x.example", pagination: { type: "page", size: 50 } })).toEqual([
      "pagination.sizeParam: set both size and sizeParam, or neither"
    ])
    const oauth = { type: "oauth2", tokenUrl: "https://login.example.com/token", clientId: "a", clientSecret: "b" }
    expect(issues({ baseUrl: "https://x.example", auth: { ...oauth, grantType: "refresh_token" } })).toEqual([
      "auth.refreshToken: grantType refresh_token needs auth.refreshToken"
    ])
    expect(issues({ baseUrl: "https://x.example", auth: { ...oauth, grantType: "refresh_token", refreshToken: "r" } })).toEqual([])
    expect(issues({ baseUrl: "https://x.example", throttleStatuses: [200] })[0]).toContain("throttleStatuses.0")
  })

  it("generates the editor JSON Schema with every secret marked", () => {
    const text = JSON.stringify(JsonSchema.jsonSchema([RestSource]))
    for (const key of ["cursorPath", "nextUrlPath", "totalPath", "requestsPerSecond", "caFile"]) expect(text).toContain(key)
    // username, password, token, apiKey value, clientSecret
    expect(text.match(/"x-secret":true/g)?.length ?? 0).toBeGreaterThanOrEqual(5)
  })
})
