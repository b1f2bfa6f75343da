/**
 * Plan throughput and peak memory: read → map → filter → normalize → validate → diff for N synthetic employees,
 * against a SQLite state that already holds N−1% of them, beside the time csv-parse alone needs for the same file.
 *
 *   pnpm --filter @anysource/bench plan                      # N = 10k, 100k, 1M; CSV and SQLite sources
 *   pnpm --filter @anysource/bench plan -- --n 1000000 --sources csv --runs 3
 *   SERVICES=pg source scripts/services-up.sh && pnpm --filter @anysource/bench plan -- --sources csv,postgres
 *
 * Data (CSV, a SQLite copy of the same rows, the prepared states) is cached under bench/.data. Every figure is
 * measured in a fresh child process (plan-child.ts) that reports its own wall time and peak RSS; with --runs k
 * the median wall time of k runs is reported (and the largest RSS).
 */
import { mkdirSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { benchDir, child, log, median, prepareData } from "./PlanData.ts"
import type { ChildJob, ChildResult } from "./PlanFiles.ts"

const { values } = parseArgs({
  // `pnpm --filter @anysource/bench <script> -- --n 10` passes the "--" through
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    n: { type: "string", default: "10000,100000,1000000" },
    sources: { type: "string", default: "csv,sqlite" },
    groups: { type: "string", default: "true" },
    runs: { type: "string", default: "1" },
    data: { type: "string", default: join(benchDir, ".data") },
    // against the prepared state of N − 1% ("steady") and/or an empty one ("empty": a first run of N creates, CSV)
    states: { type: "string", default: "steady,empty" },
    json: { type: "boolean", default: false },
    // the PostgreSQL server for --sources postgres (default: PG_URL, as `scripts/services-up.sh` exports it)
    "pg-url": { type: "string" }

  }
})
const sizes = values.n.split(",").map((s) => Number(s.replace(/_/g, "")))
const sources = values.sources.split(",") as Array<ChildJob["source"]>
const states = values.states.split(",")
const groups = values.groups !== "false"
const runs = Math.max(1, Number(values.runs))
const dataDir = resolve(values.data)
const pgUrl = sources.includes("postgres") ? (values["pg-url"] ?? process.env["PG_URL"]) : undefined
if (sources.includes("postgres") && !pgUrl)
  throw new Error("--sources postgres needs a server: run `SERVICES=pg source scripts/services-up.sh` first (it exports PG_URL) or pass --pg-url")
mkdirSync(dataDir, { recursive: true })

const measure = (job: ChildJob): ChildResult => {
  const r = child(job)
  log(`  ${job.job.padEnd(12)} ${job.source.padEnd(6)} n=${job.n}: ${r.wallMs} ms (CPU ${r.cpuMs} ms), ${r.maxRssMiB} MiB RSS, ${r.maxHeapMiB} MiB heap${r.detail ? ` ${JSON.stringify(r.detail)}` : ""}`)
  return r
}

/** Median wall time, largest RSS and heap of several runs. */
const summary = (results: ReadonlyArray<ChildResult>): ChildResult => ({
  ...results[0]!,
  wallMs: median(results.map((r) => r.wallMs)),
  cpuMs: median(results.map((r) => r.cpuMs)),
  maxRssMiB: Math.max(...results.map((r) => r.maxRssMiB)),
  maxHeapMiB: Math.max(...results.map((r) => r.maxHeapMiB))
})

interface Row {
  readonly n: number
  readonly source: ChildJob["source"]
  /** Against the state of N − 1% (steady) or an empty one (a first run). */
  readonly state: "steady" | "empty"
  readonly baseline: ChildResult
  readonly csvParse: ChildResult
  readonly plan: ChildResult
  /** Median over the runs of plan / csv-parse measured back to back (the machine's load changes between runs). */
  readonly ratio: number
  /** The same of CPU time (every thread of each process): steadier than wall time on a shared machine. */
  readonly cpuRatio: number
}

/** The plan counts a job must give: N/100 creates against the prepared state, N creates against an empty one. */
const checkPlan = (plan: ChildResult, n: number, state: Row["state"]) => {
  if (plan.rows !== n) throw new Error(`plan read ${plan.rows} rows, expected ${n}`)
  const creates = state === "steady" ? Math.ceil(n / 100) : n
  if (plan.detail?.["create"] !== creates || plan.detail?.["unchanged"] !== n - creates)
    throw new Error(`unexpected plan for n=${n} (${state} state): ${JSON.stringify(plan.detail)}`)
}

const rows: Array<Row> = []
for (const n of sizes) {
  await prepareData(dataDir, n, groups, sources.includes("sqlite"), states.includes("steady"), pgUrl)
  const cases: Array<readonly [ChildJob["source"], Row["state"]]> = [
    ...(states.includes("steady") ? sources.map((s) => [s, "steady"] as const) : []),
    ...(states.includes("empty") ? [["csv", "empty"] as const] : [])
  ]
  for (const [source, state] of cases) {
    const csvRuns: Array<ChildResult> = []
    const baseRuns: Array<ChildResult> = []
    const planRuns: Array<ChildResult> = []
    const ratios: Array<number> = []
    const cpuRatios: Array<number> = []
    for (let i = 0; i < runs; i++) {
      // back to back, so both see the same machine load
      const csv = measure({ job: "csv-parse", source: "csv", n, dataDir, groups })
      const withUrl = pgUrl === undefined ? {} : { pgUrl }
      const base =
        source === "csv"
          ? csv
          : measure({ job: source === "postgres" ? "pg-read" : "sqlite-read", source, n, dataDir, groups, ...withUrl })
      const plan = measure({ job: state === "steady" ? "plan" : "plan-initial", source, n, dataDir, groups, ...withUrl })
      checkPlan(plan, n, state)
      csvRuns.push(csv)
      baseRuns.push(base)
      planRuns.push(plan)
      ratios.push(plan.wallMs / csv.wallMs)
      cpuRatios.push(plan.cpuMs / csv.cpuMs)
    }
    rows.push({ n, source, state, baseline: summary(baseRuns), csvParse: summary(csvRuns), plan: summary(planRuns), ratio: median(ratios), cpuRatio: median(cpuRatios) })
  }
}

const sourceLabel = { csv: "CSV (source-file)", sqlite: "SQLite (source-sql)", postgres: "PostgreSQL (source-sql)" }
const readLabel = { csv: "(csv-parse)", sqlite: "(better-sqlite3)", postgres: "(pg-cursor)" }
const fmt = (n: number) => n.toLocaleString("en-US")
const secs = (ms: number) => (ms / 1000).toFixed(2)
const cpu = cpus()[0]?.model ?? "unknown"
const lines = [
  `| N | source | state | read alone (s) | csv-parse alone (s) | read → plan (s) | plan / csv-parse | CPU s: csv-parse, plan | plan / csv-parse (CPU) | rows/s (plan) | peak RSS plan (MiB) | peak heap plan (MiB) |`,
  `| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ...rows.map(
    (r) =>
      `| ${fmt(r.n)} | ${sourceLabel[r.source]} | ${r.state === "steady" ? "N − 1%" : "empty (first run)"} | ${secs(r.baseline.wallMs)} ${readLabel[r.source]} | ${secs(r.csvParse.wallMs)} | ${secs(r.plan.wallMs)} | ${r.ratio.toFixed(2)}× | ${secs(r.csvParse.cpuMs)}, ${secs(r.plan.cpuMs)} | ${r.cpuRatio.toFixed(2)}× | ${fmt(Math.round(r.n / (r.plan.wallMs / 1000)))} | ${fmt(r.plan.maxRssMiB)} | ${fmt(r.plan.maxHeapMiB)} |`
  )
]
if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
else {
  process.stdout.write(`${lines.join("\n")}\n\n`)
  process.stdout.write(
    `groups: ${groups}; runs per figure: ${runs} (median; the ratio is the median of back-to-back pairs); machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`
  )
}
