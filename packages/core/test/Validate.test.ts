import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import { PipelineConfig } from "../src/config/Config.ts"
import type { ConfigError } from "../src/domain/Errors.ts"
import * as Validate from "../src/pipeline/Validate.ts"

const config = (extra: Record<string, unknown> = {}, profile: Record<string, unknown> = {}) =>
  PipelineConfig.parse({
    version: 1,
    okta: { orgUrl: "embedded", identitySourceId: "0oa1" },
    source: { type: "file" },
    mapping: { externalId: "id", profile: { userName: "email", email: "email", firstName: "first", lastName: "last", ...profile } },
    ...extra
  })

const make = (c: PipelineConfig) => Effect.runSync(Validate.make(c))
const fail = (c: PipelineConfig): ConfigError => {
  const exit = Effect.runSyncExit(Validate.make(c))
  if (Exit.isFailure(exit) && exit.cause._tag === "Fail") return exit.cause.error
  throw new Error("expected a ConfigError")
}

const ok = { userName: "ann@x.co", email: "ann@x.co", firstName: "Ann", lastName: "Lee" }

describe("Validate.make (startup checks)", () => {
  it("rejects a mapped attribute that is neither base nor declared, naming its path", () => {
    const e = fail(config({}, { costCenter: "cc" }))
    expect(e.path).toBe("mapping.profile.costCenter")
    expect(e.message).toContain("schema.users.attributes.costCenter")
  })

  it("accepts declared custom attributes", () => {
    const v = make(config({ schema: { users: { attributes: { costCenter: {} } } } }, { costCenter: "cc" }))
    expect(v.userFields).toEqual(["costCenter", "email", "firstName", "lastName", "userName"])
  })

  it("rejects a required attribute that is not mapped", () => {
    const e = fail(
      PipelineConfig.parse({
        version: 1,
        okta: { orgUrl: "embedded", identitySourceId: "0oa1" },
        source: { type: "file" },
        mapping: { externalId: "id", profile: { email: "email" } }
      })
    )
    expect(e.path).toBe("schema.users.required")
    expect(e.message).toContain('"userName" is required')
    const e2 = fail(config({ schema: { users: { attributes: { badge: { required: true } } } } }))
    expect(e2.path).toBe("schema.users.attributes.badge.required")
  })

  it("rejects unusable rules", () => {
    const e = fail(config({ schema: { users: { attributes: { costCenter: { pattern: "([" } } } } }, { costCenter: "cc" }))
    expect(e.path).toBe("schema.users.attributes.costCenter.pattern")
    const e2 = fail(config({ schema: { users: { attributes: { firstName: { minLength: 60 } } } } }))
    expect(e2.path).toBe("schema.users.attributes.firstName.minLength")
    expect(e2.message).toContain("greater than the maximum length 50")
    const e3 = fail(config({ schema: { groups: { attributes: { owner: { required: true } } } } }))
    expect(e3.path).toBe("schema.groups.attributes.owner.required")
  })
})

describe("Validate user profiles", () => {
  const v = make(
    config(
      {
        schema: {
          users: {
            attributes: {
              costCenter: { pattern: "^CC-[0-9]+$" },
              level: { enum: ["junior", "senior"] },
              badge: { minLength: 3, maxLength: 5 },
              workEmail: { format: "email" },
              firstName: { maxLength: 10 }
            }
          }
        }
      },
      { costCenter: "cc", level: "level", badge: "badge", workEmail: "w" }
    )
  )
  const base = { ...ok, costCenter: "CC-1", level: "senior", badge: "abcd", workEmail: null }

  it("accepts a valid profile, null for optional attributes", () => {
    expect(v.user(base)).toEqual([])
    expect(v.user({ ...base, costCenter: null, level: null, badge: null, firstName: null })).toEqual([])
  })

  it("reports invalid emails and Okta's base limits", () => {
    expect(v.user({ ...base, email: "not-an-email" })).toEqual([{ field: "email", message: 'email "not-an-email" is not a valid email address' }])
    expect(v.user({ ...base, userName: `${"u".repeat(101)}` })).toEqual([
      { field: "userName", message: "userName is 101 characters; the limit is 100" }
    ])
    expect(v.user({ ...base, email: "a@b" }).map((i) => i.field)).toEqual(["email", "email"])
    expect(v.user({ ...base, lastName: "L".repeat(51) })).toEqual([{ field: "lastName", message: "lastName is 51 characters; the limit is 50" }])
  })

  it("reports required attributes that are empty", () => {
    expect(v.user({ ...base, email: null })).toEqual([{ field: "email", message: "email is required but empty" }])
  })

  it("applies declared rules: pattern, enum, min/max length, format, and the stricter of base and declared limits", () => {
    expect(v.user({ ...base, costCenter: "X-1" })).toEqual([
      { field: "costCenter", message: 'costCenter "X-1" does not match the pattern /^CC-[0-9]+$/u' }
    ])
    expect(v.user({ ...base, level: "boss" })).toEqual([{ field: "level", message: 'level "boss" is not one of "junior", "senior"' }])
    expect(v.user({ ...base, badge: "ab" })).toEqual([{ field: "badge", message: "badge is 2 characters; it must have at least 3" }])
    expect(v.user({ ...base, badge: "abcdef" })).toEqual([{ field: "badge", message: "badge is 6 characters; the limit is 5" }])
    expect(v.user({ ...base, workEmail: "nope" })).toEqual([{ field: "workEmail", message: 'workEmail "nope" is not a valid email address' }])
    expect(v.user({ ...base, firstName: "Maximilianus" })).toEqual([{ field: "firstName", message: "firstName is 12 characters; the limit is 10" }])
  })

  it("checks externalId limits (users 512, groups and members 255)", () => {
    expect(v.userExternalId("E1")).toBeUndefined()
    expect(v.userExternalId("x".repeat(513))).toBe("externalId is 513 characters; Okta allows at most 512")
    expect(v.groupExternalId("x".repeat(256))).toBe("group externalId is 256 characters; Okta allows at most 255")
    expect(v.memberExternalId("x".repeat(300))).toMatch(/cannot join groups/)
    expect(v.memberExternalId("x".repeat(255))).toBeUndefined()
  })
})

describe("Validate group profiles", () => {
  const v = make(config({ schema: { groups: { attributes: { description: { required: true, maxLength: 20 } } } }, groups: [] }))
  it("requires displayName 1-255 and applies declared rules", () => {
    expect(v.group({ displayName: "Eng", description: "Engineering" })).toEqual([])
    expect(v.group({ displayName: null, description: "x" })).toEqual([{ field: "displayName", message: "displayName is required but empty" }])
    expect(v.group({ displayName: "x".repeat(256), description: "x" })).toEqual([
      { field: "displayName", message: "displayName is 256 characters; the limit is 255" }
    ])
    expect(v.group({ displayName: "Eng", description: "x".repeat(21) })).toEqual([
      { field: "description", message: "description is 21 characters; the limit is 20" }
    ])
  })
})

describe("Validate fast path", () => {
  it("agrees with the zod schema on every profile", () => {
    const v = make(
      config(
        {
          schema: {
            users: {
              attributes: {
                costCenter: { pattern: "^CC-[0-9]+$", required: true },
                level: { enum: ["junior", "senior"] },
                badge: { minLength: 2, maxLength: 4 },
                workEmail: { format: "email" }
              }
            }
          }
        },
        { costCenter: "cc", level: "level", badge: "badge", workEmail: "w" }
      )
    )
    const value = fc.oneof(
      fc.constant(null),
      fc.string({ maxLength: 6 }),
      fc.constantFrom("a@b.co", "x@y", "CC-12", "CC-x", "junior", "senior", "ab", "abcde", "u".repeat(51), "é@b.co", ".a@b.co")
    )
    fc.assert(
      fc.property(
        fc.record({ costCenter: value, email: value, firstName: value, lastName: value, userName: value, level: value, badge: value, workEmail: value }),
        (profile) => {
          expect(v.user(profile).length === 0).toBe(v.schemas.user.safeParse(profile).success)
        }
      ),
      { numRuns: 2000 }
    )
  })
})
