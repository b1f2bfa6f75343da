/**
 * The statement guard: before anything is sent to a database, the configured query is tokenized with the
 * dialect's own rules for comments, strings, quoted identifiers and dollar quotes, and refused unless it is
 * exactly one `SELECT` / `WITH … SELECT` statement that cannot write or lock (no `INSERT`/`UPDATE`/`DELETE`/
 * `MERGE`, no `SELECT … INTO`, no `FOR UPDATE`/`FOR SHARE`/`LOCK IN SHARE MODE`, no second statement, no
 * MySQL executable comments). Named parameters (`:name`) are bound from `params`: as `$n` for PostgreSQL, as
 * `?` for SQLite, and as typed literals for MySQL (strings as hex literals, so no quoting rule of the server's
 * SQL mode can be abused). The guard is the first of two locks: the query also runs in a read-only
 * transaction (or a read-only SQLite handle).
 */
import { Either } from "effect"

export type Dialect = "postgres" | "mysql" | "sqlite"

export type ParamValue = string | number | boolean | null

export interface PreparedQuery {
  readonly dialect: Dialect
  /** The SQL to send: placeholders rewritten, trailing semicolons removed. */
  readonly text: string
  /** Positional values for `text` (empty for MySQL, whose values are inlined as literals). */
  readonly values: ReadonlyArray<ParamValue>
  /** Parameter names in order of first use. */
  readonly parameters: ReadonlyArray<string>
}

/** Why a query was refused; `message` is written for the person who wrote the config. */
export interface GuardError {
  readonly message: string
  /** Character offset in the original query, when the problem has one. */
  readonly offset?: number
}

type TokenKind = "word" | "quoted" | "string" | "number" | "param" | "punct" | "semicolon"

interface Token {
  readonly kind: TokenKind
  readonly text: string
  readonly start: number
  readonly end: number
}

class Refused extends Error {
  constructor(
    message: string,
    readonly offset?: number
  ) {
    super(message)
  }
}

const upper = (token: Token | undefined): string => (token && token.kind === "word" ? token.text.toUpperCase() : "")

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c) || c.charCodeAt(0) > 127
const isIdentPart = (c: string, dialect: Dialect): boolean =>
  /[A-Za-z0-9_]/.test(c) || c.charCodeAt(0) > 127 || (c === "$" && dialect !== "sqlite")

const describeDialect = (dialect: Dialect): string =>
  dialect === "postgres" ? "PostgreSQL" : dialect === "mysql" ? "MySQL/MariaDB" : "SQLite"

/** Split a query into tokens, skipping whitespace and comments. Throws `Refused` on unterminated or unsafe input. */
const tokenize = (sql: string, dialect: Dialect): Array<Token> => {
  const tokens: Array<Token> = []
  const n = sql.length
  let i = 0
  // PostgreSQL brackets: `true` for an ARRAY[…] constructor (`:name` is a parameter there), `false` for a
  // subscript `a[lo:hi]` (`:` is the slice separator)
  const brackets: Array<boolean> = []
  const push = (kind: TokenKind, start: number, end: number) => tokens.push({ kind, text: sql.slice(start, end), start, end })

  /** Index just past a quoted run starting at `start` (the opening quote). */
  const scanQuoted = (start: number, quote: string, backslashEscapes: boolean, what: string): number => {
    let j = start + 1
    while (j < n) {
      const c = sql[j]!
      if (backslashEscapes && c === "\\") {
        j += 2
        continue
      }
      if (c === quote) {
        if (sql[j + 1] === quote) {
          j += 2
          continue
        }
        return j + 1
      }
      j++
    }
    throw new Refused(`the query has an unterminated ${what} starting at character ${start + 1}`, start)
  }

  while (i < n) {
    const c = sql[i]!
    const next = sql[i + 1]
    // whitespace
    if (/\s/.test(c)) {
      i++
      continue
    }
    // line comments: `--` (MySQL wants a space or control character after it), MySQL's `#`
    if (c === "-" && next === "-" && (dialect !== "mysql" || i + 2 >= n || sql.charCodeAt(i + 2) <= 32)) {
      while (i < n && sql[i] !== "\n") i++
      continue
    }
    if (c === "#" && dialect === "mysql") {
      while (i < n && sql[i] !== "\n") i++
      continue
    }
    // block comments: nested in PostgreSQL; MySQL's /*! … */ and /*M! … */ are executed, so refused
    if (c === "/" && next === "*") {
      if (dialect === "mysql" && (sql[i + 2] === "!" || (sql[i + 2] === "M" && sql[i + 3] === "!"))) {
        throw new Refused(`MySQL executable comments (/*! … */) are not allowed (character ${i + 1})`, i)
      }
      const start = i
      let depth = 1
      i += 2
      while (i < n && depth > 0) {
        if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--
          i += 2
        } else if (dialect === "postgres" && sql[i] === "/" && sql[i + 1] === "*") {
          depth++
          i += 2
        } else {
          i++
        }
      }
      if (depth > 0) throw new Refused(`the query has an unterminated /* comment starting at character ${start + 1}`, start)
      continue
    }
    // string literals
    if (c === "'") {
      const prev = i > 0 ? sql[i - 1]! : ""
      const prev2 = i > 1 ? sql[i - 2]! : ""
      const escapeString = dialect === "postgres" && (prev === "E" || prev === "e") && !isIdentPart(prev2, dialect)
      const end = scanQuoted(i, "'", dialect === "mysql" || escapeString, "string")
      push("string", i, end)
      i = end
      continue
    }
    if (c === '"') {
      // an identifier in PostgreSQL and SQLite; a string in MySQL's default SQL mode
      const end = scanQuoted(i, '"', dialect === "mysql", dialect === "mysql" ? "string" : "quoted identifier")
      push(dialect === "mysql" ? "string" : "quoted", i, end)
      i = end
      continue
    }
    if (c === "`" && dialect !== "postgres") {
      const end = scanQuoted(i, "`", false, "quoted identifier")
      push("quoted", i, end)
      i = end
      continue
    }
    if (c === "[" && dialect === "sqlite") {
      const close = sql.indexOf("]", i + 1)
      if (close < 0) throw new Refused(`the query has an unterminated [identifier starting at character ${i + 1}`, i)
      push("quoted", i, close + 1)
      i = close + 1
      continue
    }
    // PostgreSQL dollar quotes ($$ … $$, $tag$ … $tag$) and positional parameters ($1)
    if (c === "$" && dialect === "postgres") {
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i))
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length)
        if (close < 0) throw new Refused(`the query has an unterminated dollar-quoted string starting at character ${i + 1}`, i)
        push("string", i, close + tag[0].length)
        i = close + tag[0].length
        continue
      }
      if (next !== undefined && /[0-9]/.test(next)) {
        throw new Refused(`positional parameters like ${/^\$[0-9]+/.exec(sql.slice(i))![0]} are not supported: use named parameters (:name) and \`params\``, i)
      }
    }
    // positional `?` placeholders (PostgreSQL uses `?` as a JSON operator)
    if (c === "?" && dialect !== "postgres") {
      throw new Refused(`positional parameters (?) are not supported: use named parameters (:name) and \`params\` (character ${i + 1})`, i)
    }
    // SQLite's other parameter syntaxes
    if ((c === "@" || c === "$") && dialect === "sqlite" && next !== undefined && isIdentStart(next)) {
      throw new Refused(`SQLite parameters like ${c}name are not supported: write :name and set it in \`params\` (character ${i + 1})`, i)
    }
    // `::` casts, `:=` assignments, `:name` parameters (not inside PostgreSQL array subscripts `a[lo:hi]`)
    if (c === ":") {
      if (next === ":") {
        push("punct", i, i + 2)
        i += 2
        continue
      }
      const inSubscript = dialect === "postgres" && brackets.length > 0 && !brackets[brackets.length - 1]
      if (next !== undefined && /[A-Za-z_]/.test(next) && !inSubscript) {
        let j = i + 1
        while (j < n && /[A-Za-z0-9_]/.test(sql[j]!)) j++
        push("param", i, j)
        i = j
        continue
      }
      push("punct", i, i + 1)
      i++
      continue
    }
    if (c === ";") {
      push("semicolon", i, i + 1)
      i++
      continue
    }
    if (/[0-9]/.test(c) || (c === "." && next !== undefined && /[0-9]/.test(next))) {
      let j = i + 1
      while (j < n && /[0-9A-Za-z_.]/.test(sql[j]!)) {
        if ((sql[j] === "e" || sql[j] === "E") && (sql[j + 1] === "+" || sql[j + 1] === "-")) j++
        j++
      }
      push("number", i, j)
      i = j
      continue
    }
    if (isIdentStart(c)) {
      let j = i + 1
      while (j < n && isIdentPart(sql[j]!, dialect)) j++
      push("word", i, j)
      i = j
      continue
    }
    if (c === "[") brackets.push(upper(tokens[tokens.length - 1]) === "ARRAY")
    if (c === "]") brackets.pop()
    push("punct", i, i + 1)
    i++
  }
  return tokens
}

/** Words that make a SELECT write, copy into a table or file, or take row locks. */
const forbiddenWords: Record<string, string> = {
  INSERT: "INSERT",
  UPDATE: "UPDATE",
  DELETE: "DELETE",
  MERGE: "MERGE",
  UPSERT: "UPSERT",
  REPLACE_INTO: "REPLACE INTO",
  INTO: "SELECT … INTO"
}

const lockingAfterFor = new Set(["UPDATE", "SHARE", "NO", "KEY"])

/** Check the statement shape; returns the tokens up to (not including) trailing semicolons. */
const checkShape = (tokens: ReadonlyArray<Token>): number => {
  if (tokens.length === 0) throw new Refused("the query is empty")
  // one statement: semicolons only at the very end
  let endIndex = tokens.length
  while (endIndex > 0 && tokens[endIndex - 1]!.kind === "semicolon") endIndex--
  const inner = tokens.slice(0, endIndex).find((t) => t.kind === "semicolon")
  if (inner) throw new Refused(`only one statement is allowed, but there is more after the ";" at character ${inner.start + 1}`, inner.start)
  if (endIndex === 0) throw new Refused("the query is empty")
  // starts with SELECT or WITH (after any opening parentheses)
  let first = 0
  while (first < endIndex && tokens[first]!.kind === "punct" && tokens[first]!.text === "(") first++
  const head = upper(tokens[first])
  if (head !== "SELECT" && head !== "WITH") {
    const what = tokens[first] ? tokens[first]!.text.slice(0, 30) : "nothing"
    throw new Refused(`the query must be a single SELECT (or WITH … SELECT) statement, but it starts with ${JSON.stringify(what)}`, tokens[first]?.start)
  }
  for (let k = 0; k < endIndex; k++) {
    const word = upper(tokens[k])
    if (word === "") continue
    const hint = "; a read-only source only runs a single SELECT (quote the name if it is a column)"
    if (word === "REPLACE" && upper(tokens[k + 1]) === "INTO") {
      throw new Refused(`REPLACE INTO is not allowed${hint}`, tokens[k]!.start)
    }
    if (word in forbiddenWords) {
      throw new Refused(`${forbiddenWords[word]} is not allowed (character ${tokens[k]!.start + 1})${hint}`, tokens[k]!.start)
    }
    if (word === "FOR" && lockingAfterFor.has(upper(tokens[k + 1]))) {
      throw new Refused(
        `locking clauses (FOR ${tokens[k + 1]!.text.toUpperCase()} …) are not allowed (character ${tokens[k]!.start + 1}): the source only reads`,
        tokens[k]!.start
      )
    }
    if (word === "LOCK" && upper(tokens[k + 1]) === "IN") {
      throw new Refused(`LOCK IN SHARE MODE is not allowed (character ${tokens[k]!.start + 1}): the source only reads`, tokens[k]!.start)
    }
  }
  return endIndex
}

const hex = (value: string): string => Buffer.from(value, "utf8").toString("hex")

/** A MySQL literal for a parameter value; strings become hex literals, immune to quoting rules and SQL modes. */
const mysqlLiteral = (value: ParamValue): string => {
  if (value === null) return "NULL"
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE"
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Refused(`parameter value ${value} is not a finite number`)
    return String(value)
  }
  return value.length === 0 ? "''" : `_utf8mb4 X'${hex(value)}'`
}

/**
 * Check `sql` and bind `params`. Fails with a `GuardError` when the query is not a single read-only SELECT/WITH,
 * uses a parameter that `params` lacks, or `params` has one the query does not use.
 */
export const prepare = (
  dialect: Dialect,
  sql: string,
  params: Readonly<Record<string, ParamValue>> = {}
): Either.Either<PreparedQuery, GuardError> => {
  try {
    const tokens = tokenize(sql, dialect)
    const endIndex = checkShape(tokens)
    const cut = endIndex < tokens.length ? tokens[endIndex]!.start : sql.length
    const used: Array<string> = []
    const values: Array<ParamValue> = []
    let text = ""
    let copied = 0
    for (const token of tokens.slice(0, endIndex)) {
      if (token.kind !== "param") continue
      const name = token.text.slice(1)
      if (!Object.prototype.hasOwnProperty.call(params, name)) {
        const known = Object.keys(params)
        throw new Refused(
          `the query uses :${name} but params has no "${name}"${known.length ? ` (params: ${known.join(", ")})` : " (params is empty)"}`,
          token.start
        )
      }
      const value = params[name]!
      if (!used.includes(name)) used.push(name)
      let placeholder: string
      if (dialect === "postgres") {
        placeholder = `$${used.indexOf(name) + 1}`
      } else if (dialect === "sqlite") {
        placeholder = "?"
        values.push(typeof value === "boolean" ? (value ? 1 : 0) : value)
      } else {
        placeholder = mysqlLiteral(value)
      }
      text += sql.slice(copied, token.start) + placeholder
      copied = token.end
    }
    text += sql.slice(copied, cut)
    const unused = Object.keys(params).filter((name) => !used.includes(name))
    if (unused.length > 0) {
      throw new Refused(`params ${unused.map((u) => `"${u}"`).join(", ")} ${unused.length === 1 ? "is" : "are"} not used by the query (write :${unused[0]} where it belongs)`)
    }
    if (dialect === "postgres") for (const name of used) values.push(params[name]!)
    return Either.right({ dialect, text: text.trimEnd(), values, parameters: used })
  } catch (error) {
    if (error instanceof Refused) {
      return Either.left(error.offset === undefined ? { message: error.message } : { message: error.message, offset: error.offset })
    }
    throw error
  }
}

/** Quote an identifier (a result column name) for `dialect`. */
export const quoteIdentifier = (dialect: Dialect, name: string): string =>
  dialect === "mysql" ? `\`${name.replaceAll("`", "``")}\`` : `"${name.replaceAll('"', '""')}"`

/** `SELECT * FROM (<query>) AS anysource_q ORDER BY <key>`: stable order by the key column. */
export const orderedBy = (query: PreparedQuery, keyColumn: string): PreparedQuery => ({
  ...query,
  text: `SELECT * FROM (\n${query.text}\n) AS anysource_q ORDER BY ${quoteIdentifier(query.dialect, keyColumn)}`
})

/** `SELECT * FROM (<query>) AS anysource_q LIMIT 0`: plans the query and reports its columns, reads no row. */
export const probe = (query: PreparedQuery): PreparedQuery => ({
  ...query,
  text: `SELECT * FROM (\n${query.text}\n) AS anysource_q LIMIT 0`
})

export const dialectName = describeDialect
