import { createHash, generateKeyPairSync } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Redacted, TestClock } from "effect"
import { decodeProtectedHeader, EmbeddedJWK, importJWK, importSPKI, jwtVerify } from "jose"
import type { OktaAuthConfig } from "../src/config/Config.ts"
import * as OktaClientModule from "../src/okta/OktaClient.ts"
import { OktaClient } from "../src/okta/OktaClient.ts"
import { fakeHttp, oktaError, ORG, SOURCE, type FakeRequest, type FakeResponse } from "./oktaFake.ts"

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
const rsaPem = rsa.privateKey.export({ format: "pem", type: "pkcs8" }).toString()
const rsaPublicPem = rsa.publicKey.export({ format: "pem", type: "spki" }).toString()
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" })
const ecJwk = { ...ec.privateKey.export({ format: "jwk" }), kid: "ec-key-1" }
const ecPublicJwk = ec.publicKey.export({ format: "jwk" })

const TOKEN_URL = `${ORG}/oauth2/v1/token`
const ACCESS = (n: number) => `eyACCESS-token-${n}-very-secret`

const oauth = (over: Partial<Extract<OktaAuthConfig, { type: "oauth" }>> = {}): OktaAuthConfig => ({
  type: "oauth",
  clientId: "0oaCLIENT",
  privateKey: Redacted.make(rsaPem),
  keyId: "rsa-key-1",
  algorithm: "RS256",
  scopes: ["okta.identitySources.manage", "okta.identitySources.read"],
  dpop: false,
  ...over
})

interface Server {
  tokens: number
  assertions: Array<string>
  dpopProofs: Array<string>
  api: Array<FakeRequest>
}

/** A fake org: a token endpoint and `GET …/sessions` that checks the bearer token. */
const org = (options: {
  tokenType?: "Bearer" | "DPoP"
  requireNonce?: string
  apiStatus?: (req: FakeRequest, server: Server) => FakeResponse | undefined
  tokenResponse?: FakeResponse
}) => {
  const server: Server = { tokens: 0, assertions: [], dpopProofs: [], api: [] }
  const fake = fakeHttp((req) =>
    Effect.sync(() => {
      if (req.path === "/oauth2/v1/token") {
        const form = new URLSearchParams(req.body)
        server.assertions.push(form.get("client_assertion") ?? "")
        if (req.headers["dpop"]) server.dpopProofs.push(req.headers["dpop"])
        if (options.tokenResponse) return options.tokenResponse
        if (options.requireNonce) {
          const proof = req.headers["dpop"]
          const payload = proof ? JSON.parse(Buffer.from(proof.split(".")[1]!, "base64url").toString()) : {}
          if (payload.nonce !== options.requireNonce)
            return {
              status: 400,
              headers: { "dpop-nonce": options.requireNonce },
              body: { error: "use_dpop_nonce", error_description: "Authorization server requires nonce in DPoP proof." }
            }
        }
        server.tokens++
        return {
          status: 200,
          body: { token_type: options.tokenType ?? "Bearer", expires_in: 3600, access_token: ACCESS(server.tokens), scope: form.get("scope") }
        }
      }
      server.api.push(req)
      const custom = options.apiStatus?.(req, server)
      if (custom) return custom
      const expected = `${options.tokenType ?? "Bearer"} ${ACCESS(server.tokens)}`
      return req.headers["authorization"] === expected ? { status: 200, body: [] } : oktaError(401, "E0000011", "Invalid token provided")
    })
  )
  return { server, fake }
}

const layerFor = (fake: ReturnType<typeof fakeHttp>, auth: OktaAuthConfig) =>
  OktaClientModule.layerWithHttp({ orgUrl: ORG, identitySourceId: SOURCE, auth, maxRetries: 2, requestTimeoutMs: 5_000 }).pipe(
    Layer.provide(fake.layer)
  )

const rendered = (e: unknown) => [String(e), JSON.stringify(e), (e as Error).message, Cause.pretty(Cause.fail(e))].join("\n")

describe("OktaAuth", () => {
  it.effect("SSWS sends the token in the Authorization header", () =>
    Effect.gen(function* () {
      const { fake } = org({})
      yield* Effect.flatMap(OktaClient, (c) => Effect.exit(c.listSessions)).pipe(
        Effect.provide(layerFor(fake, { type: "ssws", token: Redacted.make("00abc") }))
      )
      expect(fake.requests[0]!.headers["authorization"]).toBe("SSWS 00abc")
    })
  )

  it.effect("private_key_jwt: a signed RS256 assertion buys a scoped token, cached until shortly before expiry (TestClock)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 0, 1))
      const { server, fake } = org({})
      yield* Effect.gen(function* () {
        const c = yield* OktaClient
        yield* c.listSessions
        yield* c.listSessions
        expect(server.tokens).toBe(1)
        yield* TestClock.adjust("58 minutes")
        yield* c.listSessions
        expect(server.tokens).toBe(1)
        yield* TestClock.adjust("1 minute") // within 60 s of expiry: refreshed
        yield* c.listSessions
        expect(server.tokens).toBe(2)
        const m = yield* c.metrics
        expect(m.byEndpoint["token"]).toMatchObject({ requests: 2 })
      }).pipe(Effect.provide(layerFor(fake, oauth())))

      const tokenRequest = fake.requests.find((r) => r.path === "/oauth2/v1/token")!
      expect(tokenRequest.headers["content-type"]).toBe("application/x-www-form-urlencoded")
      const form = new URLSearchParams(tokenRequest.body)
      expect(form.get("grant_type")).toBe("client_credentials")
      expect(form.get("scope")).toBe("okta.identitySources.manage okta.identitySources.read")
      expect(form.get("client_assertion_type")).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      const assertion = form.get("client_assertion")!
      expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: "RS256", kid: "rsa-key-1" })
      const { payload } = yield* Effect.promise(async () =>
        jwtVerify(assertion, await importSPKI(rsaPublicPem, "RS256"), {
          audience: TOKEN_URL,
          issuer: "0oaCLIENT",
          subject: "0oaCLIENT",
          currentDate: new Date(Date.UTC(2026, 0, 1))
        })
      )
      expect(payload.exp! - payload.iat!).toBe(300)
      expect(payload.iat).toBe(Date.UTC(2026, 0, 1) / 1000)
      expect(typeof payload.jti).toBe("string")
      expect(new Set(server.assertions).size).toBe(2) // a fresh jti each time
      expect(server.api[0]!.headers["authorization"]).toBe(`Bearer ${ACCESS(1)}`)
    })
  )

  it.effect("ES256 key given as JWK JSON (kid taken from the JWK)", () =>
    Effect.gen(function* () {
      const { server, fake } = org({})
      yield* Effect.flatMap(OktaClient, (c) => c.listSessions).pipe(
        Effect.provide(layerFor(fake, oauth({ privateKey: Redacted.make(JSON.stringify(ecJwk)), algorithm: "ES256", keyId: undefined as any })))
      )
      const assertion = server.assertions[0]!
      expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: "ES256", kid: "ec-key-1" })
      yield* Effect.promise(async () => jwtVerify(assertion, await importJWK(ecPublicJwk as any, "ES256"), { audience: TOKEN_URL, currentDate: new Date(0) }))
    })
  )

  it.effect("a 401 on an API call drops the cached token and retries once", () =>
    Effect.gen(function* () {
      let rejectFirst = true
      const { server, fake } = org({
        apiStatus: () => {
          if (rejectFirst) {
            rejectFirst = false
            return oktaError(401, "E0000011", "Invalid token provided")
          }
          return undefined
        }
      })
      yield* Effect.flatMap(OktaClient, (c) => c.listSessions).pipe(Effect.provide(layerFor(fake, oauth())))
      expect(server.tokens).toBe(2)
      expect(server.api.map((r) => r.headers["authorization"])).toEqual([`Bearer ${ACCESS(1)}`, `Bearer ${ACCESS(2)}`])

      // a token that keeps being refused: one retry, then Unauthorized
      const always = org({ apiStatus: () => oktaError(401, "E0000011", "Invalid token provided") })
      const exit = yield* Effect.exit(Effect.flatMap(OktaClient, (c) => c.listSessions).pipe(Effect.provide(layerFor(always.fake, oauth()))))
      expect(always.server.api).toHaveLength(2)
      const e = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
      expect(e?._tag === "Some" && e.value).toMatchObject({ _tag: "OktaApiError", reason: "Unauthorized", errorCode: "E0000011" })
      expect(rendered(exit)).not.toContain(ACCESS(1))
      expect(rendered(exit)).not.toContain(ACCESS(2))
    })
  )

  it.effect("DPoP: answers use_dpop_nonce, then sends a proof with ath on every API call", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 0, 1))
      const { server, fake } = org({ tokenType: "DPoP", requireNonce: "nonce-123" })
      yield* Effect.flatMap(OktaClient, (c) => c.getSession("aps1")).pipe(
        Effect.exit,
        Effect.provide(layerFor(fake, oauth({ dpop: true })))
      )
      expect(server.dpopProofs).toHaveLength(2)
      const second = yield* Effect.promise(() =>
        jwtVerify(server.dpopProofs[1]!, EmbeddedJWK, { typ: "dpop+jwt", currentDate: new Date(Date.UTC(2026, 0, 1)) })
      )
      expect(second.payload).toMatchObject({ htm: "POST", htu: TOKEN_URL, nonce: "nonce-123" })
      expect(second.protectedHeader.jwk).toMatchObject({ kty: "EC", crv: "P-256" })
      expect((second.protectedHeader.jwk as any).d).toBeUndefined()

      const api = server.api[0]!
      expect(api.headers["authorization"]).toBe(`DPoP ${ACCESS(1)}`)
      const proof = yield* Effect.promise(() =>
        jwtVerify(api.headers["dpop"]!, EmbeddedJWK, { typ: "dpop+jwt", currentDate: new Date(Date.UTC(2026, 0, 1)) })
      )
      expect(proof.payload).toMatchObject({
        htm: "GET",
        htu: `${ORG}/api/v1/identity-sources/${SOURCE}/sessions/aps1`,
        ath: createHash("sha256").update(ACCESS(1)).digest("base64url")
      })
      expect(typeof proof.payload.jti).toBe("string")
      expect(proof.payload.iat).toBe(Date.UTC(2026, 0, 1) / 1000)
    })
  )

  it.effect("token endpoint errors: invalid_client is Unauthorized, invalid_scope Forbidden; no assertion in the error", () =>
    Effect.gen(function* () {
      for (const [res, reason] of [
        [{ status: 401, body: { error: "invalid_client", error_description: "The client_assertion signature is invalid." } }, "Unauthorized"],
        [{ status: 400, body: { error: "invalid_scope", error_description: "The following scopes are not allowed: okta.identitySources.manage" } }, "Forbidden"]
      ] as const) {
        const { server, fake } = org({ tokenResponse: res })
        const exit = yield* Effect.exit(Effect.flatMap(OktaClient, (c) => c.listSessions).pipe(Effect.provide(layerFor(fake, oauth()))))
        const e = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
        expect(e?._tag === "Some" && e.value).toMatchObject({ reason, errorCode: res.body.error, errorSummary: res.body.error_description })
        expect(server.assertions.length).toBeGreaterThan(0)
        for (const a of server.assertions) expect(rendered(exit)).not.toContain(a)
        expect(rendered(exit)).not.toContain("PRIVATE KEY")
      }
    })
  )

  it.effect("an unusable key is a ConfigError that never quotes the key", () =>
    Effect.gen(function* () {
      const { fake } = org({})
      const broken = JSON.stringify(ecJwk).slice(0, -12)
      for (const [privateKey, algorithm] of [
        [broken, "ES256"],
        [rsaPem, "ES256"],
        ["-----BEGIN PRIVATE KEY-----\nAAAAsecretmaterial\n-----END PRIVATE KEY-----", "RS256"]
      ] as const) {
        const exit = yield* Effect.exit(
          Effect.flatMap(OktaClient, (c) => c.listSessions).pipe(
            Effect.provide(layerFor(fake, oauth({ privateKey: Redacted.make(privateKey), algorithm })))
          )
        )
        const text = rendered(exit)
        expect(text).toContain("ConfigError")
        expect(text).not.toContain(String((ecJwk as any).d))
        expect(text).not.toContain("secretmaterial")
        expect(text).not.toContain(rsaPem.split("\n")[1]!)
      }
    })
  )
})
