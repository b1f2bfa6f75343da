import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, Option, Ref, TestClock } from "effect"
import { OktaApiError } from "../src/domain/Errors.ts"
import * as SessionRules from "../src/okta/SessionRules.ts"

/** Run `self` under TestClock, moving time to each pending sleep, until it ends. */
const settle = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(self)
    for (let i = 0; i < 1_000; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return done.value
      const sleeps = yield* TestClock.sleeps()
      if (sleeps.length === 0) yield* Effect.yieldNow()
      else yield* TestClock.setTime(Math.min(...sleeps))
    }
    throw new Error("did not settle")
  })

const serverError = new OktaApiError({ reason: "Server", message: "503 from create-session" })

describe("SessionRules.createSessionRetry", () => {
  it.effect("waits 1, 2, 4, 8, 16 and then 30 s (capped) between creates, and gives up after 6 retries", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      const heard: Array<[number, number]> = []
      const schedule = SessionRules.createSessionRetry((_, attempt, waitMillis) =>
        Effect.sync(() => heard.push([attempt, waitMillis]))
      )
      const create = Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.zipRight(
          Effect.sync(() => attempts.push(now)),
          Effect.fail(serverError)
        )
      )
      const exit = yield* settle(Effect.retry(create, schedule))
      expect(exit).toStrictEqual(Exit.fail(serverError))
      expect(attempts).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 61_000])
      expect(heard).toEqual([
        [1, 1_000],
        [2, 2_000],
        [3, 4_000],
        [4, 8_000],
        [5, 16_000],
        [6, 30_000]
      ])
    })
  )
})

describe("SessionRules.pollSchedule", () => {
  it.effect(
    "polls after base, then ×1.5 rounded up, capped at 16 × base, never sleeping past the deadline",
    () =>
      Effect.gen(function* () {
        const polls = yield* Ref.make<Array<number>>([])
        const poll = Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.updateAndGet(polls, (p) => [...p, now])
        )
        yield* settle(
          Effect.repeat(poll, {
            schedule: SessionRules.pollSchedule(1_000, 60_000),
            until: (p) => p.length >= 10
          })
        )
        const at = yield* Ref.get(polls)
        expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([
          1_000, 1_500, 2_250, 3_375, 5_063, 7_595, 11_393, 16_000, 11_824
        ])
        expect(at.at(-1)).toBe(60_000)
      })
  )

  it.effect("the cap is at most 30 s and at least the base", () =>
    Effect.gen(function* () {
      const polls = yield* Ref.make<Array<number>>([])
      const poll = Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.updateAndGet(polls, (p) => [...p, now])
      )
      yield* settle(
        Effect.repeat(poll, {
          schedule: SessionRules.pollSchedule(10_000, 10 * 60_000),
          until: (p) => p.length >= 6
        })
      )
      const at = yield* Ref.get(polls)
      expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([10_000, 15_000, 22_500, 30_000, 30_000])
    })
  )
})

describe("SessionRules: the 5-minute rule", () => {
  it("counts a wait down in steps of at most 5 s", () => {
    expect(SessionRules.countdownSteps(12_000)).toEqual([
      { remainingMillis: 12_000, stepMillis: 5_000 },
      { remainingMillis: 7_000, stepMillis: 5_000 },
      { remainingMillis: 2_000, stepMillis: 2_000 }
    ])
    expect(SessionRules.countdownSteps(0)).toEqual([])
    expect(SessionRules.countdownSteps(-5)).toEqual([])
  })

  it("waits from the newest activity Okta lists, else from the first refusal; at least 5 s, at most 5 minutes", () => {
    const minutes = (n: number) => n * 60_000
    expect(
      SessionRules.gapRemaining({
        lastActivity: minutes(10),
        serverNow: minutes(12),
        now: 0,
        firstConflictAt: 0
      })
    ).toBe(minutes(3))
    expect(
      SessionRules.gapRemaining({
        lastActivity: minutes(10),
        serverNow: minutes(16),
        now: 0,
        firstConflictAt: 0
      })
    ).toBe(5_000)
    expect(
      SessionRules.gapRemaining({ lastActivity: minutes(60), serverNow: 0, now: 0, firstConflictAt: 0 })
    ).toBe(minutes(5))
    expect(
      SessionRules.gapRemaining({
        lastActivity: undefined,
        serverNow: 0,
        now: minutes(2),
        firstConflictAt: minutes(1)
      })
    ).toBe(minutes(4))
  })

  it("adopts only an unknown empty CREATED session created after the journal started (minus a minute of skew)", () => {
    const session = (id: string, status: "CREATED" | "IN_PROGRESS", created: string) => ({
      id,
      status,
      created
    })
    const start = Date.parse("2026-03-01T10:00:00Z")
    const listed = [
      session("old", "CREATED", "2026-03-01T09:58:00Z"),
      session("busy", "IN_PROGRESS", "2026-03-01T10:01:00Z"),
      session("ours", "CREATED", "2026-03-01T09:59:30Z")
    ]
    expect(SessionRules.lostCreate(listed, new Set(), start)?.id).toBe("ours")
    expect(SessionRules.lostCreate(listed, new Set(["ours"]), start)).toBeUndefined()
    expect(SessionRules.lostCreate(listed, new Set(), start + 120_000)).toBeUndefined()
  })
})
