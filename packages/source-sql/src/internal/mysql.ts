/**
 * MySQL and MariaDB through `mysql2`: the result is a row stream (`query().stream()`), which pauses the socket
 * when `fetchSize` rows are buffered, inside `START TRANSACTION READ ONLY`. The session runs in UTC; BIGINT and
 * DECIMAL arrive as exact strings, dates as strings turned into ISO 8601 by `typeCast`.
 */
import { Redacted } from "effect"
import mysql from "mysql2"
import type { PreparedQuery } from "../SqlGuard.ts"
import {
  type Classified,
  classifyCommon,
  type Driver,
  errorText,
  label,
  type NetworkSettings,
  property,
  type Row,
  rowBuilder,
  type RowCursor,
  unknownError
} from "./driver.ts"
import { exactInteger, isoTimestamp, plain } from "./values.ts"

const isZeroDate = (text: string): boolean => /^0000-00-00/.test(text)

type CastField = Parameters<Extract<mysql.TypeCast, (...args: ReadonlyArray<any>) => any>>[0]

/** Dates → ISO 8601 (zero dates → null), TINYINT(1)/BIT(1) → booleans, wider BITs → exact integers. */
const typeCast = (field: CastField, next: () => unknown): unknown => {
  switch (field.type) {
    case "TIMESTAMP":
    case "DATETIME": {
      const text = field.string("ascii")
      if (text === null || isZeroDate(text)) return null
      return isoTimestamp(text, field.type === "TIMESTAMP" ? "Z" : "")
    }
    case "DATE":
    case "NEWDATE": {
      const text = field.string("ascii")
      return text === null || isZeroDate(text) ? null : text
    }
    case "TINY": {
      if (field.length !== 1) return next()
      const text = field.string("ascii")
      if (text === null) return null
      return text === "1" ? true : text === "0" ? false : Number(text)
    }
    case "BIT": {
      const bytes = field.buffer()
      if (bytes === null) return null
      if (field.length === 1) return bytes[0] === 1
      return exactInteger(bytes.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n))
    }
    default:
      return next()
  }
}

type Connection = mysql.Connection

const connectionOptions = (settings: NetworkSettings): mysql.ConnectionOptions => {
  const options: mysql.ConnectionOptions = {
    host: settings.host,
    port: settings.port,
    connectTimeout: settings.connectTimeoutMs,
    charset: "UTF8MB4_UNICODE_CI",
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    timezone: "Z",
    multipleStatements: false,
    typeCast: typeCast as mysql.TypeCast
  }
  if (settings.database !== undefined) options.database = settings.database
  if (settings.user !== undefined) options.user = settings.user
  if (settings.password !== undefined) options.password = Redacted.value(settings.password)
  if (settings.tls) {
    options.ssl = {
      rejectUnauthorized: settings.tls.rejectUnauthorized,
      verifyIdentity: settings.tls.rejectUnauthorized,
      ...(settings.tls.ca === undefined ? {} : { ca: settings.tls.ca })
    }
  }
  return options
}

const run = (connection: Connection, sql: string): Promise<{ rows: Array<Array<unknown>>; fields: Array<{ name: string }> }> =>
  new Promise((resolve, reject) => {
    connection.query({ sql, rowsAsArray: true }, (error, rows, fields) => {
      if (error) reject(error)
      else resolve({ rows: rows as unknown as Array<Array<unknown>>, fields: (fields ?? []) as Array<{ name: string }> })
    })
  })

const connect = async (settings: NetworkSettings): Promise<Connection> => {
  const connection = mysql.createConnection(connectionOptions(settings))
  // Fatal errors also reach the pending query or stream; this listener only keeps them from being "unhandled".
  connection.on("error", () => undefined)
  try {
    await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())))
    const version = String((await run(connection, "SELECT VERSION()")).rows[0]?.[0] ?? "")
    const timeout = Math.max(0, Math.trunc(settings.statementTimeoutMs))
    const limit = /mariadb/i.test(version) ? `max_statement_time = ${timeout / 1000}` : `max_execution_time = ${timeout}`
    await run(connection, `SET SESSION time_zone = '+00:00', SESSION ${limit}`)
    await run(connection, "START TRANSACTION READ ONLY")
  } catch (error) {
    connection.destroy()
    throw error
  }
  return connection
}

const open = async (settings: NetworkSettings, query: PreparedQuery, fetchSize: number): Promise<RowCursor> => {
  const connection = await connect(settings)
  const command = connection.query({ sql: query.text, rowsAsArray: true })
  let names: ReadonlyArray<string> = []
  command.on("fields", (fields: Array<{ name: string }>) => {
    names = fields.map((field) => field.name)
  })
  const stream = command.stream({ highWaterMark: fetchSize })
  const iterator = stream[Symbol.asyncIterator]()
  let build: ((values: ReadonlyArray<unknown>) => Row) | undefined
  let ended = false
  // mysql2 does not fail a streaming query whose connection dies (KILL, server restart, network): the connection
  // emits the error but the row stream just stops. Fail the stream ourselves so the reader gets a typed error.
  const lost = (error: unknown) => {
    if (ended || stream.destroyed) return
    stream.destroy(error instanceof Error ? error : Object.assign(new Error("the connection to the server was lost"), { code: "PROTOCOL_CONNECTION_LOST" }))
  }
  connection.on("error", lost)
  connection.on("end", () => lost(undefined))
  return {
    next: async (max) => {
      const rows: Array<Row> = []
      while (rows.length < max) {
        const step = await iterator.next()
        if (step.done) {
          ended = true
          break
        }
        build ??= rowBuilder(names, plain)
        rows.push(build(step.value as ReadonlyArray<unknown>))
      }
      return rows
    },
    close: async () => {
      if (!ended) {
        // The protocol cannot stop a result half-way: drop the connection (the server rolls back).
        stream.destroy()
        connection.destroy()
        return
      }
      await run(connection, "ROLLBACK")
      await new Promise<void>((resolve) => connection.end(() => resolve()))
    },
    destroy: () => {
      stream.destroy()
      connection.destroy()
    }
  }
}

const columns = async (settings: NetworkSettings, query: PreparedQuery): Promise<ReadonlyArray<string>> => {
  const connection = await connect(settings)
  try {
    const { fields } = await run(connection, query.text)
    await run(connection, "ROLLBACK")
    const names = fields.map((field) => field.name)
    rowBuilder(names, plain) // refuses duplicate column names
    await new Promise<void>((resolve) => connection.end(() => resolve()))
    return names
  } catch (error) {
    connection.destroy()
    throw error
  }
}

const authErrnos = new Set([1044, 1045, 1698, 1862, 1820, 2049])
const connectErrnos = new Set([1040, 1042, 1043, 1053, 1077, 1080, 1152, 1158, 1159, 1160, 1161, 1927, 2002, 2003, 2006, 2013, 2055])

export const classify = (error: unknown): Classified => {
  const common = classifyCommon(error)
  if (common) return common
  const errno = property(error, "errno")
  const code = property(error, "code")
  const message = errorText(error)
  if (typeof errno === "number") {
    if (authErrnos.has(errno)) return { reason: "Auth", retryable: false, message }
    if (errno === 1049) return { reason: "NotFound", retryable: false, message }
    if (errno === 1142 || errno === 1143 || errno === 1227) return { reason: "Permission", retryable: false, message }
    if (errno === 1792) return { reason: "Query", retryable: false, message: `the database refused a write: ${message}` }
    if (errno === 1969 || errno === 3024) return { reason: "Timeout", retryable: true, message: `${message} (statementTimeoutMs)` }
    if (errno === 1205) return { reason: "Timeout", retryable: true, message }
    if (errno === 1213) return { reason: "Query", retryable: true, message }
    if (errno === 1317) return { reason: "Connect", retryable: true, message: `the server interrupted the query: ${message}` }
    if (connectErrnos.has(errno)) return { reason: "Connect", retryable: true, message }
    return { reason: "Query", retryable: false, message }
  }
  if (typeof code === "string") {
    if (code === "PROTOCOL_CONNECTION_LOST" || code === "PROTOCOL_SEQUENCE_TIMEOUT") {
      return { reason: "Connect", retryable: true, message: `the connection to the server was lost: ${message}` }
    }
    if (code.startsWith("HANDSHAKE_")) return { reason: "Connect", retryable: false, message }
  }
  if (/connection.*(closed|lost)|Can't add new command when connection is in closed state/i.test(message)) {
    return { reason: "Connect", retryable: true, message }
  }
  return unknownError(error)
}

export const make = (settings: NetworkSettings, fetchSize: number): Driver => ({
  label: label(settings),
  columns: (query) => columns(settings, query),
  open: (query) => open(settings, query, fetchSize),
  classify
})
