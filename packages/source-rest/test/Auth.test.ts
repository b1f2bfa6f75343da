/**
 * Each auth style against a fake API that requires it: the right credentials read everything, wrong ones are a
 * typed Auth error, and no secret ever shows up in a location or a message. OAuth 2.0 client credentials:
 * the token is cached until shortly before it expires (TestClock), refreshed after a 401, and its endpoint's
 * failures are retried or reported.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as TestClock from "effect/TestClock"
import { errorOf, readDriven, rowsOf, withSource } from "./helpers.ts"
import { authConfig, CREDENTIALS, startAuthApi, TOKEN_PATH, type AuthOptions, type AuthStyle } from "./servers/auth.ts"
import { configFor } from "./servers/paging.ts"

const api = (style: AuthStyle, options: AuthOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => startAuthApi(style, options)),
    (s) => Effect.promise(() => s.close())
  )

const secrets = Object.values(CREDENTIALS).filter((v) => v !== CREDENTIALS.username && v !== CREDENTIALS.clientId)

const styles: ReadonlyArray<AuthStyle> = ["basic", "bearer", "apiKeyHeader", "apiKeyQuery", "oauth2"]

describe("auth styles", () => {
  for (const style of styles) {
    it.scoped(`${style}: the right credentials read every record; wrong ones are an Auth error without the secret`, () =>
      Effect.gen(function* () {
        const server = yield* api(style)
        const good = yield* readDriven({ ...configFor("cursor", server.url), auth: authConfig(style, server.url) })
        const rows = rowsOf(good)
        expect(rows).toHaveLength(25)
        const bad = yield* readDriven({ ...configFor("cursor", server.url), auth: authConfig(style, server.url, true) })
        const error = errorOf(bad)
        expect(error).toMatchObject({ source: "rest", reason: "Auth", retryable: false })
        for (const secret of secrets) {
          expect(error.message).not.toContain(secret)
          expect(JSON.stringify(rows.map((r) => r.location))).not.toContain(secret)
        }
      })
    )
  }

  it.scoped("basic sends an Authorization: Basic header", () =>
    Effect.gen(function* () {
      const server = yield* api("basic")
      rowsOf(yield* readDriven({ ...configFor("cursor", server.url), auth: authConfig("basic", server.url) }))
      const expected = Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString("base64")
      expect(server.requests[0]!.headers["authorization"]).toBe(`Basic ${expected}`)
    })
  )

  it.scoped("an API key in the query is sent, but every location shows it REDACTED", () =>
    Effect.gen(function* () {
      const server = yield* api("apiKeyQuery")
      const rows = rowsOf(yield* readDriven({ ...configFor("cursor", server.url), auth: authConfig("apiKeyQuery", server.url) }))
      expect(server.requests.every((r) => r.url.searchParams.get("api_key") === CREDENTIALS.apiKey)).toBe(true)
      expect(rows[0]!.location).toBe(`${server.url}/api/people?api_key=REDACTED#0`)
      expect(rows[24]!.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/people\?cursor=[\w-]+&api_key=REDACTED#4$/)
    })
  )

  it.scoped("an API key in the query is redacted in error messages too", () =>
    Effect.gen(function* () {
      const server = yield* api("apiKeyQuery", { paging: { style: "cursor", total: 25, faults: [{ kind: "status500", page: 2 }] } })
      const error = errorOf(
        yield* readDriven({
          ...configFor("cursor", server.url),
          auth: authConfig("apiKeyQuery", server.url),
          retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 10 }
        })
      )
      expect(error.reason).toBe("Http")
      expect(error.message).toContain("api_key=REDACTED")
      expect(error.message).not.toContain(CREDENTIALS.apiKey)
    })
  )
})

describe("OAuth 2.0 client credentials", () => {
  const oauthConfig = (url: string, extra: Record<string, unknown> = {}) => ({
    ...configFor("cursor", url),
    auth: { ...authConfig("oauth2", url), ...extra }
  })

  it.scoped("one token serves check and every page; it is refreshed 60 s before it expires (Clock)", () =>
    Effect.gen(function* () {
      const server = yield* api("oauth2", { expiresIn: 600, paging: { style: "cursor", total: 25, pageSize: 10 } })
      yield* withSource(oauthConfig(server.url), (source) =>
        Effect.gen(function* () {
          yield* source.check
          yield* Stream.runDrain(source.read)
          expect(server.tokenRequests()).toBe(1)
          expect(server.apiRequests()).toBe(4)
          yield* TestClock.adjust("539 seconds")
          yield* Stream.runDrain(source.read)
          expect(server.tokenRequests()).toBe(1)
          yield* TestClock.adjust("2 seconds")
          yield* Stream.runDrain(source.read)
          expect(server.tokenRequests()).toBe(2)
          expect((yield* source.stats).tokenRequests).toBe(2)
        })
      )
    })
  )

  it.scoped("a short-lived token is refreshed half-way through its life at the latest", () =>
    Effect.gen(function* () {
      const server = yield* api("oauth2", { expiresIn: 30 })
      yield* withSource(oauthConfig(server.url), (source) =>
        Effect.gen(function* () {
          yield* source.check
          yield* TestClock.adjust("14 seconds")
          yield* source.check
          expect(server.tokenRequests()).toBe(1)
          yield* TestClock.adjust("2 seconds")
          yield* source.check
          expect(server.tokenRequests()).toBe(2)
        })
      )
    })
  )

  it.scoped("a token revoked early: the 401 drops it, one new token is fetched, the read completes", () =>
    Effect.gen(function* () {
      const server = yield* api("oauth2", { expiresIn: 3600 })
      yield* withSource(oauthConfig(server.url), (source) =>
        Effect.gen(function* () {
          yield* source.check
          server.revokeTokens()
          const rows = yield* Stream.runCollect(source.read)
          expect(rows.length).toBe(25)
          expect(server.tokenRequests()).toBe(2)
          expect((yield* source.stats).retries).toBe(1)
        })
      )
    })
  )

  it.scoped("a token without expires_in is kept until a 401", () =>
    Effect.gen(function* () {
      const server = yield* api("oauth2", { expiresIn: undefined })
      yield* withSource(oauthConfig(server.url), (source) =>
        Effect.gen(function* () {
          yield* source.check
          yield* TestClock.adjust("10 hours")
          yield* source.check
          expect(server.tokenRequests()).toBe(1)
        })
      )
    })
  )

  it.scoped("client credentials go in HTTP Basic by default, in the form with clientAuth: body", () =>
    Effect.gen(function* () {
      const server = yield* api("oauth2", { expiresIn: 3600 })
      rowsOf(yield* readDriven(oauthConfig(server.url)))
      rowsOf(yield* readDriven(oauthConfig(server.url, { clientAuth: "body", audience: "https://hr.example.com" })))
      const [basic, body] = server.requests.filter((r) => r.url.pathname === TOKEN_PATH)
      expect(basic!.headers["authorization"]).toMatch(/^Basic /)
      expect(new URLSearchParams(basic!.body).get("client_secret")).toBeNull()
      expect(new URLSearchParams(basic!.body).get("scope")).toBe("people.read")
      const form = new URLSearchParams(body!.body)
      expect(body!.headers["authorization"]).toBeUndefined()
      expect(form.get("client_id")).toBe(CREDENTIALS.clientId)
      expect(form.get("client_secret")).toBe(CREDENTIALS.clientSecret)
      expect(form.get("audience")).toBe("https://hr.example.com")
    })
  )

  it.scoped("token endpoint 503s are retried with backoff and counted", () =>
    Effect.gen(function* () {
      const server = yield* api("oauth2", { expiresIn: 3600, tokenFailures: { status: 503, times: 2 } })
      const result = yield* readDriven(oauthConfig(server.url))
      expect(rowsOf(result)).toHaveLength(25)
      expect(server.tokenRequests()).toBe(3)
      expect(result.stats.retries).toBe(2)
      expect(result.waits).toHaveLength(2)
    })
  )

  it.scoped("a refused client is an Auth error naming the OAuth error code, and the API is never called", () =>
    Effect.gen(function* () {
      const server = yield* api("oauth2")
      const error = errorOf(yield* readDriven({ ...configFor("cursor", server.url), auth: authConfig("oauth2", server.url, true) }))
      expect(error.reason).toBe("Auth")
      expect(error.message).toContain("(invalid_client)")
      expect(server.apiRequests()).toBe(0)
      expect(server.tokenRequests()).toBe(1)
    })
  )
})
