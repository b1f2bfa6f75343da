import { generateKeyPairSync } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Redacted } from "effect"
import type { OktaApiError } from "../src/domain/Errors.ts"
import { OktaClient, type OktaClientService } from "../src/okta/OktaClient.ts"
import { profilesEqual } from "../src/okta/ProfileCompare.ts"
import { clientFor, emulator, raw, SOURCE_ID } from "./emulatorHarness.ts"

const reasonOf = <A>(exit: Exit.Exit<A, OktaApiError>) => {
  if (Exit.isSuccess(exit)) return "success"
  const f = Cause.failureOption(exit.cause)
  return Option.isSome(f) ? f.value.reason : Cause.pretty(exit.cause)
}
const errorOf = <A>(exit: Exit.Exit<A, OktaApiError>): OktaApiError => {
  const f = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
  if (Option.isNone(f)) throw new Error("expected a typed failure")
  return f.value
}
const user = (i: number, extra: Record<string, string | null> = {}) => ({
  externalId: `IU${i}`,
  profile: { userName: `iu${i}@example.com`, email: `iu${i}@example.com`, firstName: "Int", lastName: `User${i}`, ...extra }
})

const use = <A, E>(f: (c: OktaClientService) => Effect.Effect<A, E>) => Effect.flatMap(OktaClient, f)

describe.each(["recorded", "spec"] as const)("OktaClient against the emulator answering as %s", (responses) => {
  it.scopedLive("every endpoint works and every exchange validates against the OpenAPI subset", () =>
    Effect.gen(function* () {
      const h = yield* emulator({ processingDelayMs: 10, responses })
      yield* Effect.gen(function* () {
        const c = yield* OktaClient
        const s = yield* c.createSession
        expect(s.status).toBe("CREATED")
        expect((yield* c.listSessions).map((x) => x.id)).toEqual([s.id])
        yield* c.upsertGroups(s.id, { profiles: [{ externalId: "G1", profile: { displayName: "Group one", description: null } }] })
        yield* c.upsertUsers(s.id, { entityType: "USERS", profiles: [user(1, { nickName: "custom stays" }), user(2), user(3)] })
        yield* c.upsertMemberships(s.id, { memberships: [{ groupExternalId: "G1", memberExternalIds: ["IU1", "IU2", "IU3"] }] })
        expect((yield* c.getSession(s.id)).status).toBe("IN_PROGRESS")
        expect((yield* c.startImport(s.id)).status).toBe("TRIGGERED")
        yield* Effect.sleep("200 millis")
        expect((yield* c.getSession(s.id)).status).toBe("COMPLETED")

        const s2 = yield* c.createSession
        yield* c.deleteMemberships(s2.id, { memberships: [{ groupExternalId: "G1", memberExternalIds: ["IU3"] }] })
        yield* c.deleteUsers(s2.id, { entityType: "USERS", profiles: [{ externalId: "IU3" }] })
        yield* c.deleteGroups(s2.id, { externalIds: ["G-unknown"] })
        yield* c.startImport(s2.id)
        yield* Effect.sleep("200 millis")
        expect((yield* c.getSession(s2.id)).status).toBe("COMPLETED")

        const s3 = yield* c.createSession
        yield* c.upsertGroups(s3.id, { profiles: [{ externalId: "G2", profile: { displayName: "Two" } }] })
        yield* c.cancelSession(s3.id)
        expect((yield* c.getSession(s3.id)).status).toBe("CLOSED")

        // single entities: both reply variants read as the same user (null means absent)
        const u = yield* c.getUser("IU1")
        expect(u.profile).toMatchObject({ userName: "iu1@example.com", nickName: "custom stays" })
        expect(u.id).toMatch(responses === "recorded" ? /^0ua/ : /^00u/)
        expect(u.profile["mobilePhone"]).toBe(responses === "recorded" ? null : undefined)
        expect(profilesEqual(user(1, { nickName: "custom stays" }).profile, u.profile)).toBe(true)
        const created = yield* c.createUser(user(9))
        if (responses === "recorded") expect(created?.externalId).toBe("IU9")
        else expect(created).toBeUndefined()
        expect((yield* c.updateUser("IU9", { profile: { userName: "iu9@example.com", email: "iu9@example.com", lastName: "Patched" } })).profile).toMatchObject({ lastName: "Patched" })
        expect((yield* c.replaceUser("IU9", { profile: { userName: "iu9@example.com", email: "iu9@example.com", firstName: "Re" } })).profile).toMatchObject({ firstName: "Re" })
        yield* c.deleteUser("IU9")
        const g = yield* c.getGroup("G1")
        // flat (recorded) or nested (spec), the client returns it flat
        expect(g.profile).toEqual({ displayName: "Group one" })
        expect((yield* c.getGroup(g.id!)).externalId).toBe("G1")
        yield* c.createGroup({ externalId: "G3", profile: { displayName: "Three" } })
        expect((yield* c.updateGroup("G3", { externalId: "G3", profile: { displayName: "Three!" } })).profile.displayName).toBe("Three!")
        yield* c.addGroupMembership("G3", "IU1")
        yield* c.addGroupMembership("G3", "IU2")
        yield* c.addGroupMembership("G3", "IU4").pipe(Effect.exit) // unknown member: 400
        expect(yield* c.listGroupMemberships("G3", { limit: 1 })).toEqual(["IU1", "IU2"])
        yield* c.removeGroupMembership("G3", "IU1")
        expect(yield* c.listGroupMemberships("G3")).toEqual(["IU2"])
        yield* c.deleteGroup("G3")
        const m = yield* c.metrics
        expect(m.byEndpoint["bulkUpsertUsers"]).toMatchObject({ requests: 1 })
        expect(m.rateLimit?.limit).toBe(600)
      }).pipe(Effect.provide(clientFor(h.emu)))

      expect(h.emu.directory.users().find((x) => x.externalId === "IU3")?.status).toBe("DEPROVISIONED")
      expect(h.emu.directory.users().find((x) => x.externalId === "IU1")?.profile["nickName"]).toBe("custom stays")
      expect(h.emu.directory.members("G1")).toEqual(["IU1", "IU2"])
      const ops = yield* Effect.promise(() => h.operations())
      expect(ops.size).toBe(23)
      expect(yield* Effect.promise(() => h.requestViolations())).toEqual([])
      expect(yield* Effect.promise(() => h.exchangeViolations())).toEqual([])
    })
  )
})

describe("OktaClient against the emulator", () => {
  it.scopedLive("every error reason", () =>
    Effect.gen(function* () {
      const h = yield* emulator({ tokens: [{ token: "emulator-api-token" }, { token: "read-only", scopes: ["okta.identitySources.read"] }] })
      const layer = clientFor(h.emu, { maxRetries: 1 })
      const run = <A>(f: (c: OktaClientService) => Effect.Effect<A, OktaApiError>, l = layer) => Effect.exit(Effect.provide(use(f), l))

      expect(reasonOf(yield* run((c) => c.listSessions, clientFor(h.emu, { auth: { type: "ssws", token: Redacted.make("wrong") } })))).toBe("Unauthorized")
      const forbidden = errorOf(yield* run((c) => c.createSession, clientFor(h.emu, { auth: { type: "ssws", token: Redacted.make("read-only") } })))
      expect(forbidden).toMatchObject({ reason: "Forbidden", status: 403, errorCode: "E0000006" })
      expect(errorOf(yield* run((c) => c.getSession("apsNOPE00000000000000")))).toMatchObject({ reason: "NotFound", errorCode: "E0000007" })
      expect(reasonOf(yield* run((c) => c.getUser("nobody")))).toBe("NotFound")

      const first = yield* Effect.provide(use((c) => c.createSession), layer)
      const conflict = errorOf(yield* run((c) => c.createSession))
      expect(conflict).toMatchObject({ reason: "SessionConflict", status: 400, errorCode: "E0000001" })
      expect(conflict.errorCauses?.[0]?.errorSummary).toContain("5 minutes")
      expect(conflict.errorId).toMatch(/^oae/)
      expect(conflict.requestId).toBeTruthy()
      expect(reasonOf(yield* run((c) => c.startImport(first.id)))).toBe("InvalidSessionState")
      const rejected = errorOf(
        yield* run((c) => c.upsertUsers(first.id, { entityType: "USERS", profiles: [{ externalId: "x", profile: { userName: "x", email: "not-an-email" } }] }))
      )
      expect(rejected.reason).toBe("Rejected")
      const tooBig = errorOf(
        yield* run((c) =>
          c.upsertUsers(first.id, { entityType: "USERS", profiles: [user(1, { homeAddress: "x".repeat(4096), big: "y".repeat(250_000) })] })
        )
      )
      expect(tooBig.reason).toBe("Rejected")
      yield* Effect.provide(use((c) => c.upsertUsers(first.id, { entityType: "USERS", profiles: [user(1)] })), layer)
      yield* Effect.provide(use((c) => c.startImport(first.id)), layer)
      expect(errorOf(yield* run((c) => c.cancelSession(first.id)))).toMatchObject({
        reason: "InvalidSessionState",
        errorCauses: [{ errorSummary: "Only a session that is in CREATED or IN_PROGRESS status can be canceled." }]
      })
      expect(reasonOf(yield* run((c) => c.upsertGroups(first.id, { profiles: [{ externalId: "G", profile: { displayName: "G" } }] })))).toBe(
        "InvalidSessionState"
      )

      h.emu.faults.inject({ kind: "status", status: 503, path: /\/sessions$/, method: "GET", times: Infinity })
      const server = yield* run((c) => Effect.zip(c.listSessions, c.metrics))
      expect(reasonOf(server)).toBe("Server")
      h.emu.faults.clear()

      h.emu.faults.inject({ kind: "rateLimit", path: /\/sessions$/, method: "GET", times: Infinity, resetInMs: 50 })
      expect(errorOf(yield* run((c) => c.listSessions))).toMatchObject({ reason: "RateLimited", status: 429, errorCode: "E0000047" })
      h.emu.faults.clear()

      h.emu.faults.inject({ kind: "drop", path: /\/sessions$/, method: "GET", times: Infinity })
      expect(reasonOf(yield* run((c) => c.listSessions))).toBe("Transport")
      h.emu.faults.clear()

      h.emu.faults.inject({ kind: "latency", ms: 400, path: /\/sessions$/, method: "GET", times: 2 })
      expect(reasonOf(yield* run((c) => c.listSessions, clientFor(h.emu, { maxRetries: 1, requestTimeoutMs: 100 })))).toBe("Timeout")
      yield* Effect.sleep("600 millis") // the abandoned requests finish on the server first
      h.emu.faults.clear()

      const badBodyAt = h.exchanges.length
      h.emu.faults.inject({ kind: "badBody", path: /\/sessions$/, method: "GET", body: "<html>maintenance</html>", contentType: "text/html" })
      expect(errorOf(yield* run((c) => c.listSessions))).toMatchObject({ reason: "Decode", status: 200 })
      h.emu.faults.clear()

      // retried transient errors succeed and are counted
      h.emu.faults.inject({ kind: "rateLimit", path: /\/sessions$/, method: "GET", times: 1, resetInMs: 100 })
      h.emu.faults.inject({ kind: "status", status: 502, path: /\/sessions$/, method: "GET", times: 1 })
      const ok = yield* Effect.provide(use((c) => Effect.zip(c.listSessions, c.metrics)), clientFor(h.emu, { maxRetries: 3 }))
      expect(ok[1].byEndpoint["listSessions"]).toMatchObject({ requests: 3, retries: 2, rateLimited: 1 })
      expect(ok[1].waitedMillis).toBeGreaterThan(0)
      // (one request above is invalid on purpose, one reply garbage on purpose; every other exchange validates)
      expect(yield* Effect.promise(() => h.exchangeViolations((_, i) => i === badBodyAt))).toEqual([])
    })
  )

  it.scopedLive("OAuth private_key_jwt with and without DPoP; a missing scope is Forbidden", () =>
    Effect.gen(function* () {
      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" })
      const jwks = (k: typeof rsa.publicKey, kid: string) => ({ keys: [{ ...k.export({ format: "jwk" }), kid }] })
      const h = yield* emulator({
        oauthClients: [
          { clientId: "0oaRSA", jwks: jwks(rsa.publicKey, "k1"), scopes: ["okta.identitySources.manage", "okta.identitySources.read"] },
          { clientId: "0oaDPOP", jwks: jwks(ec.publicKey, "k2"), scopes: ["okta.identitySources.manage", "okta.identitySources.read"], requireDpop: true },
          { clientId: "0oaREAD", jwks: jwks(rsa.publicKey, "k1"), scopes: ["okta.identitySources.read"] }
        ]
      })
      const oauth = (clientId: string, key: string, algorithm: "RS256" | "ES256", kid: string, dpop: boolean, scopes?: Array<string>) =>
        clientFor(h.emu, {
          auth: {
            type: "oauth",
            clientId,
            privateKey: Redacted.make(key),
            keyId: kid,
            algorithm,
            scopes: scopes ?? ["okta.identitySources.manage", "okta.identitySources.read"],
            dpop
          }
        })
      const rsaPem = rsa.privateKey.export({ format: "pem", type: "pkcs8" }).toString()
      const ecJwk = JSON.stringify(ec.privateKey.export({ format: "jwk" }))

      const a = yield* Effect.provide(use((c) => Effect.zip(c.createSession, c.listSessions)), oauth("0oaRSA", rsaPem, "RS256", "k1", false))
      expect(a[1].map((s) => s.id)).toEqual([a[0].id])
      const b = yield* Effect.provide(
        use((c) => Effect.zip(c.cancelSession(a[0].id), c.getSession(a[0].id))),
        oauth("0oaDPOP", ecJwk, "ES256", "k2", true)
      )
      expect(b[1].status).toBe("CLOSED")
      const dpopCall = h.exchanges.find((x) => x.url.endsWith(a[0].id) && x.method === "DELETE")!
      expect(String(dpopCall.requestHeaders["authorization"])).toMatch(/^DPoP /)
      expect(dpopCall.requestHeaders["dpop"]).toBeTruthy()

      const scopeMissing = yield* Effect.exit(Effect.provide(use((c) => c.listSessions), oauth("0oaREAD", rsaPem, "RS256", "k1", false)))
      expect(errorOf(scopeMissing)).toMatchObject({ reason: "Forbidden", errorCode: "invalid_scope" })
      const readOnly = yield* Effect.exit(
        Effect.provide(use((c) => c.createSession), oauth("0oaREAD", rsaPem, "RS256", "k1", false, ["okta.identitySources.read"]))
      )
      expect(errorOf(readOnly)).toMatchObject({ reason: "Forbidden", status: 403, errorCode: "E0000006" })
      const wrongKey = yield* Effect.exit(Effect.provide(use((c) => c.listSessions), oauth("0oaDPOP", rsaPem, "RS256", "k2", true)))
      expect(errorOf(wrongKey)).toMatchObject({ reason: "Unauthorized", errorCode: "invalid_client" })
      // no access token or assertion in any error
      const tokens = h.exchanges.flatMap((x) => {
        const auth = String(x.requestHeaders["authorization"] ?? "")
        const assertion = new URLSearchParams(x.requestBody).get("client_assertion")
        return [auth.split(" ")[1] ?? "", assertion ?? ""].filter((s) => s.length > 20)
      })
      expect(tokens.length).toBeGreaterThan(3)
      for (const exit of [scopeMissing, readOnly, wrongKey]) {
        const text = `${Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause)} ${JSON.stringify(exit)}`
        for (const t of tokens) expect(text).not.toContain(t)
      }
      expect(yield* Effect.promise(() => h.requestViolations())).toEqual([])
      expect((yield* Effect.promise(() => raw(h.emu, "GET", "/sessions"))).status).toBe(200)
      expect(SOURCE_ID).toMatch(/^0oa/)
    })
  )
})
