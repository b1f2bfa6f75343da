import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Ref, TestClock } from "effect"
import * as Schedule from "../src/Schedule.ts"

const at = (iso: string) => Date.parse(iso)

const parsed = (pattern: string, timezone?: string) => {
  const result = Schedule.parse(pattern, timezone)
  if ("error" in result) throw new Error(result.error)
  return result.schedule
}

describe("Schedule.parse", () => {
  it("computes the next fire time strictly after the given instant", () => {
    const every15 = parsed("*/15 * * * *")
    expect(new Date(every15.next(at("2026-03-01T10:07:30Z"))!).toISOString()).toBe("2026-03-01T10:15:00.000Z")
    expect(new Date(every15.next(at("2026-03-01T10:15:00Z"))!).toISOString()).toBe("2026-03-01T10:30:00.000Z")
    const seconds = parsed("*/10 * * * * *")
    expect(new Date(seconds.next(at("2026-03-01T10:00:05.500Z"))!).toISOString()).toBe("2026-03-01T10:00:10.000Z")
    expect(new Date(parsed("@daily").next(at("2026-03-01T10:00:00Z"))!).toISOString()).toBe("2026-03-02T00:00:00.000Z")
  })

  it("applies the time zone to the pattern (UTC by default)", () => {
    const berlin = parsed("0 6 * * *", "Europe/Berlin")
    // 06:00 in Berlin is 05:00 UTC in winter and 04:00 UTC in summer
    expect(new Date(berlin.next(at("2026-01-10T00:00:00Z"))!).toISOString()).toBe("2026-01-10T05:00:00.000Z")
    expect(new Date(berlin.next(at("2026-07-10T00:00:00Z"))!).toISOString()).toBe("2026-07-10T04:00:00.000Z")
    expect(new Date(parsed("0 6 * * *").next(at("2026-07-10T00:00:00Z"))!).toISOString()).toBe("2026-07-10T06:00:00.000Z")
  })

  it("explains invalid patterns and time zones", () => {
    expect(Schedule.parse("every five minutes")).toEqual({ error: expect.stringMatching(/^invalid cron pattern "every five minutes"/) })
    expect(Schedule.parse("61 * * * *")).toEqual({ error: expect.stringMatching(/^invalid cron pattern/) })
    expect(Schedule.parse("* * * * * * * *")).toEqual({ error: expect.stringMatching(/^invalid cron pattern/) })
    expect(Schedule.parse("0 6 * * *", "Mars/Olympus")).toEqual({ error: expect.stringMatching(/unknown time zone "Mars\/Olympus"/) })
    expect(Schedule.isTimezone("America/New_York")).toBe(true)
  })
})

describe("Schedule.loop", () => {
  it.scoped("fires at every fire time of the pattern (TestClock)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(at("2026-03-01T10:00:00Z"))
      const fired = yield* Ref.make<Array<string>>([])
      const fiber = yield* Effect.fork(Schedule.loop(parsed("*/10 * * * * *"), (t) => Ref.update(fired, (a) => [...a, new Date(t).toISOString()])))
      yield* TestClock.adjust("35 seconds")
      expect(yield* Ref.get(fired)).toEqual(["2026-03-01T10:00:10.000Z", "2026-03-01T10:00:20.000Z", "2026-03-01T10:00:30.000Z"])
      yield* TestClock.adjust("10 seconds")
      expect((yield* Ref.get(fired)).length).toBe(4)
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("60 seconds")
      expect((yield* Ref.get(fired)).length).toBe(4)
    })
  )

  it.scoped("a slow tick does not replay the fire times it overran", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(at("2026-03-01T10:00:00Z"))
      const fired = yield* Ref.make<Array<string>>([])
      const fiber = yield* Effect.fork(
        Schedule.loop(parsed("* * * * * *"), (t) =>
          Ref.modify(fired, (a) => [a.length, [...a, new Date(t).toISOString()]]).pipe(
            Effect.flatMap((index) => (index === 0 ? Effect.sleep("3500 millis") : Effect.void))
          )
        )
      )
      yield* TestClock.adjust("6 seconds")
      const times = yield* Ref.get(fired)
      expect(times[0]).toBe("2026-03-01T10:00:01.000Z")
      // the tick at 10:00:01 took 3.5 s: the next fire time is 10:00:05, not 02, 03, 04
      expect(times[1]).toBe("2026-03-01T10:00:05.000Z")
      expect(times).toEqual(["2026-03-01T10:00:01.000Z", "2026-03-01T10:00:05.000Z", "2026-03-01T10:00:06.000Z"])
      yield* Fiber.interrupt(fiber)
    })
  )
})
