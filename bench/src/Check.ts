/**
 * The guard on the plan figures (`pnpm bench:check`, run with the bench package's tests): plan N rows (100,000)
 * against the prepared state and csv-parse the same file, back to back in fresh processes, three pairs; the median
 * ratio and the largest peak RSS must stay within 25% of the figures published in docs/benchmarks.md, kept in
 * baseline.json beside this package (update both together).
 *
 * The ratio guarded is of CPU time (every thread of each process, user + system): on a shared machine a plan's two
 * threads wait for a core far more than csv-parse's one, so the wall-time ratio swings by 2× and more with the load
 * while the CPU-time ratio moves by a few percent. The wall-time ratio is measured and shown beside it.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { benchDir, child, median, prepareData } from "./PlanData.ts"
import type { ChildResult } from "./PlanFiles.ts"

export interface Baseline {
  /** Rows planned. */
  readonly n: number
  /** Plan CPU time / csv-parse CPU time of the same file (median of back-to-back pairs). */
  readonly cpuRatio: number
  /** Largest peak RSS of the plan process (MiB). */
  readonly maxRssMiB: number
  /** Allowed regression, as a fraction (0.25 = 25%). */
  readonly tolerance: number
  /** Where the figures come from. */
  readonly source: string
}

export interface Measured {
  readonly n: number
  /** Median of the pairs' CPU-time ratios, and each pair's. */
  readonly cpuRatio: number
  readonly cpuRatios: ReadonlyArray<number>
  /** Median of the pairs' wall-time ratios (shown, not guarded). */
  readonly wallRatio: number
  readonly maxRssMiB: number
}

export const baselineFile = join(benchDir, "baseline.json")

export const readBaseline = (file = baselineFile): Baseline =>
  JSON.parse(readFileSync(file, "utf8")) as Baseline

/** Plan and csv-parse back to back, `pairs` times, each in a fresh process. */
export const measure = async (n: number, pairs = 3, dataDir = join(benchDir, ".data")): Promise<Measured> => {
  await prepareData(dataDir, n, true, false)
  const cpuRatios: Array<number> = []
  const wallRatios: Array<number> = []
  const plans: Array<ChildResult> = []
  for (let i = 0; i < pairs; i++) {
    const csv = child({ job: "csv-parse", source: "csv", n, dataDir, groups: true })
    const plan = child({ job: "plan", source: "csv", n, dataDir, groups: true })
    if (plan.rows !== n) throw new Error(`plan read ${plan.rows} rows, expected ${n}`)
    plans.push(plan)
    cpuRatios.push(plan.cpuMs / csv.cpuMs)
    wallRatios.push(plan.wallMs / csv.wallMs)
  }
  return {
    n,
    cpuRatio: median(cpuRatios),
    cpuRatios,
    wallRatio: median(wallRatios),
    maxRssMiB: Math.max(...plans.map((p) => p.maxRssMiB))
  }
}

/** What regressed beyond the tolerance (empty when the figures hold). */
export const regressions = (measured: Measured, baseline: Baseline): ReadonlyArray<string> => {
  const out: Array<string> = []
  const limit = 1 + baseline.tolerance
  if (measured.cpuRatio > baseline.cpuRatio * limit)
    out.push(
      `plan / csv-parse CPU time at ${measured.n.toLocaleString("en-US")} rows is ${measured.cpuRatio.toFixed(2)}× (pairs: ${measured.cpuRatios.map((r) => `${r.toFixed(2)}×`).join(", ")}; wall time ${measured.wallRatio.toFixed(2)}×), more than ${Math.round(baseline.tolerance * 100)}% above the published ${baseline.cpuRatio.toFixed(2)}× (limit ${(baseline.cpuRatio * limit).toFixed(2)}×)`
    )
  if (measured.maxRssMiB > baseline.maxRssMiB * limit)
    out.push(
      `peak RSS of the plan at ${measured.n.toLocaleString("en-US")} rows is ${measured.maxRssMiB} MiB, more than ${Math.round(baseline.tolerance * 100)}% above the published ${baseline.maxRssMiB} MiB (limit ${Math.round(baseline.maxRssMiB * limit)} MiB)`
    )
  return out
}
