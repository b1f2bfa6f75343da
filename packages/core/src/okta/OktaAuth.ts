/**
 * Authentication for Okta's management API (docs/okta/identity-sources-api.md §7).
 *
 * - SSWS: `Authorization: SSWS <token>`.
 * - OAuth 2.0 client credentials with `private_key_jwt` (service app): a client assertion signed with `jose`
 *   (RS256/384/512 or ES256/384/512; key from PEM — PKCS#8, or PKCS#1/SEC1 — or JWK JSON; `kid` from config or
 *   the JWK), aud = `${orgUrl}/oauth2/v1/token`, iss = sub = clientId, exp 5 min, random jti. The access token
 *   is cached until shortly before it expires (Effect `Clock`), and dropped when an API call answers 401.
 * - DPoP (`dpop: true`): an ephemeral ES256 key; a proof JWT (`htm`, `htu`, `iat`, `jti`, and `ath` on API
 *   calls) on every token and API request; a `use_dpop_nonce` answer is retried once with the nonce.
 *
 * Secrets stay `Redacted` here; the access token is held `Redacted` too. None of them is ever put in an error.
 */
import { createHash, createPrivateKey, randomUUID, type KeyObject } from "node:crypto"
import { Clock, Effect, Option, Redacted, Ref } from "effect"
import { exportJWK, generateKeyPair, importPKCS8, SignJWT, type CryptoKey, type JWK } from "jose"
import type { OktaAuthConfig } from "../config/Config.ts"
import { ConfigError, OktaApiError } from "../domain/Errors.ts"
import * as Errors from "./internal/oktaErrors.ts"
import type { Authorizer, Method, RawResponse, RequestSpec } from "./internal/oktaHttp.ts"
import { OAuthErrorBody, TokenResponse } from "./Schemas.ts"

export type { Authorizer } from "./internal/oktaHttp.ts"

export type OAuthConfig = Extract<OktaAuthConfig, { type: "oauth" }>
export type SigningAlgorithm = OAuthConfig["algorithm"]

export const defaultScopes = ["okta.identitySources.manage", "okta.identitySources.read"] as const

export const tokenUrl = (orgUrl: string): string => `${orgUrl.replace(/\/+$/, "")}/oauth2/v1/token`

export interface SigningKey {
  readonly key: CryptoKey
  readonly kid?: string
  readonly alg: SigningAlgorithm
}

/**
 * Read a private key from PEM (PKCS#8, PKCS#1 or SEC1) or JWK JSON. The error never quotes the key.
 */
export const importSigningKey = (
  material: Redacted.Redacted<string>,
  alg: SigningAlgorithm,
  keyId?: string
): Effect.Effect<SigningKey, ConfigError> =>
  Effect.tryPromise({
    try: async () => {
      const text = Redacted.value(material).trim()
      let keyObject: KeyObject
      let jwkKid: string | undefined
      if (text.startsWith("{")) {
        const jwk = JSON.parse(text) as JWK & { kid?: string }
        jwkKid = typeof jwk.kid === "string" ? jwk.kid : undefined
        keyObject = createPrivateKey({ key: jwk as any, format: "jwk" })
      } else {
        keyObject = createPrivateKey({ key: text, format: "pem" })
      }
      const pkcs8 = keyObject.export({ format: "pem", type: "pkcs8" }).toString()
      const key = await importPKCS8(pkcs8, alg)
      const kid = keyId ?? jwkKid
      return { key, alg, ...(kid !== undefined ? { kid } : {}) }
    },
    catch: (e) =>
      new ConfigError({
        reason: "Invalid",
        path: "okta.auth.privateKey",
        // only the error's code/name: a JSON.parse message would quote the key material
        message: `okta.auth.privateKey is not a usable ${alg} private key (PEM or JWK JSON expected)${keyErrorCode(e)}`
      })
  })

/** The `private_key_jwt` client assertion. `nowMillis` from the Effect Clock. */
export const clientAssertion = (
  options: { readonly clientId: string; readonly audience: string; readonly key: SigningKey },
  nowMillis: number
): Effect.Effect<string> =>
  Effect.promise(() => {
    const iat = Math.floor(nowMillis / 1000)
    return new SignJWT({})
      .setProtectedHeader({ alg: options.key.alg, typ: "JWT", ...(options.key.kid ? { kid: options.key.kid } : {}) })
      .setIssuer(options.clientId)
      .setSubject(options.clientId)
      .setAudience(options.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .setJti(randomUUID())
      .sign(options.key.key)
  })

export interface DpopKey {
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

export const generateDpopKey: Effect.Effect<DpopKey> = Effect.promise(async () => {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true })
  const jwk = await exportJWK(publicKey)
  return { privateKey, publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK }
})

/** `htu`: the request URL without query and fragment. */
export const htu = (url: string): string => {
  const u = new URL(url)
  return `${u.origin}${u.pathname}`
}

export const accessTokenHash = (accessToken: string): string => createHash("sha256").update(accessToken).digest("base64url")

/** A DPoP proof JWT for one request. */
export const dpopProof = (
  key: DpopKey,
  request: { readonly method: string; readonly url: string; readonly accessToken?: string; readonly nonce?: string },
  nowMillis: number
): Effect.Effect<string> =>
  Effect.promise(() =>
    new SignJWT({
      htm: request.method,
      htu: htu(request.url),
      ...(request.accessToken !== undefined ? { ath: accessTokenHash(request.accessToken) } : {}),
      ...(request.nonce !== undefined ? { nonce: request.nonce } : {})
    })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.publicJwk })
      .setIssuedAt(Math.floor(nowMillis / 1000))
      .setJti(randomUUID())
      .sign(key.privateKey)
  )

interface CachedToken {
  readonly accessToken: Redacted.Redacted<string>
  readonly tokenType: "Bearer" | "DPoP"
  readonly expiresAtMillis: number
}

export interface AuthOptions {
  readonly orgUrl: string
  readonly auth: OktaAuthConfig
  /** Sends the token request (the client's transport: retries, metrics, rate limits). */
  readonly send: (spec: RequestSpec) => Effect.Effect<RawResponse, OktaApiError>
  /** Refresh this long before the token expires (default 60 s, at most half its lifetime). */
  readonly refreshSkewMillis?: number
}

/** Build the authorizer the client puts on every API request. */
export const make = (options: AuthOptions): Effect.Effect<Authorizer, ConfigError> => {
  const auth = options.auth
  if (auth.type === "ssws") {
    return Effect.succeed<Authorizer>({
      headers: () => Effect.succeed({ authorization: `SSWS ${Redacted.value(auth.token)}` }),
      invalidate: Effect.succeed(false),
      observe: () => Effect.void
    })
  }
  return makeOAuth(options, auth)
}

const makeOAuth = (options: AuthOptions, auth: OAuthConfig): Effect.Effect<Authorizer, ConfigError> =>
  Effect.gen(function* () {
    const key = yield* importSigningKey(auth.privateKey, auth.algorithm, auth.keyId)
    const dpopKey = auth.dpop ? yield* generateDpopKey : undefined
    const url = tokenUrl(options.orgUrl)
    const cache = yield* Ref.make<Option.Option<CachedToken>>(Option.none())
    const tokenNonce = yield* Ref.make<string | undefined>(undefined)
    const apiNonce = yield* Ref.make<string | undefined>(undefined)
    const lock = yield* Effect.makeSemaphore(1)
    const skew = options.refreshSkewMillis ?? 60_000
    const scopes = auth.scopes.length > 0 ? auth.scopes : [...defaultScopes]

    const requestToken = (nonce: string | undefined): Effect.Effect<RawResponse, OktaApiError> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const assertion = yield* clientAssertion({ clientId: auth.clientId, audience: url, key }, now)
        const form = new URLSearchParams({
          grant_type: "client_credentials",
          scope: scopes.join(" "),
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: assertion
        })
        const headers: Record<string, string> = {}
        if (dpopKey) headers["dpop"] = yield* dpopProof(dpopKey, { method: "POST", url, ...(nonce ? { nonce } : {}) }, now)
        return yield* options.send({
          endpoint: "token",
          method: "POST",
          url,
          body: { text: form.toString(), contentType: "application/x-www-form-urlencoded" },
          headers,
          expect: [200, 400, 401],
          retry: "idempotent",
          badRequest: "other"
        })
      })

    const fetchToken: Effect.Effect<CachedToken, OktaApiError> = Effect.gen(function* () {
      let response = yield* requestToken(yield* Ref.get(tokenNonce))
      const nonceAsked = (r: RawResponse) => r.status === 400 && oauthError(r.text) === "use_dpop_nonce" && r.headers["dpop-nonce"]
      if (dpopKey && nonceAsked(response)) {
        yield* Ref.set(tokenNonce, response.headers["dpop-nonce"])
        response = yield* requestToken(response.headers["dpop-nonce"])
      }
      const ctx = { endpoint: "token", method: "POST", url, badRequest: "other" as const }
      if (response.status !== 200) return yield* Effect.fail(Errors.fromResponse(ctx, response.status, response.text, response.requestId))
      const parsed = TokenResponse.safeParse(safeJson(response.text))
      if (!parsed.success) return yield* Effect.fail(Errors.decode(ctx, response.status, "not a token response", response.requestId))
      const type = parsed.data.token_type.toLowerCase() === "dpop" ? "DPoP" : "Bearer"
      if (type === "DPoP" && !dpopKey)
        return yield* Effect.fail(
          new OktaApiError({
            reason: "Unauthorized",
            message: "Okta issued a DPoP-bound token but DPoP is not enabled: set okta.auth.dpop to true",
            method: "POST",
            url: new URL(url).pathname
          })
        )
      const now = yield* Clock.currentTimeMillis
      const lifetime = parsed.data.expires_in * 1000
      return {
        accessToken: Redacted.make(parsed.data.access_token),
        tokenType: type,
        expiresAtMillis: now + lifetime - Math.min(skew, lifetime / 2)
      }
    })

    const currentToken: Effect.Effect<CachedToken, OktaApiError> = lock.withPermits(1)(
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const cached = yield* Ref.get(cache)
        if (Option.isSome(cached) && cached.value.expiresAtMillis > now) return cached.value
        const token = yield* fetchToken
        yield* Ref.set(cache, Option.some(token))
        return token
      })
    )

    const authorizer: Authorizer = {
      headers: (method: Method, requestUrl: string) =>
        Effect.gen(function* () {
          const token = yield* currentToken
          const value = Redacted.value(token.accessToken)
          if (token.tokenType === "DPoP" && dpopKey) {
            const now = yield* Clock.currentTimeMillis
            const nonce = yield* Ref.get(apiNonce)
            const proof = yield* dpopProof(dpopKey, { method, url: requestUrl, accessToken: value, ...(nonce ? { nonce } : {}) }, now)
            return { authorization: `DPoP ${value}`, dpop: proof }
          }
          return { authorization: `Bearer ${value}` }
        }),
      invalidate: Effect.as(Ref.set(cache, Option.none()), true),
      observe: (headers) => {
        const nonce = headers["dpop-nonce"]
        return nonce ? Ref.set(apiNonce, nonce) : Effect.void
      }
    }
    return authorizer
  })

const keyErrorCode = (e: unknown): string => {
  const code = (e as { code?: unknown })?.code
  if (typeof code === "string") return ` (${code})`
  return e instanceof SyntaxError ? " (invalid JSON)" : e instanceof Error ? ` (${e.name})` : ""
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const oauthError = (text: string): string | undefined => {
  const parsed = OAuthErrorBody.safeParse(safeJson(text))
  return parsed.success ? parsed.data.error : undefined
}
