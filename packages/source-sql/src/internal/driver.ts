/**
 * What the three drivers have in common: resolved connection settings, a Promise-based cursor, and the mapping
 * of driver errors onto `SourceError` reasons. `SqlSource` wraps all of it in Effect.
 */
import type { Redacted } from "effect"
import type { Errors } from "@anysource/core"
import type { PreparedQuery } from "../SqlGuard.ts"

export interface TlsSettings {
  readonly ca?: string
  readonly rejectUnauthorized: boolean
  readonly servername?: string
}

export interface NetworkSettings {
  readonly dialect: "postgres" | "mysql"
  readonly host: string
  readonly port: number
  readonly database?: string
  readonly user?: string
  readonly password?: Redacted.Redacted<string>
  readonly tls?: TlsSettings
  readonly connectTimeoutMs: number
  /** 0 = no limit. */
  readonly statementTimeoutMs: number
}

export interface SqliteSettings {
  readonly dialect: "sqlite"
  readonly file: string
  readonly connectTimeoutMs: number
  readonly statementTimeoutMs: number
}

export type Settings = NetworkSettings | SqliteSettings

/** `postgres 127.0.0.1:5432/etl`, `sqlite /data/hr.db`: names the target without credentials. */
export const label = (settings: Settings): string =>
  settings.dialect === "sqlite"
    ? `sqlite ${settings.file}`
    : `${settings.dialect} ${settings.host.includes(":") ? `[${settings.host}]` : settings.host}:${settings.port}${settings.database ? `/${settings.database}` : ""}`

export type Row = Record<string, unknown>

export interface RowCursor {
  /** Up to `max` rows; an empty array means the result is exhausted. */
  readonly next: (max: number) => Promise<ReadonlyArray<Row>>
  /** End gracefully (after the last row or early): close the cursor, end the transaction, close the connection. */
  readonly close: () => Promise<void>
  /** Drop everything now (interruption, failure). Never throws. */
  readonly destroy: () => void
}

export interface Driver {
  readonly label: string
  /** Connect, plan `query` inside a read-only transaction, return its result column names; reads no row. */
  readonly columns: (query: PreparedQuery) => Promise<ReadonlyArray<string>>
  /** Connect, begin a read-only transaction and open a cursor over `query`. */
  readonly open: (query: PreparedQuery) => Promise<RowCursor>
  readonly classify: (error: unknown) => Classified
}

export interface Classified {
  readonly reason: Errors.SourceErrorReason
  readonly retryable: boolean
  readonly message: string
}

/** A problem with the shape of the result (duplicate column names): a Query error. */
export class ResultShapeError extends Error {}

/** The client-side statement deadline passed (SQLite, which has no server-side timeout). */
export class StatementTimeoutError extends Error {}

/** Build a row object from column names and values; refuses duplicate names, which would silently drop data. */
export const rowBuilder = (names: ReadonlyArray<string>, convert: (value: unknown) => unknown) => {
  const seen = new Set<string>()
  for (const name of names) {
    if (seen.has(name)) {
      throw new ResultShapeError(
        `the query returns two columns named "${name}": give them distinct aliases (SELECT a.id AS a_id, b.id AS b_id …)`
      )
    }
    seen.add(name)
  }
  return (values: ReadonlyArray<unknown>): Row => {
    const row: Row = {}
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      const value = convert(values[i])
      if (name === "__proto__") Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true })
      else row[name] = value
    }
    return row
  }
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export const property = (error: unknown, key: string): unknown =>
  error !== null && typeof error === "object" ? (error as Record<string, unknown>)[key] : undefined

const nodeNetworkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "EAI_AGAIN",
  "ECONNABORTED",
  "EADDRNOTAVAIL"
])

const tlsCodes = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO"
])

/** Errors every driver can meet: our own, Node's network and TLS errors. Undefined when not one of those. */
export const classifyCommon = (error: unknown): Classified | undefined => {
  if (error instanceof ResultShapeError) return { reason: "Query", retryable: false, message: error.message }
  if (error instanceof StatementTimeoutError) return { reason: "Timeout", retryable: true, message: error.message }
  const code = property(error, "code")
  if (typeof code === "string") {
    if (tlsCodes.has(code)) {
      return { reason: "Connect", retryable: false, message: `TLS handshake failed (${code}): ${errorText(error)}` }
    }
    if (code === "ENOTFOUND") return { reason: "Connect", retryable: false, message: `host not found: ${errorText(error)}` }
    if (nodeNetworkCodes.has(code)) return { reason: "Connect", retryable: true, message: `cannot reach the server (${code}): ${errorText(error)}` }
  }
  return undefined
}

export const unknownError = (error: unknown): Classified => ({ reason: "Query", retryable: false, message: errorText(error) })

export { errorText }
