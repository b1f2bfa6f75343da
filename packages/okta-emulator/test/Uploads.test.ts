import { afterEach, describe, expect, it } from "vitest"
import { closeAll, harness, specValidator, user, type Harness } from "./helpers.ts"

afterEach(closeAll)

const upsert = (profiles: ReadonlyArray<unknown>) => ({ entityType: "USERS", profiles })

const expect400 = (r: { status: number; json: any }, code: string, summary?: string) => {
  expect(r.status).toBe(400)
  expect(r.json.errorCode).toBe(code)
  if (summary !== undefined) expect(r.json.errorSummary).toBe(summary)
}

const causes = (r: { json: any }): Array<string> => r.json.errorCauses.map((c: { errorSummary: string }) => c.errorSummary)

/**
 * The emulator's own validation answers (Okta's E0000001 texts), which is what the default, non-strict emulator
 * sends. A strict emulator checks the spec first and answers E0000003 instead (Strict.test.ts), so these tests
 * turn strict off.
 */
const ownValidation = { strict: false } as const

const session = async (h: Harness) => {
  const id = await h.newSession()
  return (path: string, body: unknown) => h.call("POST", h.is(`/sessions/${id}/${path}`), { body })
}

/** Does the OpenAPI subset itself reject this request? (cross-check of rules the spec can express) */
const specRejects = async (path: string, body: unknown) => {
  const v = await specValidator()
  return v.validateRequest({ method: "POST", url: `/api/v1/identity-sources/0oa1/sessions/aps1/${path}`, body }).length > 0
}

describe("bulk uploads", () => {
  it("accepts every kind of upload with 202 and an empty body", async () => {
    const h = await harness()
    const post = await session(h)
    const bodies: Array<[string, unknown]> = [
      ["bulk-groups-upsert", { profiles: [{ externalId: "G1", profile: { displayName: "One", description: "first" } }] }],
      ["bulk-upsert", upsert([user(1), user(2)])],
      ["bulk-group-memberships-upsert", { memberships: [{ groupExternalId: "G1", memberExternalIds: [user(1).externalId] }] }],
      ["bulk-group-memberships-delete", { memberships: [{ groupExternalId: "G1", memberExternalIds: [user(2).externalId] }] }],
      ["bulk-delete", { entityType: "USERS", profiles: [{ externalId: user(2).externalId }] }],
      ["bulk-groups-delete", { externalIds: ["G2"] }]
    ]
    for (const [path, body] of bodies) {
      const r = await post(path, body)
      expect(r.status, `${path}: ${r.text}`).toBe(202)
      expect(r.text).toBe("")
      expect(r.headers.get("content-type")).toBeNull()
    }
    expect(h.emu.sessions()[0]).toMatchObject({
      status: "IN_PROGRESS",
      uploads: 6,
      staged: { usersUpsert: 2, usersDelete: 1, groupsUpsert: 1, groupsDelete: 1, membershipsUpsert: 1, membershipsDelete: 1 }
    })
  })

  it("answers 400 E0000003 to malformed JSON and to an empty body", async () => {
    const h = await harness()
    const post = await session(h)
    const bad = await post("bulk-upsert", '{"entityType":"USERS","profiles":[')
    expect400(bad, "E0000003", "The request body was not well-formed.")
    expect400(await post("bulk-groups-upsert", ""), "E0000003")
    expect400(await post("bulk-upsert", "[1,2]"), "E0000003")
    expect(h.emu.sessions()[0]?.status).toBe("CREATED")
  })

  it("requires entityType USERS on user uploads", async () => {
    const h = await harness(ownValidation)
    const post = await session(h)
    const wrong = await post("bulk-upsert", { entityType: "GROUPS", profiles: [user(1)] })
    expect400(wrong, "E0000001", "Api validation failed: entityType")
    expect(causes(wrong)).toEqual(["entityType: The field entityType is not valid."])
    expect400(await post("bulk-delete", { profiles: [{ externalId: "X" }] }), "E0000001", "Api validation failed: entityType")
    expect(await specRejects("bulk-upsert", { entityType: "GROUPS", profiles: [user(1)] })).toBe(true)
  })

  it("requires non-empty arrays of at most 200 entities", async () => {
    const h = await harness(ownValidation)
    const post = await session(h)
    expect400(await post("bulk-upsert", upsert([])), "E0000001", "Api validation failed: profiles")
    expect400(await post("bulk-upsert", { entityType: "USERS" }), "E0000001", "Api validation failed: profiles")
    const tooMany = await post("bulk-upsert", upsert(Array.from({ length: 201 }, (_, i) => user(i))))
    expect400(tooMany, "E0000001", "Api validation failed: profiles")
    expect(causes(tooMany)).toEqual(["profiles: The field profiles cannot contain more than 200 items."])
    expect((await post("bulk-upsert", upsert(Array.from({ length: 200 }, (_, i) => user(i))))).status).toBe(202)
    const groups = Array.from({ length: 201 }, (_, i) => ({ externalId: `G${i}`, profile: { displayName: `G${i}` } }))
    expect400(await post("bulk-groups-upsert", { profiles: groups }), "E0000001")
    expect(await specRejects("bulk-groups-upsert", { profiles: groups })).toBe(true)
    expect400(await post("bulk-groups-delete", { externalIds: [] }), "E0000001", "Api validation failed: externalIds")
    expect(await specRejects("bulk-groups-delete", { externalIds: [] })).toBe(true)
    expect400(await post("bulk-group-memberships-upsert", { memberships: [] }), "E0000001", "Api validation failed: memberships")
    expect400(
      await post("bulk-group-memberships-upsert", { memberships: [{ groupExternalId: "G1", memberExternalIds: [] }] }),
      "E0000001"
    )
    const memberships = Array.from({ length: 201 }, (_, i) => ({ groupExternalId: `G${i}`, memberExternalIds: ["U"] }))
    expect400(await post("bulk-group-memberships-delete", { memberships }), "E0000001")
    expect(await specRejects("bulk-group-memberships-delete", { memberships })).toBe(true)
  })

  it("accepts string attribute values only, naming the offending attribute", async () => {
    const h = await harness(ownValidation)
    const post = await session(h)
    for (const [value, got] of [[42, "number"], [true, "boolean"], [["a"], "array"], [{ a: "b" }, "object"]] as const) {
      const r = await post("bulk-upsert", upsert([user(1), user(2, { costCenter: value })]))
      expect400(r, "E0000001", "Api validation failed: profiles")
      expect(causes(r)).toEqual([`profiles[1].profile.costCenter: The attribute costCenter must be a string, got ${got}.`])
      expect(await specRejects("bulk-upsert", upsert([user(2, { costCenter: value })]))).toBe(true)
    }
    const base = await post("bulk-upsert", upsert([user(1, { firstName: 7 })]))
    expect(causes(base)).toEqual(["profiles[0].profile.firstName: The attribute firstName must be a string, got number."])
    const group = await post("bulk-groups-upsert", { profiles: [{ externalId: "G", profile: { displayName: "G", size: 3 } }] })
    expect(causes(group)).toEqual(["profiles[0].profile.size: The attribute size must be a string, got number."])
    expect(h.emu.sessions()[0]?.status).toBe("CREATED")
  })

  it("accepts null to clear optional attributes, but not for email or userName", async () => {
    const h = await harness(ownValidation)
    const post = await session(h)
    const ok = await post("bulk-upsert", upsert([user(1, { mobilePhone: null, secondEmail: null, costCenter: null })]))
    expect(ok.status).toBe(202)
    const r = await post("bulk-upsert", upsert([user(2, { email: null })]))
    expect(causes(r)).toEqual(["profiles[0].profile.email: The attribute email cannot be null."])
  })

  it("rejects empty and missing profiles", async () => {
    const h = await harness()
    const post = await session(h)
    expect(causes(await post("bulk-upsert", upsert([{ externalId: "A", profile: {} }])))).toEqual([
      "profiles[0].profile: The profile must contain at least one attribute."
    ])
    expect(causes(await post("bulk-upsert", upsert([{ externalId: "A" }])))).toEqual(["profiles[0].profile: The profile must be a JSON object."])
    expect(causes(await post("bulk-upsert", upsert([{ profile: { userName: "a" } }])))).toEqual(["profiles[0].externalId: The field externalId is required."])
  })

  it("enforces the field lengths of the spec", async () => {
    const h = await harness(ownValidation)
    const post = await session(h)
    const cases: Array<[string, unknown, string]> = [
      ["bulk-upsert", upsert([{ ...user(1), externalId: "x".repeat(513) }]), "profiles[0].externalId: The field externalId cannot exceed 512 characters."],
      ["bulk-upsert", upsert([user(1, { firstName: "x".repeat(51) })]), "profiles[0].profile.firstName: The attribute firstName cannot exceed 50 characters."],
      ["bulk-upsert", upsert([user(1, { lastName: "" })]), "profiles[0].profile.lastName: The attribute lastName must be at least 1 characters."],
      ["bulk-upsert", upsert([user(1, { email: "a@b" })]), "profiles[0].profile.email: The attribute email must be at least 5 characters."],
      ["bulk-upsert", upsert([user(1, { secondEmail: "not-an-email" })]), "profiles[0].profile.secondEmail: The attribute secondEmail must be a valid email address."],
      ["bulk-upsert", upsert([user(1, { userName: "u".repeat(101) })]), "profiles[0].profile.userName: The attribute userName cannot exceed 100 characters."],
      ["bulk-upsert", upsert([user(1, { mobilePhone: "1".repeat(101) })]), "profiles[0].profile.mobilePhone: The attribute mobilePhone cannot exceed 100 characters."],
      ["bulk-upsert", upsert([user(1, { homeAddress: "h".repeat(4097) })]), "profiles[0].profile.homeAddress: The attribute homeAddress cannot exceed 4096 characters."],
      ["bulk-delete", { entityType: "USERS", profiles: [{ externalId: "" }] }, "profiles[0].externalId: The field externalId cannot be empty."],
      ["bulk-groups-upsert", { profiles: [{ externalId: "g".repeat(256), profile: { displayName: "G" } }] }, "profiles[0].externalId: The field externalId cannot exceed 255 characters."],
      ["bulk-groups-upsert", { profiles: [{ externalId: "G", profile: { displayName: "" } }] }, "profiles[0].profile.displayName: The attribute displayName must be at least 1 characters."],
      ["bulk-groups-upsert", { profiles: [{ externalId: "G", profile: { description: "d" } }] }, "profiles[0].profile.displayName: The attribute displayName is required."],
      ["bulk-groups-upsert", { profiles: [{ externalId: "G", profile: { displayName: "G", description: "d".repeat(1025) } }] }, "profiles[0].profile.description: The attribute description cannot exceed 1024 characters."],
      ["bulk-groups-delete", { externalIds: ["g".repeat(256)] }, "externalIds[0]: The field externalIds cannot exceed 255 characters."],
      ["bulk-group-memberships-upsert", { memberships: [{ groupExternalId: "G", memberExternalIds: ["m".repeat(256)] }] }, "memberships[0].memberExternalIds[0]: The field memberExternalIds cannot exceed 255 characters."]
    ]
    for (const [path, body, cause] of cases) {
      const r = await post(path, body)
      expect400(r, "E0000001")
      expect(causes(r), cause).toContain(cause)
    }
    // Boundaries are accepted.
    expect((await post("bulk-upsert", upsert([{ ...user(1, { firstName: "x".repeat(50) }), externalId: "x".repeat(512) }]))).status).toBe(202)
    // The spec agrees on the rules it can express.
    expect(await specRejects("bulk-upsert", upsert([user(1, { firstName: "x".repeat(51) })]))).toBe(true)
    expect(await specRejects("bulk-upsert", upsert([user(1, { secondEmail: "not-an-email" })]))).toBe(true)
  })

  it.each([1024, 1000] as const)("limits a body to 200 KB with %i-byte kilobytes", async (kilobyte) => {
    const h = await harness({ kilobyte })
    const post = await session(h)
    const limit = 200 * kilobyte
    const sized = (bytes: number) => {
      const shell = JSON.stringify(upsert([user(1, { notes: "" })]))
      return JSON.stringify(upsert([user(1, { notes: "n".repeat(bytes - shell.length) })]))
    }
    expect(Buffer.byteLength(sized(limit))).toBe(limit)
    const over = await post("bulk-upsert", sized(limit + 1))
    expect400(over, "E0000001", "Api validation failed: payload")
    expect(causes(over)).toEqual([`The request payload is ${limit + 1} bytes; an upload may be at most 200 KB (${limit} bytes).`])
    expect((await post("bulk-upsert", sized(limit))).status).toBe(202)
  })

  it("accepts 50 uploads per session and refuses the 51st", async () => {
    const h = await harness()
    const post = await session(h)
    for (let i = 0; i < 50; i++) {
      const r = await post("bulk-upsert", upsert([user(i)]))
      expect(r.status).toBe(202)
    }
    const r = await post("bulk-upsert", upsert([user(51)]))
    expect400(r, "E0000001")
    expect(causes(r)).toEqual(["A session accepts at most 50 bulk upload requests."])
    expect(h.emu.sessions()[0]?.uploads).toBe(50)
    // A refused upload leaves the session usable: it can still be triggered.
    const id = h.emu.sessions()[0]!.id
    expect((await h.call("POST", h.is(`/sessions/${id}/start-import`))).status).toBe(200)
    h.clock.advance(1_000)
    expect(h.emu.directory.users()).toHaveLength(50)
  })

  it("answers 405 E0000022 to a wrong method and 404 E0000007 to an unknown path", async () => {
    const h = await harness()
    const id = await h.newSession()
    const r = await h.call("GET", h.is(`/sessions/${id}/bulk-upsert`))
    expect(r.status).toBe(405)
    expect(r.json.errorCode).toBe("E0000022")
    const nf = await h.call("GET", "/api/v1/nothing-here")
    expect(nf.status).toBe(404)
    expect(nf.json.errorCode).toBe("E0000007")
  })
})
