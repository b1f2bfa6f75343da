/**
 * The `sql` source against real SQLite files (no server needed): exact values, locations, ordering, the
 * read-only guarantees, typed errors, laziness and release of the file handle, and the conformance battery.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { it as effectIt } from "@effect/vitest"
import { SourceError } from "@anysource/core"
import { SourceConformance } from "@anysource/core/testing"
import Database from "better-sqlite3"
import { Chunk, Effect, Exit, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqlSource, sqlSource } from "../src/index.ts"
import * as SqliteDriver from "../src/internal/sqlite.ts"

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-sql-sqlite-"))
const file = Path.join(dir, "hr.db")
const nfd = "Jose\u0301 Mu\u0308ller" // "José Müller" decomposed

beforeAll(() => {
  const db = new Database(file)
  db.exec(`
    CREATE TABLE people (
      id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, big INTEGER, ratio REAL, amount TEXT,
      hired TEXT, photo BLOB, active INTEGER, note TEXT
    );
  `)
  const insert = db.prepare("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
  insert.run(3, "c@example.com", "Zoë 😀 Ørsted", 9223372036854775807n, 0.1, "1234567890123456789012345678.0123456789", "2024-02-29T23:59:59.123456+05:30", Buffer.from([0, 1, 254, 255]), 1, null)
  insert.run(1, "a@example.com", nfd, -9223372036854775808n, -2.5e-10, "0.0000000001", "1970-01-01", null, 0, "")
  insert.run(2, "b@example.com", null, 42, null, null, null, null, null, "DELETE FROM people; -- just text")
  db.close()
})

afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

const config = (overrides: Record<string, unknown> = {}) =>
  SqlSource.SqlSourceConfig.parse({ dialect: "sqlite", database: file, query: "SELECT * FROM people", keyColumn: "id", ...overrides })

const readAll = (overrides: Record<string, unknown> = {}) =>
  Effect.scoped(
    Effect.gen(function* () {
      const source = yield* SqlSource.make(config(overrides), { baseDir: dir })
      return Chunk.toReadonlyArray(yield* Stream.runCollect(source.read))
    })
  )

const failure = <A>(effect: Effect.Effect<A, SourceError>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) throw new Error("expected a failure")
    const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
    if (!(error instanceof SourceError)) throw new Error(`expected a SourceError, got ${String(exit.cause)}`)
    return error
  })

describe("sql source on SQLite", () => {
  effectIt.effect("values come out exactly: Unicode (emoji, NFD kept), NULLs, 64-bit integers, reals, decimals as text, blobs as base64", () =>
    Effect.gen(function* () {
      const rows = yield* readAll()
      expect(rows.map((r) => r.location)).toEqual(["id=1", "id=2", "id=3"])
      const [one, two, three] = rows.map((r) => r.data)
      expect(three).toEqual({
        id: 3,
        email: "c@example.com",
        name: "Zoë 😀 Ørsted",
        big: "9223372036854775807",
        ratio: 0.1,
        amount: "1234567890123456789012345678.0123456789",
        hired: "2024-02-29T23:59:59.123456+05:30",
        photo: Buffer.from([0, 1, 254, 255]).toString("base64"),
        active: 1,
        note: null
      })
      expect(one!["name"]).toBe(nfd)
      expect((one!["name"] as string).normalize("NFC")).not.toBe(one!["name"])
      expect(one!["big"]).toBe("-9223372036854775808")
      expect(one!["ratio"]).toBe(-2.5e-10)
      expect(one!["note"]).toBe("")
      expect(two).toMatchObject({ id: 2, name: null, big: 42, ratio: null, amount: null, note: "DELETE FROM people; -- just text" })
    })
  )

  effectIt.effect("named parameters are bound (an injection attempt is just a value)", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({
        query: "SELECT id FROM people WHERE email = :email OR note = :note",
        params: { email: "a@example.com", note: "x' OR '1'='1" }
      })
      expect(rows.map((r) => r.data)).toEqual([{ id: 1 }])
    })
  )

  effectIt.effect("without keyColumn rows are located by number, in the query's own order", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ keyColumn: undefined, query: "SELECT id FROM people ORDER BY id DESC" })
      expect(rows.map((r) => [r.location, r.data["id"]])).toEqual([
        ["row 1", 3],
        ["row 2", 2],
        ["row 3", 1]
      ])
    })
  )

  effectIt.effect("orderByKey: false keeps the query's order but still locates by key", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ orderByKey: false, query: "SELECT id FROM people ORDER BY id DESC" })
      expect(rows.map((r) => r.location)).toEqual(["id=3", "id=2", "id=1"])
    })
  )

  effectIt.effect("a NULL key falls back to the row number", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ keyColumn: "name", query: "SELECT id, name FROM people", orderByKey: false })
      expect(rows.map((r) => r.location)).toContain("row 2")
      expect(rows.map((r) => r.location)).toContain("name=Zoë 😀 Ørsted")
    })
  )

  effectIt.effect("fetchSize 1 streams the same rows", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ fetchSize: 1 })
      expect(rows.map((r) => r.data["id"])).toEqual([1, 2, 3])
    })
  )

  effectIt.effect("fingerprint names the file, a query hash and the row count after a read", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const source = yield* SqlSource.make(config(), { baseDir: dir })
        expect(yield* source.fingerprint!).toBeUndefined()
        yield* Stream.runDrain(source.read)
        const fingerprint = yield* source.fingerprint!
        expect(fingerprint).toMatch(new RegExp(`^sqlite ${file.replaceAll("/", "\\/")} query:[0-9a-f]{16} rows:3$`))
      })
    )
  )

  effectIt.effect("check passes, and fails with Query when keyColumn is not a result column", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const good = yield* SqlSource.make(config(), { baseDir: dir })
        yield* good.check
        const bad = yield* SqlSource.make(config({ keyColumn: "employee_id", orderByKey: false }), { baseDir: dir })
        const error = yield* failure(bad.check)
        expect(error.reason).toBe("Query")
        expect(error.message).toMatch(/keyColumn "employee_id" is not a column of the query result \(columns: id, email/)
        const readError = yield* failure(Stream.runDrain(bad.read))
        expect(readError.reason).toBe("Query")
      })
    )
  )

  effectIt.effect("duplicate result column names are refused instead of silently dropping one", () =>
    Effect.gen(function* () {
      const error = yield* failure(readAll({ keyColumn: undefined, query: "SELECT p.id, q.id FROM people p JOIN people q ON p.id = q.id" }))
      expect(error.reason).toBe("Query")
      expect(error.message).toMatch(/two columns named "id"/)
    })
  )

  effectIt.effect("SQL errors are Query errors; a missing file is NotFound; neither is retryable", () =>
    Effect.gen(function* () {
      const syntax = yield* failure(readAll({ keyColumn: undefined, query: "SELECT nope FROM people" }))
      expect(syntax.reason).toBe("Query")
      expect(syntax.retryable).toBe(false)
      expect(syntax.message).toMatch(/no such column: nope/)
      const missing = yield* failure(readAll({ database: Path.join(dir, "missing.db") }))
      expect(missing.reason).toBe("NotFound")
      expect(missing.retryable).toBe(false)
    })
  )

  effectIt.effect("a relative database path resolves against the config's directory", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ database: "hr.db" })
      expect(rows).toHaveLength(3)
    })
  )

  effectIt.effect("statementTimeoutMs stops a long query with a retryable Timeout", () =>
    Effect.gen(function* () {
      const error = yield* failure(
        readAll({
          keyColumn: undefined,
          statementTimeoutMs: 50,
          fetchSize: 100_000,
          query: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) SELECT i FROM n"
        })
      )
      expect(error.reason).toBe("Timeout")
      expect(error.retryable).toBe(true)
    })
  )
})

describe("sql source on SQLite: read-only by construction", () => {
  const writes = [
    "DELETE FROM people",
    "UPDATE people SET email = 'x'",
    "INSERT INTO people (id, email) VALUES (9, 'x')",
    "DROP TABLE people",
    "WITH x AS (SELECT 1) DELETE FROM people",
    "SELECT 1; DELETE FROM people",
    "SELECT * FROM people; DROP TABLE people"
  ]

  it.each(writes)("the config schema refuses %s (path source.query)", (query) => {
    const result = SqlSource.SqlSourceConfig.safeParse({ dialect: "sqlite", database: file, query })
    expect(result.success).toBe(false)
    expect(result.error!.issues.map((i) => i.path.join("."))).toContain("query")
  })

  effectIt.effect.each(writes)("make refuses %s with SourceError Query before opening the file", (query) =>
    Effect.gen(function* () {
      const parsed = config()
      const error = yield* failure(Effect.scoped(SqlSource.make({ ...parsed, query }, { baseDir: dir })))
      expect(error.reason).toBe("Query")
      expect(error.message).toMatch(/^the query was refused: /)
    })
  )

  it.each([
    ["DELETE FROM people", /returns no rows/],
    ["INSERT INTO people (id, email) VALUES (9, 'x') RETURNING id", /would write/],
    ["UPDATE people SET email = 'x' RETURNING id", /would write/],
    ["PRAGMA user_version = 7", /returns no rows/]
  ])("behind the guard, the driver itself refuses %s (guard bypassed on purpose)", async (text, message) => {
    const driver = SqliteDriver.make({ dialect: "sqlite", file, connectTimeoutMs: 1000, statementTimeoutMs: 0 })
    const error = await driver.open({ dialect: "sqlite", text, values: [], parameters: [] }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(String(error)).toMatch(message)
    expect(driver.classify(error).reason).toBe("Query")
    // nothing was written
    const db = new Database(file, { readonly: true })
    expect(db.prepare("SELECT count(*) AS n, max(id) AS top FROM people").get()).toEqual({ n: 3, top: 3 })
    expect(db.pragma("user_version", { simple: true })).toBe(0)
    db.close()
  })
})

describe("sql source config", () => {
  it("url, fields and TLS are validated by path without echoing the URL", () => {
    const bad = SqlSource.SqlSourceConfig.safeParse({ dialect: "postgres", url: "mysql://u:s3cret@h/db", query: "SELECT 1" })
    expect(bad.success).toBe(false)
    const messages = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
    expect(messages.join("\n")).toMatch(/^url: must start with postgres:\/\/ or postgresql:\/\//m)
    expect(messages.join("\n")).not.toContain("s3cret")
    const both = SqlSource.SqlSourceConfig.safeParse({ dialect: "mysql", url: "mysql://h/db", host: "h", query: "SELECT 1" })
    expect(both.error!.issues.map((i) => i.path.join("."))).toContain("host")
    const noHost = SqlSource.SqlSourceConfig.safeParse({ dialect: "postgres", query: "SELECT 1" })
    expect(noHost.error!.issues.map((i) => i.path.join("."))).toContain("host")
    const param = SqlSource.SqlSourceConfig.safeParse({ dialect: "postgres", url: "postgres://h/db?application_name=x", query: "SELECT 1" })
    expect(param.error!.issues[0]!.message).toMatch(/unsupported parameter "application_name"/)
    const sqliteHost = SqlSource.SqlSourceConfig.safeParse({ dialect: "sqlite", database: "x.db", host: "h", query: "SELECT 1" })
    expect(sqliteHost.error!.issues.map((i) => i.path.join("."))).toContain("host")
  })

  it("url and password are Redacted after parsing", () => {
    const parsed = SqlSource.SqlSourceConfig.parse({ dialect: "postgres", url: "postgres://u:pw@h/db", password: "other", query: "SELECT 1" })
    expect(String(parsed.url)).not.toContain("pw")
    expect(JSON.stringify(parsed)).not.toContain("other")
  })

  it("sqlite: urls name the file", async () => {
    for (const url of [`sqlite://${file}`, `file:${file}`, `sqlite:${file}`]) {
      const rows = await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const source = yield* SqlSource.make(SqlSource.SqlSourceConfig.parse({ dialect: "sqlite", url, query: "SELECT id FROM people" }), {
              baseDir: "/"
            })
            return Chunk.size(yield* Stream.runCollect(source.read))
          })
        )
      )
      expect(rows).toBe(3)
    }
  })

  it("a missing CA file is a Config error naming tls.caFile", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.scoped(
        SqlSource.make(
          SqlSource.SqlSourceConfig.parse({ dialect: "postgres", host: "127.0.0.1", tls: { caFile: "nope.pem" }, query: "SELECT 1" }),
          { baseDir: dir }
        )
      )
    )
    expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.reason).toBe("Config")
    expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.message).toMatch(/^tls\.caFile: cannot read nope\.pem/)
  })
})

SourceConformance.run({
  definition: sqlSource,
  validConfig: { dialect: "sqlite", database: file, query: "SELECT id, email, name FROM people", keyColumn: "id" },
  invalidConfigs: [
    { dialect: "sqlite", database: file, query: "DELETE FROM people" },
    { dialect: "sqlite", database: file, query: "SELECT 1; SELECT 2" },
    { dialect: "oracle", database: file, query: "SELECT 1" },
    { dialect: "sqlite", query: "SELECT 1" },
    { dialect: "sqlite", database: file, query: "SELECT :x" },
    { dialect: "sqlite", database: file, query: "SELECT 1", fetchSize: 0 }
  ],
  expectedRows: 3,
  failingConfig: { dialect: "sqlite", database: Path.join(dir, "does-not-exist.db"), query: "SELECT 1" },
  baseDir: dir
})
