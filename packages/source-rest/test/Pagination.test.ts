/**
 * Paging against the fake HR API in each of the five styles, the stop conditions, and every way a read could
 * end short: each one either delivers every record, in order, or fails with a typed SourceError.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { errorOf, readDriven, rowsOf, withSource } from "./helpers.ts"
import { configFor, PATH, startPaging, type Style } from "./servers/paging.ts"
import { json, start } from "./servers/server.ts"

const server = (options: Parameters<typeof startPaging>[0]) =>
  Effect.acquireRelease(
    Effect.promise(() => startPaging(options)),
    (s) => Effect.promise(() => s.close())
  )

const styles: ReadonlyArray<Style> = ["offset", "page", "cursor", "nextUrl", "linkHeader"]

describe("pagination styles", () => {
  for (const style of styles) {
    it.scoped(`${style}: every record once, in order, one request per page, url#index locations`, () =>
      Effect.gen(function* () {
        const api = yield* server({ style, total: 37, pageSize: 10 })
        const result = yield* readDriven(configFor(style, api.url, 10))
        const rows = rowsOf(result)
        expect(rows.map((r) => r.data["id"])).toEqual(api.people.map((p) => p.id))
        expect(rows[12]!.data).toEqual(api.people[12])
        expect(api.requests.length).toBe(4)
        expect(result.stats).toMatchObject({ requests: 4, pages: 4, records: 37, retries: 0 })
        // the location is the page's URL and the record's index in it
        const secondPage = api.requests[1]!.url
        expect(rows[10]!.location).toBe(`${api.url}${secondPage.pathname}${secondPage.search}#0`)
        expect(rows[36]!.location).toMatch(/#6$/)
      })
    )
  }

  it.scoped("offset without a total: a full last page is followed by an empty page, which ends the read", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "offset", total: 30 })
      const config = { ...configFor("offset", api.url, 10), pagination: { type: "offset", limit: 10 } }
      const rows = rowsOf(yield* readDriven(config))
      expect(rows).toHaveLength(30)
      expect(api.requests.map((r) => r.url.searchParams.get("offset"))).toEqual(["0", "10", "20", "30"])
    })
  )

  it.scoped("offset with stopOnShortPage: a short page ends the read without another request", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "offset", total: 25 })
      const config = { ...configFor("offset", api.url), pagination: { type: "offset", limit: 10, stopOnShortPage: true } }
      expect(rowsOf(yield* readDriven(config))).toHaveLength(25)
      expect(api.requests).toHaveLength(3)
    })
  )

  it.scoped("page numbers without a page count stop at the first empty page", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "page", total: 37 })
      const config = { ...configFor("page", api.url), pagination: { type: "page", sizeParam: "per_page", size: 10 } }
      expect(rowsOf(yield* readDriven(config))).toHaveLength(37)
      expect(api.requests.map((r) => r.url.searchParams.get("page"))).toEqual(["1", "2", "3", "4", "5"])
    })
  )

  it.scoped("an empty API is zero rows, not an error", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "offset", total: 0 })
      expect(rowsOf(yield* readDriven(configFor("offset", api.url)))).toEqual([])
    })
  )

  it.scoped("streams page by page: taking the first page's rows makes exactly one request", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "cursor", total: 50 })
      const rows = yield* withSource(configFor("cursor", api.url), (source) =>
        Stream.runCollect(Stream.take(source.read, 10))
      )
      expect(Chunk.size(rows)).toBe(10)
      expect(api.requests).toHaveLength(1)
    })
  )
})

describe("reads that would end short fail instead", () => {
  it.scoped("more pages than maxPages is a Pagination error (not a truncated read)", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "cursor", total: 100 })
      const error = errorOf(yield* readDriven({ ...configFor("cursor", api.url), maxPages: 3 }))
      expect(error).toMatchObject({ _tag: "SourceError", source: "rest", reason: "Pagination", retryable: false })
      expect(error.message).toContain("more than maxPages (3)")
      expect(api.requests).toHaveLength(3)
    })
  )

  it.scoped("pages that end before the reported total are a Pagination error", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "offset", total: 37, reportedTotal: 50 })
      const error = errorOf(yield* readDriven(configFor("offset", api.url)))
      expect(error.reason).toBe("Pagination")
      expect(error.message).toContain("reported 50 records but the pages ended after 37")
    })
  )

  it.scoped("a cursor that comes back again is a pagination loop", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "cursor", total: 40, loopAfter: 2 })
      const error = errorOf(yield* readDriven(configFor("cursor", api.url)))
      expect(error.reason).toBe("Pagination")
      expect(error.message).toContain("loop")
      expect(api.requests.length).toBeLessThanOrEqual(3)
    })
  )

  it.scoped("a Link header that points back is a pagination loop", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "linkHeader", total: 40, loopAfter: 3 })
      const error = errorOf(yield* readDriven(configFor("linkHeader", api.url)))
      expect(error.message).toContain("loop")
    })
  )

  it.scoped("a next URL on another origin is refused: no credentials are sent there", () =>
    Effect.gen(function* () {
      const elsewhere = yield* server({ style: "nextUrl", total: 5 })
      const api = yield* server({ style: "nextUrl", total: 30, nextOrigin: elsewhere.url })
      const error = errorOf(
        yield* readDriven({ ...configFor("nextUrl", api.url), auth: { type: "bearer", token: "tok-test-origin" } })
      )
      expect(error.reason).toBe("Pagination")
      expect(error.message).toContain("another origin")
      expect(elsewhere.requests).toHaveLength(0)
    })
  )

  it.scoped("a malformed page is a Decode error located at that page, not retried", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "offset", total: 37, faults: [{ kind: "malformed", page: 2 }] })
      const result = yield* readDriven(configFor("offset", api.url))
      const error = errorOf(result)
      expect(error).toMatchObject({ reason: "Decode", retryable: false })
      expect(error.location).toBe(`${api.url}${PATH}?offset=10&limit=10`)
      expect(error.message).toContain("not JSON")
      expect(api.requests).toHaveLength(2)
    })
  )

  it.scoped("a 200 page without the records array is a Decode error, never an empty page", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "offset", total: 37, faults: [{ kind: "noRecords", page: 3 }] })
      const error = errorOf(yield* readDriven(configFor("offset", api.url)))
      expect(error.reason).toBe("Decode")
      expect(error.message).toContain("no value at `$.data.items`")
    })
  )

  it.scoped("records that are not objects are a Decode error at url#index", () =>
    Effect.gen(function* () {
      const api = yield* Effect.acquireRelease(
        Effect.promise(() => start((_, res) => json(res, 200, { items: [{ id: "1" }, "two"] }))),
        (s) => Effect.promise(() => s.close())
      )
      const error = errorOf(yield* readDriven({ baseUrl: api.url, path: "/x", records: "/items" }))
      expect(error).toMatchObject({ reason: "Decode", location: `${api.url}/x#1` })
      expect(error.message).toContain("a string, expected an object")
    })
  )
})

describe("request shape and field selection", () => {
  it.scoped("POST with paging parameters in the JSON body", () =>
    Effect.gen(function* () {
      const everyone = Array.from({ length: 7 }, (_, i) => ({ id: String(i + 1) }))
      const api = yield* Effect.acquireRelease(
        Effect.promise(() =>
          start((req, res) => {
            const body = JSON.parse(req.body) as { offset: number; limit: number; filter: string }
            if (req.method !== "POST" || body.filter !== "active") return json(res, 400, { error: "bad request" })
            json(res, 200, { hits: everyone.slice(body.offset, body.offset + body.limit) })
          })
        ),
        (s) => Effect.promise(() => s.close())
      )
      const rows = rowsOf(
        yield* readDriven({
          baseUrl: api.url,
          path: "/search",
          method: "POST",
          body: { filter: "active" },
          records: "$.hits[*]",
          pagination: { type: "offset", limit: 3, in: "body" }
        })
      )
      expect(rows.map((r) => r.data["id"])).toEqual(["1", "2", "3", "4", "5", "6", "7"])
      // the offset moves by the records received; the empty fourth page ends the read
      expect(api.requests.map((r) => JSON.parse(r.body))).toEqual([
        { filter: "active", offset: 0, limit: 3 },
        { filter: "active", offset: 3, limit: 3 },
        { filter: "active", offset: 6, limit: 3 },
        { filter: "active", offset: 7, limit: 3 }
      ])
      expect(api.requests[0]!.headers["content-type"]).toBe("application/json")
    })
  )

  it.scoped("query and headers from config are sent; path keeps the base path", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "cursor", total: 3 })
      rowsOf(
        yield* readDriven({
          ...configFor("cursor", api.url),
          query: { status: "active", include_terminated: false },
          headers: { "X-Tenant": "acme" }
        })
      )
      const request = api.requests[0]!
      expect(request.url.pathname).toBe(PATH)
      expect(request.url.searchParams.get("status")).toBe("active")
      expect(request.url.searchParams.get("include_terminated")).toBe("false")
      expect(request.headers["x-tenant"]).toBe("acme")
      expect(request.headers["accept"]).toBe("application/json")
    })
  )

  it.scoped("fields: a list keeps those keys; a map renames and reaches into nested values", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "cursor", total: 2 })
      const kept = rowsOf(yield* readDriven({ ...configFor("cursor", api.url), fields: ["id", "email", "missing"] }))
      expect(kept[1]!.data).toEqual({ id: "E0002", email: api.people[1]!.email, missing: null })
      const mapped = rowsOf(
        yield* readDriven({
          ...configFor("cursor", api.url),
          fields: { employeeId: "id", mail: "$.email", managerId: "/manager/id", nothing: "$.no.such" }
        })
      )
      expect(mapped[1]!.data).toEqual({ employeeId: "E0002", mail: api.people[1]!.email, managerId: "E0001", nothing: null })
    })
  )

  it.scoped("fingerprint names what was read, after the read", () =>
    Effect.gen(function* () {
      const api = yield* server({ style: "page", total: 15 })
      const fingerprint = yield* withSource(configFor("page", api.url), (source) =>
        Effect.gen(function* () {
          expect(yield* source.fingerprint!).toBeUndefined()
          yield* Stream.runDrain(source.read)
          return yield* source.fingerprint!
        })
      )
      expect(fingerprint).toBe(`GET ${api.url}${PATH}?page=1&per_page=10 pages=2 records=15`)
    })
  )
})
