/**
 * SQLite through `better-sqlite3`: the file is opened read-only (it must exist), the statement must be a
 * read-only reader (`stmt.readonly && stmt.reader`), rows come from `stmt.iterate()` with `safeIntegers` so
 * 64-bit integers stay exact. SQLite has no server-side statement timeout: the deadline is checked between rows.
 */
import type Database from "better-sqlite3"
import type { PreparedQuery } from "../SqlGuard.ts"
import {
  type Classified,
  classifyCommon,
  type Driver,
  errorText,
  label,
  property,
  ResultShapeError,
  type Row,
  rowBuilder,
  type RowCursor,
  type SqliteSettings,
  StatementTimeoutError,
  unknownError
} from "./driver.ts"
import { plain } from "./values.ts"

type Db = InstanceType<typeof Database>
type Statement = ReturnType<Db["prepare"]>

// Loaded on first use: better-sqlite3 is a native module, and bundles that never read SQLite (the Lambda)
// must not need it.
let driver: Promise<typeof Database> | undefined
const openDatabase = async (settings: SqliteSettings): Promise<Db> => {
  driver ??= import("better-sqlite3").then((m) => m.default)
  const Driver = await driver
  return new Driver(settings.file, { readonly: true, fileMustExist: true, timeout: settings.connectTimeoutMs })
}

const prepare = (db: Db, query: PreparedQuery): Statement => {
  const statement = db.prepare(query.text)
  if (!statement.reader) throw new ResultShapeError("the statement returns no rows: write a SELECT")
  if (!statement.readonly) throw new ResultShapeError("the statement would write to the database: only a read-only SELECT is allowed")
  return statement
}

const open = async (settings: SqliteSettings, query: PreparedQuery): Promise<RowCursor> => {
  const db = await openDatabase(settings)
  let iterator: IterableIterator<unknown> | undefined
  const release = () => {
    try {
      iterator?.return?.()
    } catch {
      // the statement is already finished
    }
    iterator = undefined
    if (db.open) db.close()
  }
  try {
    const statement = prepare(db, query)
    statement.safeIntegers(true)
    statement.raw(true)
    const build = rowBuilder(
      statement.columns().map((column) => column.name),
      plain
    )
    iterator = statement.iterate(query.values as Array<unknown>) as IterableIterator<unknown>
    const deadline = settings.statementTimeoutMs > 0 ? Date.now() + settings.statementTimeoutMs : Number.POSITIVE_INFINITY
    return {
      next: async (max) => {
        const rows: Array<Row> = []
        if (!iterator) return rows
        while (rows.length < max) {
          if ((rows.length & 255) === 0 && Date.now() > deadline) {
            throw new StatementTimeoutError(`the query ran longer than statementTimeoutMs (${settings.statementTimeoutMs} ms)`)
          }
          const step = iterator.next()
          if (step.done) break
          rows.push(build(step.value as ReadonlyArray<unknown>))
        }
        return rows
      },
      close: async () => release(),
      destroy: () => {
        try {
          release()
        } catch {
          // nothing left to release
        }
      }
    }
  } catch (error) {
    release()
    throw error
  }
}

const columns = async (settings: SqliteSettings, query: PreparedQuery): Promise<ReadonlyArray<string>> => {
  const db = await openDatabase(settings)
  try {
    const names = prepare(db, query)
      .columns()
      .map((column) => column.name)
    rowBuilder(names, plain) // refuses duplicate column names
    return names
  } finally {
    db.close()
  }
}

export const classify = (error: unknown): Classified => {
  const common = classifyCommon(error)
  if (common) return common
  const code = property(error, "code")
  const message = errorText(error)
  if (typeof code === "string" && code.startsWith("SQLITE_")) {
    if (code.startsWith("SQLITE_CANTOPEN")) return { reason: "NotFound", retryable: false, message: `cannot open the database file: ${message}` }
    if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return { reason: "Timeout", retryable: true, message }
    if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT")) return { reason: "Read", retryable: false, message }
    if (code.startsWith("SQLITE_IOERR")) return { reason: "Read", retryable: true, message }
    if (code.startsWith("SQLITE_PERM") || code.startsWith("SQLITE_AUTH")) return { reason: "Permission", retryable: false, message }
    if (code.startsWith("SQLITE_READONLY")) return { reason: "Query", retryable: false, message: `the database refused a write: ${message}` }
    return { reason: "Query", retryable: false, message }
  }
  if (/cannot open database/i.test(message)) return { reason: "NotFound", retryable: false, message }
  if (error instanceof TypeError || error instanceof RangeError) return { reason: "Query", retryable: false, message }
  return unknownError(error)
}

export const make = (settings: SqliteSettings): Driver => ({
  label: label(settings),
  columns: (query) => columns(settings, query),
  open: (query) => open(settings, query),
  classify
})
