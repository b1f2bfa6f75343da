import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { ManualClock } from "@anysource/okta-emulator"
import { Clock, Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as VirtualTime from "../src/VirtualTime.ts"

describe("VirtualTime", () => {
  it("a sleep jumps the manual clock instead of waiting; Clock reads the manual clock", async () => {
    const manual = new ManualClock(Date.UTC(2026, 0, 1))
    const vt = VirtualTime.make(manual)
    const started = Date.now()
    const [before, after] = await Effect.runPromise(
      Effect.gen(function* () {
        const before = yield* Clock.currentTimeMillis
        yield* Effect.sleep("5 minutes")
        yield* Effect.sleep("30 seconds")
        return [before, yield* Clock.currentTimeMillis] as const
      }).pipe(vt.run)
    )
    vt.close()
    expect(before).toBe(Date.UTC(2026, 0, 1))
    expect(after - before).toBe(330_000)
    expect(vt.elapsedMillis()).toBe(330_000)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it("concurrent sleepers wake in deadline order", async () => {
    const manual = new ManualClock(0)
    const vt = VirtualTime.make(manual)
    const woke: Array<[string, number]> = []
    const sleeper = (name: string, ms: number) => Effect.sleep(ms).pipe(Effect.zipRight(Effect.sync(() => woke.push([name, manual.now()]))))
    await Effect.runPromise(Effect.all([sleeper("b", 2_000), sleeper("a", 1_000), sleeper("c", 60_000)], { concurrency: "unbounded" }).pipe(vt.run))
    vt.close()
    expect(woke).toEqual([["a", 1_000], ["b", 2_000], ["c", 60_000]])
  })

  it("a fiber busy computing is not idle: a background sleeper (a lease renewal) is not woken early", async () => {
    const manual = new ManualClock(0)
    const vt = VirtualTime.make(manual)
    const busy = Effect.gen(function* () {
      const started = Date.now()
      let x = 0
      while (Date.now() - started < 300) {
        for (let i = 0; i < 50_000; i++) x += i
        yield* Effect.yieldNow()
      }
      return x
    })
    const during = await Effect.runPromise(
      Effect.gen(function* () {
        yield* Effect.forkDaemon(Effect.forever(Effect.sleep("5 minutes")))
        yield* busy
        const during = yield* Clock.currentTimeMillis
        yield* Effect.sleep("1 second") // now idle: time jumps, to the nearest sleeper first
        return during
      }).pipe(vt.run)
    )
    vt.close()
    expect(during).toBe(0)
    expect(manual.now()).toBe(1_000)
  })

  it("holds time still while a request is in flight, so a request timeout cannot fire because of a jump", async () => {
    const server = createServer((_req, res) => setTimeout(() => res.end("slow"), 300))
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const manual = new ManualClock(0)
    const vt = VirtualTime.make(manual)
    const body = await Effect.runPromise(
      Effect.promise(() => vt.fetch(url).then((r) => r.text())).pipe(Effect.timeout("1 second"), vt.run)
    )
    vt.close()
    await new Promise<void>((r) => server.close(() => r()))
    expect(body).toBe("slow")
    expect(manual.now()).toBe(0)
  })
})
