/** `SourceError`s of the sftp source, and the SFTP status codes behind them. */
import { Source, SourceError } from "@anysource/core"

export const SOURCE = "sftp"

export const sourceError = Source.errorFactory(SOURCE)

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02). */
const SFTP_NO_SUCH_FILE = 2
const SFTP_PERMISSION_DENIED = 3

const codeOf = (error: unknown): unknown => (typeof error === "object" && error !== null && "code" in error ? error.code : undefined)

export const describe = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error)
  // ssh2-sftp-client prefixes its method names ("_xstat: ", "list: "): keep only what the server said.
  return text.replace(/^[_a-zA-Z]+: /, "")
}

/**
 * An SFTP request failed: NotFound / Permission by status code (ssh2 gives the SFTP status, ssh2-sftp-client its
 * own ENOENT-like codes), otherwise a retryable Read (the connection dropped, the server failed).
 */
export const requestError = (what: string, error: unknown): SourceError => {
  if (error instanceof SourceError) return error
  const code = codeOf(error)
  if (code === SFTP_NO_SUCH_FILE || code === "ENOENT" || code === "ERR_BAD_PATH" || /no such file/i.test(describe(error))) {
    return sourceError("NotFound", `${what}: not found on the server`, { cause: error })
  }
  if (code === SFTP_PERMISSION_DENIED || code === "EACCES" || code === "EPERM" || /permission denied/i.test(describe(error))) {
    return sourceError("Permission", `${what}: permission denied — the SFTP user may not read it`, { cause: error })
  }
  return sourceError("Read", `${what}: ${describe(error)}`, { retryable: true, cause: error })
}
