import { it } from "@effect/vitest"
import { Retry } from "@anysource/core"
import { Effect, Exit, Fiber, Option, TestClock } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import type { FakeSheetsServer } from "../src/testing.ts"
import { errorOf, rawConfig, readAll, rowsOf, SPREADSHEET_ID, startFake } from "./helpers.ts"

let fake: FakeSheetsServer.FakeSheetsServer
/** The fake's clock follows the TestClock (quota windows, token expiry). */
let fakeNow = 0

beforeAll(async () => {
  fake = await startFake({
    now: () => fakeNow,
    spreadsheets: [
      {
        id: SPREADSHEET_ID,
        title: "HR",
        sheets: [
          {
            title: "People",
            rows: [["id", "name"], ...Array.from({ length: 1000 }, (_, i) => [`E${i}`, `P${i}`])],
            rowCount: 1001,
            columnCount: 2
          }
        ]
      }
    ]
  })
})
afterAll(() => fake.close())

/**
 * Run under TestClock: while the effect runs, move the clock to the next pending sleep (backoff, pacing), and
 * let real loopback I/O progress when nothing sleeps. Returns the exit and the TestClock time it took.
 */
const drive = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const started = yield* TestClock.currentTimeMillis
    fakeNow = started
    const fiber = yield* Effect.fork(self)
    for (let i = 0; i < 100_000; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done))
        return { exit: done.value, elapsed: (yield* TestClock.currentTimeMillis) - started }
      const sleeps = Array.from(yield* TestClock.sleeps())
      if (sleeps.length === 0) {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1))) // real I/O in flight
        continue
      }
      const now = yield* TestClock.currentTimeMillis
      const step = Math.max(1, Math.min(...sleeps) - now)
      fakeNow = now + step // before waking the sleepers: their requests must see the new time
      yield* TestClock.adjust(step)
    }
    return yield* Effect.dieMessage("did not finish")
  })

const readDriven = (over: Record<string, unknown>) =>
  drive(readAll(rawConfig(fake, { sheet: "People", ...over }))).pipe(
    Effect.map(({ exit, elapsed }) => {
      if (Exit.isFailure(exit)) throw new Error("readAll itself failed")
      return { ...exit.value, elapsed }
    })
  )

describe("retries", () => {
  it.effect("recovers from two 429s with capped, jittered exponential backoff, and counts them", () =>
    Effect.gen(function* () {
      fake.clearLog()
      fake.failNext(2, { status: 429, kind: "values" })
      const events: Array<Retry.RetryEvent> = []
      const result = yield* readDriven({}).pipe(
        Retry.withRetryObserver((e) => Effect.sync(() => events.push(e)))
      )
      expect(rowsOf(result.exit)).toHaveLength(1000)
      expect(fake.countStatus(429)).toBe(2)
      expect(result.stats).toMatchObject({ requests: 5, retries: 2, rateLimited: 2 })
      // 500 ms then 1 s, each ×0.8–1.2
      expect(result.stats.waitedMillis).toBeGreaterThanOrEqual(1200)
      expect(result.stats.waitedMillis).toBeLessThanOrEqual(1800)
      expect(events.map((e) => [e._tag, e.endpoint, "attempt" in e ? e.attempt : 0])).toEqual([
        ["RateLimited", "google-sheets values.get", 1],
        ["RateLimited", "google-sheets values.get", 2]
      ])
    })
  )

  it.effect("honours Retry-After", () =>
    Effect.gen(function* () {
      fake.clearLog()
      fake.failNext(1, { status: 429, kind: "metadata", headers: { "retry-after": "7" } })
      const result = yield* readDriven({})
      expect(rowsOf(result.exit)).toHaveLength(1000)
      expect(result.stats).toMatchObject({ retries: 1, rateLimited: 1, waitedMillis: 7000 })
      expect(result.elapsed).toBe(7000)
    })
  )

  it.effect("retries 5xx (not counted as rate limiting)", () =>
    Effect.gen(function* () {
      fake.clearLog()
      fake.failNext(1, { status: 503, kind: "values" })
      fake.failNext(1, { status: 500, kind: "metadata" })
      const result = yield* readDriven({})
      expect(rowsOf(result.exit)).toHaveLength(1000)
      expect(result.stats).toMatchObject({ requests: 5, retries: 2, rateLimited: 0 })
    })
  )

  it.effect("gives up after maxRetries with a typed, retryable error", () =>
    Effect.gen(function* () {
      fake.clearLog()
      fake.failNext(10, { status: 503 })
      const result = yield* readDriven({ maxRetries: 2 })
      const error = errorOf(result.exit)
      expect(error).toMatchObject({
        _tag: "SourceError",
        source: "google-sheets",
        reason: "Http",
        retryable: true
      })
      expect(error.message).toContain(
        "Google Sheets answered 503 UNAVAILABLE while reading the metadata of spreadsheet"
      )
      expect(result.stats).toMatchObject({ requests: 3, retries: 2 })
    }).pipe(Effect.ensuring(Effect.sync(() => fake.clearFaults())))
  )

  it.effect("a quota that never recovers ends as RateLimited, after maxRetries", () =>
    Effect.gen(function* () {
      fake.failNext(10, { status: 429 })
      const result = yield* readDriven({ maxRetries: 1 })
      const error = errorOf(result.exit)
      expect(error).toMatchObject({ reason: "RateLimited", retryable: true })
      expect(error.message).toContain(
        "read quota exceeded; lower requestsPerMinute or raise the project's Sheets API quota"
      )
      expect(result.stats).toMatchObject({ requests: 2, retries: 1, rateLimited: 2 })
    }).pipe(Effect.ensuring(Effect.sync(() => fake.clearFaults())))
  )

  it.effect("does not retry what cannot succeed (403)", () =>
    Effect.gen(function* () {
      fake.setReaders(SPREADSHEET_ID, ["someone-else@acme.example"])
      const result = yield* readDriven({})
      fake.setReaders(SPREADSHEET_ID, undefined)
      expect(errorOf(result.exit).reason).toBe("Permission")
      expect(result.stats).toMatchObject({ requests: 1, retries: 0 })
    })
  )
})

describe("quota", () => {
  it.effect("paces requests to requestsPerMinute: a 24-request read under a 5/min quota gets no 429", () =>
    Effect.gen(function* () {
      fake.clearLog()
      fake.setQuota(5)
      const result = yield* readDriven({ pageSize: 100, requestsPerMinute: 5 }).pipe(
        Effect.ensuring(Effect.sync(() => fake.setQuota(undefined)))
      )
      expect(rowsOf(result.exit)).toHaveLength(1000)
      expect(result.stats.requests).toBe(24) // metadata, 11 pages, 11 re-reads, metadata
      expect(fake.countStatus(429)).toBe(0)
      expect(result.stats.rateLimited).toBe(0)
      // 24 requests at 5 per sliding minute: the 24th starts after 4 full minutes
      expect(result.elapsed).toBeGreaterThanOrEqual(4 * 60_000)
      expect(result.elapsed).toBeLessThan(5 * 60_000)
    })
  )

  it.effect(
    "when the server's quota is lower than requestsPerMinute, 429s are retried until the minute rolls over",
    () =>
      Effect.gen(function* () {
        fake.clearLog()
        fake.setQuota(10)
        const result = yield* readDriven({ pageSize: 100, maxRetries: 10 }).pipe(
          Effect.ensuring(Effect.sync(() => fake.setQuota(undefined)))
        )
        expect(rowsOf(result.exit)).toHaveLength(1000)
        const served429 = fake.countStatus(429)
        expect(served429).toBeGreaterThan(0)
        expect(result.stats.rateLimited).toBe(served429)
        expect(result.stats.retries).toBe(served429)
        expect(result.stats.requests).toBe(24 + served429)
        const body = fake.requests.find((r) => r.status === 429)
        expect(body?.kind).toBe("values")
      })
  )
})
