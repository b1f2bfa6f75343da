import { afterEach, expect, it } from "vitest"
import { ManualClock, scaledClock } from "../src/index.ts"
import { closeAll, harness, user } from "./helpers.ts"

afterEach(closeAll)

it("ManualClock moves only when told to, never backwards, and notifies listeners", () => {
  const clock = new ManualClock(1_000)
  const seen: Array<number> = []
  const off = clock.onAdvance(() => seen.push(clock.now()))
  clock.advance(500)
  clock.set(2_000)
  expect(clock.now()).toBe(2_000)
  expect(() => clock.set(1_000)).toThrow(RangeError)
  expect(() => clock.advance(-1)).toThrow(RangeError)
  off()
  clock.advance(1)
  expect(seen).toEqual([1_500, 2_000])
})

it("scaledClock runs timeScale times faster than real time", async () => {
  const clock = scaledClock(1_000, Date.now())
  const a = clock.now()
  await new Promise((r) => setTimeout(r, 30))
  expect(clock.now() - a).toBeGreaterThanOrEqual(25_000)
  expect(() => scaledClock(0)).toThrow(RangeError)
})

it("timeScale speeds up processing in real time (demo mode)", async () => {
  // 10 emulator minutes of processing at 60,000x last about 10 real milliseconds.
  const h = await harness({ timeScale: 60_000, processingDelayMs: 10 * 60_000 })
  expect(h.emu.clock).not.toBe(h.clock)
  const id = await h.newSession()
  await h.call("POST", h.is(`/sessions/${id}/bulk-upsert`), { body: { entityType: "USERS", profiles: [user(1)] } })
  await h.call("POST", h.is(`/sessions/${id}/start-import`))
  await expect.poll(() => h.emu.sessions()[0]?.status, { timeout: 2_000, interval: 20 }).toBe("COMPLETED")
  expect(h.emu.directory.users()).toHaveLength(1)
})
