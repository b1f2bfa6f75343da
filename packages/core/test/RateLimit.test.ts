import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Ref, Schedule, TestClock } from "effect"
import { OktaApiError } from "../src/domain/Errors.ts"
import * as RateLimit from "../src/okta/RateLimit.ts"
import * as Retry from "../src/okta/Retry.ts"

const httpDate = (ms: number) => new Date(ms).toUTCString()

describe("RateLimit", () => {
  it("reads the X-Rate-Limit headers and the server Date", () => {
    const info = RateLimit.parseHeaders({
      "x-rate-limit-limit": "600",
      "x-rate-limit-remaining": "12",
      "x-rate-limit-reset": "1767225660",
      date: "Thu, 01 Jan 2026 00:00:00 GMT"
    })
    expect(info).toEqual({ limit: 600, remaining: 12, resetAtMillis: 1767225660_000, serverDateMillis: Date.UTC(2026, 0, 1) })
  })

  it("ignores a duplicated reset header (comma-joined)", () => {
    expect(RateLimit.parseHeaders({ "x-rate-limit-reset": "1767225660, 1767225661" }).resetAtMillis).toBeUndefined()
  })

  it("computes the 429 wait against the server's Date, not the local clock", () => {
    const server = Date.UTC(2030, 5, 1, 12, 0, 0)
    const info = RateLimit.parseHeaders({ "x-rate-limit-reset": String(server / 1000 + 42), date: httpDate(server) })
    // the local clock plays no part: 42 s until the reset on the server's clock, plus the margin
    expect(RateLimit.baseWaitMillis(info)).toBe(42_000 + RateLimit.defaultWaitPolicy.marginMillis)
  })

  it("honours Retry-After in seconds and as an HTTP date", () => {
    const server = Date.UTC(2030, 0, 1)
    expect(RateLimit.baseWaitMillis(RateLimit.parseHeaders({ "retry-after": "7", "x-rate-limit-reset": String(server / 1000 + 60), date: httpDate(server) }))).toBe(7_500)
    expect(RateLimit.baseWaitMillis(RateLimit.parseHeaders({ "retry-after": httpDate(server + 3_000), date: httpDate(server) }))).toBe(3_500)
  })

  it("falls back and caps when headers are missing or absurd", () => {
    expect(RateLimit.baseWaitMillis({})).toBe(5_500)
    const server = Date.UTC(2030, 0, 1)
    expect(RateLimit.baseWaitMillis({ resetAtMillis: server + 86_400_000, serverDateMillis: server })).toBe(RateLimit.defaultWaitPolicy.maxMillis)
  })

  it.effect("adds jitter within [0, jitterMillis)", () =>
    Effect.gen(function* () {
      const waits = yield* Effect.forEach(Array.from({ length: 50 }), () => RateLimit.waitAfter429({ retryAfterMillis: 1_000 }))
      for (const w of waits) {
        expect(w).toBeGreaterThanOrEqual(1_500)
        expect(w).toBeLessThan(2_500)
      }
      expect(new Set(waits).size).toBeGreaterThan(1)
    })
  )

  it("slows down only when fewer than 10 % remain, spreading the rest until the reset", () => {
    const state = { limit: 600, remaining: 60, resetAtLocalMillis: 60_000 }
    expect(RateLimit.slowDownMillis(state, 0, 0.1)).toBe(0)
    expect(RateLimit.slowDownMillis({ ...state, remaining: 59 }, 0, 0.1)).toBe(1_000)
    expect(RateLimit.slowDownMillis({ ...state, remaining: 0 }, 30_000, 0.1)).toBe(30_000)
    expect(RateLimit.slowDownMillis({ ...state, remaining: 0 }, 61_000, 0.1)).toBe(0)
    expect(RateLimit.slowDownMillis(undefined, 0, 0.1)).toBe(0)
  })

  it.effect("the limiter translates the server reset to the local clock", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_000_000)
      const limiter = yield* RateLimit.makeLimiter(0.1)
      // the server's clock is one hour ahead; its bucket resets 10 s from its now
      const serverNow = 1_000_000 + 3_600_000
      yield* limiter.observe({ limit: 100, remaining: 0, resetAtMillis: serverNow + 10_000, serverDateMillis: serverNow })
      expect(yield* limiter.serverNow).toBe(serverNow)
      expect(yield* limiter.reserve).toBe(10_000)
      expect(yield* limiter.state).toBeUndefined() // past the reset the bucket is unknown (full) again
    })
  )
})

const err = (reason: OktaApiError["reason"], retryAfterMillis?: number) =>
  new OktaApiError({ reason, message: reason, ...(retryAfterMillis !== undefined ? { retryAfterMillis } : {}) })

describe("Retry", () => {
  it.effect("backoff grows exponentially with jitter and is capped", () =>
    Effect.gen(function* () {
      const delays = yield* Schedule.run(
        Schedule.delays(Retry.backoff({ base: "1 second", factor: 2, cap: "10 seconds" })),
        Date.now(),
        Array.from({ length: 8 }, (_, i) => i)
      )
      const ms = [...delays].map(Duration.toMillis)
      expect(ms[0]).toBeGreaterThanOrEqual(800)
      expect(ms[0]).toBeLessThanOrEqual(1_200)
      expect(ms[2]).toBeGreaterThanOrEqual(3_200)
      expect(ms[2]).toBeLessThanOrEqual(4_800)
      for (const d of ms) expect(d).toBeLessThanOrEqual(10_000)
      expect(ms.slice(5).every((d) => d === 10_000)).toBe(true)
    })
  )

  it.effect("waits the server-given time on 429 and backs off on 5xx, up to maxRetries (TestClock)", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const seen: Array<[string, number, number]> = []
      const failing = Effect.flatMap(Ref.updateAndGet(attempts, (n) => n + 1), (n) =>
        Effect.fail(n === 1 ? err("RateLimited", 20_000) : err("Server"))
      )
      const fiber = yield* Effect.fork(
        Effect.retry(
          failing,
          Retry.okta({
            maxRetries: 3,
            backoff: { base: "1 second", factor: 2, cap: "30 seconds" },
            shouldRetry: () => Effect.succeed(true),
            onRetry: (e, n, wait) => Effect.sync(() => seen.push([e.reason, n, wait]))
          })
        )
      )
      yield* TestClock.adjust("19 seconds")
      expect(yield* Ref.get(attempts)).toBe(1)
      yield* TestClock.adjust("1 second")
      expect(yield* Ref.get(attempts)).toBe(2)
      yield* TestClock.adjust("1 minute")
      const exit = yield* Fiber.await(fiber)
      expect(exit._tag).toBe("Failure")
      expect(yield* Ref.get(attempts)).toBe(4)
      expect(seen.map(([r, n]) => [r, n])).toEqual([
        ["RateLimited", 1],
        ["Server", 2],
        ["Server", 3]
      ])
      expect(seen[0]![2]).toBe(20_000)
    })
  )

  it.effect("never retries a 4xx validation error", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const rejected: Effect.Effect<never, OktaApiError> = Effect.flatMap(Ref.update(attempts, (n) => n + 1), () => Effect.fail(err("Rejected")))
      const exit = yield* Effect.exit(
        Effect.retry(
          rejected,
          Retry.okta({ maxRetries: 5, shouldRetry: () => Effect.succeed(true) })
        )
      )
      expect(exit._tag).toBe("Failure")
      expect(yield* Ref.get(attempts)).toBe(1)
    })
  )
})
