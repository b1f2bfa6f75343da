/**
 * Google API failures (gaxios errors, google-auth-library errors) → typed `SourceError`s.
 * Messages name the spreadsheet and what to do, never a credential: a gaxios error's own text can carry the
 * request URL (with `key=`), so transport failures are described from their error code only, and the raw
 * error is never attached as `cause` (only a sanitized summary is).
 */
import { Source, type SourceError } from "@anysource/core"

export const SOURCE = "google-sheets"

export interface Failure {
  readonly error: SourceError
  /** Retry-After asked by the server, in millis. */
  readonly retryAfterMillis?: number
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null

interface GoogleErrorBody {
  readonly code?: number
  readonly message?: string
  readonly status?: string
  readonly reasons: ReadonlyArray<string>
}

const googleBody = (data: unknown): GoogleErrorBody | undefined => {
  if (!isObject(data) || !isObject(data.error)) return undefined
  const e = data.error
  const reasons: Array<string> = []
  if (Array.isArray(e.details)) {
    for (const d of e.details) if (isObject(d) && typeof d.reason === "string") reasons.push(d.reason)
  }
  if (Array.isArray(e.errors)) {
    for (const d of e.errors) if (isObject(d) && typeof d.reason === "string") reasons.push(d.reason)
  }
  return {
    ...(typeof e.code === "number" ? { code: e.code } : {}),
    ...(typeof e.message === "string" ? { message: e.message } : {}),
    ...(typeof e.status === "string" ? { status: e.status } : {}),
    reasons
  }
}

/** `{ error: "invalid_grant", error_description }` from an OAuth token endpoint. */
const tokenBody = (data: unknown): { readonly error: string; readonly description?: string } | undefined =>
  isObject(data) && typeof data.error === "string"
    ? {
        error: data.error,
        ...(typeof data.error_description === "string" ? { description: data.error_description } : {})
      }
    : undefined

const headerOf = (headers: unknown, name: string): string | undefined => {
  if (!isObject(headers)) return undefined
  if (typeof (headers as { get?: unknown }).get === "function") {
    const v = (headers as unknown as Headers).get(name)
    return v === null ? undefined : v
  }
  const v = headers[name] ?? headers[name.toLowerCase()]
  return typeof v === "string" ? v : undefined
}

const retryAfter = (headers: unknown): number | undefined => {
  const v = headerOf(headers, "retry-after")
  if (v === undefined) return undefined
  const seconds = Number(v)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(v)
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined
}

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "ECONNABORTED"
])

export interface Context {
  /** What was being done, for the message: `reading 'People'!A1:F5000 of spreadsheet 1AbC…`. */
  readonly doing: string
  readonly spreadsheetId: string
  /** The host requests go to (for transport errors). */
  readonly host: string
  /** The token endpoint in use (errors from it are auth errors). */
  readonly tokenUrl?: string
  readonly authType: "serviceAccount" | "oauth" | "apiKey"
  /** The service account's email, for "share the sheet with …" hints. */
  readonly principal?: string
}

/** Every error of this source: `source: "google-sheets"`, not retryable unless said. */
export const sourceError = Source.errorFactory(SOURCE)

const shareHint = (ctx: Context): string =>
  ctx.authType === "apiKey"
    ? "an API key reads only sheets shared as “Anyone with the link can view”"
    : ctx.authType === "serviceAccount"
      ? `share the spreadsheet with the service account${ctx.principal ? ` ${ctx.principal}` : ""} (Viewer)`
      : "the OAuth user must be able to open the spreadsheet"

/** Map anything a googleapis call threw to a `SourceError` (plus a Retry-After when the server sent one). */
export const fromUnknown = (thrown: unknown, ctx: Context): Failure => {
  const e = isObject(thrown) ? thrown : {}
  const response = isObject(e.response) ? e.response : undefined
  const status =
    typeof response?.status === "number"
      ? response.status
      : typeof e.status === "number"
        ? e.status
        : undefined
  // gaxios wraps the fetch failure: its code or name may sit on the error, its `error` or its `cause`.
  const inner = [e, isObject(e.error) ? e.error : {}, isObject(e.cause) ? e.cause : {}]
  const code = inner.map((x) => x.code).find((c): c is string => typeof c === "string")
  const aborted = inner.some((x) => x.name === "AbortError" || x.name === "TimeoutError")
  const configUrl = isObject(e.config) && e.config.url !== undefined ? String(e.config.url) : undefined
  const summary = {
    status,
    code,
    ...(response ? { google: googleBody(response.data) ?? tokenBody(response.data) } : {})
  }

  // The OAuth token endpoint refused or failed.
  const token = response ? tokenBody(response.data) : undefined
  if (
    token !== undefined ||
    (ctx.tokenUrl !== undefined && configUrl !== undefined && configUrl.split("?")[0] === ctx.tokenUrl)
  ) {
    const transient = status === undefined || status === 429 || status >= 500
    const what = token
      ? `${token.error}${token.description ? ` (${token.description})` : ""}`
      : `HTTP ${status ?? code ?? "error"}`
    const hint =
      token?.error === "invalid_grant"
        ? ctx.authType === "oauth"
          ? ": the refresh token was revoked or expired — authorize again and update the secret"
          : ": check the key is current (not deleted in Google Cloud) and the machine's clock is right"
        : token?.error === "invalid_client"
          ? ": check clientId and clientSecret"
          : ""
    return {
      error: sourceError(
        "Auth",
        `Google's token endpoint refused the ${ctx.authType} credentials while ${ctx.doing}: ${what}${hint}`,
        { retryable: transient, cause: summary }
      )
    }
  }

  if (status !== undefined && response !== undefined) {
    const body = googleBody(response.data)
    const said = body?.message ? `: ${body.message}` : ""
    const reasons = new Set(body?.reasons ?? [])
    const base = `Google Sheets answered ${status}${body?.status ? ` ${body.status}` : ""} while ${ctx.doing}${said}`
    if (
      status === 429 ||
      reasons.has("RATE_LIMIT_EXCEEDED") ||
      reasons.has("rateLimitExceeded") ||
      reasons.has("userRateLimitExceeded")
    ) {
      const after = retryAfter(response.headers)
      return {
        error: sourceError(
          "RateLimited",
          `${base} (read quota exceeded; lower requestsPerMinute or raise the project's Sheets API quota)`,
          { retryable: true, cause: summary }
        ),
        ...(after !== undefined ? { retryAfterMillis: after } : {})
      }
    }
    if (
      status === 401 ||
      reasons.has("API_KEY_INVALID") ||
      reasons.has("CREDENTIALS_MISSING") ||
      reasons.has("ACCESS_TOKEN_EXPIRED")
    ) {
      return {
        error: sourceError("Auth", `${base} — check the ${ctx.authType} credentials`, { cause: summary })
      }
    }
    if (status === 403) {
      if (reasons.has("ACCESS_TOKEN_SCOPE_INSUFFICIENT")) {
        return {
          error: sourceError(
            "Permission",
            `${base} — the credentials lack the spreadsheets.readonly scope; grant it and authorize again`,
            { cause: summary }
          )
        }
      }
      if (reasons.has("SERVICE_DISABLED") || reasons.has("accessNotConfigured")) {
        return {
          error: sourceError(
            "Permission",
            `${base} — enable the Google Sheets API in the Google Cloud project of these credentials`,
            { cause: summary }
          )
        }
      }
      return { error: sourceError("Permission", `${base} — ${shareHint(ctx)}`, { cause: summary }) }
    }
    if (status === 404) {
      return {
        error: sourceError(
          "NotFound",
          `spreadsheet ${ctx.spreadsheetId} was not found while ${ctx.doing} — check spreadsheetId; ${shareHint(ctx)}`,
          { cause: summary }
        )
      }
    }
    if (status === 400 && body?.message !== undefined && /unable to parse range/i.test(body.message)) {
      return {
        error: sourceError("NotFound", `${base} — the tab or range does not exist`, { cause: summary })
      }
    }
    if (status >= 500 || status === 408) {
      return { error: sourceError("Http", base, { retryable: true, cause: summary }) }
    }
    return { error: sourceError("Http", base, { cause: summary }) }
  }

  if (code !== undefined && (TRANSIENT_CODES.has(code) || code === "ENOTFOUND")) {
    // ENOTFOUND is retried too: DNS hiccups happen; a wrong rootUrl fails after the retries anyway.
    return {
      error: sourceError("Connect", `cannot reach ${ctx.host} (${code}) while ${ctx.doing}`, {
        retryable: true,
        cause: summary
      })
    }
  }
  const name = isObject(thrown) && typeof thrown.name === "string" ? thrown.name : undefined
  // An abort is requestTimeoutMs expiring (an interrupted read aborts too, but nobody sees that error).
  if (code === "ETIMEDOUT" || code === "ABORT_ERR" || aborted) {
    return {
      error: sourceError("Timeout", `${ctx.host} did not answer in time while ${ctx.doing}`, {
        retryable: true,
        cause: summary
      })
    }
  }
  // google-auth-library's own errors (a malformed key, "No key or keyFile set") carry no secret in their message.
  const message = thrown instanceof Error ? thrown.message : String(thrown)
  if (/private key|PEM|DECODER|asn1|key or keyFile|client_email|invalid_grant/i.test(message)) {
    return {
      error: sourceError(
        "Auth",
        `the ${ctx.authType} credentials are unusable while ${ctx.doing}: ${message.split("\n")[0]}`,
        { cause: summary }
      )
    }
  }
  return {
    error: sourceError("Http", `request failed while ${ctx.doing} (${code ?? name ?? "unknown error"})`, {
      cause: summary
    })
  }
}
