import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { startEmulator, type RunningEmulator } from "../src/index.ts"
import { allowancesFor, loadOpenApiValidator } from "../src/testing/index.ts"
import { closeAll, harness, IS, request, user, type Harness } from "./helpers.ts"

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  await closeAll()
  for (const f of cleanup.splice(0)) await f()
})

const upsert = (profiles: ReadonlyArray<unknown>, entityType = "USERS") => ({ entityType, profiles })
const causes = (r: { json: any }): Array<string> =>
  r.json.errorCauses.map((c: { errorSummary: string }) => c.errorSummary)

const session = async (h: Harness) => {
  const id = await h.newSession()
  return {
    id,
    post: (path: string, body: unknown) => h.call("POST", h.is(`/sessions/${id}/${path}`), { body })
  }
}

/** An emulator started directly (not through the harness, whose recorder would flag the deliberate violations). */
const plain = async (options: Parameters<typeof startEmulator>[0]): Promise<RunningEmulator> => {
  const emu = await startEmulator(options)
  cleanup.push(() => emu.close())
  return emu
}

describe("strict mode: requests", () => {
  it("answers a bulk-upsert with entityType PEOPLE 400 E0000003 naming entityType, and stages nothing", async () => {
    const h = await harness()
    const { post } = await session(h)
    const r = await post("bulk-upsert", upsert([user(1)], "PEOPLE"))
    expect(r.status).toBe(400)
    expect(r.headers.get("content-type")).toBe("application/json")
    expect(r.json).toEqual({
      errorCode: "E0000003",
      errorSummary: "The request body was not well-formed.",
      errorLink: "E0000003",
      errorId: expect.stringMatching(/^oae/),
      errorCauses: [{ errorSummary: 'entityType: must be one of USERS, got "PEOPLE"' }]
    })
    expect(h.emu.sessions()[0]).toMatchObject({ status: "CREATED", uploads: 0 })
    // The same request to a non-strict emulator gets the emulator's own (recorded) answer.
    const lenient = await harness({ strict: false })
    const other = await session(lenient)
    const own = await other.post("bulk-upsert", upsert([user(1)], "PEOPLE"))
    expect(own.json).toMatchObject({
      errorCode: "E0000001",
      errorSummary: "Api validation failed: entityType"
    })
  })

  it("names the field with the path the emulator's own causes use, for the rules the spec can express", async () => {
    const h = await harness()
    const { post } = await session(h)
    const cases: Array<[string, unknown, string]> = [
      [
        "bulk-upsert",
        upsert([user(1), user(2, { costCenter: 42 })]),
        "profiles[1].profile.costCenter: must be string, got number"
      ],
      [
        "bulk-upsert",
        upsert([user(1, { firstName: "x".repeat(51) })]),
        "profiles[0].profile.firstName: must NOT have more than 50 characters"
      ],
      [
        "bulk-upsert",
        upsert([user(1, { secondEmail: "not-an-email" })]),
        'profiles[0].profile.secondEmail: must match format "email"'
      ],
      [
        "bulk-upsert",
        upsert([{ ...user(1), externalId: "x".repeat(513) }]),
        "profiles[0].externalId: must NOT have more than 512 characters"
      ],
      [
        "bulk-upsert",
        upsert([user(2, { email: null })]),
        "profiles[0].profile.email: must be string, got null"
      ],
      ["bulk-groups-upsert", { profiles: [] }, "profiles: must NOT have fewer than 1 items"],
      [
        "bulk-groups-delete",
        { externalIds: ["g".repeat(256)] },
        "externalIds[0]: must NOT have more than 255 characters"
      ],
      [
        "bulk-group-memberships-delete",
        {
          memberships: Array.from({ length: 201 }, (_, i) => ({
            groupExternalId: `G${i}`,
            memberExternalIds: ["U"]
          }))
        },
        "memberships: must NOT have more than 200 items"
      ],
      ["bulk-upsert", "[1,2]", "(body): must be object, got array"],
      ["bulk-upsert", '{"entityType":"USERS","profiles":[', "(body): is not JSON"]
    ]
    for (const [path, body, cause] of cases) {
      const r = await post(path, body)
      expect(r.status, `${path} ${cause}`).toBe(400)
      expect(r.json.errorCode, cause).toBe("E0000003")
      expect(causes(r)).toEqual([cause])
    }
    expect(h.emu.sessions()[0]).toMatchObject({ status: "CREATED", uploads: 0 })
  })

  it("names a bad query parameter with E0000001, and lets valid traffic and the emulator's own rules through", async () => {
    const h = await harness()
    await h.call("POST", h.is("/groups"), { body: { externalId: "G1", profile: { displayName: "One" } } })
    const bad = await h.call("GET", h.is("/groups/G1/membership?limit=many"))
    expect(bad.status).toBe(400)
    expect(bad.json).toMatchObject({ errorCode: "E0000001", errorSummary: "Api validation failed: limit" })
    expect(causes(bad)).toEqual(["limit: must be integer"])
    expect((await h.call("GET", h.is("/groups/G1/membership?limit=5"))).status).toBe(200)
    // Rules beyond the schema keep the emulator's answers: a second open session is E0000001 as Okta sends it.
    await h.newSession()
    const second = await h.call("POST", h.is("/sessions"))
    expect(second.json.errorCode).toBe("E0000001")
    // Authentication comes first: an unauthenticated invalid request is a 401, not a 400.
    const anonymous = await h.call("POST", h.is("/sessions/aps1/bulk-upsert"), {
      body: upsert([], "PEOPLE"),
      auth: null
    })
    expect(anonymous.status).toBe(401)
  })

  it("leaves requests outside the spec alone: the token endpoint and the Users/Groups APIs", async () => {
    const h = await harness()
    await h.importUsers([user(1)])
    const users = await h.call("GET", "/api/v1/users?limit=abc")
    expect(users.status).toBe(200)
    const token = await h.call("POST", "/oauth2/v1/token", {
      body: "grant_type=password",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      auth: null
    })
    expect(token.json.error).toBeDefined()
    expect(token.json.errorCode).toBeUndefined()
    expect(h.recorder.unmatched).toEqual(
      expect.arrayContaining(["GET /api/v1/users?limit=abc", "POST /oauth2/v1/token"])
    )
  })
})

describe("strict mode: replies", () => {
  const corruptedOrg = async () => {
    const dir = mkdtempSync(join(tmpdir(), "okta-emulator-strict-"))
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, "org.json")
    const first = await plain({ persistPath: path })
    const headers = { Authorization: "SSWS emulator-api-token", Accept: "application/json" }
    const created = await fetch(`${first.url}/api/v1/identity-sources/0oaEMULATED000000001/sessions`, {
      method: "POST",
      headers
    })
    const id = ((await created.json()) as { id: string }).id
    await first.close()
    // A hand-edited state file gives the emulator a session status Okta does not have: its reply is now wrong.
    const saved = JSON.parse(readFileSync(path, "utf8"))
    saved.sessions[0].status = "DONE"
    writeFileSync(path, JSON.stringify(saved))
    return { path, sessionPath: `/api/v1/identity-sources/0oaEMULATED000000001/sessions/${id}` }
  }

  it("replaces a reply that violates the spec with a 500 that says the emulator is wrong", async () => {
    const { path, sessionPath } = await corruptedOrg()
    const strict = await plain({ persistPath: path, strict: true })
    const r = await request(strict.url + sessionPath, "GET")
    expect(r.status).toBe(500)
    expect(r.json).toMatchObject({
      errorCode: "E0000009",
      errorSummary: "Internal Server Error",
      errorLink: "E0000009"
    })
    const [cause] = causes(r)
    expect(cause).toContain(
      `The emulator's reply to GET ${sessionPath} (200) does not match the OpenAPI spec [getIdentitySourceSession]`
    )
    expect(cause).toContain(
      "status: must be one of CLOSED, COMPLETED, CREATED, ERROR, EXPIRED, IN_PROGRESS, TRIGGERED"
    )
    expect(cause).toContain('got "DONE"')
    expect(cause).toContain("bug in the emulator")
    expect(r.headers.get("x-okta-request-id")).toBeTruthy()
    expect(strict.requests.at(-1)).toMatchObject({ status: 500 })
  })

  it("sends the same reply as is without strict mode", async () => {
    const { path, sessionPath } = await corruptedOrg()
    const lenient = await plain({ persistPath: path })
    const r = await request(lenient.url + sessionPath, "GET")
    expect(r.status).toBe(200)
    expect(r.json.status).toBe("DONE")
  })

  it("still sends deliberately off-contract badBody faults, and checks the other faults' replies", async () => {
    const h = await harness()
    h.emu.faults.inject({ kind: "badBody", method: "GET", path: /\/sessions$/ })
    const garbled = await h.call("GET", h.is("/sessions"))
    expect(garbled.status).toBe(200)
    expect(garbled.headers.get("content-type")).toBe("text/html")
    expect(garbled.text).toContain("502 Bad Gateway")
    expect(h.recorder.skipped()).toBe(1)
    h.emu.faults.inject({ kind: "status", status: 503, method: "GET" })
    h.emu.faults.inject({ kind: "rateLimit", method: "POST" })
    expect((await h.call("GET", h.is("/sessions"))).json.errorCode).toBe("E0000010")
    expect((await h.call("POST", h.is("/sessions"))).status).toBe(429)
    expect((await h.call("POST", h.is("/sessions"))).status).toBe(201)
  })

  it("follows the emulator's reply mode: recorded replies pass by default, the spec's in spec mode", async () => {
    const recorded = await harness()
    const created = await recorded.call("POST", recorded.is("/users"), { body: user(1) })
    expect(created.status).toBe(200)
    expect(created.json.externalId).toBe(user(1).externalId)
    expect(created.json.profile.secondEmail).toBeNull()
    expect((await recorded.call("DELETE", recorded.is(`/users/${user(1).externalId}`))).status).toBe(200)
    expect((await recorded.call("POST", recorded.is("/sessions"))).status).toBe(201)
    const spec = await harness({ responses: "spec" })
    expect((await spec.call("POST", spec.is("/users"), { body: user(1) })).text).toBe("")
    expect((await spec.call("POST", spec.is("/groups"), { body: { externalId: "G1", profile: { displayName: "G" } } })).json.profile).toEqual({
      profile: { displayName: "G" }
    })
    expect((await spec.call("DELETE", spec.is(`/users/${user(1).externalId}`))).status).toBe(204)
    expect((await spec.call("POST", spec.is("/sessions"))).status).toBe(200)
  })

  it("in spec mode, rejects a recorded reply the spec does not allow (the allowances follow the mode)", async () => {
    const strictSpec = await loadOpenApiValidator({ allowances: allowancesFor({ responses: "spec" }) })
    const create = { method: "POST", url: `/api/v1/identity-sources/${IS}/sessions` }
    const session = { id: "aps1", identitySourceId: IS, status: "CREATED", importType: "INCREMENTAL", created: "2026-03-01T12:00:00.000Z", lastUpdated: "2026-03-01T12:00:00.000Z" }
    const headers = { "content-type": "application/json" }
    expect(strictSpec.validateResponse(create, { status: 201, headers, body: session })[0]?.message).toMatch(/status 201 is not declared/)
    const del = { method: "DELETE", url: `/api/v1/identity-sources/${IS}/groups/G1` }
    expect(strictSpec.validateResponse(del, { status: 200, headers: {}, body: "" })).not.toEqual([])
    const recordedValidator = await loadOpenApiValidator({ allowances: allowancesFor({}) })
    expect(recordedValidator.validateResponse(create, { status: 201, headers, body: session })).toEqual([])
    expect(recordedValidator.validateResponse(del, { status: 200, headers: {}, body: "" })).toEqual([])
  })
})
