import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, TestClock } from "effect"
import type { OktaApiError } from "../src/domain/Errors.ts"
import { OktaClient, nextCursor } from "../src/okta/OktaClient.ts"
import * as OktaClientModule from "../src/okta/OktaClient.ts"
import { clientLayer, fakeHttp, oktaError, ORG, SOURCE, TOKEN, type FakeResponse, type Handler } from "./oktaFake.ts"

const session = (id = "aps1", status = "CREATED") => ({
  id,
  identitySourceId: SOURCE,
  status,
  importType: "INCREMENTAL",
  created: "2026-01-01T00:00:00.000Z",
  lastUpdated: "2026-01-01T00:00:00.000Z"
})

const fixed =
  (res: FakeResponse | "drop" | "hang"): Handler =>
  () =>
    Effect.succeed(res)

const failureOf = <A>(exit: Exit.Exit<A, OktaApiError>): OktaApiError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const f = Cause.failureOption(exit.cause)
  if (f._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return f.value
}

/** Everything a user or log could see of an error. */
const rendered = (e: unknown) => [String(e), JSON.stringify(e), (e as Error).message, Cause.pretty(Cause.fail(e))].join("\n")

describe("OktaClient requests", () => {
  it.effect("create session accepts 201 and 200 and sends SSWS auth", () =>
    Effect.gen(function* () {
      for (const status of [201, 200]) {
        const fake = fakeHttp(fixed({ status, body: session() }))
        const s = yield* Effect.provide(
          Effect.flatMap(OktaClient, (c) => c.createSession),
          clientLayer(fake)
        )
        expect(s).toMatchObject({ id: "aps1", status: "CREATED" })
        expect(fake.requests[0]).toMatchObject({ method: "POST", path: `/api/v1/identity-sources/${SOURCE}/sessions` })
        expect(fake.requests[0]!.headers["authorization"]).toBe(`SSWS ${TOKEN}`)
        expect(fake.requests[0]!.headers["accept"]).toBe("application/json")
      }
    })
  )

  it.effect("start-import accepts the session as an object (recorded) or the spec example's one-element array", () =>
    Effect.gen(function* () {
      for (const body of [session("aps1", "TRIGGERED"), [session("aps1", "TRIGGERED")]]) {
        const s = yield* Effect.provide(
          Effect.flatMap(OktaClient, (c) => c.startImport("aps1")),
          clientLayer(fakeHttp(fixed({ status: 200, body })))
        )
        expect(s).toMatchObject({ id: "aps1", status: "TRIGGERED" })
      }
      const two = yield* Effect.exit(
        Effect.provide(
          Effect.flatMap(OktaClient, (c) => c.startImport("aps1")),
          clientLayer(fakeHttp(fixed({ status: 200, body: [session("aps1"), session("aps2")] })))
        )
      )
      expect(failureOf(two).reason).toBe("Decode")
    })
  )

  it.effect("every operation hits its path and method", () =>
    Effect.gen(function* () {
      const fake = fakeHttp((req) =>
        Effect.succeed(
          req.path.includes("/bulk-")
            ? { status: 202 }
            : req.path.endsWith("/start-import")
              ? { status: 200, body: session("aps1", "TRIGGERED") }
              : req.path.endsWith("/sessions") && req.method === "GET"
                ? { status: 200, body: [session()] }
                : req.path.includes("/sessions")
                  ? req.method === "DELETE"
                    ? { status: 204 }
                    : { status: 200, body: session() }
                  : req.path.includes("/membership")
                    ? req.method === "GET"
                      ? { status: 200, body: { memberExternalIds: ["u1"] } }
                      : { status: 204 }
                    : req.path.includes("/groups")
                      ? req.method === "DELETE"
                        ? { status: 204 }
                        : { status: 200, body: { id: "00g1", externalId: "g1", profile: { displayName: "G" } } }
                      : req.method === "DELETE"
                        ? { status: 200 }
                        : { status: 200, body: { id: "00u1", externalId: "u1", profile: { userName: "a", email: "a@b.co" } } }
        )
      )
      yield* Effect.gen(function* () {
        const c = yield* OktaClient
        yield* c.createSession
        yield* c.listSessions
        yield* c.getSession("aps1")
        yield* c.cancelSession("aps1")
        yield* c.upsertUsers("aps1", { entityType: "USERS", profiles: [{ externalId: "u1", profile: { userName: "a", email: "a@b.co" } }] })
        yield* c.deleteUsers("aps1", { entityType: "USERS", profiles: [{ externalId: "u1" }] })
        yield* c.upsertGroups("aps1", { profiles: [{ externalId: "g1", profile: { displayName: "G" } }] })
        yield* c.deleteGroups("aps1", { externalIds: ["g1"] })
        yield* c.upsertMemberships("aps1", { memberships: [{ groupExternalId: "g1", memberExternalIds: ["u1"] }] })
        yield* c.deleteMemberships("aps1", { memberships: [{ groupExternalId: "g1", memberExternalIds: ["u1"] }] })
        yield* c.startImport("aps1")
        yield* c.createUser({ externalId: "u1", profile: { userName: "a", email: "a@b.co" } })
        yield* c.getUser("u1")
        yield* c.replaceUser("u1", { profile: { userName: "a", email: "a@b.co" } })
        yield* c.updateUser("u1", { profile: { userName: "a", email: "a@b.co" } })
        yield* c.deleteUser("u1")
        yield* c.createGroup({ externalId: "g1", profile: { displayName: "G" } })
        yield* c.getGroup("g1")
        yield* c.updateGroup("g1", { externalId: "g1", profile: { displayName: "G" } })
        yield* c.deleteGroup("g1")
        yield* c.listGroupMemberships("g1")
        yield* c.addGroupMembership("g1", "u1")
        yield* c.removeGroupMembership("g1", "u1")
      }).pipe(Effect.provide(clientLayer(fake)))
      const base = `/api/v1/identity-sources/${SOURCE}`
      expect(fake.requests.map((r) => `${r.method} ${r.path.replace(base, "")}`)).toEqual([
        "POST /sessions",
        "GET /sessions",
        "GET /sessions/aps1",
        "DELETE /sessions/aps1",
        "POST /sessions/aps1/bulk-upsert",
        "POST /sessions/aps1/bulk-delete",
        "POST /sessions/aps1/bulk-groups-upsert",
        "POST /sessions/aps1/bulk-groups-delete",
        "POST /sessions/aps1/bulk-group-memberships-upsert",
        "POST /sessions/aps1/bulk-group-memberships-delete",
        "POST /sessions/aps1/start-import",
        "POST /users",
        "GET /users/u1",
        "PUT /users/u1",
        "PATCH /users/u1",
        "DELETE /users/u1",
        "POST /groups",
        "GET /groups/g1",
        "POST /groups/g1",
        "DELETE /groups/g1",
        "GET /groups/g1/membership",
        "POST /groups/g1/membership",
        "DELETE /groups/g1/membership/u1"
      ])
      const upsert = fake.requests[4]!
      expect(upsert.headers["content-type"]).toBe("application/json")
      expect(JSON.parse(fake.requests[21]!.body)).toEqual({ memberExternalId: "u1" })
    })
  )

  it.effect("sends custom profile attributes untouched", () =>
    Effect.gen(function* () {
      const fake = fakeHttp(fixed({ status: 202 }))
      const profile = { userName: "a@b.co", email: "a@b.co", employeeNumber: "42", costCenter: "CC-1", nickName: null }
      yield* Effect.flatMap(OktaClient, (c) => c.upsertUsers("aps1", { entityType: "USERS", profiles: [{ externalId: "e1", profile }] })).pipe(
        Effect.provide(clientLayer(fake))
      )
      expect(JSON.parse(fake.requests[0]!.body)).toEqual({ entityType: "USERS", profiles: [{ externalId: "e1", profile }] })
    })
  )

  it.effect("decodes flat and nested group profiles; follows Link paging", () =>
    Effect.gen(function* () {
      let page = 0
      const fake = fakeHttp((req) =>
        Effect.succeed(
          req.path.endsWith("/membership")
            ? page++ === 0
              ? {
                  status: 200,
                  headers: { link: `<https://x/api/v1/identity-sources/${SOURCE}/groups/g1/membership?after=u2&limit=2>; rel="next", <https://x/self>; rel="self"` },
                  body: { memberExternalIds: ["u1", "u2"] }
                }
              : { status: 200, body: { memberExternalIds: ["u3"] } }
            : req.path.endsWith("/nested")
              ? { status: 200, body: { id: "00g2", externalId: "nested", profile: { profile: { displayName: "N", description: "d" } } } }
              : { status: 200, body: { id: "00g1", externalId: "flat", profile: { displayName: "F", department: "x" } } }
        )
      )
      yield* Effect.gen(function* () {
        const c = yield* OktaClient
        expect((yield* c.getGroup("flat")).profile).toEqual({ displayName: "F", department: "x" })
        expect((yield* c.getGroup("nested")).profile).toEqual({ displayName: "N", description: "d" })
        expect(yield* c.listGroupMemberships("g1", { limit: 2 })).toEqual(["u1", "u2", "u3"])
      }).pipe(Effect.provide(clientLayer(fake)))
      expect(fake.requests[2]!.url.searchParams.get("limit")).toBe("2")
      expect(fake.requests[3]!.url.searchParams.get("after")).toBe("u2")
    })
  )

  it("parses Link headers", () => {
    expect(nextCursor('<https://o/x?limit=2&after=abc%3D>; rel="next"')).toBe("abc=")
    expect(nextCursor('<https://o/x?after=z>; rel="self"')).toBeUndefined()
    expect(nextCursor(undefined)).toBeUndefined()
  })
})

describe("OktaClient errors", () => {
  const run = <A>(handler: Handler, f: (c: OktaClientModule.OktaClientService) => Effect.Effect<A, OktaApiError>, maxRetries = 0) => {
    const fake = fakeHttp(handler)
    return Effect.map(Effect.exit(Effect.flatMap(OktaClient, f).pipe(Effect.provide(clientLayer(fake, { maxRetries })))), (exit) => ({
      exit,
      fake
    }))
  }

  it.effect("maps every status to its reason and keeps Okta's error fields", () =>
    Effect.gen(function* () {
      const cases: Array<[FakeResponse, (c: OktaClientModule.OktaClientService) => Effect.Effect<unknown, OktaApiError>, string]> = [
        [oktaError(401, "E0000011", "Invalid token provided"), (c) => c.listSessions, "Unauthorized"],
        [oktaError(403, "E0000006", "You do not have permission to perform the requested action"), (c) => c.listSessions, "Forbidden"],
        [oktaError(404, "E0000007", "Not found: Resource not found: x (App)"), (c) => c.getSession("x"), "NotFound"],
        [oktaError(400, "E0000001", "Api validation failed: session", ["Only one active import session per identity source is allowed"]), (c) => c.createSession, "SessionConflict"],
        [oktaError(400, "E0000001", "Api validation failed: importSessionId", ["Only a session that is in CREATED or IN_PROGRESS status can be canceled."]), (c) => c.cancelSession("aps1"), "InvalidSessionState"],
        [oktaError(400, "E0000001", "Api validation failed: importSessionId"), (c) => c.startImport("aps1"), "InvalidSessionState"],
        [oktaError(400, "E0000001", "Api validation failed: entityType", ["entityType: The field entityType is not valid."]), (c) => c.upsertUsers("aps1", { entityType: "USERS", profiles: [] }), "Rejected"],
        [oktaError(400, "E0000001", "Api validation failed: importSessionId", ["Session is TRIGGERED"]), (c) => c.deleteGroups("aps1", { externalIds: ["g"] }), "InvalidSessionState"],
        [oktaError(500, "E0000009", "Internal Server Error"), (c) => c.listSessions, "Server"],
        [oktaError(429, "E0000047", "API call exceeded rate limit due to too many requests."), (c) => c.listSessions, "RateLimited"],
        [{ status: 200, body: "<html>" }, (c) => c.listSessions, "Decode"],
        [{ status: 200, body: { id: "aps1", status: "SOMETHING_NEW" } }, (c) => c.getSession("aps1"), "Decode"]
      ]
      for (const [res, f, reason] of cases) {
        const { exit } = yield* run(fixed(res), f)
        const e = failureOf(exit)
        expect(e.reason).toBe(reason)
        if (res.status >= 400) {
          expect(e.status).toBe(res.status)
          expect(e.errorCode).toBe((res.body as any).errorCode)
          expect(e.errorSummary).toBe((res.body as any).errorSummary)
          expect(e.errorId).toBe((res.body as any).errorId)
          expect(e.errorCauses).toEqual((res.body as any).errorCauses)
          expect(e.requestId).toBe("req-1")
          expect(e.message).toContain(String(res.status))
        }
      }
    })
  )

  it.effect("a 403 names the scope the call needs and where an admin grants it (ours, else the server's challenge)", () =>
    Effect.gen(function* () {
      const denied = oktaError(403, "E0000006", "You do not have permission to perform the requested action")
      const schema = failureOf((yield* run(fixed(denied), (c) => c.getAppUserSchema)).exit)
      expect(schema).toMatchObject({ reason: "Forbidden", status: 403, scope: "okta.schemas.read" })
      expect(schema.message).toContain("the credentials lack the scope okta.schemas.read")
      expect(schema.message).toContain("Admin Console: Applications → the service app → Okta API Scopes → Grant okta.schemas.read")
      const mapping = failureOf((yield* run(fixed(denied), (c) => c.updateProfileMapping("prm1", { properties: {} }))).exit)
      expect(mapping.scope).toBe("okta.profileMappings.manage")
      const sessions = failureOf((yield* run(fixed(denied), (c) => c.createSession)).exit)
      expect(sessions.scope).toBe("okta.identitySources.manage")
      expect(sessions.message).toContain("lack the scope okta.identitySources.manage")
      // the server's WWW-Authenticate challenge is read too (the scope is ours when we know it)
      const challenged = { ...denied, headers: { "www-authenticate": 'Bearer error="insufficient_scope", scope="okta.schemas.read okta.schemas.manage"' } }
      expect(failureOf((yield* run(fixed(challenged), (c) => c.getUserSchema())).exit).scope).toBe("okta.schemas.read")
    })
  )

  it.effect("the profile calls: org-level paths, the mapping list follows Link pages, bodies as given", () =>
    Effect.gen(function* () {
      const mapping = (id: string) => ({ id, source: { id: SOURCE, type: "appuser" }, target: { id: "oty1", name: "user", type: "user" } })
      const fake = fakeHttp((req) =>
        Effect.succeed(
          req.path === "/api/v1/mappings" && req.url.searchParams.get("after") === null
            ? { status: 200, body: [mapping("prm1")], headers: { link: `<${ORG}/api/v1/mappings?after=prm1&limit=200>; rel="next"` } }
            : req.path === "/api/v1/mappings"
              ? { status: 200, body: [mapping("prm2")] }
              : req.path.startsWith("/api/v1/mappings/")
                ? { status: 200, body: { ...mapping("prm1"), properties: { title: { expression: "appuser.title", pushStatus: "PUSH" } } } }
                : { status: 200, body: { id: "x", definitions: { base: { properties: { userName: { title: "Username", type: "string" } } }, custom: { properties: {} } } } }
        )
      )
      const [list, one, app, okta] = yield* Effect.flatMap(OktaClient, (c) =>
        Effect.all([
          c.listProfileMappings({ sourceId: SOURCE }),
          c.updateProfileMapping("prm1", { properties: { title: { expression: "appuser.title", pushStatus: "PUSH" } } }),
          c.updateAppUserSchema({ definitions: { custom: { id: "#custom", type: "object", properties: { title: null }, required: [] } } }),
          c.getUserSchema()
        ])
      ).pipe(Effect.provide(clientLayer(fake)))
      expect(list.map((m) => m.id)).toEqual(["prm1", "prm2"])
      expect(one.properties).toEqual({ title: { expression: "appuser.title", pushStatus: "PUSH" } })
      expect(app).toEqual({ id: "x", base: { userName: { title: "Username", type: "string" } }, custom: {} })
      expect(okta.custom).toEqual({})
      expect(fake.requests.map((r) => `${r.method} ${r.path}${r.url.search}`)).toEqual([
        `GET /api/v1/mappings?sourceId=${SOURCE}&limit=200`,
        `GET /api/v1/mappings?sourceId=${SOURCE}&after=prm1&limit=200`,
        "POST /api/v1/mappings/prm1",
        `POST /api/v1/meta/schemas/apps/${SOURCE}/default`,
        "GET /api/v1/meta/schemas/user/default"
      ])
      expect(JSON.parse(fake.requests[3]!.body)).toEqual({ definitions: { custom: { id: "#custom", type: "object", properties: { title: null }, required: [] } } })
    })
  )

  it.effect("a dropped connection is a Transport error; a hung one a Timeout (TestClock)", () =>
    Effect.gen(function* () {
      const dropped = yield* run(fixed("drop"), (c) => c.listSessions)
      expect(failureOf(dropped.exit).reason).toBe("Transport")
      const fiber = yield* Effect.fork(run(fixed("hang"), (c) => c.listSessions))
      yield* TestClock.adjust("11 seconds")
      const hung = yield* Fiber.join(fiber)
      expect(failureOf(hung.exit)).toMatchObject({ reason: "Timeout" })
    })
  )

  it.effect("retries 5xx on reads with backoff and counts it; never retries a 400 validation error", () =>
    Effect.gen(function* () {
      let n = 0
      const fiber = yield* Effect.fork(
        run(() => Effect.succeed(n++ < 2 ? oktaError(503, "E0000009", "busy") : { status: 200, body: [session()] }), (c) =>
          Effect.zip(c.listSessions, c.metrics)
        , 3)
      )
      yield* TestClock.adjust("1 minute")
      const { exit, fake } = yield* Fiber.join(fiber)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(fake.requests).toHaveLength(3)
      const metrics = Exit.isSuccess(exit) ? exit.value[1] : undefined
      expect(metrics).toMatchObject({ requests: 3, retries: 2, errors: 2 })
      expect(metrics!.byEndpoint["listSessions"]).toMatchObject({ requests: 3, retries: 2 })
      expect(metrics!.waitedMillis).toBeGreaterThan(0)

      const rejected = yield* run(
        fixed(oktaError(400, "E0000001", "Api validation failed: profiles")),
        (c) => c.upsertUsers("aps1", { entityType: "USERS", profiles: [] }),
        5
      )
      expect(failureOf(rejected.exit).reason).toBe("Rejected")
      expect(rejected.fake.requests).toHaveLength(1)
    })
  )

  it.effect("does not retry create-session on 5xx (a lost response may have created one)", () =>
    Effect.gen(function* () {
      const { exit, fake } = yield* run(fixed(oktaError(502, "E0000009", "bad gateway")), (c) => c.createSession, 5)
      expect(failureOf(exit).reason).toBe("Server")
      expect(fake.requests).toHaveLength(1)
    })
  )

  it.effect("retries an upload after a 5xx only while the session's upload budget lasts", () =>
    Effect.gen(function* () {
      const budget = yield* OktaClientModule.makeUploadBudget(50, 47)
      const fiber = yield* Effect.fork(
        run(fixed(oktaError(500, "E0000009", "oops")), (c) => c.deleteGroups("aps1", { externalIds: ["g"] }, { budget }), 10)
      )
      yield* TestClock.adjust("10 minutes")
      const { exit, fake } = yield* Fiber.join(fiber)
      expect(failureOf(exit).reason).toBe("Server")
      expect(fake.requests).toHaveLength(3) // 47 + 3 = 50
      expect(yield* budget.remaining).toBe(0)
    })
  )

  it.effect("a 429 on an upload does not use up the session's upload budget", () =>
    Effect.gen(function* () {
      const budget = yield* OktaClientModule.makeUploadBudget(50, 49)
      let n = 0
      const fiber = yield* Effect.fork(
        run(
          () => Effect.succeed(n++ === 0 ? { ...oktaError(429, "E0000047", "API call exceeded rate limit due to too many requests."), headers: { "retry-after": "1" } } : { status: 202 }),
          (c) => c.upsertGroups("aps1", { profiles: [{ externalId: "g", profile: { displayName: "G" } }] }, { budget }),
          3
        )
      )
      yield* TestClock.adjust("5 seconds")
      const { exit, fake } = yield* Fiber.join(fiber)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(fake.requests).toHaveLength(2)
      expect(yield* budget.remaining).toBe(0)
    })
  )

  it.effect("on 429 waits until X-Rate-Limit-Reset measured on the server's clock, then retries", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 0, 1))
      let n = 0
      // the server's clock runs 2 hours ahead of ours; its bucket resets 30 s after its "now"
      const handler: Handler = (req) =>
        Effect.succeed(
          n++ === 0
            ? {
                ...oktaError(429, "E0000047", "API call exceeded rate limit due to too many requests."),
                headers: {
                  date: new Date(req.at + 7_200_000).toUTCString(),
                  "x-rate-limit-limit": "600",
                  "x-rate-limit-remaining": "0",
                  "x-rate-limit-reset": String(Math.floor((req.at + 7_200_000) / 1000) + 30)
                }
              }
            : { status: 200, body: [] }
        )
      const fiber = yield* Effect.fork(run(handler, (c) => Effect.zip(c.listSessions, c.metrics), 2))
      yield* TestClock.adjust("30 seconds")
      expect(n).toBe(1) // still waiting: reset + margin + jitter
      yield* TestClock.adjust("2 seconds")
      const { exit, fake } = yield* Fiber.join(fiber)
      expect(fake.requests).toHaveLength(2)
      const m = Exit.isSuccess(exit) ? exit.value[1] : undefined
      expect(m).toMatchObject({ rateLimited: 1, retries: 1 })
      expect(m!.waitedMillis).toBeGreaterThanOrEqual(30_500)
      expect(m!.waitedMillis).toBeLessThan(31_500)
    })
  )

  it.effect("slows down before the bucket is empty", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 0, 1))
      const handler: Handler = (req) =>
        Effect.succeed({
          status: 200,
          body: [],
          headers: {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "4",
            "x-rate-limit-reset": String(Math.floor(req.at / 1000) + 10)
          }
        })
      const fiber = yield* Effect.fork(run(handler, (c) => Effect.zipRight(Effect.zip(c.listSessions, c.listSessions), c.metrics)))
      yield* TestClock.adjust("1 second")
      expect(fiber.unsafePoll()).toBeNull() // the second request is held back
      yield* TestClock.adjust("5 seconds")
      const { exit, fake } = yield* Fiber.join(fiber)
      expect(fake.requests).toHaveLength(2)
      expect(fake.requests[1]!.at - fake.requests[0]!.at).toBe(2_000) // 10 s left / (4 + 1)
      const m = Exit.isSuccess(exit) ? exit.value : undefined
      expect(m).toMatchObject({ slowDowns: 1, waitedMillis: 2_000 })
      expect(m!.rateLimit).toMatchObject({ limit: 100, remaining: 4 })
    })
  )

  it.effect("the SSWS token never appears in errors or metrics", () =>
    Effect.gen(function* () {
      for (const res of [
        oktaError(401, "E0000011", "Invalid token provided"),
        oktaError(500, "E0000009", "boom"),
        { status: 200, body: "not json" } as FakeResponse
      ]) {
        const { exit } = yield* run(fixed(res), (c) => c.listSessions)
        const e = failureOf(exit)
        expect(rendered(e)).not.toContain(TOKEN)
        expect(rendered(e)).not.toContain("SSWS")
      }
      const { exit } = yield* run(fixed("drop"), (c) => c.listSessions)
      expect(rendered(failureOf(exit))).not.toContain(TOKEN)
      const ok = yield* run(fixed({ status: 200, body: [] }), (c) => c.metrics)
      expect(JSON.stringify(ok.exit)).not.toContain(TOKEN)
    })
  )
})
