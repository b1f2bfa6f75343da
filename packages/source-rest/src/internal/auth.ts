/**
 * Authorisation of API requests: none, HTTP Basic, bearer token, API key (header or query) and OAuth 2.0
 * client credentials (RFC 6749 §4.4). OAuth tokens are cached until `refreshBeforeSeconds` before they
 * expire (Effect's Clock, so TestClock drives expiry) and fetched again after a 401. Secrets stay
 * `Redacted` until the moment they are written into a request.
 */
import { Clock, Effect, Option, Redacted, Ref } from "effect"
import type { SourceError } from "@anysource/core"
import type { Auth } from "../RestConfig.ts"
import type { Exchanger } from "./client.ts"
import { AttemptFailure, sourceError } from "./errors.ts"
import type { HttpRequest, HttpResponse } from "./http.ts"
import type { RateLimitHints } from "./rateLimit.ts"
import { waitAfter429 } from "./rateLimit.ts"
import { REDACTED, redactUrl } from "./url.ts"

export interface Authenticator {
  /** Adds the credentials to a request (for OAuth: fetching a token first when none is cached). */
  readonly authorize: (request: HttpRequest) => Effect.Effect<HttpRequest, SourceError>
  /** Drops a cached token (after a 401), or undefined when there is nothing to refresh. */
  readonly invalidate: Effect.Effect<void> | undefined
  /** Query parameters that hold secrets (redacted in every URL shown). */
  readonly secretParams: ReadonlyArray<string>
}

/** The URL as sent (with an API key in the query, if that is the style) and shown: credentials `REDACTED`. */
export const display = (auth: Authenticator, url: URL): string => {
  if (auth.secretParams.length === 0) return redactUrl(url)
  const sent = new URL(url.toString())
  for (const name of auth.secretParams) sent.searchParams.set(name, REDACTED)
  return redactUrl(sent, auth.secretParams)
}

const withHeader = (request: HttpRequest, name: string, value: string): HttpRequest => ({
  ...request,
  headers: { ...request.headers, [name.toLowerCase()]: value }
})

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`

interface CachedToken {
  readonly token: Redacted.Redacted<string>
  /** Local-clock millis after which a new token is fetched; undefined = until a 401. */
  readonly refreshAt: number | undefined
}

/** Token endpoint errors: 400/401 are credentials (RFC 6749 §5.2), 429/5xx are retried. */
const classifyToken =
  (maxWaitMillis: number, help: string) =>
  (response: HttpResponse, hints: RateLimitHints, display: string): AttemptFailure => {
    if (response.status === 429) {
      const wait = waitAfter429(hints)
      return new AttemptFailure(
        sourceError("RateLimited", `OAuth token request ${display}: 429`, { retryable: true }),
        wait,
        wait === undefined || wait <= maxWaitMillis
      )
    }
    if (response.status >= 500) {
      return new AttemptFailure(
        sourceError("Http", `OAuth token request ${display}: ${response.status}`, { retryable: true })
      )
    }
    let code = ""
    try {
      const body = JSON.parse(response.body.toString("utf8")) as { error?: unknown }
      if (typeof body.error === "string" && /^[\x20-\x7e]{1,64}$/.test(body.error)) code = ` (${body.error})`
    } catch {
      // not JSON: the status says enough
    }
    return new AttemptFailure(
      sourceError("Auth", `OAuth token request ${display} was refused: ${response.status}${code} — ${help}`)
    )
  }

export const make = (
  auth: Auth,
  exchanger: Exchanger,
  options: { readonly maxWaitMillis: number; readonly authHelp?: string }
): Effect.Effect<Authenticator> =>
  Effect.gen(function* () {
    switch (auth.type) {
      case "none":
        return { authorize: Effect.succeed, invalidate: undefined, secretParams: [] }
      case "basic":
        return {
          authorize: (request) =>
            Effect.sync(() =>
              withHeader(
                request,
                "authorization",
                basic(Redacted.value(auth.username), Redacted.value(auth.password))
              )
            ),
          invalidate: undefined,
          secretParams: []
        }
      case "bearer":
        return {
          authorize: (request) =>
            Effect.sync(() => withHeader(request, "authorization", `Bearer ${Redacted.value(auth.token)}`)),
          invalidate: undefined,
          secretParams: []
        }
      case "apiKey":
        return {
          authorize: (request) =>
            Effect.sync(() => {
              if (auth.in === "header")
                return withHeader(request, auth.name, `${auth.prefix ?? ""}${Redacted.value(auth.value)}`)
              const url = new URL(request.url.toString())
              url.searchParams.set(auth.name, Redacted.value(auth.value))
              return { ...request, url }
            }),
          invalidate: undefined,
          secretParams: auth.in === "query" ? [auth.name] : []
        }
      case "oauth2": {
        const cache = yield* Ref.make<Option.Option<CachedToken>>(Option.none())
        const lock = yield* Effect.makeSemaphore(1)
        const tokenUrl = new URL(auth.tokenUrl)
        const display = redactUrl(tokenUrl)

        const requestToken = Effect.sync((): HttpRequest => {
          const form = new URLSearchParams({ grant_type: auth.grantType })
          if (auth.grantType === "refresh_token" && auth.refreshToken !== undefined) {
            form.set("refresh_token", Redacted.value(auth.refreshToken))
          }
          if (auth.scopes.length > 0) form.set("scope", auth.scopes.join(" "))
          if (auth.audience !== undefined) form.set("audience", auth.audience)
          for (const [key, value] of Object.entries(auth.params)) form.set(key, value)
          const headers: Record<string, string> = {
            "content-type": "application/x-www-form-urlencoded",
            accept: "application/json"
          }
          if (auth.clientAuth === "basic") {
            // RFC 6749 §2.3.1: both parts form-urlencoded before Basic encoding.
            headers["authorization"] = basic(
              encodeURIComponent(auth.clientId),
              encodeURIComponent(Redacted.value(auth.clientSecret))
            )
          } else {
            form.set("client_id", auth.clientId)
            form.set("client_secret", Redacted.value(auth.clientSecret))
          }
          return { method: "POST", url: tokenUrl, headers, body: form.toString() }
        })

        const fetchToken = Effect.gen(function* () {
          const response = yield* exchanger.exchange(requestToken, {
            display,
            token: true,
            classify: classifyToken(
              options.maxWaitMillis,
              options.authHelp ??
                (auth.grantType === "refresh_token"
                  ? "check auth.clientId, auth.clientSecret and auth.refreshToken (not expired or revoked)"
                  : "check auth.clientId and auth.clientSecret")
            )
          })
          const now = yield* Clock.currentTimeMillis
          let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown }
          try {
            body = JSON.parse(response.body.toString("utf8")) as typeof body
          } catch {
            return yield* Effect.fail(sourceError("Auth", `OAuth token response from ${display} is not JSON`))
          }
          if (typeof body.access_token !== "string" || body.access_token.length === 0) {
            return yield* Effect.fail(
              sourceError("Auth", `OAuth token response from ${display} has no access_token`)
            )
          }
          if (typeof body.token_type === "string" && body.token_type.toLowerCase() !== "bearer") {
            return yield* Effect.fail(
              sourceError(
                "Auth",
                `OAuth token response from ${display} has token_type ${body.token_type.slice(0, 20)}; only Bearer is supported`
              )
            )
          }
          const expiresIn = typeof body.expires_in === "number" ? body.expires_in : Number(body.expires_in)
          const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : undefined
          const token: CachedToken = {
            token: Redacted.make(body.access_token),
            // never refresh more than half-way through a short-lived token's life
            refreshAt:
              lifetime === undefined
                ? undefined
                : now + lifetime - Math.min(auth.refreshBeforeSeconds * 1000, lifetime / 2)
          }
          return token
        })

        const currentToken = lock.withPermits(1)(
          Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            const cached = yield* Ref.get(cache)
            if (
              Option.isSome(cached) &&
              (cached.value.refreshAt === undefined || now < cached.value.refreshAt)
            ) {
              return cached.value.token
            }
            const fresh = yield* fetchToken
            yield* Ref.set(cache, Option.some(fresh))
            return fresh.token
          })
        )

        return {
          authorize: (request) =>
            Effect.map(currentToken, (token) =>
              withHeader(request, "authorization", `Bearer ${Redacted.value(token)}`)
            ),
          invalidate: Ref.set(cache, Option.none()),
          secretParams: []
        }
      }
    }
  })
