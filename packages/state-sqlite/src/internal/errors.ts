/**
 * Turns whatever better-sqlite3 (or the file system under it) throws into a `StateError` with a reason
 * a user can act on. Nothing here is exported from the package.
 */
import { StateError } from "@anysource/core"

/** SQLite result codes come as strings on `SqliteError.code` (`SQLITE_BUSY`, `SQLITE_IOERR_WRITE`, ...). */
const codeOf = (cause: unknown): string | undefined => {
  if (typeof cause === "object" && cause !== null && "code" in cause) {
    const code = (cause as { code: unknown }).code
    return typeof code === "string" ? code : undefined
  }
  return undefined
}

const detailOf = (cause: unknown): string => {
  const code = codeOf(cause)
  const text = cause instanceof Error ? cause.message : String(cause)
  return code !== undefined && !text.includes(code) ? `${code}: ${text}` : text
}

export const isCorruptCode = (code: string | undefined): boolean =>
  code !== undefined && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB")

export const isBusyCode = (code: string | undefined): boolean =>
  code !== undefined && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))

/** The message a user sees for a damaged file: what happened and the steps to get going again. */
export const corruptMessage = (path: string, detail: string): string =>
  `The state database ${path} is damaged or is not an anysource SQLite file (${detail}). ` +
  `anysource stopped before touching Okta. To recover: stop every run that uses this file, then move it aside ` +
  `together with its -wal and -shm files (e.g. mv ${path} ${path}.damaged). Either salvage it with the sqlite3 CLI ` +
  `(sqlite3 ${path}.damaged ".recover" | sqlite3 ${path}) or start without a state file: the next plan then treats ` +
  `every record as new (Okta upserts them, which is safe), but people removed from the source while the state was ` +
  `lost are not deactivated automatically.`

/**
 * Map a thrown value to a `StateError`. `action` completes the sentence "Could not ...", e.g.
 * "commit run r1 to the state database".
 */
export const toStateError = (path: string, action: string, cause: unknown): StateError => {
  if (cause instanceof StateError) return cause
  const code = codeOf(cause)
  const detail = detailOf(cause)
  if (isCorruptCode(code))
    return new StateError({ reason: "Corrupt", message: corruptMessage(path, detail), cause })
  if (isBusyCode(code)) {
    return new StateError({
      reason: "Locked",
      message:
        `Could not ${action}: the state database ${path} is busy (${detail}); another process kept it locked ` +
        `longer than the busy timeout. Wait for the other run to finish, or raise the busy timeout.`,
      cause
    })
  }
  return new StateError({ reason: "Io", message: `Could not ${action} (${path}): ${detail}`, cause })
}
