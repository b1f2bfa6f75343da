import { afterEach, describe, expect, it } from "vitest"
import { allowances, allowancesFor, defaultAllowances, loadOpenApiValidator } from "../src/testing/index.ts"
import { closeAll, harness, IS as SOURCE_ID, specValidator, user } from "./helpers.ts"

afterEach(closeAll)

const IS = "/api/v1/identity-sources/0oa1"
const json = { "content-type": "application/json" }
const session = { id: "aps1", identitySourceId: "0oa1", status: "CREATED", importType: "INCREMENTAL", created: "2026-03-01T12:00:00.000Z", lastUpdated: "2026-03-01T12:00:00.000Z" }
const error = { errorCode: "E0000007", errorSummary: "Not found", errorLink: "E0000007", errorId: "oae1", errorCauses: [] }

describe("the OpenAPI validator", () => {
  it("loads the full way too (json-schema-ref-parser + meta-schema check of the edited document) on this Node", async () => {
    const full = await loadOpenApiValidator({ checkDefinition: true })
    const quick = await specValidator()
    const samples = [
      { method: "POST", url: `${IS}/sessions/aps1/bulk-upsert`, body: { entityType: "USERS", profiles: [user(1, { cost: 1 })] } },
      { method: "POST", url: `${IS}/sessions/aps1/bulk-upsert`, body: { entityType: "USERS", profiles: [user(1)] } },
      { method: "POST", url: `${IS}/sessions/aps1/bulk-groups-delete`, body: { externalIds: [] } }
    ]
    for (const s of samples) expect(full.validateRequest(s).length > 0).toBe(quick.validateRequest(s).length > 0)
    expect(full.validateRequest(samples[0]!)).not.toEqual([])
  }, 120_000) // the full path dereferences and meta-validates both specs: slow on a busy two-core machine

  it("maps requests to spec operations", async () => {
    const v = await specValidator()
    expect(v.operationId("POST", `${IS}/sessions`)).toBe("createIdentitySourceSession")
    expect(v.operationId("GET", `${IS}/groups/G1/membership?limit=5`)).toBe("getIdentitySourceGroupMemberships")
    expect(v.operationId("GET", "/api/v1/users")).toBeUndefined()
  })

  it("rejects what the spec forbids", async () => {
    const v = await specValidator()
    const req = { method: "GET", url: `${IS}/sessions/aps1` }
    expect(v.validateResponse(req, { status: 200, headers: json, body: JSON.stringify(session) })).toEqual([])
    const bad = (res: { status: number; headers?: Record<string, string>; body?: unknown }) => v.validateResponse(req, res).map((x) => x.message).join("\n")
    expect(bad({ status: 200, headers: json, body: { ...session, status: "DONE" } })).toMatch(/allowed values/)
    expect(bad({ status: 200, headers: json, body: { ...session, created: "yesterday" } })).toMatch(/date-time/)
    expect(bad({ status: 201, headers: json, body: session })).toMatch(/status 201 is not declared/)
    expect(bad({ status: 200, headers: { "content-type": "text/plain" }, body: session })).toMatch(/Content-Type/)
    expect(bad({ status: 200, headers: json, body: "" })).toMatch(/empty/)
    expect(bad({ status: 404, headers: json, body: { ...error, errorId: undefined } })).toMatch(/errorId/)
    const upload = { method: "POST", url: `${IS}/sessions/aps1/bulk-upsert` }
    expect(v.validateResponse(upload, { status: 202, body: "" })).toEqual([])
    expect(v.validateResponse(upload, { status: 202, body: "{}" })[0]?.message).toMatch(/declares no body/)
    const group = { method: "GET", url: `${IS}/groups/G1` }
    expect(v.validateResponse(group, { status: 200, headers: json, body: { id: "00g1", externalId: "G1", profile: { displayName: "West" } } })).toEqual([])
    // The nested shape of the spec (profile.profile) is rejected under the flat-profile allowance.
    expect(v.validateResponse(group, { status: 200, headers: json, body: { id: "00g1", externalId: "G1", profile: { profile: { displayName: "West" } } } })).not.toEqual([])
    expect(v.validateRequest({ method: "POST", url: upload.url, body: "{" })[0]?.message).toBe("request body is not JSON")
    expect(v.validateRequest({ method: "GET", url: `${IS}/groups/G1/membership?limit=5000` })).not.toEqual([])
  })

  it("needs each allowance explicitly: without them, recorded behaviour is a violation", async () => {
    const bare = await loadOpenApiValidator({ allowances: [] })
    const withAll = await specValidator()
    const create = { method: "POST", url: `${IS}/sessions` }
    expect(bare.validateResponse(create, { status: 201, headers: json, body: session })).not.toEqual([])
    expect(withAll.validateResponse(create, { status: 201, headers: json, body: session })).toEqual([])
    const trigger = { method: "POST", url: `${IS}/sessions/aps1/start-import` }
    expect(bare.validateResponse(trigger, { status: 400, headers: json, body: error })[0]?.message).toMatch(/status 400 is not declared/)
    expect(withAll.validateResponse(trigger, { status: 400, headers: json, body: error })).toEqual([])
    const upsert = { method: "POST", url: `${IS}/sessions/aps1/bulk-upsert`, body: { entityType: "USERS", profiles: [user(1, { secondEmail: null })] } }
    expect(bare.validateRequest(upsert)).not.toEqual([])
    expect(withAll.validateRequest(upsert)).toEqual([])
    // Custom attributes must be strings only under the stringOnlyProfiles tightening.
    const custom = { ...upsert, body: { entityType: "USERS", profiles: [user(1, { costCenter: 5 })] } }
    expect(bare.validateRequest(custom)).toEqual([])
    expect(withAll.validateRequest(custom)).not.toEqual([])
    expect(defaultAllowances.map((a) => a.id)).toContain(allowances.recordedSingleEntity.id)
    // The spec's mode accepts none of the recorded variants.
    const specIds = allowancesFor({ responses: "spec" }).map((a) => a.id)
    for (const recorded of [allowances.recordedSingleEntity, allowances.createSession201, allowances.flatGroupProfile]) expect(specIds).not.toContain(recorded.id)
    expect(allowancesFor({}).map((a) => a.id)).toEqual(defaultAllowances.map((a) => a.id))
    for (const a of Object.values(allowances)) expect(a.reason.length).toBeGreaterThan(40)
  })

  it("records exchanges: validates accepted requests and every response, lists what is outside the spec", async () => {
    const v = await specValidator()
    const r = v.recorder()
    r.record({ method: "POST", url: `${IS}/sessions`, requestHeaders: {}, requestBody: "", status: 201, responseHeaders: json, responseBody: JSON.stringify(session) })
    // A refused invalid request is fine (the reply is what is checked) ...
    r.record({ method: "POST", url: `${IS}/sessions/aps1/bulk-groups-delete`, requestHeaders: json, requestBody: '{"externalIds":[]}', status: 400, responseHeaders: json, responseBody: JSON.stringify(error) })
    expect(r.violations).toEqual([])
    // ... but an accepted invalid request is a violation.
    r.record({ method: "POST", url: `${IS}/sessions/aps1/bulk-groups-delete`, requestHeaders: json, requestBody: '{"externalIds":[]}', status: 202, responseHeaders: {}, responseBody: "" })
    r.record({ method: "POST", url: "/oauth2/v1/token", requestHeaders: {}, requestBody: "", status: 200, responseHeaders: json, responseBody: "{}" })
    expect(r.violations).toHaveLength(1)
    expect(r.violations[0]).toMatchObject({ phase: "request", operationId: "uploadIdentitySourceGroupsDataForDelete" })
    expect(r.unmatched).toEqual(["POST /oauth2/v1/token"])
    expect(r.checked()).toBe(3)
    expect(() => r.assertNoViolations()).toThrow(/1 OpenAPI violation/)
  })
})

describe("the emulator against the spec", () => {
  it("exercises all 23 operations with every exchange valid", async () => {
    const h = await harness()
    const s = await h.newSession()
    const post = (path: string, body: unknown) => h.call("POST", h.is(`/sessions/${s}/${path}`), { body })
    await post("bulk-groups-upsert", { profiles: [{ externalId: "G1", profile: { displayName: "One", description: null } }] })
    await post("bulk-upsert", { entityType: "USERS", profiles: [user(1), user(2, { secondEmail: null, department: "R&D" })] })
    await post("bulk-group-memberships-upsert", { memberships: [{ groupExternalId: "G1", memberExternalIds: ["EXT00001", "EXT00002"] }] })
    await post("bulk-group-memberships-delete", { memberships: [{ groupExternalId: "G1", memberExternalIds: ["EXT00002"] }] })
    await post("bulk-delete", { entityType: "USERS", profiles: [{ externalId: "EXT00002" }] })
    await post("bulk-groups-delete", { externalIds: ["G9"] })
    await h.call("GET", h.is("/sessions"))
    await h.call("POST", h.is(`/sessions/${s}/start-import`))
    h.clock.advance(1_000)
    await h.call("GET", h.is(`/sessions/${s}`))
    await h.call("DELETE", h.is(`/sessions/${await h.newSession()}`))
    await h.call("POST", h.is("/users"), { body: user(3) })
    await h.call("GET", h.is("/users/EXT00003"))
    await h.call("PUT", h.is("/users/EXT00003"), { body: { profile: user(3).profile } })
    await h.call("PATCH", h.is("/users/EXT00003"), { body: { profile: { ...user(3).profile, mobilePhone: "555" } } })
    await h.call("POST", h.is("/groups"), { body: { externalId: "G2", profile: { displayName: "Two" } } })
    await h.call("GET", h.is("/groups/G2"))
    await h.call("POST", h.is("/groups/G2"), { body: { profile: { displayName: "Two!" } } })
    await h.call("POST", h.is("/groups/G2/membership"), { body: { memberExternalId: "EXT00003" } })
    await h.call("GET", h.is("/groups/G2/membership?limit=10"))
    await h.call("DELETE", h.is("/groups/G2/membership/EXT00003"))
    await h.call("DELETE", h.is("/groups/G2"))
    await h.call("DELETE", h.is("/users/EXT00003"))
    expect(h.recorder.operations.size).toBe(23)
    expect(h.recorder.violations).toEqual([])
    expect(h.emu.requests.every((r) => r.status < 300)).toBe(true)
  })

  it("exercises the 7 profile schema and mapping operations with every exchange valid", async () => {
    const h = await harness()
    const app = `/api/v1/meta/schemas/apps/${SOURCE_ID}/default`
    await h.call("GET", app)
    await h.call("POST", app, { body: { definitions: { custom: { id: "#custom", type: "object", properties: { title: { title: "Title", type: "string", maxLength: 100 } }, required: [] } } } })
    await h.call("GET", "/api/v1/meta/schemas/user/default")
    await h.call("POST", "/api/v1/meta/schemas/user/default", { body: { definitions: { custom: { properties: { badge: { title: "Badge", type: "string" } } } } } })
    const list = await h.call("GET", `/api/v1/mappings?sourceId=${SOURCE_ID}&limit=5`)
    await h.call("GET", `/api/v1/mappings/${list.json[0].id}`)
    await h.call("POST", `/api/v1/mappings/${list.json[0].id}`, { body: { properties: { title: { expression: "appuser.title", pushStatus: "PUSH" }, mobilePhone: { expression: null, pushStatus: null } } } })
    expect([...h.recorder.operations].sort()).toEqual([
      "getApplicationUserSchema",
      "getProfileMapping",
      "getUserSchema",
      "listProfileMappings",
      "updateApplicationUserProfile",
      "updateProfileMapping",
      "updateUserProfile"
    ])
    expect(h.recorder.violations).toEqual([])
    expect(h.emu.requests.every((r) => r.status === 200)).toBe(true)
  }, 120_000) // the first use of each operation compiles its validators (UserSchema's are large)
})
