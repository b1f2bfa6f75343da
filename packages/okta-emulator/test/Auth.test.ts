import { createHash } from "node:crypto"
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose"
import { afterEach, describe, expect, it } from "vitest"
import { closeAll, harness, type Harness } from "./helpers.ts"

afterEach(closeAll)

const MANAGE = "okta.identitySources.manage"
const READ = "okta.identitySources.read"
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

interface Key {
  readonly alg: "RS256" | "ES256"
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

const keys: Partial<Record<string, Promise<Key>>> = {}
const key = (alg: "RS256" | "ES256", kid = `${alg}-1`): Promise<Key> =>
  (keys[kid] ??= (async () => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    return { alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } }
  })())

const client = async (clientId: string, alg: "RS256" | "ES256", scopes: Array<string>, requireDpop = false) => ({
  clientId,
  jwks: { keys: [(await key(alg)).publicJwk] },
  scopes,
  requireDpop
})

let jtiCounter = 0
const assertion = async (
  h: Harness,
  k: Key,
  claims: { clientId: string; aud?: string; iss?: string; exp?: number; iat?: number; jti?: string | null }
) => {
  const now = Math.floor(h.clock.now() / 1000)
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: k.alg, kid: k.publicJwk.kid! })
    .setIssuer(claims.iss ?? claims.clientId)
    .setSubject(claims.clientId)
    .setAudience(claims.aud ?? `${h.emu.url}/oauth2/v1/token`)
    .setIssuedAt(claims.iat ?? now)
    .setExpirationTime(claims.exp ?? now + 300)
  if (claims.jti !== null) jwt.setJti(claims.jti ?? `jti-${++jtiCounter}`)
  return jwt.sign(k.privateKey)
}

const tokenRequest = async (h: Harness, form: Record<string, string>, dpop?: string) => {
  const res = await fetch(`${h.emu.url}/oauth2/v1/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json", ...(dpop === undefined ? {} : { DPoP: dpop }) },
    body: new URLSearchParams(form).toString()
  })
  return { status: res.status, headers: res.headers, json: (await res.json()) as any }
}

const grant = (clientAssertion: string, scope = `${MANAGE} ${READ}`) => ({
  grant_type: "client_credentials",
  scope,
  client_assertion_type: ASSERTION_TYPE,
  client_assertion: clientAssertion
})

describe("SSWS API tokens", () => {
  it("answers 401 E0000011 without a token, with an unknown token or an unknown scheme", async () => {
    const h = await harness()
    for (const auth of [null, "SSWS wrong", "Basic dXNlcjpwYXNz", "SSWS "]) {
      const r = await h.call("GET", h.is("/sessions"), { auth })
      expect(r.status, String(auth)).toBe(401)
      expect(r.json).toMatchObject({ errorCode: "E0000011", errorSummary: "Invalid token provided", errorLink: "E0000011", errorCauses: [] })
      expect(r.headers.get("x-rate-limit-remaining")).not.toBeNull()
    }
  })

  it("checks scopes: read for GETs, manage for writes (403 E0000006)", async () => {
    const h = await harness({ tokens: [{ token: "reader", scopes: [READ] }, { token: "writer", scopes: [MANAGE] }, { token: "all" }] })
    expect((await h.call("GET", h.is("/sessions"), { auth: "SSWS reader" })).status).toBe(200)
    const denied = await h.call("POST", h.is("/sessions"), { auth: "SSWS reader" })
    expect(denied.status).toBe(403)
    expect(denied.json).toMatchObject({ errorCode: "E0000006", errorSummary: "You do not have permission to perform the requested action" })
    const created = await h.call("POST", h.is("/sessions"), { auth: "SSWS writer" })
    expect(created.status).toBe(201)
    expect((await h.call("GET", h.is(`/sessions/${created.json.id}`), { auth: "SSWS writer" })).status).toBe(403)
    expect((await h.call("GET", "/api/v1/users", { auth: "SSWS reader" })).status).toBe(403)
    expect((await h.call("GET", "/api/v1/users", { auth: "SSWS all" })).status).toBe(200)
  })
})

describe("OAuth 2.0 client credentials with private_key_jwt", () => {
  it.each(["RS256", "ES256"] as const)("issues a Bearer token for a %s assertion and accepts it on the API", async (alg) => {
    const h = await harness({ oauthClients: [await client("0oaSERVICEAPP", alg, [MANAGE, READ])] })
    const t = await tokenRequest(h, grant(await assertion(h, await key(alg), { clientId: "0oaSERVICEAPP" })))
    expect(t.status).toBe(200)
    expect(t.json).toEqual({ token_type: "Bearer", expires_in: 3600, access_token: expect.any(String), scope: `${MANAGE} ${READ}` })
    expect(t.headers.get("x-rate-limit-limit")).toBe("600")
    const r = await h.call("POST", h.is("/sessions"), { auth: `Bearer ${t.json.access_token}` })
    expect(r.status).toBe(201)
  })

  it("rejects bad assertions with invalid_client", async () => {
    const h = await harness({ oauthClients: [await client("0oaAPP", "RS256", [MANAGE, READ])] })
    const k = await key("RS256")
    const other = await key("RS256", "not-registered")
    const now = Math.floor(h.clock.now() / 1000)
    const cases: Array<[string, string, string?]> = [
      ["wrong audience", await assertion(h, k, { clientId: "0oaAPP", aud: "https://example.okta.com/oauth2/v1/token" })],
      ["iss differs from sub", await assertion(h, k, { clientId: "0oaAPP", iss: "someone-else" })],
      ["exp more than an hour ahead", await assertion(h, k, { clientId: "0oaAPP", exp: now + 3601 })],
      ["expired", await assertion(h, k, { clientId: "0oaAPP", iat: now - 600, exp: now - 1 })],
      ["unregistered key", await assertion(h, { ...other, publicJwk: { ...other.publicJwk, kid: k.publicJwk.kid! } }, { clientId: "0oaAPP" })],
      ["unknown client", await assertion(h, k, { clientId: "0oaNOBODY" })],
      ["not a JWT", "not-a-jwt"]
    ]
    for (const [name, jwt] of cases) {
      const t = await tokenRequest(h, grant(jwt))
      expect(t.status, name).toBe(401)
      expect(t.json.error, name).toBe("invalid_client")
    }
    const wrongType = await tokenRequest(h, { ...grant(await assertion(h, k, { clientId: "0oaAPP" })), client_assertion_type: "password" })
    expect(wrongType.json.error).toBe("invalid_client")
    const exactlyOneHour = await tokenRequest(h, grant(await assertion(h, k, { clientId: "0oaAPP", exp: now + 3600 })))
    expect(exactlyOneHour.status).toBe(200)
  })

  it("rejects a replayed assertion jti", async () => {
    const h = await harness({ oauthClients: [await client("0oaAPP", "ES256", [MANAGE])] })
    const jwt = await assertion(h, await key("ES256"), { clientId: "0oaAPP", jti: "once" })
    expect((await tokenRequest(h, grant(jwt, MANAGE))).status).toBe(200)
    const replay = await tokenRequest(h, grant(jwt, MANAGE))
    expect(replay.status).toBe(401)
    expect(replay.json).toEqual({ error: "invalid_client", error_description: "The client_assertion 'jti' has already been used." })
  })

  it("checks grant type and scopes at the token endpoint", async () => {
    const h = await harness({ oauthClients: [await client("0oaAPP", "ES256", [READ])] })
    const k = await key("ES256")
    const notGranted = await tokenRequest(h, grant(await assertion(h, k, { clientId: "0oaAPP" }), MANAGE))
    expect(notGranted.status).toBe(400)
    expect(notGranted.json.error).toBe("invalid_scope")
    const none = await tokenRequest(h, grant(await assertion(h, k, { clientId: "0oaAPP" }), ""))
    expect(none.json.error).toBe("invalid_scope")
    const grantType = await tokenRequest(h, { ...grant(await assertion(h, k, { clientId: "0oaAPP" })), grant_type: "password" })
    expect(grantType.json.error).toBe("unsupported_grant_type")
  })

  it("answers 403 E0000006 when the access token lacks the scope, and 401 once it expires after 3600 s", async () => {
    const h = await harness({ oauthClients: [await client("0oaAPP", "ES256", [MANAGE, READ])] })
    const t = await tokenRequest(h, grant(await assertion(h, await key("ES256"), { clientId: "0oaAPP" }), READ))
    const bearer = `Bearer ${t.json.access_token}`
    expect((await h.call("GET", h.is("/sessions"), { auth: bearer })).status).toBe(200)
    const denied = await h.call("POST", h.is("/sessions"), { auth: bearer })
    expect(denied.status).toBe(403)
    expect(denied.json.errorCode).toBe("E0000006")
    expect(denied.headers.get("www-authenticate")).toBe(`Bearer error="insufficient_scope", scope="${MANAGE}"`)
    h.clock.advance(3599_000)
    expect((await h.call("GET", h.is("/sessions"), { auth: bearer })).status).toBe(200)
    h.clock.advance(1_000)
    const expired = await h.call("GET", h.is("/sessions"), { auth: bearer })
    expect(expired.status).toBe(401)
    expect(expired.json.errorCode).toBe("E0000011")
    expect((await h.call("GET", h.is("/sessions"), { auth: "Bearer garbage" })).status).toBe(401)
  })
})

describe("DPoP", () => {
  const dpopKey = key("ES256", "dpop-key")

  const proof = async (h: Harness, htm: string, htu: string, extra: Record<string, unknown> = {}) => {
    const k = await dpopKey
    const { kid: _kid, alg: _alg, use: _use, ...jwk } = k.publicJwk
    return new SignJWT({ htm, htu, ...extra })
      .setProtectedHeader({ typ: "dpop+jwt", alg: "ES256", jwk })
      .setIssuedAt(Math.floor(h.clock.now() / 1000))
      .setJti(`proof-${++jtiCounter}`)
      .sign(k.privateKey)
  }

  const ath = (token: string) => base64url.encode(createHash("sha256").update(token).digest())

  const dpopToken = async (h: Harness) => {
    const tokenUrl = `${h.emu.url}/oauth2/v1/token`
    const k = await key("RS256")
    const first = await tokenRequest(h, grant(await assertion(h, k, { clientId: "0oaDPOP" })), await proof(h, "POST", tokenUrl))
    expect(first.status).toBe(400)
    expect(first.json).toEqual({ error: "use_dpop_nonce", error_description: "Authorization server requires nonce in DPoP proof." })
    const nonce = first.headers.get("dpop-nonce")
    expect(nonce).toBeTruthy()
    const second = await tokenRequest(h, grant(await assertion(h, k, { clientId: "0oaDPOP" })), await proof(h, "POST", tokenUrl, { nonce }))
    expect(second.status).toBe(200)
    expect(second.json.token_type).toBe("DPoP")
    return second.json.access_token as string
  }

  it("requires a proof at the token endpoint when the app demands DPoP, with the use_dpop_nonce round trip", async () => {
    const h = await harness({ oauthClients: [await client("0oaDPOP", "RS256", [MANAGE, READ], true)] })
    const noProof = await tokenRequest(h, grant(await assertion(h, await key("RS256"), { clientId: "0oaDPOP" })))
    expect(noProof.status).toBe(400)
    expect(noProof.json.error).toBe("invalid_dpop_proof")
    const token = await dpopToken(h)
    const url = `${h.emu.url}${h.is("/sessions")}`
    const ok = await h.call("POST", h.is("/sessions"), {
      auth: `DPoP ${token}`,
      headers: { DPoP: await proof(h, "POST", url, { ath: ath(token) }) }
    })
    expect(ok.status).toBe(201)
  })

  it("verifies the proof on every API call: scheme, presence, ath, htm, htu and jti replay", async () => {
    const h = await harness({ oauthClients: [await client("0oaDPOP", "RS256", [MANAGE, READ], true)] })
    const token = await dpopToken(h)
    const path = h.is("/sessions")
    const url = `${h.emu.url}${path}`
    const bad = async (auth: string, dpop?: string) => {
      const r = await h.call("GET", path, { auth, ...(dpop === undefined ? {} : { headers: { DPoP: dpop } }) })
      expect(r.status).toBe(401)
      expect(r.json.errorCode).toBe("E0000011")
      return r.headers.get("www-authenticate") ?? ""
    }
    expect(await bad(`Bearer ${token}`)).toContain("DPoP")
    expect(await bad(`DPoP ${token}`)).toContain("invalid_dpop_proof")
    expect(await bad(`DPoP ${token}`, await proof(h, "GET", url, { ath: ath("another token") }))).toContain("'ath'")
    expect(await bad(`DPoP ${token}`, await proof(h, "POST", url, { ath: ath(token) }))).toContain("'htm'")
    expect(await bad(`DPoP ${token}`, await proof(h, "GET", `${h.emu.url}/api/v1/other`, { ath: ath(token) }))).toContain("'htu'")
    const good = await proof(h, "GET", `${url}?ignored=query`, { ath: ath(token) })
    expect((await h.call("GET", path, { auth: `DPoP ${token}`, headers: { DPoP: good } })).status).toBe(200)
    expect(await bad(`DPoP ${token}`, good)).toContain("already been used")
  })
})
