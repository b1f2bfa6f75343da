/**
 * Rate limits, retries and failures in the middle of a read, against the fake API with injected faults. Time
 * runs on TestClock (`readDriven` advances it to each sleep), so every wait is asserted exactly and no test
 * sleeps for real. Also: request pacing and TLS verification.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { errorOf, readDriven, rowsOf } from "./helpers.ts"
import { configFor, PATH, startPaging, type Fault } from "./servers/paging.ts"
import { json, start } from "./servers/server.ts"
import { selfSigned } from "./servers/tls.ts"

const server = (total: number, faults: ReadonlyArray<Fault>, style: "offset" | "cursor" = "offset") =>
  Effect.acquireRelease(
    Effect.promise(() => startPaging({ style, total, faults })),
    (s) => Effect.promise(() => s.close())
  )

const pageRequests = (api: { requests: ReadonlyArray<{ url: URL }> }, offset: number) =>
  api.requests.filter((r) => r.url.searchParams.get("offset") === String(offset)).length

const retry = { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 3000 }

describe("rate limits", () => {
  it.scoped("429 with Retry-After in seconds: waits exactly that long, then reads on", () =>
    Effect.gen(function* () {
      const api = yield* server(37, [{ kind: "rateLimit", page: 2, times: 1, headers: { "retry-after": "7" } }])
      const result = yield* readDriven(configFor("offset", api.url))
      expect(rowsOf(result)).toHaveLength(37)
      expect(result.waits).toEqual([7000])
      expect(result.stats).toMatchObject({ rateLimited: 1, retries: 1, waitedMillis: 7000, requests: 5 })
    })
  )

  it.scoped("429 with Retry-After as an HTTP date: measured against the server's Date header", () =>
    Effect.gen(function* () {
      const date = new Date("2030-01-01T00:00:00Z")
      const later = new Date(date.getTime() + 12_000)
      const api = yield* server(20, [
        { kind: "rateLimit", page: 1, times: 1, headers: { date: date.toUTCString(), "retry-after": later.toUTCString() } }
      ])
      const result = yield* readDriven(configFor("offset", api.url))
      expect(rowsOf(result)).toHaveLength(20)
      expect(result.waits).toEqual([12_000])
    })
  )

  it.scoped("429 without Retry-After: waits for X-RateLimit-Reset (seconds, or epoch seconds against Date)", () =>
    Effect.gen(function* () {
      const date = new Date("2030-01-01T00:00:00Z")
      const api = yield* server(30, [
        { kind: "rateLimit", page: 1, times: 1, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "5" } },
        {
          kind: "rateLimit",
          page: 2,
          times: 1,
          headers: {
            date: date.toUTCString(),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(date.getTime() / 1000 + 9)
          }
        },
        { kind: "rateLimit", page: 3, times: 1, headers: { "ratelimit-remaining": "0", "ratelimit-reset": "4" } }
      ])
      const result = yield* readDriven(configFor("offset", api.url))
      expect(rowsOf(result)).toHaveLength(30)
      expect(result.waits).toEqual([5000, 9000, 4000])
    })
  )

  it.scoped("a used-up window on a successful page holds the next request until the reset (no 429 needed)", () =>
    Effect.gen(function* () {
      const api = yield* server(25, [
        { kind: "rateLimitHeaders", page: 1, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3" } },
        { kind: "rateLimitHeaders", page: 2, headers: { ratelimit: "limit=10, remaining=0, reset=2" } }
      ])
      const result = yield* readDriven(configFor("offset", api.url))
      expect(rowsOf(result)).toHaveLength(25)
      expect(result.waits).toEqual([3000, 2000])
      expect(result.stats.rateLimited).toBe(0)
    })
  )

  it.scoped("429 forever: RateLimited after maxRetries retries, each waiting Retry-After", () =>
    Effect.gen(function* () {
      const api = yield* server(37, [{ kind: "rateLimit", page: 2, headers: { "retry-after": "2" } }])
      const result = yield* readDriven({ ...configFor("offset", api.url), retry })
      const error = errorOf(result)
      expect(error).toMatchObject({ reason: "RateLimited", retryable: true })
      expect(error.message).toContain("429")
      expect(error.message).toContain("gave up after 3 retries")
      expect(result.waits).toEqual([2000, 2000, 2000])
      expect(pageRequests(api, 10)).toBe(4)
      expect(result.stats).toMatchObject({ rateLimited: 4, retries: 3 })
    })
  )

  it.scoped("a Retry-After beyond maxWaitSeconds is not waited for: RateLimited at once", () =>
    Effect.gen(function* () {
      const api = yield* server(37, [{ kind: "rateLimit", page: 1, headers: { "retry-after": "3600" } }])
      const result = yield* readDriven({ ...configFor("offset", api.url), maxWaitSeconds: 60 })
      const error = errorOf(result)
      expect(error.reason).toBe("RateLimited")
      expect(error.message).toContain("asks to wait 3600 s, more than maxWaitSeconds (60)")
      expect(result.waits).toEqual([])
      expect(api.requests).toHaveLength(1)
    })
  )

  it.scoped("a 503 with a Retry-After is retried after it; one beyond maxWaitSeconds is not", () =>
    Effect.gen(function* () {
      const api = yield* Effect.acquireRelease(
        Effect.promise(() => {
          let calls = 0
          return start((req, res) => {
            calls++
            const wait = req.url.pathname === "/long" ? "900" : "4"
            if (calls === 1 || req.url.pathname === "/long") return json(res, 503, { error: "maintenance" }, { "retry-after": wait })
            json(res, 200, [{ id: "1" }])
          })
        }),
        (s) => Effect.promise(() => s.close())
      )
      const short = yield* readDriven({ baseUrl: api.url, path: "/short" })
      expect(rowsOf(short)).toHaveLength(1)
      expect(short.waits).toEqual([4000])
      const long = yield* readDriven({ baseUrl: api.url, path: "/long" })
      expect(errorOf(long)).toMatchObject({ reason: "Http", retryable: true })
      expect(long.waits).toEqual([])
    })
  )

  it.scoped("requestsPerSecond paces requests on the Clock", () =>
    Effect.gen(function* () {
      const api = yield* server(37, [])
      const result = yield* readDriven({ ...configFor("offset", api.url), requestsPerSecond: 2 })
      expect(rowsOf(result)).toHaveLength(37)
      expect(result.waits).toEqual([500, 500, 500])
    })
  )
})

describe("failures mid-pagination", () => {
  it.scoped("500 forever on page 3: Http error at page 3 after capped, jittered exponential backoff", () =>
    Effect.gen(function* () {
      const api = yield* server(50, [{ kind: "status500", page: 3 }])
      const result = yield* readDriven({ ...configFor("offset", api.url), retry })
      const error = errorOf(result)
      expect(error).toMatchObject({ source: "rest", reason: "Http", retryable: true })
      expect(error.message).toBe(`GET ${api.url}${PATH}?offset=20&limit=10: 500 Internal Server Error (gave up after 3 retries)`)
      expect(pageRequests(api, 20)).toBe(4)
      expect(result.stats.retries).toBe(3)
      // base 1000 ms × 2^n, jittered ×0.8–1.2, capped at 3000 ms
      expect(result.waits).toHaveLength(3)
      expect(result.waits[0]).toBeGreaterThanOrEqual(800)
      expect(result.waits[0]).toBeLessThanOrEqual(1200)
      expect(result.waits[1]).toBeGreaterThanOrEqual(1600)
      expect(result.waits[1]).toBeLessThanOrEqual(2400)
      expect(result.waits[2]).toBeLessThanOrEqual(3000)
      expect(result.waits[2]).toBeGreaterThanOrEqual(3000 * 0.8)
    })
  )

  it.scoped("a dropped connection on page 3 (every time): Connect error after the retries", () =>
    Effect.gen(function* () {
      const api = yield* server(50, [{ kind: "drop", page: 3 }])
      const result = yield* readDriven({ ...configFor("offset", api.url), retry })
      const error = errorOf(result)
      expect(error).toMatchObject({ reason: "Connect", retryable: true })
      expect(error.message).toContain("offset=20")
      expect(pageRequests(api, 20)).toBe(4)
    })
  )

  it.scoped("transient faults (two 500s, one dropped connection) are retried and the read is complete", () =>
    Effect.gen(function* () {
      const api = yield* server(
        50,
        [
          { kind: "status500", page: 2, times: 2 },
          { kind: "drop", page: 4, times: 1 }
        ],
        "cursor"
      )
      const result = yield* readDriven(configFor("cursor", api.url))
      expect(rowsOf(result).map((r) => r.data["id"])).toEqual(api.people.map((p) => p.id))
      expect(result.stats.retries).toBe(3)
    })
  )

  it.scoped("client errors (400) are not retried", () =>
    Effect.gen(function* () {
      const api = yield* Effect.acquireRelease(
        Effect.promise(() => start((_, res) => json(res, 400, { error: "bad filter" }))),
        (s) => Effect.promise(() => s.close())
      )
      const result = yield* readDriven({ baseUrl: api.url, path: "/x" })
      expect(errorOf(result)).toMatchObject({ reason: "Http", retryable: false })
      expect(api.requests).toHaveLength(1)
    })
  )

  it.scoped("404 is NotFound", () =>
    Effect.gen(function* () {
      const api = yield* server(5, [])
      const error = errorOf(yield* readDriven({ baseUrl: api.url, path: "/nope" }))
      expect(error.reason).toBe("NotFound")
    })
  )

  it.scoped("nothing listening: Connect error", () =>
    Effect.gen(function* () {
      const api = yield* Effect.promise(() => start((_, res) => json(res, 200, [])))
      yield* Effect.promise(() => api.close())
      const error = errorOf(yield* readDriven({ baseUrl: api.url, retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 10 } }))
      expect(error.reason).toBe("Connect")
      expect(error.message).toContain("ECONNREFUSED")
    })
  )
})

describe("TLS", () => {
  it.scoped("certificates are verified: a self-signed server fails, and passes with tls.caFile", () =>
    Effect.gen(function* () {
      const tls = selfSigned()
      const api = yield* Effect.acquireRelease(
        Effect.promise(() => start((_, res) => json(res, 200, [{ id: "1" }]), tls)),
        (s) => Effect.promise(() => s.close())
      )
      expect(api.url).toMatch(/^https:/)
      const refused = errorOf(yield* readDriven({ baseUrl: api.url }))
      expect(refused).toMatchObject({ reason: "Connect", retryable: false })
      expect(refused.message).toContain("TLS certificate verification failed")
      // relative to the config file's directory
      const rows = rowsOf(yield* readDriven({ baseUrl: api.url, tls: { caFile: "cert.pem" } }, tls.dir))
      expect(rows).toEqual([{ data: { id: "1" }, location: `${api.url}/#0` }])
    })
  )
})
