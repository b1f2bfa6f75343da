/**
 * Turns what `pg` (or the network under it) throws into a `StateError` with a reason a user can act on.
 * Messages name the server as `host:port/database` and the schema, never the connection URL (it may
 * hold a password).
 */
import { StateError } from "@anysource/core"

interface PgLikeError {
  readonly code?: unknown
  readonly message?: unknown
  readonly detail?: unknown
}

export const codeOf = (cause: unknown): string | undefined => {
  if (typeof cause === "object" && cause !== null && "code" in cause) {
    const code = (cause as PgLikeError).code
    return typeof code === "string" ? code : undefined
  }
  return undefined
}

const networkCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

/** The connection broke or the server went away (SQLSTATE class 08, 57P01-03, or a socket error). */
export const isConnectionError = (cause: unknown): boolean => {
  const code = codeOf(cause)
  if (code !== undefined && (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || networkCodes.has(code)))
    return true
  const message = cause instanceof Error ? cause.message : ""
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout expired/i.test(message)
}

/** `host:port/database` of a postgres URL, without credentials; "PostgreSQL" when it cannot be parsed. */
export const describeServer = (url: string): string => {
  try {
    const parsed = new URL(url)
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""))
    const host = parsed.hostname || parsed.searchParams.get("host") || "localhost"
    return `${host}${parsed.port ? `:${parsed.port}` : ""}${database ? `/${database}` : ""}`
  } catch {
    return "PostgreSQL"
  }
}

const detailOf = (cause: unknown): string => {
  const code = codeOf(cause)
  const text = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "unknown error"
  return code !== undefined && !text.includes(code) ? `${text} (${code})` : text
}

export interface ErrorContext {
  /** `host:port/database`. */
  readonly server: string
  readonly schema: string
}

/**
 * Only the code and message travel as the error's `cause`: some errors carry their input (Node's `URL`
 * errors hold the whole connection string, password included).
 */
const safeCause = (cause: unknown): { readonly code?: string; readonly message: string } => {
  const code = codeOf(cause)
  return { ...(code !== undefined ? { code } : {}), message: cause instanceof Error ? cause.message : "non-error value" }
}

/** Map a thrown value to a `StateError`. `action` completes "Could not …", e.g. "commit run r1". */
export const toStateError = (context: ErrorContext, action: string, thrown: unknown): StateError => {
  if (thrown instanceof StateError) return thrown
  const cause = safeCause(thrown)
  const code = codeOf(thrown)
  const where = `PostgreSQL ${context.server}, schema "${context.schema}"`
  const detail = detailOf(thrown)
  if (code === "55P03")
    return new StateError({ reason: "Locked", message: `Could not ${action} (${where}): a row or table lock is held by another session (${detail}).`, cause })
  if (code === "40001" || code === "40P01")
    return new StateError({ reason: "Conflict", message: `Could not ${action} (${where}): a concurrent transaction conflicted (${detail}); nothing was written.`, cause })
  if (code === "42P01" || code === "3F000" || code === "42703")
    return new StateError({
      reason: "Migration",
      message: `Could not ${action} (${where}): the state tables are missing or from another version (${detail}). Was the schema dropped or altered by hand? Reopening the store recreates missing tables only for a fresh schema.`,
      cause
    })
  if (code === "42501")
    return new StateError({
      reason: "Io",
      message: `Could not ${action} (${where}): permission denied (${detail}). The role needs USAGE and CREATE on the schema (or CREATE on the database for the first run) and read/write on its tables.`,
      cause
    })
  if (code !== undefined && code.startsWith("28"))
    return new StateError({ reason: "Io", message: `Could not ${action} (${where}): authentication failed (${detail}). Check the user and password in state.url.`, cause })
  if (isConnectionError(thrown))
    return new StateError({ reason: "Io", message: `Could not ${action} (${where}): the connection failed (${detail}).`, cause })
  return new StateError({ reason: "Io", message: `Could not ${action} (${where}): ${detail}`, cause })
}
