/**
 * 1,000,000 SQLite rows stream with bounded memory (its own test file, so its process measures only itself).
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { it as effectIt } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { SqlSource } from "../src/index.ts"
import { drainMeasuringRss } from "./support/services.ts"

const rows = 1_000_000
const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-sql-million-"))
const file = Path.join(dir, "big.db")

beforeAll(() => {
  const db = new Database(file)
  db.pragma("journal_mode = OFF")
  db.pragma("synchronous = OFF")
  db.exec(`
    CREATE TABLE big (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, amount TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
    INSERT INTO big SELECT i, 'user' || i || '@example.com', hex(randomblob(16)), printf('%.2f', (i % 1000) / 7.0) FROM n;
  `)
  db.close()
}, 60_000)

afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

describe("sql source on SQLite: 1,000,000 rows", () => {
  effectIt.live(
    "stream with bounded memory, ordered by the key",
    () =>
      Effect.gen(function* () {
        const config = SqlSource.SqlSourceConfig.parse({ dialect: "sqlite", database: file, query: "SELECT * FROM big", keyColumn: "id" })
        const report = yield* Effect.scoped(
          Effect.flatMap(SqlSource.make(config, { baseDir: dir }), (source) => drainMeasuringRss(source.read))
        )
        console.info(
          `[source-sql] sqlite: ${report.rows} rows in ${report.seconds}s; RSS ${report.baselineMb} MB → peak ${report.peakMb} MB (+${report.growthMb} MB); heap retained after GC +${report.retainedMb} MB`
        )
        expect(report.rows).toBe(rows)
        expect(report.retainedMb).toBeLessThan(40)
        expect(report.growthMb).toBeLessThan(250)
      }),
    120_000
  )
})
