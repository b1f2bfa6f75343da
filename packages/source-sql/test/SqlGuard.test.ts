import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { SqlGuard } from "../src/index.ts"

type Dialect = SqlGuard.Dialect
const dialects: ReadonlyArray<Dialect> = ["postgres", "mysql", "sqlite"]

const ok = (dialect: Dialect, sql: string, params: Record<string, SqlGuard.ParamValue> = {}): SqlGuard.PreparedQuery => {
  const result = SqlGuard.prepare(dialect, sql, params)
  if (Either.isLeft(result)) throw new Error(`refused (${dialect}): ${result.left.message}`)
  return result.right
}

const refused = (dialect: Dialect, sql: string, params: Record<string, SqlGuard.ParamValue> = {}): string => {
  const result = SqlGuard.prepare(dialect, sql, params)
  if (Either.isRight(result)) throw new Error(`accepted (${dialect}): ${sql}`)
  return result.left.message
}

describe("SqlGuard: what is accepted", () => {
  it.each(dialects)("plain SELECT, WITH, parenthesised SELECT and a trailing semicolon (%s)", (dialect) => {
    expect(ok(dialect, "SELECT id, email FROM people").text).toBe("SELECT id, email FROM people")
    expect(ok(dialect, "  with t as (select 1 as id) select * from t").text).toBe("  with t as (select 1 as id) select * from t")
    expect(ok(dialect, "(SELECT 1) UNION (SELECT 2)").text).toBe("(SELECT 1) UNION (SELECT 2)")
    expect(ok(dialect, "SELECT 1;").text).toBe("SELECT 1")
    expect(ok(dialect, "SELECT 1 ; ;  -- done\n").text).toBe("SELECT 1")
  })

  it.each(dialects)("forbidden words inside strings, quoted identifiers and comments are fine (%s)", (dialect) => {
    ok(dialect, "SELECT 'DELETE FROM x; DROP TABLE y' AS note FROM t")
    ok(dialect, "SELECT 1 /* UPDATE t SET a = 1; */ FROM t")
    ok(dialect, "SELECT 1 -- INSERT INTO t VALUES (1); DELETE\nFROM t")
    ok(dialect, dialect === "mysql" ? "SELECT `update`, `into` FROM t" : 'SELECT "update", "into" FROM t')
    ok(dialect, "SELECT 'it''s; fine' FROM t")
  })

  it("a column that merely contains a forbidden word is fine", () => {
    for (const dialect of dialects) ok(dialect, "SELECT updated_at, deleted, insert_ts, into_x, for_update FROM t WHERE deleted = 0")
  })

  it("FOR without a locking word (SUBSTRING … FOR n) is fine", () => {
    ok("postgres", "SELECT substring(name FROM 1 FOR 3) FROM t")
  })

  it("PostgreSQL: dollar quotes, nested comments, E-strings, casts, JSON ? operator, array slices", () => {
    ok("postgres", "SELECT $$ DELETE FROM t; $$ AS a, $tag$ it's ; $tag$ AS b FROM t")
    ok("postgres", "SELECT 1 /* outer /* inner; DELETE */ still comment; UPDATE */ FROM t")
    ok("postgres", "SELECT E'it\\'s; DELETE' FROM t")
    ok("postgres", "SELECT created::date, payload ? 'email', tags[1:2] FROM t")
    const prepared = ok("postgres", "SELECT a[lo:hi], ARRAY[:x, :y] FROM t", { x: 1, y: 2 })
    expect(prepared.text).toBe("SELECT a[lo:hi], ARRAY[$1, $2] FROM t")
  })

  it("MySQL: backslash escapes, # comments, double-quoted strings and := are understood", () => {
    ok("mysql", "SELECT 'it\\'s; DELETE' FROM t")
    ok("mysql", 'SELECT "a; UPDATE" FROM t # DELETE FROM t; \n WHERE 1')
    ok("mysql", "SELECT @n := @n + 1 AS n FROM t")
  })

  it("SQLite: [bracketed] identifiers", () => {
    ok("sqlite", "SELECT [delete], [into] FROM t")
  })
})

describe("SqlGuard: what is refused", () => {
  const writes: ReadonlyArray<[string, RegExp]> = [
    ["INSERT INTO t VALUES (1)", /SELECT/],
    ["UPDATE t SET a = 1", /SELECT/],
    ["DELETE FROM t", /SELECT/],
    ["DROP TABLE t", /starts with "DROP"/],
    ["TRUNCATE t", /SELECT/],
    ["CREATE TABLE x AS SELECT 1", /SELECT/],
    ["WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone", /DELETE is not allowed/],
    ["WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x", /UPDATE is not allowed/],
    ["WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM x", /INSERT is not allowed/],
    ["SELECT * INTO backup FROM t", /SELECT … INTO is not allowed/],
    ["SELECT * FROM t FOR UPDATE", /UPDATE is not allowed|locking/],
    ["SELECT * FROM t FOR SHARE", /locking clauses \(FOR SHARE/],
    ["SELECT * FROM t FOR NO KEY UPDATE", /locking|UPDATE/],
    ["SELECT 1; DELETE FROM t", /only one statement/],
    ["SELECT 1; SELECT 2", /only one statement/],
    ["", /empty/],
    ["  -- nothing\n ; ", /empty/]
  ]
  for (const dialect of dialects) {
    it.each(writes)(`${dialect}: %s`, (sql, message) => {
      expect(refused(dialect, sql)).toMatch(message)
    })
  }

  it("MySQL: SELECT … INTO OUTFILE, LOCK IN SHARE MODE, executable comments, -- without a space", () => {
    expect(refused("mysql", "SELECT * FROM t INTO OUTFILE '/tmp/x'")).toMatch(/INTO/)
    expect(refused("mysql", "SELECT * FROM t LOCK IN SHARE MODE")).toMatch(/LOCK IN SHARE MODE/)
    expect(refused("mysql", "SELECT 1 /*!50000 ; DELETE FROM t */")).toMatch(/executable comments/)
    expect(refused("mysql", "SELECT 1 /*M! ; DELETE FROM t */")).toMatch(/executable comments/)
    // `--1` is "minus minus one" in MySQL, not a comment: the statement after it is seen
    expect(refused("mysql", "SELECT 1 --1; DELETE FROM t")).toMatch(/only one statement/)
  })

  it("MySQL: a quote escaped by a backslash does not end the string", () => {
    ok("mysql", "SELECT 'a\\'; DELETE FROM t; --' FROM t")
    // In PostgreSQL the backslash is literal: the string ends and a second statement follows.
    expect(refused("postgres", "SELECT 'a\\'; DELETE FROM t; --' FROM t")).toMatch(/only one statement/)
  })

  it("unterminated strings, comments and dollar quotes are refused", () => {
    expect(refused("postgres", "SELECT 'abc")).toMatch(/unterminated string/)
    expect(refused("sqlite", 'SELECT "abc')).toMatch(/unterminated quoted identifier/)
    expect(refused("mysql", "SELECT 1 /* abc")).toMatch(/unterminated \/\* comment/)
    expect(refused("postgres", "SELECT 1 /* a /* b */")).toMatch(/unterminated/)
    expect(refused("postgres", "SELECT $x$ abc")).toMatch(/dollar-quoted/)
    expect(refused("sqlite", "SELECT [abc")).toMatch(/unterminated \[identifier/)
  })

  it("positional placeholders are refused in favour of :name", () => {
    expect(refused("postgres", "SELECT * FROM t WHERE id = $1")).toMatch(/positional parameters like \$1/)
    expect(refused("mysql", "SELECT * FROM t WHERE id = ?")).toMatch(/positional parameters \(\?\)/)
    expect(refused("sqlite", "SELECT * FROM t WHERE id = ?1")).toMatch(/positional/)
    expect(refused("sqlite", "SELECT * FROM t WHERE id = @id")).toMatch(/:name/)
    expect(refused("sqlite", "SELECT * FROM t WHERE id = $id")).toMatch(/:name/)
  })

  it("the offset points at the offending token", () => {
    const result = SqlGuard.prepare("postgres", "SELECT 1; DELETE FROM t")
    expect(Either.isLeft(result) && result.left.offset).toBe(8)
  })
})

describe("SqlGuard: named parameters", () => {
  const params = { dept: "Sales", min: 10, active: true, nothing: null }
  const sql = "SELECT * FROM people WHERE dept = :dept AND level >= :min AND active = :active AND (x = :nothing OR :dept <> '')"

  it("PostgreSQL: $n placeholders, one per distinct name, values in that order", () => {
    const prepared = ok("postgres", sql, params)
    expect(prepared.text).toBe("SELECT * FROM people WHERE dept = $1 AND level >= $2 AND active = $3 AND (x = $4 OR $1 <> '')")
    expect(prepared.values).toEqual(["Sales", 10, true, null])
    expect(prepared.parameters).toEqual(["dept", "min", "active", "nothing"])
  })

  it("SQLite: ? placeholders with the value repeated per use; booleans become 1/0", () => {
    const prepared = ok("sqlite", sql, params)
    expect(prepared.text).toBe("SELECT * FROM people WHERE dept = ? AND level >= ? AND active = ? AND (x = ? OR ? <> '')")
    expect(prepared.values).toEqual(["Sales", 10, 1, null, "Sales"])
  })

  it("MySQL: typed literals; strings as utf8mb4 hex literals that no quote can escape", () => {
    const prepared = ok("mysql", "SELECT * FROM t WHERE a = :a AND b = :b AND c = :c AND d = :d AND e = :e", {
      a: "x' OR '1'='1",
      b: 1.5,
      c: false,
      d: null,
      e: ""
    })
    const hex = Buffer.from("x' OR '1'='1", "utf8").toString("hex")
    expect(prepared.text).toBe(`SELECT * FROM t WHERE a = _utf8mb4 X'${hex}' AND b = 1.5 AND c = FALSE AND d = NULL AND e = ''`)
    expect(prepared.values).toEqual([])
  })

  it("a value can never change the statement: injection attempts are bound, not spliced", () => {
    const evil = "'; DELETE FROM people; --"
    const pg = ok("postgres", "SELECT * FROM people WHERE name = :name", { name: evil })
    expect(pg.text).not.toContain("DELETE")
    expect(pg.values).toEqual([evil])
    const lite = ok("sqlite", "SELECT * FROM people WHERE name = :name", { name: evil })
    expect(lite.text).not.toContain("DELETE")
    const my = ok("mysql", "SELECT * FROM people WHERE name = :name", { name: evil })
    expect(my.text).not.toContain("DELETE")
  })

  it("placeholders inside strings, comments and casts are not parameters", () => {
    const prepared = ok("postgres", "SELECT ':dept', x::text /* :dept */ FROM t WHERE d = :dept -- :nope\n", { dept: "a" })
    expect(prepared.text).toBe("SELECT ':dept', x::text /* :dept */ FROM t WHERE d = $1 -- :nope")
    expect(prepared.values).toEqual(["a"])
  })

  it("an unknown parameter names what params has", () => {
    expect(refused("postgres", "SELECT * FROM t WHERE a = :missing", { dept: "x" })).toMatch(/uses :missing but params has no "missing" \(params: dept\)/)
    expect(refused("sqlite", "SELECT * FROM t WHERE a = :missing")).toMatch(/params is empty/)
  })

  it("a param the query does not use is refused (a typo would otherwise go unnoticed)", () => {
    expect(refused("postgres", "SELECT * FROM t WHERE a = :dept", { dept: "x", depts: "y" })).toMatch(/"depts" is not used/)
  })

  it("non-finite numbers are refused for MySQL literals", () => {
    expect(refused("mysql", "SELECT :n", { n: Number.NaN })).toMatch(/finite/)
  })
})

describe("SqlGuard: wrappers", () => {
  it("orderedBy and probe wrap the query in a derived table with the dialect's identifier quoting", () => {
    const pg = ok("postgres", "SELECT id FROM t -- trailing comment")
    expect(SqlGuard.orderedBy(pg, 'we"ird').text).toBe('SELECT * FROM (\nSELECT id FROM t -- trailing comment\n) AS anysource_q ORDER BY "we""ird"')
    const my = ok("mysql", "SELECT id FROM t;")
    expect(SqlGuard.orderedBy(my, "a`b").text).toBe("SELECT * FROM (\nSELECT id FROM t\n) AS anysource_q ORDER BY `a``b`")
    expect(SqlGuard.probe(my).text).toBe("SELECT * FROM (\nSELECT id FROM t\n) AS anysource_q LIMIT 0")
  })
})
