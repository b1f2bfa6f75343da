/**
 * The `sql` source against a real MariaDB (MYSQL_URL from `source scripts/services-up.sh`): exact types, the
 * read-only guarantees (guard + START TRANSACTION READ ONLY), typed errors (auth, connect, timeout, TLS, a
 * connection KILLed mid-stream), server-side release on early stop, 1,000,000 rows with bounded memory, conformance.
 */
import { it as effectIt } from "@effect/vitest"
import { type Source, SourceError } from "@anysource/core"
import { SourceConformance } from "@anysource/core/testing"
import { Chunk, Effect, Exit, Redacted, Stream } from "effect"
import mysql from "mysql2/promise"
import { afterAll, beforeAll, describe, expect } from "vitest"
import * as MysqlDriver from "../src/internal/mysql.ts"
import { SqlSource, sqlSource } from "../src/index.ts"
import { drainMeasuringRss, requireEnv, tlsCaFile } from "./support/services.ts"

const bigRows = 1_000_000
const url = () => requireEnv("MYSQL_URL")

const admin = async <T>(run: (connection: mysql.Connection) => Promise<T>): Promise<T> => {
  const connection = await mysql.createConnection({ uri: url(), charset: "UTF8MB4_UNICODE_CI", timezone: "Z" })
  try {
    return await run(connection)
  } finally {
    await connection.end()
  }
}

const nfd = "Jose\u0301 Mu\u0308ller"

beforeAll(async () => {
  // Without the server every test below fails on its own (requireEnv), rather than being reported as skipped.
  if (!process.env["MYSQL_URL"]) return
  await admin(async (c) => {
    await c.query("SET time_zone = '+00:00'")
    await c.query("DROP TABLE IF EXISTS sqlsrc_people, sqlsrc_types, sqlsrc_guarded")
    await c.query("CREATE TABLE sqlsrc_people (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL, name VARCHAR(100)) CHARACTER SET utf8mb4")
    await c.query(
      "INSERT INTO sqlsrc_people VALUES (3, 'c@example.com', 'Zoë 😀'), (1, 'a@example.com', ?), (2, 'b@example.com', NULL), (5, 'e@example.com', 'Eve'), (4, 'd@example.com', 'Dan')",
      [nfd]
    )
    await c.query("CREATE TABLE sqlsrc_guarded (id INT PRIMARY KEY, v TEXT) ENGINE=InnoDB")
    await c.query("INSERT INTO sqlsrc_guarded VALUES (1, 'keep')")
    await c.query(`
      CREATE TABLE sqlsrc_types (
        id INT PRIMARY KEY, t VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, n DECIMAL(38,10), big BIGINT, ubig BIGINT UNSIGNED,
        i INT, f DOUBLE, flag BOOLEAN, bit1 BIT(1), bits BIT(12), d DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), y YEAR,
        j JSON, raw VARBINARY(16), e ENUM('a','b'), nul VARCHAR(10)
      ) CHARACTER SET utf8mb4`)
    await c.query(
      `INSERT INTO sqlsrc_types VALUES
        (1, ?, 1234567890123456789012345678.0123456789, 9223372036854775807, 18446744073709551615, 2147483647, 0.1, TRUE, b'1', b'101010101010',
         '2024-02-29', '2024-02-29 23:59:59.123456', '2024-02-29 18:29:59.123456', '12:34:56.5', 2024, '{"a": [1, "x", null]}', X'0001FEFF', 'b', NULL),
        (2, ?, -9999999999999999999999999999.9999999999, -9223372036854775808, 0, 0, -2.5e-10, FALSE, b'0', b'0',
         '1000-01-01', '1970-01-01 00:00:00', '1970-01-01 00:00:01', '-838:59:59', 1901, 'null', X'', 'a', NULL)`,
      ["Zoë 😀 Ørsted — 北京", nfd]
    )
    const [present] = (await c.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'sqlsrc_big'")) as unknown as [
      Array<{ n: number }>
    ]
    let ready = Number(present[0]!.n) === 1
    if (ready) {
      const [count] = (await c.query("SELECT COUNT(*) AS n FROM sqlsrc_big")) as unknown as [Array<{ n: number }>]
      ready = Number(count[0]!.n) === bigRows
    }
    if (!ready) {
      await c.query("DROP TABLE IF EXISTS sqlsrc_big")
      await c.query(
        "CREATE TABLE sqlsrc_big (id INT PRIMARY KEY, email VARCHAR(100), name CHAR(32), amount DECIMAL(12,2)) ENGINE=InnoDB CHARACTER SET utf8mb4"
      )
      await c.query(
        `INSERT INTO sqlsrc_big SELECT seq, CONCAT('user', seq, '@example.com'), MD5(seq), seq MOD 1000 FROM seq_1_to_${bigRows}`
      )
    }
  })
}, 120_000)

afterAll(async () => {
  if (process.env["MYSQL_URL"]) await admin((c) => c.query("DROP TABLE IF EXISTS sqlsrc_people, sqlsrc_types, sqlsrc_guarded"))
})

const config = (overrides: Record<string, unknown> = {}) =>
  SqlSource.SqlSourceConfig.parse({ dialect: "mysql", url: url(), query: "SELECT * FROM sqlsrc_people", keyColumn: "id", ...overrides })

const withSource = <A, E>(overrides: Record<string, unknown>, use: (source: Source.Source) => Effect.Effect<A, E>) =>
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

const threadsRunning = (marker: string) =>
  Effect.promise(() =>
    admin(async (c) => {
      const [rows] = (await c.query(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE ? AND COMMAND <> 'Killed'",
        [`%${marker}%`]
      )) as unknown as [Array<{ ID: number }>]
      return rows.map((r) => Number(r.ID))
    })
  )

describe("MariaDB: exact values", () => {
  effectIt.live("types round-trip exactly", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ query: "SELECT * FROM sqlsrc_types" })
      expect(rows.map((r) => r.location)).toEqual(["id=1", "id=2"])
      expect(rows[0]!.data).toEqual({
        id: 1,
        t: "Zoë 😀 Ørsted — 北京",
        n: "1234567890123456789012345678.0123456789",
        big: "9223372036854775807",
        ubig: "18446744073709551615",
        i: 2147483647,
        f: 0.1,
        flag: true,
        bit1: true,
        bits: 0b101010101010,
        d: "2024-02-29",
        dt: "2024-02-29T23:59:59.123456",
        ts: "2024-02-29T18:29:59.123456Z",
        tm: "12:34:56.500000",
        y: 2024,
        j: { a: [1, "x", null] },
        raw: Buffer.from([0, 1, 254, 255]).toString("base64"),
        e: "b",
        nul: null
      })
      expect(rows[1]!.data).toMatchObject({
        t: nfd,
        n: "-9999999999999999999999999999.9999999999",
        big: "-9223372036854775808",
        ubig: "0",
        f: -2.5e-10,
        flag: false,
        bit1: false,
        bits: 0,
        d: "1000-01-01",
        dt: "1970-01-01T00:00:00.000000",
        ts: "1970-01-01T00:00:01.000000Z",
        tm: "-838:59:59.000000",
        j: null,
        raw: ""
      })
      expect((rows[1]!.data["t"] as string).normalize("NFC")).not.toBe(nfd)
    })
  )

  effectIt.live("keyColumn orders rows and locates them; params are bound; '?' inside a string stays literal", () =>
    Effect.gen(function* () {
      const rows = yield* readAll()
      expect(rows.map((r) => r.location)).toEqual(["id=1", "id=2", "id=3", "id=4", "id=5"])
      expect(rows[0]!.data["name"]).toBe(nfd)
      const one = yield* readAll({
        query: "SELECT id, 'why?' AS q FROM sqlsrc_people WHERE email = :email OR name = :evil OR name = :nfd",
        params: { email: "d@example.com", evil: "x' OR '1'='1", nfd: "nobody\\' OR 1=1 -- " }
      })
      expect(one.map((r) => r.data)).toEqual([{ id: 4, q: "why?" }])
      const unicode = yield* readAll({ query: "SELECT id FROM sqlsrc_people WHERE name = :name", params: { name: "Zoë 😀" } })
      expect(unicode.map((r) => r.data)).toEqual([{ id: 3 }])
    })
  )

  effectIt.live("check validates the query and keyColumn without reading rows", () =>
    Effect.gen(function* () {
      yield* withSource({}, (s) => s.check)
      const missing = yield* failure(withSource({ query: "SELECT * FROM sqlsrc_nope" }, (s) => s.check))
      expect(missing.reason).toBe("Query")
      expect(missing.message).toMatch(/sqlsrc_nope' doesn't exist/)
      const key = yield* failure(withSource({ keyColumn: "employee_id", orderByKey: false }, (s) => s.check))
      expect(key.message).toMatch(/keyColumn "employee_id" is not a column/)
    })
  )
})

describe("MariaDB: read-only by construction", () => {
  effectIt.live("the guard refuses writes before connecting", () =>
    Effect.gen(function* () {
      for (const query of [
        "DELETE FROM sqlsrc_guarded",
        "SELECT * FROM sqlsrc_guarded INTO OUTFILE '/tmp/sqlsrc_out'",
        "SELECT * FROM sqlsrc_guarded LOCK IN SHARE MODE",
        "SELECT 1 /*!50000 ; DELETE FROM sqlsrc_guarded */",
        "SELECT 1; DROP TABLE sqlsrc_guarded"
      ]) {
        const error = yield* failure(Effect.scoped(SqlSource.make({ ...config(), query }, { baseDir: "." })))
        expect(error.reason).toBe("Query")
      }
    })
  )

  effectIt.live("the READ ONLY transaction refuses a write that got past the guard", () =>
    Effect.gen(function* () {
      const u = new URL(url())
      const driver = MysqlDriver.make(
        {
          dialect: "mysql",
          host: u.hostname,
          port: Number(u.port),
          database: u.pathname.slice(1),
          user: decodeURIComponent(u.username),
          password: Redacted.make(decodeURIComponent(u.password)),
          connectTimeoutMs: 5000,
          statementTimeoutMs: 5000
        },
        100
      )
      const error = yield* Effect.promise(() =>
        driver.open({ dialect: "mysql", text: "DELETE FROM sqlsrc_guarded", values: [], parameters: [] }).then(
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
      expect(String(error)).toMatch(/READ ONLY transaction/i)
      const [rows] = (yield* Effect.promise(() => admin((c) => c.query("SELECT COUNT(*) AS n FROM sqlsrc_guarded")))) as unknown as [
        Array<{ n: number }>
      ]
      expect(Number(rows[0]!.n)).toBe(1)
    })
  )
})

describe("MariaDB: typed errors", () => {
  effectIt.live("a wrong password is Auth (not retryable) and the message holds no password", () =>
    Effect.gen(function* () {
      const wrong = new URL(url())
      wrong.password = "not-the-password-42"
      const error = yield* failure(withSource({ url: wrong.toString() }, (s) => s.check))
      expect(error).toMatchObject({ source: "sql", reason: "Auth", retryable: false })
      expect(error.message).toMatch(/Access denied/)
      expect(error.message).not.toContain("not-the-password-42")
    })
  )

  effectIt.live("a refused connection is Connect (retryable)", () =>
    Effect.gen(function* () {
      const error = yield* failure(readAll({ url: "mysql://etl:etl@127.0.0.1:1/etl" }))
      expect(error).toMatchObject({ reason: "Connect", retryable: true })
      expect(error.message).toMatch(/^mysql 127\.0\.0\.1:1\/etl: /)
    })
  )

  effectIt.live("statementTimeoutMs is a retryable Timeout", () =>
    Effect.gen(function* () {
      const error = yield* failure(
        readAll({ keyColumn: undefined, query: "SELECT SLEEP(5)", statementTimeoutMs: 300 })
      )
      expect(error).toMatchObject({ reason: "Timeout", retryable: true })
    })
  )

  effectIt.live("TLS: verified with the test CA (the session cipher says so); refused without it; allowed when verification is off", () =>
    Effect.gen(function* () {
      const query = "SELECT VARIABLE_VALUE <> '' AS tls FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'"
      const verified = yield* readAll({ keyColumn: undefined, query, tls: { caFile: tlsCaFile("MYSQL_TLS_CA") } })
      expect(verified.map((r) => r.data)).toEqual([{ tls: 1 }])
      const plain = yield* readAll({ keyColumn: undefined, query })
      expect(plain.map((r) => r.data)).toEqual([{ tls: 0 }])
      const untrusted = yield* failure(readAll({ keyColumn: undefined, query, url: `${url()}?sslmode=require` }))
      expect(untrusted).toMatchObject({ reason: "Connect", retryable: false })
      const unverified = yield* readAll({ keyColumn: undefined, query, tls: { rejectUnauthorized: false } })
      expect(unverified.map((r) => r.data)).toEqual([{ tls: 1 }])
    })
  )
})

describe("MariaDB: streaming", () => {
  effectIt.live(
    "a connection KILLed mid-stream is a retryable Connect error, and the stream yields no partial success",
    () =>
      Effect.gen(function* () {
        let killed = false
        const exit = yield* withSource({ query: "SELECT id, email FROM sqlsrc_big", fetchSize: 100 }, (source) =>
          source.read.pipe(
            Stream.tap((row) =>
              row.location === "id=500" && !killed
                ? Effect.gen(function* () {
                    const ids = yield* threadsRunning("FROM sqlsrc_big")
                    expect(ids.length).toBe(1)
                    yield* Effect.promise(() => admin((c) => c.query(`KILL ${ids[0]}`)))
                    killed = true
                  })
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

  effectIt.live("stopping early drops the connection: the server stops sending", () =>
    Effect.gen(function* () {
      const rows = yield* withSource({ query: "SELECT id FROM sqlsrc_big", fetchSize: 50 }, (source) => source.read.pipe(Stream.take(5), Stream.runCollect))
      expect(Chunk.toReadonlyArray(rows).map((r) => r.location)).toEqual(["id=1", "id=2", "id=3", "id=4", "id=5"])
      let running = yield* threadsRunning("FROM sqlsrc_big")
      for (let i = 0; i < 60 && running.length > 0; i++) {
        yield* Effect.sleep("50 millis")
        running = yield* threadsRunning("FROM sqlsrc_big")
      }
      expect(running).toEqual([])
    })
  )

  effectIt.live(
    `${bigRows.toLocaleString("en")} rows stream with bounded memory`,
    () =>
      Effect.gen(function* () {
        const report = yield* withSource({ query: "SELECT id, email, name, amount FROM sqlsrc_big", fetchSize: 1000 }, (source) =>
          drainMeasuringRss(source.read)
        )
        console.info(
          `[source-sql] mariadb: ${report.rows} rows in ${report.seconds}s; RSS ${report.baselineMb} MB → peak ${report.peakMb} MB (+${report.growthMb} MB); heap retained after GC +${report.retainedMb} MB`
        )
        expect(report.rows).toBe(bigRows)
        expect(report.retainedMb).toBeLessThan(40)
        expect(report.growthMb).toBeLessThan(250)
      }),
    120_000
  )
})

SourceConformance.run({
  definition: sqlSource,
  validConfig: () => ({ dialect: "mysql", url: url(), query: "SELECT id, email, name FROM sqlsrc_people", keyColumn: "id" }),
  invalidConfigs: [
    { dialect: "mysql", url: "mysql://h/db", query: "UPDATE people SET a = 1" },
    { dialect: "mysql", url: "postgres://h/db", query: "SELECT 1" },
    { dialect: "mysql", host: "h", query: "SELECT * FROM t WHERE id = ?" },
    { dialect: "mysql", host: "h", query: "SELECT 1", tls: { caFile: "" } }
  ],
  expectedRows: 5,
  failingConfig: { dialect: "mysql", url: "mysql://etl:etl@127.0.0.1:1/etl", query: "SELECT 1", connectTimeoutMs: 2000 }
})
