import { errorId } from "./Ids.ts"

/** An error reply in Okta's exact body shape. */
export interface OktaErrorBody {
  readonly errorCode: string
  readonly errorSummary: string
  readonly errorLink: string
  readonly errorId: string
  readonly errorCauses: ReadonlyArray<{ readonly errorSummary: string }>
}

export class OktaHttpError extends Error {
  readonly status: number
  readonly body: OktaErrorBody
  readonly headers: Readonly<Record<string, string>>
  constructor(status: number, code: string, summary: string, causes: ReadonlyArray<string> = [], headers: Record<string, string> = {}) {
    super(`${status} ${code} ${summary}`)
    this.status = status
    this.body = {
      errorCode: code,
      errorSummary: summary,
      errorLink: code,
      errorId: errorId(),
      errorCauses: causes.map((errorSummary) => ({ errorSummary }))
    }
    this.headers = headers
  }
}

/** 400 E0000001 `Api validation failed: <field>` with causes. */
export const validationFailed = (field: string, causes: ReadonlyArray<string>): OktaHttpError =>
  new OktaHttpError(400, "E0000001", `Api validation failed: ${field}`, causes)

/** 400 E0000003: no body or malformed JSON. */
export const malformedBody = (): OktaHttpError =>
  new OktaHttpError(400, "E0000003", "The request body was not well-formed.")

/** 404 E0000007. */
export const notFound = (resource: string, kind: string): OktaHttpError =>
  new OktaHttpError(404, "E0000007", `Not found: Resource not found: ${resource} (${kind})`)

/** 401 E0000011. */
export const invalidToken = (headers: Record<string, string> = {}): OktaHttpError =>
  new OktaHttpError(401, "E0000011", "Invalid token provided", [], headers)

/** 403 E0000006. */
export const forbidden = (headers: Record<string, string> = {}): OktaHttpError =>
  new OktaHttpError(403, "E0000006", "You do not have permission to perform the requested action", [], headers)

/** 405 E0000022. */
export const methodNotAllowed = (): OktaHttpError =>
  new OktaHttpError(405, "E0000022", "The endpoint does not support the provided HTTP method")

/** 429 E0000047. */
export const rateLimited = (): OktaHttpError =>
  new OktaHttpError(429, "E0000047", "API call exceeded rate limit due to too many requests.")

/** 400 E0000031 (Okta's text for an unsupported search expression). */
export const invalidSearch = (detail: string): OktaHttpError =>
  new OktaHttpError(400, "E0000031", "Invalid search criteria.", [detail])

/** 5xx replies used by fault injection. */
export const serverError = (status: number): OktaHttpError =>
  status === 503
    ? new OktaHttpError(503, "E0000010", "Service is temporarily unavailable. Please try again later.")
    : new OktaHttpError(status, "E0000009", "Internal Server Error")
