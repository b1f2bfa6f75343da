import { describe, expect, it } from "vitest"
import { headroomWait } from "../src/verify/Reader.ts"
import * as Sample from "../src/verify/Sample.ts"

const ids = Array.from({ length: 1_000 }, (_, i) => `E${i}`)

describe("Sample", () => {
  it("reads config sizes and --sample flags: a count, a share, or all", () => {
    expect(Sample.fromSize(100)).toEqual({ _tag: "Count", count: 100 })
    expect(Sample.fromSize("10%")).toEqual({ _tag: "Share", percent: 10 })
    expect(Sample.fromSize("100%")).toEqual(Sample.all)
    expect(Sample.parse("250")).toEqual({ _tag: "Count", count: 250 })
    expect(Sample.parse(" 2.5% ")).toEqual({ _tag: "Share", percent: 2.5 })
    expect(Sample.parse("100%")).toEqual(Sample.all)
    for (const bad of ["", "ten", "150%", "-3", "5.5", "%"]) expect(Sample.parse(bad)).toBeUndefined()
    expect([Sample.all, Sample.parse("7%")!, Sample.parse("12")!].map(Sample.describe)).toEqual([
      "100%",
      "7%",
      "12"
    ])
  })

  it("a share rounds up, a count never exceeds the records", () => {
    expect(Sample.sizeOf(Sample.parse("1%")!, 50)).toBe(1)
    expect(Sample.sizeOf(Sample.parse("10%")!, 1_001)).toBe(101)
    expect(Sample.sizeOf(Sample.parse("500")!, 20)).toBe(20)
    expect(Sample.sizeOf(Sample.parse("0%")!, 20)).toBe(0)
    expect(Sample.sizeOf(Sample.all, 7)).toBe(7)
  })

  it("picks the same records for a seed, others for another seed, spread over the list, in list order", () => {
    const a = Sample.pick(ids, (x) => x, Sample.parse("100")!, "run-1")
    expect(a).toHaveLength(100)
    expect(Sample.pick(ids, (x) => x, Sample.parse("100")!, "run-1")).toEqual(a)
    const b = Sample.pick(ids, (x) => x, Sample.parse("100")!, "run-2")
    expect(b).not.toEqual(a)
    // in list order
    expect([...a].sort((x, y) => ids.indexOf(x) - ids.indexOf(y))).toEqual(a)
    // spread: every tenth of the list is represented, not just the head
    const deciles = new Set(a.map((x) => Math.floor(ids.indexOf(x) / 100)))
    expect(deciles.size).toBe(10)
    // different runs overlap only by chance (about 10% of 100)
    expect(a.filter((x) => b.includes(x)).length).toBeLessThan(30)
    expect(Sample.pick(ids, (x) => x, Sample.all, "any")).toBe(ids)
  })
})

describe("rate-limit headroom", () => {
  const bucket = { limit: 600, remaining: 400, resetAtLocalMillis: 10_000 }

  it("goes while more than (100 − share)% of the window is left; pauses until the reset (plus a margin) otherwise", () => {
    expect(headroomWait(bucket, 0, 50)).toBe(0)
    expect(headroomWait({ ...bucket, remaining: 301 }, 0, 50)).toBe(0)
    expect(headroomWait({ ...bucket, remaining: 300 }, 4_000, 50)).toBe(6_250)
    expect(headroomWait({ ...bucket, remaining: 61 }, 0, 90)).toBe(0)
    expect(headroomWait({ ...bucket, remaining: 60 }, 0, 90)).toBe(10_250)
  })

  it("no bucket seen yet, or a window already over: no pause", () => {
    expect(headroomWait(undefined, 0, 50)).toBe(0)
    expect(headroomWait({ ...bucket, remaining: 0 }, 10_000, 50)).toBe(0)
  })
})
