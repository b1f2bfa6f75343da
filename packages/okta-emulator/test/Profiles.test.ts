/**
 * Profile schemas and mappings: the app user schema of each identity source, the default Okta user schema, one
 * profile mapping per identity source, unknown attributes on upload (reject | ignore), and the mapping applied to
 * the Okta user when an import completes. Every exchange is validated against the vendored specs (strict mode).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { closeAll, harness, IS, user, type Harness } from "./helpers.ts"

afterEach(closeAll)

const APP = `/api/v1/meta/schemas/apps/${IS}/default`
const USER_SCHEMA = "/api/v1/meta/schemas/user/default"
const causes = (r: { json: any }): Array<string> =>
  r.json.errorCauses.map((c: { errorSummary: string }) => c.errorSummary)
const custom = (properties: Record<string, unknown>) => ({
  definitions: { custom: { id: "#custom", type: "object", properties, required: [] } }
})

const mappingOf = async (h: Harness) => {
  const list = await h.call("GET", `/api/v1/mappings?sourceId=${IS}`)
  expect(list.status, list.text).toBe(200)
  expect(list.json).toHaveLength(1)
  return list.json[0].id as string
}

const importOne = async (h: Harness, profile: Record<string, unknown>, externalId = "EXT00001") => {
  await h.importUsers([{ externalId, profile }])
  return h.emu.directory.users().find((u) => u.externalId === externalId)!
}

describe("the app user schema of an identity source", () => {
  it("starts with the seven base attributes and no custom ones, in Okta's UserSchema shape", async () => {
    const h = await harness({ identitySources: [{ id: IS }] })
    const r = await h.call("GET", APP)
    expect(r.status, r.text).toBe(200)
    expect(r.json.id).toBe(`${h.emu.url}/meta/schemas/apps/${IS}/default`)
    expect(Object.keys(r.json.definitions.base.properties).sort()).toEqual([
      "email",
      "firstName",
      "homeAddress",
      "lastName",
      "mobilePhone",
      "secondEmail",
      "userName"
    ])
    expect(r.json.definitions.base.required).toEqual(["userName", "email"])
    expect(r.json.definitions.custom.properties).toEqual({})
    expect(r.json.properties.profile.allOf).toEqual([
      { $ref: "#/definitions/base" },
      { $ref: "#/definitions/custom" }
    ])
    expect((await h.call("GET", "/api/v1/meta/schemas/apps/0oaNOPE/default")).status).toBe(404)
  })

  it("adds, changes and removes custom attributes (partial updates; null removes)", async () => {
    const h = await harness({ identitySources: [{ id: IS }] })
    const add = await h.call("POST", APP, {
      body: custom({
        department: {
          title: "Department",
          type: "string",
          description: "HR department",
          maxLength: 50,
          required: true
        },
        title: { title: "Job title", type: "string" }
      })
    })
    expect(add.status, add.text).toBe(200)
    expect(add.json.definitions.custom.properties.department).toMatchObject({
      title: "Department",
      type: "string",
      maxLength: 50,
      required: true,
      scope: "NONE"
    })
    expect(add.json.definitions.custom.required).toEqual(["department"])
    const change = await h.call("POST", APP, { body: custom({ title: { maxLength: 100 } }) })
    expect(change.json.definitions.custom.properties.title).toMatchObject({
      title: "Job title",
      maxLength: 100
    })
    expect(Object.keys(change.json.definitions.custom.properties).sort()).toEqual(["department", "title"])
    const removed = await h.call("POST", APP, { body: custom({ title: null }) })
    expect(removed.status, removed.text).toBe(200)
    expect(Object.keys(removed.json.definitions.custom.properties)).toEqual(["department"])
    expect((await h.call("GET", APP)).json.definitions.custom.properties).toHaveProperty("department")
  })

  it("refuses what an identity source cannot hold: non-strings, base-name clashes, no title, bad names", async () => {
    const h = await harness({ identitySources: [{ id: IS }] })
    const r = await h.call("POST", APP, {
      body: custom({
        headcount: { title: "Headcount", type: "integer" },
        Email: { title: "Email again", type: "string" },
        nick: { type: "string" },
        "9lives": { title: "Nine", type: "string" },
        gone: null
      })
    })
    expect(r.status).toBe(400)
    expect(r.json.errorCode).toBe("E0000001")
    expect(causes(r)).toEqual([
      'definitions.custom.properties.headcount.type: an identity source accepts string attributes only, got "integer"',
      "definitions.custom.properties.Email: the name collides with the base property email",
      "definitions.custom.properties.nick.title: is required",
      "definitions.custom.properties.9lives: a variable name starts with a letter and has only letters, digits and _ (at most 100)",
      "definitions.custom.properties.gone: there is no custom property gone to remove"
    ])
    expect((await h.call("GET", APP)).json.definitions.custom.properties).toEqual({})
  })

  it("checks the scopes: okta.schemas.read reads, okta.schemas.manage writes", async () => {
    const h = await harness({
      tokens: [
        { token: "reader", scopes: ["okta.schemas.read"] },
        { token: "sources-only", scopes: ["okta.identitySources.read", "okta.identitySources.manage"] }
      ]
    })
    expect((await h.call("GET", APP, { auth: "SSWS reader" })).status).toBe(200)
    const write = await h.call("POST", APP, {
      auth: "SSWS reader",
      body: custom({ x: { title: "X", type: "string" } })
    })
    expect(write.status).toBe(403)
    expect(write.json.errorCode).toBe("E0000006")
    expect((await h.call("GET", APP, { auth: "SSWS sources-only" })).status).toBe(403)
    expect((await h.call("GET", `/api/v1/mappings?sourceId=${IS}`, { auth: "SSWS reader" })).status).toBe(403)
  })
})

describe("the Okta user schema", () => {
  it("has Okta's base profile and takes custom attributes of any type", async () => {
    const h = await harness()
    const r = await h.call("GET", USER_SCHEMA)
    expect(r.status, r.text).toBe(200)
    expect(r.json.definitions.base.properties).toHaveProperty("managerId")
    expect(r.json.definitions.base.required).toEqual(["email", "firstName", "lastName", "login"])
    const add = await h.call("POST", USER_SCHEMA, {
      body: custom({ badgeNumber: { title: "Badge", type: "integer" } })
    })
    expect(add.status, add.text).toBe(200)
    expect(add.json.definitions.custom.properties.badgeNumber).toMatchObject({ type: "integer" })
    expect((await h.call("GET", "/api/v1/meta/schemas/user/oscNOPE")).status).toBe(404)
  })
})

describe("profile mappings", () => {
  it("one per identity source, onto the default user type, with the base attributes mapped", async () => {
    const h = await harness({ identitySources: [{ id: IS }, { id: "0oaSECOND00000000001" }] })
    expect((await h.call("GET", "/api/v1/mappings")).json).toHaveLength(2)
    const id = await mappingOf(h)
    const list = (await h.call("GET", `/api/v1/mappings?sourceId=${IS}&targetId=oty00000000000000001`)).json
    expect(list[0]).toMatchObject({
      id,
      source: { id: IS, type: "appuser" },
      target: { id: "oty00000000000000001", type: "user" }
    })
    expect(list[0].properties).toBeUndefined()
    const one = await h.call("GET", `/api/v1/mappings/${id}`)
    expect(one.json.properties).toEqual({
      email: { expression: "appuser.email", pushStatus: "PUSH" },
      firstName: { expression: "appuser.firstName", pushStatus: "PUSH" },
      lastName: { expression: "appuser.lastName", pushStatus: "PUSH" },
      login: { expression: "appuser.userName", pushStatus: "PUSH" },
      mobilePhone: { expression: "appuser.mobilePhone", pushStatus: "PUSH" },
      secondEmail: { expression: "appuser.secondEmail", pushStatus: "PUSH" }
    })
    expect((await h.call("GET", "/api/v1/mappings/prmNOPE")).status).toBe(404)
    expect((await h.call("GET", `/api/v1/mappings?targetId=otyOTHER`)).json).toEqual([])
  })

  it("adds, changes and removes property mappings; refuses unknown targets and sources", async () => {
    const h = await harness()
    const id = await mappingOf(h)
    const add = await h.call("POST", `/api/v1/mappings/${id}`, {
      body: {
        properties: {
          department: { expression: "appuser.department", pushStatus: "PUSH" },
          costCenter: { expression: "appuser.costCenter" }
        }
      }
    })
    expect(add.status, add.text).toBe(200)
    expect(add.json.properties.department).toEqual({ expression: "appuser.department", pushStatus: "PUSH" })
    expect(add.json.properties.costCenter).toEqual({ expression: "appuser.costCenter", pushStatus: "PUSH" })
    const remove = await h.call("POST", `/api/v1/mappings/${id}`, {
      body: { properties: { costCenter: { expression: null, pushStatus: null } } }
    })
    expect(remove.json.properties.costCenter).toBeUndefined()
    const bad = await h.call("POST", `/api/v1/mappings/${id}`, {
      body: {
        properties: {
          nosuch: { expression: "appuser.department" },
          title: { expression: "appuser.departmnet" }
        }
      }
    })
    expect(bad.status).toBe(400)
    expect(causes(bad)).toEqual([
      "properties.nosuch: the Okta user profile has no property nosuch",
      "properties.title.expression: the identity source's profile has no property departmnet"
    ])
  })

  it("strict mode refuses a mapping body the spec forbids, naming the field", async () => {
    const h = await harness()
    const id = await mappingOf(h)
    const r = await h.call("POST", `/api/v1/mappings/${id}`, {
      body: { properties: { title: { expression: "appuser.title", pushStatus: "SOMETIMES" } } }
    })
    expect(r.status).toBe(400)
    expect(r.json.errorCode).toBe("E0000003")
    expect(causes(r)).toEqual([
      'properties.title.pushStatus: must be one of DONT_PUSH, PUSH, null, got "SOMETIMES"'
    ])
  })

  it("removing an app attribute removes the mappings that read it", async () => {
    const h = await harness()
    const id = await mappingOf(h)
    await h.call("POST", `/api/v1/mappings/${id}`, {
      body: { properties: { department: { expression: "appuser.department" } } }
    })
    await h.call("POST", APP, { body: custom({ department: null }) })
    expect((await h.call("GET", `/api/v1/mappings/${id}`)).json.properties.department).toBeUndefined()
  })
})

describe("imports through the schema and the mapping", () => {
  it("refuses an upload carrying an undeclared attribute, naming it (unknownAttributes: reject, the default)", async () => {
    const h = await harness()
    const s = await h.newSession()
    const r = await h.call("POST", h.is(`/sessions/${s}/bulk-upsert`), {
      body: {
        entityType: "USERS",
        profiles: [user(1, { department: "R&D" }), user(2, { departmnet: "Sales" })]
      }
    })
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ errorCode: "E0000001", errorSummary: "Api validation failed: profiles" })
    expect(causes(r)[0]).toMatch(
      /^profiles\[1\]\.profile\.departmnet: The attribute departmnet is not defined in the profile of identity source/
    )
    expect(h.emu.sessions()[0]?.uploads).toBe(0)
    const single = await h.call("POST", h.is("/users"), { body: user(3, { departmnet: "Sales" }) })
    expect(single.status).toBe(400)
    expect(causes(single)[0]).toMatch(/^profile\.departmnet: /)
  })

  it("drops undeclared attributes with a session warning under unknownAttributes: ignore", async () => {
    const h = await harness({ unknownAttributes: "ignore" })
    const u = await importOne(h, { ...user(1).profile, department: "R&D", departmnet: "Sales" })
    expect(u.profile).toMatchObject({ department: "R&D" })
    expect(u.profile).not.toHaveProperty("departmnet")
    expect(h.emu.sessions()[0]?.warnings).toEqual([
      "user EXT00001: departmnet not in the identity source's schema; ignored"
    ])
  })

  it("applies the mapping when the import completes: GET /api/v1/users/{id} shows the mapped values", async () => {
    const h = await harness()
    const before = await importOne(h, { ...user(1).profile, department: "R&D" })
    // not mapped yet: the Okta user has the base attributes only
    expect(before.oktaProfile).toEqual({
      login: "user1@example.com",
      email: "user1@example.com",
      firstName: "First1",
      lastName: "Last1"
    })
    const id = await mappingOf(h)
    await h.call("POST", `/api/v1/mappings/${id}`, {
      body: {
        properties: {
          department: { expression: "appuser.department" },
          nickName: { expression: "appuser.firstName", pushStatus: "DONT_PUSH" }
        }
      }
    })
    // a mapping change reaches a user on the user's next import
    expect(h.emu.directory.users()[0]?.oktaProfile).not.toHaveProperty("department")
    await importOne(h, { ...user(1).profile, department: "Research" })
    const okta = await h.call("GET", `/api/v1/users/${before.id}`)
    expect(okta.json.profile).toMatchObject({
      login: "user1@example.com",
      department: "Research",
      externalId: "EXT00001"
    })
    // DONT_PUSH sets a value on create only: the existing user keeps having none
    expect(okta.json.profile).not.toHaveProperty("nickName")
    const created = await importOne(h, user(2).profile, "EXT00002")
    expect(created.oktaProfile).toMatchObject({ nickName: "First2" })
    await importOne(h, { ...user(2).profile, firstName: "Renamed" }, "EXT00002")
    expect(h.emu.directory.users().find((u) => u.externalId === "EXT00002")?.oktaProfile).toMatchObject({
      nickName: "First2",
      firstName: "Renamed"
    })
  })

  it("keeps schemas and mappings in a persisted org", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-profiles-"))
    try {
      const path = join(dir, "org.json")
      const first = await harness({ persistPath: path, identitySources: [{ id: IS }] })
      await first.call("POST", APP, { body: custom({ city: { title: "City", type: "string" } }) })
      const id = await mappingOf(first)
      await first.call("POST", `/api/v1/mappings/${id}`, {
        body: { properties: { city: { expression: "appuser.city" } } }
      })
      await first.emu.close()
      const second = await harness({ persistPath: path, identitySources: [{ id: IS }] })
      expect((await second.call("GET", APP)).json.definitions.custom.properties).toHaveProperty("city")
      expect(await mappingOf(second)).toBe(id)
      expect((await second.call("GET", `/api/v1/mappings/${id}`)).json.properties.city).toEqual({
        expression: "appuser.city",
        pushStatus: "PUSH"
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
