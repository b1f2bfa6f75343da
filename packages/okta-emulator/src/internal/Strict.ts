/**
 * Strict mode: the emulator checks every request and every reply of the Identity Sources, schema and mapping APIs
 * against the vendored OpenAPI subsets (docs/okta/identity-sources-api.md §13, §14). A request the spec forbids never reaches
 * the handlers; a reply the spec forbids is an emulator bug and goes out as a 500 that says so.
 */
import {
  allowancesFor,
  formatIssue,
  loadOpenApiValidator,
  type Headers,
  type ResponsesMode,
  type OpenApiValidator,
  type Violation
} from "../OpenApi.ts"
import { OktaHttpError } from "./OktaError.ts"

export interface StrictGuard {
  /** The 400 for a request that violates the spec, or undefined. Requests outside the spec pass. */
  readonly checkRequest: (
    method: string,
    url: string,
    headers: Headers,
    body: Buffer
  ) => OktaHttpError | undefined
  /** The 500 that replaces a reply that violates the spec, or undefined. */
  readonly checkResponse: (
    request: { readonly method: string; readonly url: string },
    response: { readonly status: number; readonly headers: Headers; readonly body: string }
  ) => OktaHttpError | undefined
}

/** Okta answers a body it cannot accept with E0000003; the causes name each field (`entityType: must be one of USERS, …`). */
export const requestRejection = (violation: Violation): OktaHttpError => {
  const causes = violation.issues.map(formatIssue)
  const params = violation.issues.filter((i) => i.in !== "body")
  // A bad path or query parameter is not a body problem: Okta's generic validation error names the parameter.
  return params.length > 0 && params.length === violation.issues.length
    ? new OktaHttpError(
        400,
        "E0000001",
        `Api validation failed: ${params.map((p) => p.field).join(", ")}`,
        causes
      )
    : new OktaHttpError(400, "E0000003", "The request body was not well-formed.", causes)
}

export const replyRejection = (violation: Violation): OktaHttpError =>
  new OktaHttpError(500, "E0000009", "Internal Server Error", [
    `The emulator's reply to ${violation.method} ${violation.url} (${violation.status ?? "?"}) does not match the OpenAPI spec ` +
      `[${violation.operationId}]: ${violation.issues.map(formatIssue).join("; ")}. This is a bug in the emulator, not in the client.`
  ])

export const makeGuard = (validator: OpenApiValidator): StrictGuard => ({
  checkRequest: (method, url, headers, body) => {
    const violation = validator.validateRequest({
      method,
      url,
      headers,
      body: body.length === 0 ? undefined : body.toString("utf8")
    })[0]
    return violation === undefined ? undefined : requestRejection(violation)
  },
  checkResponse: (request, response) => {
    const violation = validator.validateResponse(request, response)[0]
    return violation === undefined ? undefined : replyRejection(violation)
  }
})

const loaded = new Map<string, Promise<StrictGuard>>()

/**
 * The guard for an emulator started with these options (the allowances follow its reply modes). Validators hold
 * no per-emulator state, so emulators in one process share one per spec file and set of allowances.
 */
export const loadGuard = (options: {
  readonly responses?: ResponsesMode
  readonly specPath?: string
}): Promise<StrictGuard> => {
  const allowances = allowancesFor(options)
  const key = `${options.specPath ?? ""}\n${allowances.map((a) => a.id).join(",")}`
  let guard = loaded.get(key)
  if (guard === undefined) {
    guard = loadOpenApiValidator({
      allowances,
      ...(options.specPath === undefined ? {} : { specPath: options.specPath })
    }).then(makeGuard)
    guard.catch(() => loaded.delete(key))
    loaded.set(key, guard)
  }
  return guard
}
