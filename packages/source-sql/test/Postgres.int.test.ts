/**
 * The `sql` source against a real PostgreSQL (PG_URL from `source scripts/services-up.sh`): exact types, the
 * read-only guarantees (guard + READ ONLY transaction), typed errors (auth, connect, timeout, TLS, a backend
 * killed mid-stream), server-side release on early stop, 1,000,000 rows with bounded memory, conformance.
 */
import { it as effectIt } from "@effect/vitest"
import { SourceError } from "@anysource/core"
import { SourceConformance } from "@anysource/core/testing"
import { Chunk, Effect, Exit, Redacted, Stream } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect } from "vitest"
import * as PostgresDriver from "../src/internal/postgres.ts"
import { SqlSource, sqlSource } from "../src/index.ts"
import { drainMeasuringRss, requireEnv, tlsCaFile } from "./support/services.ts"

const schema = "sqlsrc_test"
const bigRows = 1_000_000
const url = () => requireEnv("PG_URL")

const admin = async <T>(run: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: url() })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

const nfd = "Jose\u0301 Mu\u0308ller"

beforeAll(async () => {
  // Without the server every test below fails on its own (requireEnv), rather than being reported as skipped.
  if (!process.env["PG_URL"]) return
  await admin(async (c) => {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await c.query(`DROP TABLE IF EXISTS ${schema}.people, ${schema}.types, ${schema}.guarded`)
    await c.query(`DROP SEQUENCE IF EXISTS ${schema}.ids`)
    await c.query(`CREATE SEQUENCE ${schema}.ids`)
    await c.query(`CREATE TABLE ${schema}.people (id int PRIMARY KEY, email text NOT NULL, name text)`)
    await c.query(
      `INSERT INTO ${schema}.people VALUES (3, 'c@example.com', 'Zoë 😀'), (1, 'a@example.com', $1), (2, 'b@example.com', NULL), (5, 'e@example.com', 'Eve'), (4, 'd@example.com', 'Dan')`,
      [nfd]
    )
    await c.query(`CREATE TABLE ${schema}.guarded (id int PRIMARY KEY, v text)`)
    await c.query(`INSERT INTO ${schema}.guarded VALUES (1, 'keep')`)
    await c.query(`
      CREATE TABLE ${schema}.types (
        id int PRIMARY KEY, t text, n numeric(38,10), big bigint, small smallint, i int, f8 float8, f4 real,
        b boolean, d date, ts timestamp(6), tstz timestamptz(6), tm time, tmtz timetz, iv interval, u uuid,
        j jsonb, raw bytea, ints int[], texts text[], nul text, money_amount numeric, neg numeric
      )`)
    await c.query(
      `INSERT INTO ${schema}.types VALUES
        (1, $1, 1234567890123456789012345678.0123456789, 9223372036854775807, -32768, 2147483647, 0.1, 1.5,
         true, '2024-02-29', '2024-02-29 23:59:59.123456', '2024-02-29 23:59:59.123456+05:30', '12:34:56.5', '12:34:56+05:30',
         '1 year 2 months 3 days 04:05:06', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, "x", null], "b": {"c": true}}',
         '\\x0001feff', '{1,NULL,3}', '{"a,b","c\\"d",NULL}', NULL, 0.1, -0.0000000001),
        (2, $2, -9999999999999999999999999999.9999999999, -9223372036854775808, 0, 0, -2.5e-10, 0, false, '0001-01-01',
         '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '00:00:00', '00:00:00+00', '0 seconds', '00000000-0000-0000-0000-000000000000',
         'null', '\\x', '{}', '{}', NULL, 12345678901234567890.5, 0)`,
      ["Zoë 😀 Ørsted — 北京", nfd]
    )
    const { rows } = await c.query(`SELECT to_regclass('${schema}.big') IS NOT NULL AS present`)
    const present = rows[0].present === true && (await c.query(`SELECT count(*)::int AS n FROM ${schema}.big`)).rows[0].n === bigRows
    if (!present) {
      await c.query(`DROP TABLE IF EXISTS ${schema}.big`)
      await c.query(
        `CREATE TABLE ${schema}.big AS SELECT i AS id, 'user' || i || '@example.com' AS email, md5(i::text) AS name, (i % 1000)::numeric(12,2) AS amount
         FROM generate_series(1, ${bigRows}) AS i`
      )
      await c.query(`ALTER TABLE ${schema}.big ADD PRIMARY KEY (id)`)
      await c.query(`ANALYZE ${schema}.big`)
    }
  })
}, 120_000)

afterAll(async () => {
  if (process.env["PG_URL"]) await admin((c) => c.query(`DROP TABLE IF EXISTS ${schema}.people, ${schema}.types, ${schema}.guarded`))
})

const config = (overrides: Record<string, unknown> = {}) =>
  SqlSource.SqlSourceConfig.parse({ dialect: "postgres", url: url(), query: `SELECT * FROM ${schema}.people`, keyColumn: "id", ...overrides })

const withSource = <A, E>(overrides: Record<string, unknown>, use: (source: import("@anysource/core").Source.Source) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(SqlSource.make(config(overrides), { baseDir: process.cwd() }), use))

const readAll = (overrides: Record<string, unknown> = {}) =>
  withSource(overrides, (source) => Stream.runCollect(source.read).pipe(Effect.map(Chunk.toReadonlyArray)))

const failure = <A>(effect: Effect.Effect<A, SourceError>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) throw new Error("expected a failure")
    if (exit.cause._tag !== "Fail" || !(exit.cause.error instanceof SourceError)) throw new Error(`expected a SourceError: ${String(exit.cause)}`)
    return exit.cause.error
  })

const backends = (marker: string) =>
  Effect.promise(() =>
    admin(async (c) => {
      const { rows } = await c.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'anysource' AND pid <> pg_backend_pid() AND query LIKE $1",
        [`%${marker}%`]
      )
      return rows[0].n as number
    })
  )

describe("PostgreSQL: exact values", () => {
  effectIt.live("types round-trip exactly", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ query: `SELECT * FROM ${schema}.types` })
      expect(rows.map((r) => r.location)).toEqual(["id=1", "id=2"])
      expect(rows[0]!.data).toEqual({
        id: 1,
        t: "Zoë 😀 Ørsted — 北京",
        n: "1234567890123456789012345678.0123456789",
        big: "9223372036854775807",
        small: -32768,
        i: 2147483647,
        f8: 0.1,
        f4: 1.5,
        b: true,
        d: "2024-02-29",
        ts: "2024-02-29T23:59:59.123456",
        tstz: "2024-02-29T18:29:59.123456Z",
        tm: "12:34:56.5",
        tmtz: "12:34:56+05:30",
        iv: "P1Y2M3DT4H5M6S",
        u: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        j: { a: [1, "x", null], b: { c: true } },
        raw: Buffer.from([0, 1, 254, 255]).toString("base64"),
        ints: [1, null, 3],
        texts: ["a,b", 'c"d', null],
        nul: null,
        money_amount: "0.1",
        neg: "-0.0000000001"
      })
      expect(rows[1]!.data).toMatchObject({
        t: nfd,
        n: "-9999999999999999999999999999.9999999999",
        big: "-9223372036854775808",
        f8: -2.5e-10,
        b: false,
        d: "0001-01-01",
        ts: "1970-01-01T00:00:00",
        tstz: "1970-01-01T00:00:00Z",
        tmtz: "00:00:00Z",
        iv: "PT0S",
        j: null,
        raw: "",
        ints: [],
        money_amount: "12345678901234567890.5",
        neg: "0"
      })
      expect((rows[1]!.data["t"] as string).normalize("NFC")).not.toBe(nfd)
    })
  )

  effectIt.live("keyColumn orders rows and locates them; params are bound", () =>
    Effect.gen(function* () {
      const rows = yield* readAll()
      expect(rows.map((r) => r.location)).toEqual(["id=1", "id=2", "id=3", "id=4", "id=5"])
      expect(rows[0]!.data["name"]).toBe(nfd)
      const one = yield* readAll({
        query: `SELECT id FROM ${schema}.people WHERE email = :email OR name = :evil`,
        params: { email: "d@example.com", evil: "x' OR '1'='1" }
      })
      expect(one.map((r) => r.data)).toEqual([{ id: 4 }])
    })
  )

  effectIt.live("check validates the query and keyColumn without reading rows", () =>
    Effect.gen(function* () {
      yield* withSource({}, (s) => s.check)
      const missing = yield* failure(withSource({ query: `SELECT * FROM ${schema}.nope` }, (s) => s.check))
      expect(missing.reason).toBe("Query")
      expect(missing.message).toMatch(/relation "sqlsrc_test.nope" does not exist/)
      const key = yield* failure(withSource({ keyColumn: "employee_id", orderByKey: false }, (s) => s.check))
      expect(key.message).toMatch(/keyColumn "employee_id" is not a column/)
    })
  )
})

describe("PostgreSQL: read-only by construction", () => {
  effectIt.live("the guard refuses writes before connecting", () =>
    Effect.gen(function* () {
      for (const query of [
        `DELETE FROM ${schema}.guarded`,
        `WITH gone AS (DELETE FROM ${schema}.guarded RETURNING *) SELECT * FROM gone`,
        `SELECT * INTO ${schema}.copy FROM ${schema}.guarded`,
        `SELECT * FROM ${schema}.guarded FOR UPDATE`,
        `SELECT 1; DROP TABLE ${schema}.guarded`
      ]) {
        const error = yield* failure(Effect.scoped(SqlSource.make({ ...config(), query }, { baseDir: "." })))
        expect(error.reason).toBe("Query")
      }
    })
  )

  effectIt.live("the READ ONLY transaction stops what the guard cannot see (nextval, a write behind the guard)", () =>
    Effect.gen(function* () {
      const nextval = yield* failure(readAll({ keyColumn: undefined, query: `SELECT nextval('${schema}.ids')` }))
      expect(nextval.reason).toBe("Query")
      expect(nextval.message).toMatch(/read-only transaction/)
      const driver = PostgresDriver.make({
        dialect: "postgres",
        ...parseUrl(url()),
        connectTimeoutMs: 5000,
        statementTimeoutMs: 5000
      })
      const error = yield* Effect.promise(() =>
        driver.open({ dialect: "postgres", text: `DELETE FROM ${schema}.guarded RETURNING *`, values: [], parameters: [] }).then(
          (cursor) =>
            cursor.next(10).then(
              () => undefined,
              (e: unknown) => {
                cursor.destroy()
                return e
              }
            ),
          (e: unknown) => e
        )
      )
      expect(driver.classify(error)).toMatchObject({ reason: "Query", retryable: false })
      expect(String(error)).toMatch(/read-only transaction/)
      const left = yield* Effect.promise(() => admin((c) => c.query(`SELECT count(*)::int AS n FROM ${schema}.guarded`)))
      expect(left.rows[0].n).toBe(1)
    })
  )
})

const parseUrl = (text: string) => {
  const u = new URL(text)
  return {
    host: u.hostname,
    port: Number(u.port),
    database: u.pathname.slice(1),
    user: decodeURIComponent(u.username),
    password: Redacted.make(decodeURIComponent(u.password))
  }
}

describe("PostgreSQL: typed errors", () => {
  effectIt.live("a wrong password is Auth (not retryable) and the message holds no password", () =>
    Effect.gen(function* () {
      const wrong = new URL(url())
      wrong.password = "not-the-password-42"
      const error = yield* failure(withSource({ url: wrong.toString() }, (s) => s.check))
      expect(error).toMatchObject({ source: "sql", reason: "Auth", retryable: false })
      expect(error.message).toMatch(/password authentication failed/)
      expect(error.message).not.toContain("not-the-password-42")
    })
  )

  effectIt.live("a refused connection is Connect (retryable)", () =>
    Effect.gen(function* () {
      const error = yield* failure(readAll({ url: "postgres://etl:etl@127.0.0.1:1/etl" }))
      expect(error).toMatchObject({ reason: "Connect", retryable: true })
      expect(error.message).toMatch(/^postgres 127\.0\.0\.1:1\/etl: /)
    })
  )

  effectIt.live("statementTimeoutMs is a retryable Timeout", () =>
    Effect.gen(function* () {
      const error = yield* failure(readAll({ keyColumn: undefined, query: "SELECT pg_sleep(5)", statementTimeoutMs: 200 }))
      expect(error).toMatchObject({ reason: "Timeout", retryable: true })
    })
  )

  effectIt.live("TLS: verified with the test CA (pg_stat_ssl says so); refused without it; allowed when verification is off", () =>
    Effect.gen(function* () {
      const query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
      const verified = yield* readAll({ keyColumn: undefined, query, tls: { caFile: tlsCaFile("PG_TLS_CA") } })
      expect(verified.map((r) => r.data)).toEqual([{ ssl: true }])
      const plain = yield* readAll({ keyColumn: undefined, query })
      expect(plain.map((r) => r.data)).toEqual([{ ssl: false }])
      const untrusted = yield* failure(readAll({ keyColumn: undefined, query, url: `${url()}?sslmode=require` }))
      expect(untrusted).toMatchObject({ reason: "Connect", retryable: false })
      expect(untrusted.message).toMatch(/TLS handshake failed/)
      const unverified = yield* readAll({ keyColumn: undefined, query, tls: { rejectUnauthorized: false } })
      expect(unverified.map((r) => r.data)).toEqual([{ ssl: true }])
    })
  )
})

describe("PostgreSQL: streaming", () => {
  effectIt.live(
    "a backend terminated mid-stream (pg_terminate_backend) is a retryable Connect error, and the stream yields no partial success",
    () =>
      Effect.gen(function* () {
        let killed = false
        const exit = yield* withSource({ query: `SELECT id, email FROM ${schema}.big`, fetchSize: 100 }, (source) =>
          source.read.pipe(
            Stream.tap((row) =>
              row.location === "id=500" && !killed
                ? Effect.promise(() =>
                    admin((c) =>
                      c.query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'anysource' AND pid <> pg_backend_pid() AND query LIKE '%sqlsrc_test.big%'"
                      )
                    )
                  ).pipe(Effect.tap(() => Effect.sync(() => (killed = true))))
                : Effect.void
            ),
            Stream.runCount,
            Effect.exit
          )
        )
        expect(killed).toBe(true)
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toBeInstanceOf(SourceError)
        expect(error).toMatchObject({ reason: "Connect", retryable: true })
        expect(error!.location).toMatch(/^row \d+ \(after id=\d+\)$/)
      }),
    30_000
  )

  effectIt.live("stopping early closes the cursor and the connection on the server", () =>
    Effect.gen(function* () {
      const rows = yield* withSource({ query: `SELECT id FROM ${schema}.big`, fetchSize: 50 }, (source) =>
        source.read.pipe(Stream.take(5), Stream.runCollect)
      )
      expect(Chunk.toReadonlyArray(rows).map((r) => r.location)).toEqual(["id=1", "id=2", "id=3", "id=4", "id=5"])
      let open = yield* backends("sqlsrc_test.big")
      for (let i = 0; i < 40 && open > 0; i++) {
        yield* Effect.sleep("50 millis")
        open = yield* backends("sqlsrc_test.big")
      }
      expect(open).toBe(0)
    })
  )

  effectIt.live(
    `${bigRows.toLocaleString("en")} rows stream with bounded memory`,
    () =>
      Effect.gen(function* () {
        const report = yield* withSource({ query: `SELECT id, email, name, amount FROM ${schema}.big`, fetchSize: 1000 }, (source) =>
          drainMeasuringRss(source.read)
        )
        console.info(
          `[source-sql] postgres: ${report.rows} rows in ${report.seconds}s; RSS ${report.baselineMb} MB → peak ${report.peakMb} MB (+${report.growthMb} MB); heap retained after GC +${report.retainedMb} MB`
        )
        expect(report.rows).toBe(bigRows)
        // Holding the rows would retain ~250 MB of heap by the last checkpoint; the stream keeps one fetch.
        expect(report.retainedMb).toBeLessThan(40)
        // GC slack makes RSS saw-tooth by ~100 MB; collecting the rows would add several hundred MB.
        expect(report.growthMb).toBeLessThan(250)
      }),
    120_000
  )
})

SourceConformance.run({
  definition: sqlSource,
  validConfig: () => ({ dialect: "postgres", url: url(), query: `SELECT id, email, name FROM ${schema}.people`, keyColumn: "id" }),
  invalidConfigs: [
    { dialect: "postgres", url: "postgres://h/db", query: "DELETE FROM people" },
    { dialect: "postgres", url: "mysql://h/db", query: "SELECT 1" },
    { dialect: "postgres", query: "SELECT 1" },
    { dialect: "postgres", host: "h", query: "SELECT * FROM t WHERE id = $1" }
  ],
  expectedRows: 5,
  failingConfig: { dialect: "postgres", url: "postgres://etl:etl@127.0.0.1:1/etl", query: "SELECT 1", connectTimeoutMs: 2000 }
})
