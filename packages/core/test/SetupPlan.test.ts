/**
 * The setup plan as a pure function: config + org snapshot → entries, summary and hash. What `setup plan` shows and
 * `setup apply` sends is exactly this.
 */
import { describe, expect, it } from "vitest"
import { PipelineConfig, type PipelineConfigInput } from "../src/config/Config.ts"
import * as SchemaGuard from "../src/setup/SchemaGuard.ts"
import * as SetupPlan from "../src/setup/SetupPlan.ts"

const config = (over: Partial<PipelineConfigInput> = {}): PipelineConfig =>
  PipelineConfig.parse({
    version: 1,
    okta: { orgUrl: "embedded", identitySourceId: "0oaSETUP" },
    source: { type: "file" },
    mapping: {
      externalId: "employee_id",
      profile: {
        userName: "email",
        email: "email",
        firstName: "first",
        lastName: "last",
        title: "title",
        department: "dept",
        managerId: "mgr"
      }
    },
    schema: {
      users: {
        attributes: {
          title: { maxLength: 100, title: "Job title", description: "From the HR export" },
          department: { maxLength: 50, required: true },
          managerId: { pattern: "^E[0-9]+$" }
        }
      }
    },
    ...over
  })

const str = (title: string) => ({ title, type: "string" })
const appBase = Object.fromEntries(
  ["userName", "email", "firstName", "lastName", "secondEmail", "mobilePhone", "homeAddress"].map((n) => [
    n,
    str(n)
  ])
)
const oktaBase = Object.fromEntries(
  [
    "login",
    "email",
    "firstName",
    "lastName",
    "title",
    "department",
    "managerId",
    "manager",
    "city",
    "nickName"
  ].map((n) => [n, str(n)])
)
const defaultMapping = {
  login: { expression: "appuser.userName", pushStatus: "PUSH" },
  email: { expression: "appuser.email", pushStatus: "PUSH" },
  firstName: { expression: "appuser.firstName", pushStatus: "PUSH" },
  lastName: { expression: "appuser.lastName", pushStatus: "PUSH" }
}

const org = (
  over: {
    custom?: Record<string, { title?: string; type?: string }>
    oktaCustom?: Record<string, { title?: string; type?: string }>
    mapping?: Record<string, { expression: string; pushStatus?: string }> | null
  } = {}
): SetupPlan.OrgSnapshot => ({
  identitySourceId: "0oaSETUP",
  appSchema: { base: appBase, custom: over.custom ?? {} },
  oktaUserSchema: { base: oktaBase, custom: over.oktaCustom ?? {} },
  ...(over.mapping === null
    ? {}
    : { mapping: { id: "prmSETUP", properties: over.mapping ?? defaultMapping } })
})

const kinds = (p: SetupPlan.SetupPlan) => p.entries.map((e) => `${e.kind} ${"name" in e ? e.name : e.target}`)

describe("SetupPlan.plan", () => {
  it("a fresh identity source: adds each custom attribute the config sends as a string, and maps each onto Okta", () => {
    const p = SetupPlan.plan(config(), org())
    expect(kinds(p)).toEqual([
      "addAttribute department",
      "addAttribute managerId",
      "addAttribute title",
      "addMapping department",
      "addMapping managerId",
      "addMapping title"
    ])
    expect(p.entries[0]).toEqual({
      kind: "addAttribute",
      name: "department",
      path: "schema.users.attributes.department",
      attribute: { title: "department", type: "string", required: true, maxLength: 50 }
    })
    expect(p.entries[2]).toMatchObject({
      attribute: { title: "Job title", description: "From the HR export", maxLength: 100, type: "string" }
    })
    expect(p.entries[3]).toEqual({
      kind: "addMapping",
      target: "department",
      expression: "appuser.department",
      path: "mapping.profile.department"
    })
    expect(p.summary).toEqual({ changes: 6, conflicts: 0, unused: 0, unmapped: 0, errors: 0 })
    expect(p.mappingId).toBe("prmSETUP")
    expect(SetupPlan.isEmpty(p)).toBe(false)
  })

  it("nothing to do once the org holds it all; the hash is stable and follows the content", () => {
    const done = org({
      custom: { title: str("t"), department: str("d"), managerId: str("m") },
      mapping: {
        ...defaultMapping,
        title: { expression: "appuser.title" },
        department: { expression: "appuser.department" },
        managerId: { expression: "appuser.managerId" }
      }
    })
    const p = SetupPlan.plan(config(), done)
    expect(p.entries).toEqual([])
    expect(SetupPlan.isEmpty(p)).toBe(true)
    expect(SetupPlan.plan(config(), done).hash).toBe(p.hash)
    expect(p.hash).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(SetupPlan.plan(config(), org()).hash).not.toBe(p.hash)
  })

  it("reports attributes the config never sends as unused; prune removes them and the mappings reading them", () => {
    const o = org({
      custom: {
        title: str("t"),
        department: str("d"),
        managerId: str("m"),
        costCenter: str("c"),
        legacy: str("l")
      },
      mapping: {
        ...defaultMapping,
        title: { expression: "appuser.title" },
        department: { expression: "appuser.department" },
        managerId: { expression: "appuser.managerId" },
        nickName: { expression: "appuser.legacy" }
      }
    })
    const kept = SetupPlan.plan(config(), o)
    expect(kinds(kept)).toEqual(["unusedAttribute costCenter", "unusedAttribute legacy"])
    expect(kept.summary).toMatchObject({ changes: 0, unused: 2 })
    const pruned = SetupPlan.plan(config(), o, { prune: true })
    expect(kinds(pruned)).toEqual([
      "removeMapping nickName",
      "removeAttribute costCenter",
      "removeAttribute legacy"
    ])
    expect(pruned.entries[0]).toEqual({
      kind: "removeMapping",
      target: "nickName",
      expression: "appuser.legacy",
      attribute: "legacy"
    })
    expect(pruned.summary.changes).toBe(3)
    expect(pruned.hash).not.toBe(kept.hash)
  })

  it("an existing mapping with another expression is a conflict, kept; force replaces it", () => {
    const o = org({ mapping: { ...defaultMapping, title: { expression: "appuser.jobTitle" } } })
    const kept = SetupPlan.plan(config(), o)
    expect(kept.entries.find((e) => e.kind === "mappingConflict")).toEqual({
      kind: "mappingConflict",
      target: "title",
      existing: "appuser.jobTitle",
      wanted: "appuser.title",
      path: "mapping.profile.title"
    })
    expect(
      kept.entries.some((e) => "target" in e && e.target === "title" && e.kind !== "mappingConflict")
    ).toBe(false)
    expect(kept.summary.conflicts).toBe(1)
    const forced = SetupPlan.plan(config(), o, { force: true })
    expect(forced.entries.find((e) => "target" in e && e.target === "title")).toEqual({
      kind: "changeMapping",
      target: "title",
      from: "appuser.jobTitle",
      expression: "appuser.title",
      path: "mapping.profile.title"
    })
  })

  it("a declared type other than string is an error naming the attribute and its path", () => {
    const c = config({
      schema: { users: { attributes: { title: {}, department: { type: "integer" }, managerId: {} } } }
    })
    const p = SetupPlan.plan(c, org())
    expect(p.entries[0]).toEqual({
      kind: "error",
      name: "department",
      path: "schema.users.attributes.department.type",
      message:
        "department is declared as integer, but an identity source (Anything-as-a-Source) sends strings only: remove type or set it to string"
    })
    expect(p.entries.some((e) => e.kind === "addAttribute" && e.name === "department")).toBe(false)
    expect(p.summary.errors).toBe(1)
    // an attribute the org already holds as a non-string is an error too
    const held = SetupPlan.plan(config(), org({ custom: { department: { title: "d", type: "integer" } } }))
    expect(held.entries[0]).toMatchObject({
      kind: "error",
      name: "department",
      path: "mapping.profile.department"
    })
  })

  it("setup.userMappings picks the Okta attribute (null leaves one alone); a missing target is reported or created", () => {
    const mapped = SetupPlan.plan(
      config({ setup: { userMappings: { managerId: "manager", title: null } } }),
      org()
    )
    expect(kinds(mapped).filter((k) => k.startsWith("addMapping"))).toEqual([
      "addMapping department",
      "addMapping manager"
    ])
    expect(mapped.entries.find((e) => e.kind === "addMapping" && e.target === "manager")).toMatchObject({
      expression: "appuser.managerId",
      path: "setup.userMappings.managerId"
    })
    const c = config({
      mapping: {
        externalId: "id",
        profile: { userName: "email", email: "email", costCode: "cc", badge: "b" }
      },
      schema: { users: { attributes: { costCode: { title: "Cost code" }, badge: {} } } },
      setup: { userMappings: { badge: "badgeNumber" } }
    })
    const reported = SetupPlan.plan(c, org())
    expect(reported.entries.filter((e) => e.kind === "unmapped")).toEqual([
      {
        kind: "unmapped",
        name: "badge",
        target: "badgeNumber",
        path: "setup.userMappings.badge",
        reason:
          "the Okta user profile has no attribute badgeNumber: add it in Okta's Profile Editor, or set setup.oktaUserAttributes: create"
      },
      {
        kind: "unmapped",
        name: "costCode",
        target: "costCode",
        path: "mapping.profile.costCode",
        reason:
          "the Okta user profile has no attribute costCode: name the one it should map onto in setup.userMappings.costCode, or set setup.oktaUserAttributes: create"
      }
    ])
    const created = SetupPlan.plan({ ...c, setup: { ...c.setup, oktaUserAttributes: "create" } }, org())
    expect(kinds(created)).toEqual([
      "addOktaAttribute badgeNumber",
      "addOktaAttribute costCode",
      "addAttribute badge",
      "addAttribute costCode",
      "addMapping badgeNumber",
      "addMapping costCode"
    ])
    expect(created.entries[1]).toEqual({
      kind: "addOktaAttribute",
      name: "costCode",
      path: "mapping.profile.costCode",
      attribute: { title: "Cost code", type: "string" }
    })
  })

  it("refuses what it cannot fix: two attributes onto one Okta attribute, a case-only clash, no mapping in the org", () => {
    const twice = SetupPlan.plan(config({ setup: { userMappings: { managerId: "title" } } }), org())
    expect(twice.entries[0]).toMatchObject({
      kind: "error",
      name: "managerId",
      path: "setup.userMappings.managerId"
    })
    expect(twice.entries[0]).toHaveProperty(
      "message",
      "managerId and title both map onto the Okta attribute title: map one of them elsewhere in setup.userMappings"
    )
    const clash = SetupPlan.plan(config(), org({ custom: { Department: str("D") } }))
    expect(clash.entries[0]).toMatchObject({
      kind: "error",
      name: "department",
      path: "mapping.profile.department"
    })
    const none = SetupPlan.plan(config(), org({ mapping: null }))
    expect(none.entries[0]).toMatchObject({ kind: "error", path: "okta.identitySourceId" })
    expect(none.mappingId).toBeUndefined()
  })
})

describe("SchemaGuard.missing", () => {
  it("lists what mapping.profile sends that the schema lacks, with the closest name not already sent", () => {
    const c = config({
      mapping: {
        externalId: "id",
        profile: { userName: "e", email: "e", departmnet: "d", title: "t", costcenter: "c", zzz: "z" }
      }
    })
    const schema = { base: appBase, custom: { department: str("d"), title: str("t"), costCenter: str("c") } }
    expect(SchemaGuard.missing(c, schema)).toEqual([
      { name: "departmnet", path: "mapping.profile.departmnet", suggestion: "department" },
      { name: "costcenter", path: "mapping.profile.costcenter", suggestion: "costCenter" },
      { name: "zzz", path: "mapping.profile.zzz" }
    ])
    expect(
      SchemaGuard.missing(config(), {
        base: appBase,
        custom: { title: str("t"), department: str("d"), managerId: str("m") }
      })
    ).toEqual([])
  })
})
