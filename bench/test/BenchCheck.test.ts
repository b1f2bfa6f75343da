import { describe, expect, it } from "vitest"
import { measure, readBaseline, regressions, type Baseline } from "../src/Check.ts"

const baseline: Baseline = { n: 100_000, cpuRatio: 2, maxRssMiB: 300, tolerance: 0.25, source: "test" }

describe("bench:check", () => {
  it("passes figures within 25% of the baseline and names each one beyond it", () => {
    expect(
      regressions({ n: 100_000, cpuRatio: 2.5, cpuRatios: [2.5], wallRatio: 9, maxRssMiB: 375 }, baseline)
    ).toEqual([])
    const found = regressions(
      { n: 100_000, cpuRatio: 2.6, cpuRatios: [2.4, 2.6, 3.1], wallRatio: 3, maxRssMiB: 376 },
      baseline
    )
    expect(found).toHaveLength(2)
    expect(found[0]).toContain("2.60× (pairs: 2.40×, 2.60×, 3.10×; wall time 3.00×)")
    expect(found[0]).toContain("limit 2.50×")
    expect(found[1]).toContain("376 MiB")
  })

  it("the plan of the baseline's N rows stays within 25% of the published ratio to csv-parse and peak RSS", async () => {
    const published = readBaseline()
    const measured = await measure(published.n, 3)
    expect(regressions(measured, published)).toEqual([])
  }, 180_000)
})
