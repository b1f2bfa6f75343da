/**
 * The PostgreSQL copy of the plan benchmark's data (source "postgres"): the same N employees as the CSV, loaded
 * once into `bench_employees_<N>` and kept there, and pg-cursor reading it alone (the "read alone" figure).
 */
import pg from "pg"
import Cursor from "pg-cursor"
import { columns, employees } from "./Dataset.ts"
import { pgTable } from "./PlanFiles.ts"

const withClient = async <T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

/** Loads N employees into their table unless it already holds exactly N rows (a half-loaded table is rebuilt). */
export const writePostgres = (url: string, n: number, log: (message: string) => void): Promise<void> =>
  withClient(url, async (client) => {
    const table = pgTable(n)
    const present = await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [
      table
    ])
    if (present.rows[0]?.found === true) {
      const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)
      if (Number(count.rows[0]?.n) === n) return
    }
    log(`loading ${n} rows into PostgreSQL table ${table}`)
    await client.query("BEGIN")
    await client.query(`DROP TABLE IF EXISTS ${table}`)
    await client.query(
      `CREATE TABLE ${table} (${columns.map((c) => `${c} text${c === "employee_id" ? " PRIMARY KEY" : ""}`).join(", ")})`
    )
    // one INSERT per 10,000 rows: a text[] per column, unnested side by side
    const insert = `INSERT INTO ${table} SELECT * FROM unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(", ")})`
    let batch: Array<Array<string>> = columns.map(() => [])
    const flush = async () => {
      if (batch[0]?.length) await client.query(insert, batch)
      batch = columns.map(() => [])
    }
    for (const e of employees(n)) {
      columns.forEach((c, i) => batch[i]!.push(e[c]))
      if (batch[0]!.length === 10_000) await flush()
    }
    await flush()
    await client.query("COMMIT")
    await client.query(`ANALYZE ${table}`)
  })

/** pg-cursor reading every row in key order, 1,000 a fetch (the sql source's default fetchSize). */
export const pgReadAlone = (url: string, n: number): Promise<number> =>
  withClient(url, async (client) => {
    const cursor = client.query(
      new Cursor(`SELECT * FROM ${pgTable(n)} ORDER BY employee_id`, [], { rowMode: "array" })
    )
    let rows = 0
    for (;;) {
      const batch = await cursor.read(1000)
      if (batch.length === 0) break
      rows += batch.length
    }
    await cursor.close()
    return rows
  })
