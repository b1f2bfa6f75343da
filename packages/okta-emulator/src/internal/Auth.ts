import { createHash } from "node:crypto"
import {
  base64url,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK
} from "jose"
import { opaque } from "./Ids.ts"
import { forbidden, invalidToken, type OktaHttpError } from "./OktaError.ts"

export const SCOPE_MANAGE = "okta.identitySources.manage"
export const SCOPE_READ = "okta.identitySources.read"
export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
export const TOKEN_LIFETIME_S = 3600
const ASSERTION_MAX_LIFETIME_S = 3600
const PROOF_MAX_AGE_S = 300
const CLOCK_TOLERANCE_S = 60
const NONCE_LIFETIME_MS = 5 * 60_000
const SIGNING_ALGS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]

export interface TokenConfig {
  readonly token: string
  /** Scopes this API token carries. Default: every scope. */
  readonly scopes?: ReadonlyArray<string>
}

export interface OAuthClientConfig {
  readonly clientId: string
  /** The service app's public keys (JWKS), used to verify its private_key_jwt assertions. */
  readonly jwks: { readonly keys: ReadonlyArray<object> }
  /** Okta API scopes granted to the app. */
  readonly scopes: ReadonlyArray<string>
  /** "Require Demonstrating Proof of Possession (DPoP) header in token requests". */
  readonly requireDpop?: boolean
}

export interface Principal {
  readonly kind: "ssws" | "bearer" | "dpop"
  /** `undefined` means every scope. */
  readonly scopes: ReadonlySet<string> | undefined
  readonly clientId?: string
}

/** Reply of the token endpoint (OAuth JSON, not Okta's error shape). */
export interface TokenReply {
  readonly status: number
  readonly body: Record<string, unknown>
  readonly headers: Record<string, string>
}

const oauthError = (status: number, error: string, description: string, headers: Record<string, string> = {}): TokenReply => ({
  status,
  body: { error, error_description: description },
  headers
})

/** Compares two URLs on scheme, host, port and path (DPoP `htu` rules: no query, no fragment). */
const sameUrl = (a: string, b: string): boolean => {
  try {
    const x = new URL(a)
    const y = new URL(b)
    return x.protocol === y.protocol && x.host === y.host && x.pathname === y.pathname
  } catch {
    return false
  }
}

class ReplayCache {
  readonly #seen = new Map<string, number>()
  /** Returns false if `key` was already used (and is still within its lifetime). */
  use(key: string, expiresAt: number, now: number): boolean {
    for (const [k, exp] of this.#seen) if (exp < now) this.#seen.delete(k)
    if (this.#seen.has(key)) return false
    this.#seen.set(key, expiresAt)
    return true
  }
}

export class Auth {
  readonly #tokens: ReadonlyArray<TokenConfig>
  readonly #clients: ReadonlyMap<string, OAuthClientConfig>
  /** Emulator time: access-token lifetime. */
  readonly #now: () => number
  /** Time that client-made timestamps (assertion exp, proof iat) are checked against. */
  readonly #clientNow: () => number
  readonly #assertionJtis = new ReplayCache()
  readonly #proofJtis = new ReplayCache()
  readonly #nonces = new Map<string, number>()
  #signing: Promise<{ readonly privateKey: CryptoKey; readonly publicKey: CryptoKey }> | undefined

  constructor(
    tokens: ReadonlyArray<TokenConfig>,
    clients: ReadonlyArray<OAuthClientConfig>,
    now: () => number,
    clientNow: () => number = now
  ) {
    this.#tokens = tokens
    this.#clients = new Map(clients.map((c) => [c.clientId, c]))
    this.#now = now
    this.#clientNow = clientNow
  }

  #keys() {
    this.#signing ??= generateKeyPair("ES256")
    return this.#signing
  }

  // ------------------------------------------------------------------ resource requests

  /**
   * Authenticates an API request from its `Authorization` (and `DPoP`) headers.
   * `url` is the absolute request URL as the client addressed it (for the DPoP `htu` check).
   */
  async authenticate(headers: { authorization?: string | undefined; dpop?: string | undefined }, method: string, url: string): Promise<Principal> {
    const header = headers.authorization ?? ""
    const space = header.indexOf(" ")
    const scheme = space < 0 ? header : header.slice(0, space)
    const credential = space < 0 ? "" : header.slice(space + 1).trim()
    if (credential === "") throw invalidToken()
    switch (scheme.toLowerCase()) {
      case "ssws": {
        const found = this.#tokens.find((t) => t.token === credential)
        if (found === undefined) throw invalidToken()
        return { kind: "ssws", scopes: found.scopes === undefined ? undefined : new Set(found.scopes) }
      }
      case "bearer": {
        const claims = await this.#verifyAccessToken(credential)
        // A DPoP-bound token presented as a plain bearer token is refused.
        if (claims.jkt !== undefined) throw invalidToken({ "WWW-Authenticate": 'DPoP error="invalid_token", error_description="The access token is DPoP-bound"' })
        return { kind: "bearer", scopes: new Set(claims.scopes), clientId: claims.clientId }
      }
      case "dpop": {
        const claims = await this.#verifyAccessToken(credential)
        if (claims.jkt === undefined) throw invalidToken()
        await this.#verifyResourceProof(headers.dpop, method, url, credential, claims.jkt)
        return { kind: "dpop", scopes: new Set(claims.scopes), clientId: claims.clientId }
      }
      default:
        throw invalidToken()
    }
  }

  /** 403 E0000006 unless the principal holds `scope` (or, for reads, any of `scopes`). */
  requireScope(principal: Principal, ...anyOf: ReadonlyArray<string>): void {
    if (principal.scopes === undefined) return
    if (anyOf.some((s) => principal.scopes!.has(s))) return
    const challenge =
      principal.kind === "ssws"
        ? {}
        : { "WWW-Authenticate": `${principal.kind === "dpop" ? "DPoP" : "Bearer"} error="insufficient_scope", scope="${anyOf.join(" ")}"` }
    throw forbidden(challenge)
  }

  async #verifyAccessToken(token: string): Promise<{ scopes: Array<string>; clientId: string; jkt: string | undefined }> {
    const { publicKey } = await this.#keys()
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        algorithms: ["ES256"],
        currentDate: new Date(this.#now()),
        requiredClaims: ["exp", "cid", "scp"]
      })
      const cnf = payload["cnf"] as { jkt?: unknown } | undefined
      return {
        scopes: Array.isArray(payload["scp"]) ? payload["scp"].map(String) : [],
        clientId: String(payload["cid"]),
        jkt: typeof cnf?.jkt === "string" ? cnf.jkt : undefined
      }
    } catch {
      throw invalidToken()
    }
  }

  async #verifyResourceProof(proof: string | undefined, method: string, url: string, token: string, jkt: string): Promise<void> {
    const fail = (description: string): OktaHttpError =>
      invalidToken({ "WWW-Authenticate": `DPoP error="invalid_dpop_proof", error_description="${description}"` })
    if (proof === undefined || proof === "") throw fail("The DPoP proof JWT header is missing.")
    const checked = await this.#verifyProof(proof, method, [url])
    if (typeof checked === "string") throw fail(checked)
    if (checked.thumbprint !== jkt) throw fail("The DPoP proof key does not match the access token.")
    const ath = base64url.encode(createHash("sha256").update(token).digest())
    if (checked.claims["ath"] !== ath) throw fail("The DPoP proof 'ath' claim does not match the access token.")
  }

  /** Verifies a DPoP proof's signature, type, htm, htu, iat and jti. Returns an error text on failure. */
  async #verifyProof(
    proof: string,
    method: string,
    urls: ReadonlyArray<string>
  ): Promise<string | { readonly thumbprint: string; readonly claims: Record<string, unknown> }> {
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(proof)
    } catch {
      return "The DPoP proof is not a JWT."
    }
    if (header.typ !== "dpop+jwt") return "The DPoP proof 'typ' must be dpop+jwt."
    if (typeof header.alg !== "string" || !SIGNING_ALGS.includes(header.alg)) return "The DPoP proof 'alg' is not supported."
    try {
      const { payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: "dpop+jwt",
        algorithms: SIGNING_ALGS,
        currentDate: new Date(this.#clientNow()),
        maxTokenAge: PROOF_MAX_AGE_S,
        clockTolerance: CLOCK_TOLERANCE_S
      })
      if (payload["htm"] !== method) return "The DPoP proof 'htm' does not match the request method."
      const htu = payload["htu"]
      if (typeof htu !== "string" || !urls.some((u) => sameUrl(htu, u))) return "The DPoP proof 'htu' does not match the request URL."
      if (typeof payload.jti !== "string" || payload.jti === "") return "The DPoP proof 'jti' claim is missing."
      const thumbprint = await calculateJwkThumbprint(header.jwk as JWK)
      const now = this.#clientNow()
      if (!this.#proofJtis.use(`${thumbprint}:${payload.jti}`, now + (PROOF_MAX_AGE_S + CLOCK_TOLERANCE_S) * 1000, now)) {
        return "The DPoP proof 'jti' has already been used."
      }
      return { thumbprint, claims: payload as Record<string, unknown> }
    } catch (e) {
      return `The DPoP proof is invalid: ${e instanceof Error ? e.message : String(e)}`
    }
  }

  // ------------------------------------------------------------------ token endpoint

  #freshNonce(now: number): string {
    for (const [n, exp] of this.#nonces) if (exp < now) this.#nonces.delete(n)
    const nonce = opaque(24)
    this.#nonces.set(nonce, now + NONCE_LIFETIME_MS)
    return nonce
  }

  /**
   * `POST /oauth2/v1/token`: client_credentials with a private_key_jwt assertion, optionally DPoP.
   * `tokenUrls` are the URLs a client may use as the assertion audience and the proof's `htu`.
   */
  async token(form: URLSearchParams, dpop: string | undefined, tokenUrls: ReadonlyArray<string>): Promise<TokenReply> {
    const now = this.#clientNow()
    const grantType = form.get("grant_type")
    if (grantType === null) return oauthError(400, "invalid_request", "The 'grant_type' parameter is required.")
    if (grantType !== "client_credentials") {
      return oauthError(400, "unsupported_grant_type", `The authorization grant type '${grantType}' is not supported by this emulator.`)
    }
    const assertionType = form.get("client_assertion_type")
    const assertion = form.get("client_assertion")
    if (assertionType !== ASSERTION_TYPE || assertion === null || assertion === "") {
      return oauthError(401, "invalid_client", "Client authentication failed: a private_key_jwt client_assertion is required.")
    }
    let unverified: ReturnType<typeof decodeJwt>
    try {
      unverified = decodeJwt(assertion)
    } catch {
      return oauthError(401, "invalid_client", "The client_assertion is not a valid JWT.")
    }
    const clientId = unverified.sub ?? unverified.iss
    const requestedClient = form.get("client_id")
    const client = clientId === undefined ? undefined : this.#clients.get(clientId)
    if (client === undefined || (requestedClient !== null && requestedClient !== clientId)) {
      return oauthError(401, "invalid_client", "The client_id provided is invalid.")
    }
    let claims: Awaited<ReturnType<typeof jwtVerify>>["payload"]
    try {
      const jwks = createLocalJWKSet(client.jwks as JSONWebKeySet)
      const verified = await jwtVerify(assertion, jwks, {
        algorithms: SIGNING_ALGS,
        audience: [...tokenUrls],
        issuer: client.clientId,
        subject: client.clientId,
        requiredClaims: ["exp"],
        currentDate: new Date(now)
      })
      claims = verified.payload
    } catch (e) {
      return oauthError(401, "invalid_client", `The client_assertion is invalid: ${e instanceof Error ? e.message : String(e)}`)
    }
    const exp = claims.exp!
    if (exp * 1000 > now + ASSERTION_MAX_LIFETIME_S * 1000) {
      return oauthError(401, "invalid_client", "The client_assertion 'exp' claim must be at most one hour in the future.")
    }

    const scope = (form.get("scope") ?? "").split(" ").filter((s) => s !== "")
    if (scope.length === 0) {
      return oauthError(400, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
    }
    if (scope.some((s) => !client.scopes.includes(s))) {
      return oauthError(400, "invalid_scope", "One or more scopes are not configured for the authorization server resource.")
    }

    let jkt: string | undefined
    if (dpop !== undefined && dpop !== "") {
      const checked = await this.#verifyProof(dpop, "POST", tokenUrls)
      if (typeof checked === "string") return oauthError(400, "invalid_dpop_proof", checked)
      const nonce = checked.claims["nonce"]
      const nonceExp = typeof nonce === "string" ? this.#nonces.get(nonce) : undefined
      if (nonceExp === undefined || nonceExp < now) {
        return oauthError(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.", { "DPoP-Nonce": this.#freshNonce(now) })
      }
      jkt = checked.thumbprint
    } else if (client.requireDpop === true) {
      return oauthError(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
    }

    // Consumed only now, so that a use_dpop_nonce round trip may resend the same assertion.
    if (claims.jti !== undefined && !this.#assertionJtis.use(`${client.clientId}:${claims.jti}`, exp * 1000, now)) {
      return oauthError(401, "invalid_client", "The client_assertion 'jti' has already been used.")
    }

    const { privateKey } = await this.#keys()
    const iat = Math.floor(this.#now() / 1000)
    const accessToken = await new SignJWT({
      ver: 1,
      cid: client.clientId,
      scp: scope,
      ...(jkt === undefined ? {} : { cnf: { jkt } })
    })
      .setProtectedHeader({ alg: "ES256", kid: "emulator" })
      .setJti(`AT.${opaque(24)}`)
      .setIssuer(tokenUrls[0]?.replace(/\/oauth2\/v1\/token$/, "") ?? "emulator")
      .setAudience(tokenUrls[0]?.replace(/\/oauth2\/v1\/token$/, "") ?? "emulator")
      .setSubject(client.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + TOKEN_LIFETIME_S)
      .sign(privateKey)
    return {
      status: 200,
      body: { token_type: jkt === undefined ? "Bearer" : "DPoP", expires_in: TOKEN_LIFETIME_S, access_token: accessToken, scope: scope.join(" ") },
      headers: { "Cache-Control": "no-store", Pragma: "no-cache" }
    }
  }
}
