/**
 * File names, job descriptions and results of the plan benchmark (light: the csv-parse child imports only this).
 */
import { createReadStream } from "node:fs"
import { join } from "node:path"
import Database from "better-sqlite3"
import { parse } from "csv-parse"

export interface ChildJob {
  readonly job: "csv-parse" | "sqlite-read" | "pg-read" | "plan" | "plan-initial" | "build-state" | "state-index"
  readonly source: "csv" | "sqlite" | "postgres"
  readonly n: number
  readonly dataDir: string
  readonly groups: boolean
  /** The PostgreSQL server holding the rows (source "postgres"): PG_URL of `scripts/services-up.sh`. */
  readonly pgUrl?: string
}

export interface ChildResult {
  readonly job: ChildJob["job"]
  readonly source: ChildJob["source"]
  readonly n: number
  readonly groups: boolean
  readonly wallMs: number
  /** CPU time of the whole process while it worked (every thread: the decode worker's too), user + system. */
  readonly cpuMs: number
  readonly maxRssMiB: number
  /** Largest V8 heap in use seen by a 50 ms sampler (heapUsed + external + arrayBuffers). */
  readonly maxHeapMiB: number
  readonly rows: number
  readonly detail?: Record<string, number>
}

export const csvFile = (dataDir: string, n: number) => join(dataDir, `employees-${n}.csv`)
export const sqliteFile = (dataDir: string, n: number) => join(dataDir, `employees-${n}.db`)
/** The PostgreSQL table of N employees (the same rows as the CSV), in the server's default schema. */
export const pgTable = (n: number) => `bench_employees_${n}`
export const stateFile = (dataDir: string, n: number, groups: boolean) => join(dataDir, `state-${n}${groups ? "-groups" : ""}.db`)

/** Every 100th record is left out of the state: the plan then holds N/100 creates and N−N/100 unchanged. */
export const leftOut = (index: number) => index % 100 === 0

export const csvParseAlone = (file: string): Promise<number> =>
  new Promise((resolvePromise, reject) => {
    let rows = 0
    const parser = parse({ columns: true })
    parser.on("readable", () => {
      while (parser.read() !== null) rows++
    })
    parser.on("error", reject)
    parser.on("end", () => resolvePromise(rows))
    createReadStream(file).on("error", reject).pipe(parser)
  })

export const sqliteReadAlone = (file: string): number => {
  const db = new Database(file, { readonly: true })
  let rows = 0
  for (const _row of db.prepare("SELECT * FROM employees ORDER BY employee_id").iterate()) rows++
  db.close()
  return rows
}
