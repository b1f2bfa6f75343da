/**
 * A fake HR API that requires one auth style (basic, bearer, API key in a header or in the query, OAuth 2.0
 * client credentials) in front of the paging API. Its OAuth token endpoint (`/oauth/token`) checks the client
 * credentials (HTTP Basic or form body), counts token requests, and issues tokens that can be revoked.
 */
import type { ServerResponse } from "node:http"
import { pagingHandler, type PagingOptions } from "./paging.ts"
import type { Person } from "./people.ts"
import { json, start, type Request, type TestServer } from "./server.ts"

export type AuthStyle = "basic" | "bearer" | "apiKeyHeader" | "apiKeyQuery" | "oauth2"

/** Test-only credentials (never real ones). */
export const CREDENTIALS = {
  username: "hr-sync",
  password: "pw-test-7d1f0c",
  token: "tok-test-91ab2e",
  apiKey: "key-test-55c2aa",
  clientId: "anysource-client",
  clientSecret: "cs-test-e3a0b9"
} as const

export const TOKEN_PATH = "/oauth/token"

export interface AuthServer extends TestServer {
  readonly people: ReadonlyArray<Person>
  /** Requests to the token endpoint. */
  readonly tokenRequests: () => number
  /** Requests to the API (not the token endpoint). */
  readonly apiRequests: () => number
  /** Invalidate every token issued so far (the next API call gets a 401). */
  readonly revokeTokens: () => void
}

export interface AuthOptions {
  readonly paging?: Omit<PagingOptions, "authorize">
  /** `expires_in` of issued tokens (seconds); undefined = omitted. */
  readonly expiresIn?: number | undefined
  /** Token endpoint fails with this status for the first N requests. */
  readonly tokenFailures?: { readonly status: number; readonly times: number }
}

const basicOf = (header: string | undefined): [string, string] | undefined => {
  if (header === undefined || !header.startsWith("Basic ")) return undefined
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8")
  const at = decoded.indexOf(":")
  return at < 0 ? undefined : [decoded.slice(0, at), decoded.slice(at + 1)]
}

export const startAuthApi = async (style: AuthStyle, options: AuthOptions = {}): Promise<AuthServer> => {
  const valid = new Set<string>()
  let issued = 0
  let tokenCalls = 0
  const authorize = (request: Request): boolean => {
    const authorization = request.headers["authorization"]
    switch (style) {
      case "basic": {
        const pair = basicOf(authorization)
        return pair !== undefined && pair[0] === CREDENTIALS.username && pair[1] === CREDENTIALS.password
      }
      case "bearer":
        return authorization === `Bearer ${CREDENTIALS.token}`
      case "apiKeyHeader":
        return request.headers["x-api-key"] === CREDENTIALS.apiKey
      case "apiKeyQuery":
        return request.url.searchParams.get("api_key") === CREDENTIALS.apiKey
      case "oauth2":
        return authorization !== undefined && authorization.startsWith("Bearer ") && valid.has(authorization.slice(7))
    }
  }
  const api = pagingHandler({ style: "cursor", total: 25, ...options.paging, authorize })
  const token = (request: Request, response: ServerResponse) => {
    tokenCalls++
    if (options.tokenFailures !== undefined && tokenCalls <= options.tokenFailures.times) {
      return json(response, options.tokenFailures.status, { error: "temporarily_unavailable" })
    }
    const form = new URLSearchParams(request.body)
    if (request.method !== "POST" || form.get("grant_type") !== "client_credentials") {
      return json(response, 400, { error: "unsupported_grant_type" })
    }
    const pair = basicOf(request.headers["authorization"])
    const id = pair ? decodeURIComponent(pair[0]) : form.get("client_id")
    const secret = pair ? decodeURIComponent(pair[1]) : form.get("client_secret")
    if (id !== CREDENTIALS.clientId || secret !== CREDENTIALS.clientSecret) {
      return json(response, 401, { error: "invalid_client" })
    }
    const accessToken = `at-${++issued}`
    valid.add(accessToken)
    return json(response, 200, {
      access_token: accessToken,
      token_type: "Bearer",
      ...(options.expiresIn !== undefined ? { expires_in: options.expiresIn } : {}),
      scope: form.get("scope") ?? ""
    })
  }
  const server = await start((request, response) =>
    request.url.pathname === TOKEN_PATH ? token(request, response) : api(request, response)
  )
  return {
    ...server,
    people: api.people,
    tokenRequests: () => server.count(TOKEN_PATH),
    apiRequests: () => server.requests.filter((r) => r.url.pathname !== TOKEN_PATH).length,
    revokeTokens: () => valid.clear()
  }
}

/** The `auth` block for `style` against `server`, with the right or (`wrong: true`) a wrong secret. */
export const authConfig = (style: AuthStyle, serverUrl: string, wrong = false): Record<string, unknown> => {
  const secret = (value: string) => (wrong ? `${value}-wrong` : value)
  switch (style) {
    case "basic":
      return { type: "basic", username: CREDENTIALS.username, password: secret(CREDENTIALS.password) }
    case "bearer":
      return { type: "bearer", token: secret(CREDENTIALS.token) }
    case "apiKeyHeader":
      return { type: "apiKey", in: "header", name: "X-API-Key", value: secret(CREDENTIALS.apiKey) }
    case "apiKeyQuery":
      return { type: "apiKey", in: "query", name: "api_key", value: secret(CREDENTIALS.apiKey) }
    case "oauth2":
      return {
        type: "oauth2",
        tokenUrl: `${serverUrl}${TOKEN_PATH}`,
        clientId: CREDENTIALS.clientId,
        clientSecret: secret(CREDENTIALS.clientSecret),
        scopes: ["people.read"]
      }
  }
}
