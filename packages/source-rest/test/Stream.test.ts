/**
 * `stream: true`: one response read as it arrives. The records reach the consumer while the server is still
 * sending; a response that breaks off, is not JSON or has no records array fails as it should; the config only
 * allows it where it makes sense.
 */
import type { ServerResponse } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { RestSourceConfig } from "../src/index.ts"
import { streamPath } from "../src/internal/streamRecords.ts"
import { errorOf, read, readDriven, rowsOf, withSource } from "./helpers.ts"
import { json, start } from "./servers/server.ts"

const person = (i: number) => ({ Employee_ID: String(1000 + i), Work_Email: `w${i}@example.com` })

/** A server whose answer is written by `write` (chunks, pauses, a dropped socket). */
const server = (write: (response: ServerResponse) => void | Promise<void>) =>
  Effect.acquireRelease(
    Effect.promise(() => start((_, response) => write(response))),
    (s) => Effect.promise(() => s.close())
  )

const config = (url: string, extra: Record<string, unknown> = {}) => ({
  baseUrl: url,
  path: "/report",
  records: "/Report_Entry",
  stream: true,
  ...extra
})

describe("stream: true", () => {
  it.scoped("records reach the reader before the response is complete", () =>
    Effect.gen(function* () {
      let finish: () => void = () => undefined
      const released = new Promise<void>((resolve) => (finish = resolve))
      const api = yield* server(async (response) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.write(`{"Report_Entry": [${[0, 1, 2].map((i) => JSON.stringify(person(i))).join(",")},`)
        // the rest only once the reader has had the first three workers
        await released
        response.end(`${JSON.stringify(person(3))}]}`)
      })
      const firstThree = yield* withSource(config(api.url), (source) =>
        Effect.map(Stream.runCollect(Stream.take(source.read, 3)), Chunk.toReadonlyArray)
      )
      expect(firstThree.map((r) => r.data["Employee_ID"])).toEqual(["1000", "1001", "1002"])
      expect(firstThree[2]!.location).toBe(`${api.url}/report#2`)
      finish()
    })
  )

  it.scoped("a whole report: every record, fields applied, counted in stats", () =>
    Effect.gen(function* () {
      const api = yield* server((response) =>
        json(response, 200, { Report_Entry: Array.from({ length: 5000 }, (_, i) => person(i)) })
      )
      const result = yield* read(config(api.url, { fields: { id: "Employee_ID" } }))
      const rows = rowsOf(result)
      expect(rows).toHaveLength(5000)
      expect(rows[4999]!.data).toEqual({ id: "5999" })
      expect(result.stats).toMatchObject({ requests: 1, pages: 1, records: 5000 })
    })
  )

  it.scoped(
    "an empty array is an empty read; a body without the array is a Decode error, small or large",
    () =>
      Effect.gen(function* () {
        const empty = yield* server((response) => json(response, 200, { Report_Entry: [] }))
        expect(rowsOf(yield* read(config(empty.url)))).toEqual([])
        const missing = yield* server((response) => json(response, 200, { error: "report failed" }))
        const error = errorOf(yield* read(config(missing.url)))
        expect(error).toMatchObject({ reason: "Decode" })
        expect(error.message).toContain("no value at `/Report_Entry`")
        const big = yield* server((response) =>
          json(response, 200, { padding: "x".repeat(200_000), other: [] })
        )
        expect(errorOf(yield* read(config(big.url))).message).toContain(
          "no records at `/Report_Entry` in a response of"
        )
      })
  )

  it.scoped("broken JSON midway is a Decode error saying how many records came before", () =>
    Effect.gen(function* () {
      const api = yield* server((response) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.end(
          `{"Report_Entry": [${JSON.stringify(person(0))}, ${JSON.stringify(person(1))}, {"Employee_ID": oops}]}`
        )
      })
      const error = errorOf(yield* read(config(api.url)))
      expect(error.reason).toBe("Decode")
      expect(error.message).toMatch(/the response is not JSON \(.*\) after 2 records$/)
    })
  )

  it.scoped("a response that ends early or breaks off is an error, never a short read", () =>
    Effect.gen(function* () {
      const short = yield* server((response) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.end(`{"Report_Entry": [${JSON.stringify(person(0))},`)
      })
      expect(errorOf(yield* read(config(short.url))).message).toContain("it ends early")
      const dropped = yield* server((response) => {
        response.writeHead(200, { "content-type": "application/json" })
        // drop the connection once the first worker is on the wire
        response.write(`{"Report_Entry": [${JSON.stringify(person(0))},`, () => response.socket?.destroy())
      })
      const error = errorOf(yield* read(config(dropped.url)))
      expect(error).toMatchObject({ reason: "Connect", retryable: true })
      expect(error.message).toContain("the response broke off after 1 records")
    })
  )

  it.scoped("statuses are handled before the body: 401 is Auth, a 500 is retried", () =>
    Effect.gen(function* () {
      let calls = 0
      const api = yield* server((response) => {
        calls++
        if (calls === 1) return json(response, 500, { error: "busy" })
        json(response, 200, { Report_Entry: [person(0)] })
      })
      const retried = yield* readDriven(
        config(api.url, { retry: { maxRetries: 1, baseDelayMs: 1000, maxDelayMs: 1000 } })
      )
      expect(rowsOf(retried)).toHaveLength(1)
      expect(retried.stats.retries).toBe(1)
      const refused = yield* server((response) => json(response, 401, { error: "no" }))
      expect(errorOf(yield* read(config(refused.url))).reason).toBe("Auth")
    })
  )

  it("only where it makes sense: one response, records as plain keys", () => {
    const issues = (raw: Record<string, unknown>) => {
      const result = RestSourceConfig.safeParse({ baseUrl: "https://hr.example.com", stream: true, ...raw })
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
    }
    expect(issues({ records: "/Report_Entry" })).toEqual([])
    expect(
      issues({ records: "/Report_Entry", pagination: { type: "cursor", cursorPath: "$.next" } })
    ).toEqual(["stream: stream reads one response: it needs pagination type none"])
    expect(issues({ records: "$.people[?(@.active)]" })[0]).toContain(
      "records must name the array by plain keys"
    )
    expect([
      streamPath(""),
      streamPath("/a/b"),
      streamPath("$.a.b[*]"),
      streamPath("$.a"),
      streamPath("a")
    ]).toEqual(["$.*", "$.a.b.*", "$.a.b.*", "$.a.*", undefined])
  })
})
