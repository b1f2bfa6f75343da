/**
 * Okta HTTP responses and transport failures → `OktaApiError`. Messages are built only from the method, the
 * URL path and Okta's error body: never from request headers, so no token or assertion can reach them.
 */
import { OktaApiError, type OktaApiErrorReason, type OktaErrorCause } from "../../domain/Errors.ts"
import { OAuthErrorBody, OktaErrorBody } from "../Schemas.ts"

/** How a 400 from this endpoint is read. */
export type BadRequestKind = "createSession" | "sessionState" | "upload" | "other"

export interface ErrorContext {
  readonly endpoint: string
  readonly method: string
  /** Absolute URL (its query is dropped from messages). */
  readonly url: string
  readonly badRequest: BadRequestKind
  /** The OAuth scope the call needs (named by a 403). */
  readonly scope?: string
}

/** `Bearer error="insufficient_scope", scope="a b"` → the scopes the server names. */
export const challengedScopes = (header: string | undefined): ReadonlyArray<string> => {
  const m = header === undefined ? null : /\bscope="([^"]*)"/i.exec(header)
  return m === null ? [] : m[1]!.split(/\s+/).filter((s) => s !== "")
}

/**
 * What a 403 means and where it is fixed: the scope the call needs (ours, else the server's challenge) and where an
 * admin grants it.
 */
export const forbiddenHint = (scope: string | undefined, wwwAuthenticate: string | undefined): string | undefined => {
  const needed = scope ?? challengedScopes(wwwAuthenticate)[0]
  if (needed === undefined) return undefined
  return (
    `the credentials lack the scope ${needed}. An admin grants it in the Admin Console: Applications → the service app → ` +
    `Okta API Scopes → Grant ${needed} (and lists it in okta.auth.scopes); an API token (SSWS) needs an admin role that includes it`
  )
}

const pathOf = (url: string): string => {
  try {
    return new URL(url).pathname
  } catch {
    return url.split("?")[0] ?? url
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const sessionStateText = /session|status|importSessionId|CREATED|IN_PROGRESS|TRIGGERED|COMPLETED|EXPIRED|CLOSED/i

export const reasonFor = (status: number, kind: BadRequestKind, summary: string): OktaApiErrorReason => {
  if (status === 429) return "RateLimited"
  if (status === 401) return "Unauthorized"
  if (status === 403) return "Forbidden"
  if (status === 404) return "NotFound"
  if (status >= 500) return "Server"
  if (status === 400 || status === 409) {
    switch (kind) {
      case "createSession":
        return "SessionConflict"
      case "sessionState":
        return "InvalidSessionState"
      case "upload":
        return sessionStateText.test(summary) ? "InvalidSessionState" : "Rejected"
      case "other":
        return "Rejected"
    }
  }
  return "Rejected"
}

export const fromResponse = (
  ctx: ErrorContext,
  status: number,
  bodyText: string,
  requestId: string | undefined,
  retryAfterMillis?: number,
  wwwAuthenticate?: string
): OktaApiError => {
  const json = parseJson(bodyText)
  const okta = OktaErrorBody.safeParse(json)
  const oauth = OAuthErrorBody.safeParse(json)
  let errorCode: string | undefined
  let errorSummary: string | undefined
  let errorCauses: ReadonlyArray<OktaErrorCause> | undefined
  let errorId: string | undefined
  if (oauth.success) {
    errorCode = oauth.data.error
    errorSummary = oauth.data.error_description
  } else if (okta.success) {
    errorCode = okta.data.errorCode
    errorSummary = okta.data.errorSummary
    errorCauses = okta.data.errorCauses?.map((c) => ({ errorSummary: c.errorSummary }))
    errorId = okta.data.errorId
  }
  const causesText = errorCauses?.map((c) => c.errorSummary).join("; ") ?? ""
  let reason = reasonFor(status, ctx.badRequest, `${errorSummary ?? ""} ${causesText}`)
  if (oauth.success && (oauth.data.error === "invalid_scope" || oauth.data.error === "unauthorized_client"))
    reason = "Forbidden"
  else if (oauth.success && status === 400 && ctx.badRequest === "other" && ctx.endpoint === "token") reason = "Unauthorized"
  const detail = [errorCode, errorSummary].filter((s) => s !== undefined && s !== "").join(" ")
  const scopeHint = reason === "Forbidden" && !oauth.success ? forbiddenHint(ctx.scope, wwwAuthenticate) : undefined
  const message =
    `Okta ${ctx.method} ${pathOf(ctx.url)} failed: HTTP ${status}` +
    (detail ? ` ${detail}` : "") +
    (causesText ? ` (${causesText})` : "") +
    (scopeHint ? `: ${scopeHint}.` : "") +
    (requestId ? ` [request ${requestId}]` : "")
  const scope = reason === "Forbidden" && !oauth.success ? (ctx.scope ?? challengedScopes(wwwAuthenticate)[0]) : undefined
  return new OktaApiError({
    reason,
    message,
    status,
    method: ctx.method,
    url: pathOf(ctx.url),
    ...(errorCode !== undefined ? { errorCode } : {}),
    ...(errorSummary !== undefined ? { errorSummary } : {}),
    ...(errorCauses !== undefined ? { errorCauses } : {}),
    ...(errorId !== undefined ? { errorId } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(retryAfterMillis !== undefined ? { retryAfterMillis } : {}),
    ...(scope !== undefined ? { scope } : {})
  })
}

export const transport = (ctx: ErrorContext, detail: string): OktaApiError =>
  new OktaApiError({
    reason: "Transport",
    message: `Okta ${ctx.method} ${pathOf(ctx.url)} failed: ${detail}`,
    method: ctx.method,
    url: pathOf(ctx.url)
  })

export const timeout = (ctx: ErrorContext, millis: number): OktaApiError =>
  new OktaApiError({
    reason: "Timeout",
    message: `Okta ${ctx.method} ${pathOf(ctx.url)} timed out after ${millis} ms`,
    method: ctx.method,
    url: pathOf(ctx.url)
  })

export const decode = (ctx: ErrorContext, status: number, detail: string, requestId: string | undefined): OktaApiError =>
  new OktaApiError({
    reason: "Decode",
    message:
      `Okta ${ctx.method} ${pathOf(ctx.url)} returned HTTP ${status} with an unexpected body: ${detail}` +
      (requestId ? ` [request ${requestId}]` : ""),
    status,
    method: ctx.method,
    url: pathOf(ctx.url),
    ...(requestId !== undefined ? { requestId } : {})
  })

/** Errors a retry may cure (given an idempotent request). */
export const isTransient = (e: OktaApiError): boolean =>
  e.reason === "Server" || e.reason === "Transport" || e.reason === "Timeout"
