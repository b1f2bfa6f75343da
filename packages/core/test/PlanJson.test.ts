import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type { ConfigError } from "../src/domain/Errors.ts"
import type { Plan } from "../src/plan/Plan.ts"
import * as PlanJson from "../src/plan/PlanJson.ts"

const body: Omit<Plan, "hash"> = {
  version: 1,
  identitySourceId: "0oa1",
  createdAt: "2026-01-01T00:00:00.000Z",
  inputs: { configHash: "cfg", stateHash: "st", sourceFingerprint: "people.csv 120 B" },
  users: [
    { op: "create", externalId: "E1", profile: { email: "ann@x.co", firstName: "Ann" }, hash: "h1", location: "people.csv:2" },
    {
      op: "update",
      externalId: "E2",
      profile: { email: "bob@x.co", lastName: null },
      hash: "h2",
      location: "people.csv:3",
      fields: [
        { field: "email", before: "bob@old.co", after: "bob@x.co" },
        { field: "lastName", before: "Ray", after: null },
        { field: "title", before: "CTO" }
      ]
    },
    { op: "deactivate", externalId: "E3", reason: "filtered", filterRule: "active", lastSeen: "2025-12-01T00:00:00.000Z", lastLocation: "people.csv:9" },
    { op: "deactivate", externalId: "E4", reason: "missing" }
  ],
  groups: [{ op: "reactivate", externalId: "dept-eng", profile: { displayName: "Eng" }, hash: "g", location: "people.csv:2", fields: [] }],
  memberships: [{ op: "add", groupExternalId: "dept-eng", memberExternalIds: ["E1", "E2"] }],
  summary: {
    users: { create: 1, update: 1, reactivate: 0, deactivate: 2, unchanged: 10, held: 0 },
    groups: { create: 0, update: 0, reactivate: 1, deactivate: 0, unchanged: 0, held: 0 },
    memberships: { add: 2, remove: 0 },
    rowsRead: 14,
    excluded: { active: 1 },
    invalid: 0,
    baseline: { users: 13, groups: 0, memberships: 0 },
    issueCounts: {}
  },
  issues: []
}
const plan: Plan = { ...body, hash: PlanJson.hash(body) }

const parseError = (json: string): ConfigError => {
  const exit = Effect.runSyncExit(PlanJson.parse(json, "plan.json"))
  if (Exit.isFailure(exit) && exit.cause._tag === "Fail") return exit.cause.error
  throw new Error("expected a ConfigError")
}

describe("PlanJson", () => {
  it("hashes everything except createdAt and hash", () => {
    expect(PlanJson.hash({ ...plan, createdAt: "2030-01-01T00:00:00.000Z", hash: "other" })).toBe(plan.hash)
    expect(PlanJson.hash({ ...plan, inputs: { ...plan.inputs, stateHash: "moved" } })).not.toBe(plan.hash)
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it("serializes stably (sorted keys) and round-trips through parse", () => {
    const json = PlanJson.stringify(plan)
    expect(json.startsWith('{"createdAt":')).toBe(true)
    expect(PlanJson.stringify({ ...plan, summary: { ...plan.summary } })).toBe(json)
    expect(Effect.runSync(PlanJson.parse(json))).toEqual(plan)
    expect(Effect.runSync(PlanJson.parse(PlanJson.stringify(plan, 2)))).toEqual(plan)
  })

  it("rejects invalid JSON", () => {
    const e = parseError("{not json")
    expect(e.reason).toBe("Parse")
    expect(e.message).toMatch(/^plan\.json: not a plan: invalid JSON/)
  })

  it("rejects another plan version with a clear message", () => {
    const e = parseError(JSON.stringify({ ...plan, version: 2 }))
    expect(e.reason).toBe("Unsupported")
    expect(e.message).toBe(
      "plan.json: plan version 2 is not supported: this anysource reads version 1 plans. Re-run `anysource plan` with this version."
    )
  })

  it("rejects a wrong shape, naming the path", () => {
    const broken = JSON.parse(PlanJson.stringify(plan))
    broken.users[0].op = "delete"
    const e = parseError(JSON.stringify(broken))
    expect(e.reason).toBe("Invalid")
    expect(e.path).toBe("users[0].op")
    expect(e.message).toMatch(/^plan\.json: not a valid anysource plan \(1 problem\): users\[0\]\.op: /)
  })

  it("rejects a hand-edited plan (content no longer matches the hash)", () => {
    const edited = JSON.parse(PlanJson.stringify(plan))
    edited.users[3].externalId = "E5"
    const e = parseError(JSON.stringify(edited))
    expect(e.path).toBe("hash")
    expect(e.message).toContain("it was edited after it was made")
  })

  it("explains each change: fields before → after, location, filter rule", () => {
    const [create, update, filtered, missing] = plan.users
    expect(PlanJson.explain(create!)).toBe('create user "E1" (from people.csv:2: new in the source)\n  email: "ann@x.co"\n  firstName: "Ann"')
    expect(PlanJson.explain(update!)).toBe(
      'update user "E2" (from people.csv:3): 3 fields changed\n  email: "bob@old.co" → "bob@x.co"\n  lastName: "Ray" → (empty)\n  title: "CTO" → (absent)'
    )
    expect(PlanJson.explain(filtered!)).toBe(
      'deactivate user "E3": excluded by filter rule "active" (last seen at people.csv:9 on 2025-12-01T00:00:00.000Z)'
    )
    expect(PlanJson.explain(missing!)).toBe('deactivate user "E4": no longer in the source')
    expect(PlanJson.explain(plan.groups[0]!, "group")).toBe(
      'reactivate group "dept-eng" (from people.csv:2: deactivated earlier, back in the source)'
    )
    expect(PlanJson.explain(plan.memberships[0]!)).toBe('add 2 members to group "dept-eng": "E1", "E2"')
  })
})
