/**
 * Plan throughput and peak memory: read → map → filter → normalize → validate → diff for N synthetic employees,
 * against a SQLite state that already holds N−1% of them, beside the time csv-parse alone needs for the same file.
 *
 *   pnpm --filter @anysource/bench plan                      # N = 10k, 100k, 1M; CSV and SQLite sources
 *   pnpm --filter @anysource/bench plan -- --n 1000000 --sources csv --runs 3
 *
 * Data (CSV, a SQLite copy of the same rows, the prepared states) is cached under bench/.data. Every figure is
 * measured in a fresh child process (plan-child.ts) that reports its own wall time and peak RSS; with --runs k
 * the median wall time of k runs is reported (and the largest RSS).
 */
import { spawnSync } from "node:child_process"
import { createWriteStream, existsSync, mkdirSync, renameSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import Database from "better-sqlite3"
import { columns, csvHeader, csvLine, employees } from "./Dataset.ts"
import { csvFile, sqliteFile, stateFile, type ChildJob, type ChildResult } from "./PlanFiles.ts"

const here = dirname(fileURLToPath(import.meta.url))
const benchDir = resolve(here, "..")

const { values } = parseArgs({
  // `pnpm --filter @anysource/bench <script> -- --n 10` passes the "--" through
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    n: { type: "string", default: "10000,100000,1000000" },
    sources: { type: "string", default: "csv,sqlite" },
    groups: { type: "string", default: "true" },
    runs: { type: "string", default: "1" },
    data: { type: "string", default: join(benchDir, ".data") },
    json: { type: "boolean", default: false }
  }
})
const sizes = values.n.split(",").map((s) => Number(s.replace(/_/g, "")))
const sources = values.sources.split(",") as Array<ChildJob["source"]>
const groups = values.groups !== "false"
const runs = Math.max(1, Number(values.runs))
const dataDir = resolve(values.data)
mkdirSync(dataDir, { recursive: true })

const log = (message: string) => process.stderr.write(`${message}\n`)

const writeCsv = async (n: number) => {
  const file = csvFile(dataDir, n)
  if (existsSync(file)) return
  log(`generating ${file}`)
  const tmp = `${file}.tmp`
  const out = createWriteStream(tmp)
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r())))
  await write(csvHeader())
  let buffer = ""
  for (const e of employees(n)) {
    buffer += csvLine(e)
    if (buffer.length > 1 << 16) {
      await write(buffer)
      buffer = ""
    }
  }
  await write(buffer)
  await new Promise<void>((r) => out.end(() => r()))
  renameSync(tmp, file)
}

const writeSqlite = (n: number) => {
  const file = sqliteFile(dataDir, n)
  if (existsSync(file)) return
  log(`generating ${file}`)
  const tmp = `${file}.tmp`
  const db = new Database(tmp)
  db.pragma("journal_mode = OFF")
  db.exec(`CREATE TABLE employees (${columns.map((c) => `${c} TEXT${c === "employee_id" ? " PRIMARY KEY" : ""}`).join(", ")})`)
  const insert = db.prepare(`INSERT INTO employees VALUES (${columns.map(() => "?").join(", ")})`)
  const all = db.transaction((rows: Array<Array<string>>) => {
    for (const r of rows) insert.run(r)
  })
  let batch: Array<Array<string>> = []
  for (const e of employees(n)) {
    batch.push(columns.map((c) => e[c]))
    if (batch.length === 10_000) {
      all(batch)
      batch = []
    }
  }
  all(batch)
  db.close()
  renameSync(tmp, file)
}

const child = (job: ChildJob): ChildResult => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(here, "plan-child.ts"), JSON.stringify(job)], {
    cwd: benchDir,
    encoding: "utf8",
    maxBuffer: 1 << 24
  })
  if (r.status !== 0) throw new Error(`${job.job} ${job.source} ${job.n} failed (${r.status ?? r.signal}):\n${r.stderr}`)
  const line = r.stdout.trim().split("\n").pop() ?? ""
  return JSON.parse(line) as ChildResult
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]!
}

const measure = (job: ChildJob): ChildResult => {
  const r = child(job)
  log(`  ${job.job.padEnd(11)} ${job.source.padEnd(6)} n=${job.n}: ${r.wallMs} ms, ${r.maxRssMiB} MiB RSS, ${r.maxHeapMiB} MiB heap${r.detail ? ` ${JSON.stringify(r.detail)}` : ""}`)
  return r
}

/** Median wall time, largest RSS and heap of several runs. */
const summary = (results: ReadonlyArray<ChildResult>): ChildResult => ({
  ...results[0]!,
  wallMs: median(results.map((r) => r.wallMs)),
  maxRssMiB: Math.max(...results.map((r) => r.maxRssMiB)),
  maxHeapMiB: Math.max(...results.map((r) => r.maxHeapMiB))
})

interface Row {
  readonly n: number
  readonly source: ChildJob["source"]
  readonly baseline: ChildResult
  readonly csvParse: ChildResult
  readonly plan: ChildResult
  /** Median over the runs of plan / csv-parse measured back to back (the machine's load changes between runs). */
  readonly ratio: number
}

const rows: Array<Row> = []
for (const n of sizes) {
  await writeCsv(n)
  if (sources.includes("sqlite")) writeSqlite(n)
  if (!existsSync(stateFile(dataDir, n, groups))) {
    log(`building the state of ${n} − 1% (${stateFile(dataDir, n, groups)})`)
    child({ job: "build-state", source: "csv", n, dataDir, groups })
  }
  for (const source of sources) {
    const csvRuns: Array<ChildResult> = []
    const baseRuns: Array<ChildResult> = []
    const planRuns: Array<ChildResult> = []
    const ratios: Array<number> = []
    for (let i = 0; i < runs; i++) {
      // back to back, so both see the same machine load
      const csv = measure({ job: "csv-parse", source: "csv", n, dataDir, groups })
      const base = source === "csv" ? csv : measure({ job: "sqlite-read", source, n, dataDir, groups })
      const plan = measure({ job: "plan", source, n, dataDir, groups })
      if (plan.rows !== n) throw new Error(`plan read ${plan.rows} rows, expected ${n}`)
      if (plan.detail?.["create"] !== Math.ceil(n / 100) || plan.detail?.["unchanged"] !== n - Math.ceil(n / 100))
        throw new Error(`unexpected plan for n=${n}: ${JSON.stringify(plan.detail)}`)
      csvRuns.push(csv)
      baseRuns.push(base)
      planRuns.push(plan)
      ratios.push(plan.wallMs / csv.wallMs)
    }
    rows.push({ n, source, baseline: summary(baseRuns), csvParse: summary(csvRuns), plan: summary(planRuns), ratio: median(ratios) })
  }
}

const fmt = (n: number) => n.toLocaleString("en-US")
const secs = (ms: number) => (ms / 1000).toFixed(2)
const cpu = cpus()[0]?.model ?? "unknown"
const lines = [
  `| N | source | read alone (s) | csv-parse alone (s) | read → plan (s) | plan / csv-parse | rows/s (plan) | peak RSS plan (MiB) | peak heap plan (MiB) |`,
  `| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ...rows.map(
    (r) =>
      `| ${fmt(r.n)} | ${r.source === "csv" ? "CSV (source-file)" : "SQLite (source-sql)"} | ${secs(r.baseline.wallMs)} ${r.source === "csv" ? "(csv-parse)" : "(better-sqlite3)"} | ${secs(r.csvParse.wallMs)} | ${secs(r.plan.wallMs)} | ${r.ratio.toFixed(2)}× | ${fmt(Math.round(r.n / (r.plan.wallMs / 1000)))} | ${fmt(r.plan.maxRssMiB)} | ${fmt(r.plan.maxHeapMiB)} |`
  )
]
if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
else {
  process.stdout.write(`${lines.join("\n")}\n\n`)
  process.stdout.write(
    `groups: ${groups}; runs per figure: ${runs} (median; the ratio is the median of back-to-back pairs); machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`
  )
}
