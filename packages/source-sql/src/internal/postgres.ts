/**
 * PostgreSQL through `pg` with a server-side cursor (`pg-cursor`): rows arrive `fetchSize` at a time inside a
 * `BEGIN READ ONLY` transaction. Type parsers are per client (never the process-global `pg.types`).
 */
import { Redacted } from "effect"
import pg from "pg"
import Cursor from "pg-cursor"
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
import { pgTypeParser } from "./values.ts"

const types = { getTypeParser: pgTypeParser } as unknown as pg.CustomTypesConfig

const sessionSetup = (settings: NetworkSettings): string =>
  [
    "BEGIN TRANSACTION READ ONLY",
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
    "SET LOCAL IntervalStyle = 'iso_8601'",
    "SET LOCAL extra_float_digits = 3",
    `SET LOCAL statement_timeout = ${Math.max(0, Math.trunc(settings.statementTimeoutMs))}`
  ].join("; ")

const clientConfig = (settings: NetworkSettings): pg.ClientConfig => {
  const config: pg.ClientConfig = {
    host: settings.host,
    port: settings.port,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    application_name: "anysource",
    keepAlive: true,
    types,
    ssl: settings.tls
      ? {
          rejectUnauthorized: settings.tls.rejectUnauthorized,
          ...(settings.tls.ca === undefined ? {} : { ca: settings.tls.ca }),
          ...(settings.tls.servername === undefined ? {} : { servername: settings.tls.servername })
        }
      : false
  }
  if (settings.database !== undefined) config.database = settings.database
  if (settings.user !== undefined) config.user = settings.user
  if (settings.password !== undefined) config.password = Redacted.value(settings.password)
  return config
}

const destroyClient = (client: pg.Client): void => {
  try {
    client.connection.stream.destroy()
  } catch {
    // already gone
  }
  client.end().catch(() => undefined)
}

const connect = async (settings: NetworkSettings): Promise<pg.Client> => {
  const client = new pg.Client(clientConfig(settings))
  // Fatal errors also reach the pending query or cursor read; this listener only keeps them from being "unhandled".
  client.on("error", () => undefined)
  try {
    await client.connect()
    await client.query(sessionSetup(settings))
  } catch (error) {
    destroyClient(client)
    throw error
  }
  return client
}

const identity = (value: unknown): unknown => value

const open = async (settings: NetworkSettings, query: PreparedQuery): Promise<RowCursor> => {
  const client = await connect(settings)
  const cursor = client.query(new Cursor(query.text, [...query.values], { rowMode: "array", types }))
  let build: ((values: ReadonlyArray<unknown>) => Row) | undefined
  return {
    next: (max) =>
      new Promise((resolve, reject) => {
        cursor.read(max, (error, rows, result) => {
          if (error) return reject(error)
          try {
            build ??= rowBuilder(
              result.fields.map((field) => field.name),
              identity
            )
            resolve((rows as unknown as Array<ReadonlyArray<unknown>>).map(build))
          } catch (failure) {
            reject(failure)
          }
        })
      }),
    close: async () => {
      await cursor.close()
      await client.query("ROLLBACK")
      await client.end()
    },
    destroy: () => destroyClient(client)
  }
}

const columns = async (settings: NetworkSettings, query: PreparedQuery): Promise<ReadonlyArray<string>> => {
  const client = await connect(settings)
  try {
    const result = await client.query({ text: query.text, values: [...query.values], rowMode: "array" })
    await client.query("ROLLBACK")
    const names = result.fields.map((field) => field.name)
    rowBuilder(names, identity) // refuses duplicate column names
    return names
  } finally {
    await client.end().catch(() => undefined)
  }
}

const withHint = (error: unknown): string => {
  const hint = property(error, "hint")
  return typeof hint === "string" && hint.length > 0 ? `${errorText(error)} (hint: ${hint})` : errorText(error)
}

export const classify = (error: unknown): Classified => {
  const common = classifyCommon(error)
  if (common) return common
  const code = property(error, "code")
  const message = withHint(error)
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    const cls = code.slice(0, 2)
    if (cls === "28") return { reason: "Auth", retryable: false, message }
    if (code === "3D000") return { reason: "NotFound", retryable: false, message }
    if (code === "42501") return { reason: "Permission", retryable: false, message }
    if (code === "25006") return { reason: "Query", retryable: false, message: `the database refused a write: ${message}` }
    if (code === "57014") return { reason: "Timeout", retryable: true, message: `${message} (statementTimeoutMs)` }
    if (code === "55P03") return { reason: "Timeout", retryable: true, message }
    if (code === "40001" || code === "40P01") return { reason: "Query", retryable: true, message }
    if (cls === "08" || cls === "53" || code === "57P01" || code === "57P02" || code === "57P03" || code === "57P05") {
      return { reason: "Connect", retryable: true, message }
    }
    return { reason: "Query", retryable: false, message }
  }
  const text = errorText(error)
  if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(text)) {
    return { reason: "Connect", retryable: true, message: text }
  }
  if (/does not support SSL/i.test(text)) return { reason: "Connect", retryable: false, message: text }
  if (/SASL|password must be a string|password authentication/i.test(text)) return { reason: "Auth", retryable: false, message: text }
  if (/timeout/i.test(text)) return { reason: "Timeout", retryable: true, message: text }
  return unknownError(error)
}

export const make = (settings: NetworkSettings): Driver => ({
  label: label(settings),
  columns: (query) => columns(settings, query),
  open: (query) => open(settings, query),
  classify
})
