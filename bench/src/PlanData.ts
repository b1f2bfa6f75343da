/**
 * What the plan benchmark and its guard share: the cached data (CSV, SQLite copy, prepared state), one job in a
 * fresh child process (plan-child.ts), and the median.
 */
import { spawnSync } from "node:child_process"
import { createWriteStream, existsSync, mkdirSync, renameSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import Database from "better-sqlite3"
import { columns, csvHeader, csvLine, employees } from "./Dataset.ts"
import { csvFile, sqliteFile, stateFile, type ChildJob, type ChildResult } from "./PlanFiles.ts"

const here = dirname(fileURLToPath(import.meta.url))
export const benchDir = resolve(here, "..")

export const log = (message: string) => process.stderr.write(`${message}\n`)

export const writeCsv = async (dataDir: string, n: number) => {
  const file = csvFile(dataDir, n)
  if (existsSync(file)) return
  log(`generating ${file}`)
  const tmp = `${file}.tmp`
  const out = createWriteStream(tmp)
  // a stream that fails (no such directory, disk full) never drains: fail the write instead of waiting forever
  let failed: Error | undefined
  const failure = new Promise<never>((_, reject) =>
    out.once("error", (e) => {
      failed = e
      reject(e)
    })
  )
  failure.catch(() => {})
  const write = (s: string): Promise<void> =>
    failed !== undefined
      ? Promise.reject(failed)
      : out.write(s)
        ? Promise.resolve()
        : Promise.race([new Promise<void>((r) => out.once("drain", () => r())), failure])
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
  await Promise.race([new Promise<void>((r) => out.end(() => r())), failure])
  renameSync(tmp, file)
}

export const writeSqlite = (dataDir: string, n: number) => {
  const file = sqliteFile(dataDir, n)
  if (existsSync(file)) return
  log(`generating ${file}`)
  const tmp = `${file}.tmp`
  const db = new Database(tmp)
  db.pragma("journal_mode = OFF")
  db.exec(
    `CREATE TABLE employees (${columns.map((c) => `${c} TEXT${c === "employee_id" ? " PRIMARY KEY" : ""}`).join(", ")})`
  )
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

export const child = (job: ChildJob): ChildResult => {
  // the server's URL (it holds a password) goes to the child in its environment, not on its command line
  const { pgUrl, ...rest } = job
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(here, "plan-child.ts"), JSON.stringify(rest)],
    {
      cwd: benchDir,
      encoding: "utf8",
      maxBuffer: 1 << 24,
      env: pgUrl === undefined ? process.env : { ...process.env, PG_URL: pgUrl }
    }
  )
  if (r.status !== 0)
    throw new Error(`${job.job} ${job.source} ${job.n} failed (${r.status ?? r.signal}):\n${r.stderr}`)
  const line = r.stdout.trim().split("\n").pop() ?? ""
  return JSON.parse(line) as ChildResult
}

export const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]!
}

/**
 * The CSV of N employees (and its SQLite copy, its PostgreSQL table when asked) and the state of N − 1%, built
 * once into `dataDir` (the table: into the server at `pgUrl`).
 */
export const prepareData = async (
  dataDir: string,
  n: number,
  groups: boolean,
  sqlite: boolean,
  state = true,
  pgUrl?: string
): Promise<void> => {
  mkdirSync(dataDir, { recursive: true })
  await writeCsv(dataDir, n)
  if (sqlite) writeSqlite(dataDir, n)
  if (pgUrl !== undefined) await (await import("./PlanPostgres.ts")).writePostgres(pgUrl, n, log)
  if (state && !existsSync(stateFile(dataDir, n, groups))) {
    log(`building the state of ${n} − 1% (${stateFile(dataDir, n, groups)})`)
    child({ job: "build-state", source: "csv", n, dataDir, groups })
  }
}
