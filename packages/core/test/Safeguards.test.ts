import { PipelineConfig as PipelineConfigForDefaults } from "../src/config/Config.ts"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { SafeguardsConfig } from "../src/config/Config.ts"
import type { SafeguardTripped } from "../src/domain/Errors.ts"
import type { EntityCounts, Plan } from "../src/plan/Plan.ts"
import * as Safeguards from "../src/plan/Safeguards.ts"

const counts = (c: Partial<EntityCounts> = {}): EntityCounts => ({ create: 0, update: 0, reactivate: 0, deactivate: 0, unchanged: 0, held: 0, ...c })

const plan = (o: {
  users?: Partial<EntityCounts>
  groups?: Partial<EntityCounts>
  remove?: number
  baseline?: { users: number; groups: number; memberships: number } | null
}): Plan => ({
  version: 1,
  identitySourceId: "0oa1",
  createdAt: "2026-01-01T00:00:00.000Z",
  inputs: { configHash: "c", stateHash: "s" },
  users: [],
  groups: [],
  memberships: [],
  summary: {
    users: counts(o.users),
    groups: counts(o.groups),
    memberships: { add: 0, remove: o.remove ?? 0 },
    rowsRead: 0,
    excluded: {},
    invalid: 0,
    ...(o.baseline === null ? {} : { baseline: o.baseline ?? { users: 1000, groups: 20, memberships: 2000 } })
  },
  issues: [],
  hash: "h"
})

const defaults = SafeguardsConfig.parse(undefined)
const config = (c: Record<string, unknown>) => SafeguardsConfig.parse(c)

const tripped = (p: Plan, c = defaults, allowDeletes = false): SafeguardTripped => {
  const exit = Effect.runSyncExit(Safeguards.check(p, c, { allowDeletes }))
  if (Exit.isFailure(exit) && exit.cause._tag === "Fail") return exit.cause.error
  throw new Error("expected the safeguard to trip")
}
const passes = (p: Plan, c = defaults, allowDeletes = false) => Exit.isSuccess(Effect.runSyncExit(Safeguards.check(p, c, { allowDeletes })))

describe("Safeguards", () => {
  it("lets a normal plan through", () => {
    expect(passes(plan({ users: { unchanged: 950, deactivate: 50, create: 10 }, groups: { unchanged: 20 }, remove: 30 }))).toBe(true)
  })

  it("max deactivation percent, with the exact message", () => {
    const e = tripped(plan({ users: { unchanged: 588, deactivate: 412 } }))
    expect(e.message).toBe(
      "Safeguard tripped, nothing was sent to Okta: would deactivate 412 users (41.2% of 1,000 active); limit is 10% (safeguards.users.maxDeactivationPercent). " +
        "If this is expected, re-run with --allow-deletes or raise the limit (safeguards.users.maxDeactivationPercent)."
    )
    expect(e.reason).toBe("Limit")
    expect(e.override).toBe("--allow-deletes")
    expect(e.violations).toEqual([
      {
        entity: "users",
        rule: "maxDeactivationPercent",
        limit: 10,
        actual: 41.2,
        message: "would deactivate 412 users (41.2% of 1,000 active); limit is 10% (safeguards.users.maxDeactivationPercent)"
      }
    ])
  })

  it("exactly at the limit passes; just over shows enough precision to differ", () => {
    expect(passes(plan({ users: { unchanged: 900, deactivate: 100 } }))).toBe(true)
    const e = tripped(plan({ users: { unchanged: 9996, deactivate: 1004 }, baseline: { users: 10_000, groups: 0, memberships: 0 } }))
    expect(e.violations[0]?.message).toBe(
      "would deactivate 1,004 users (10.04% of 10,000 active); limit is 10% (safeguards.users.maxDeactivationPercent)"
    )
  })

  it("max deactivations as a count", () => {
    const e = tripped(plan({ users: { unchanged: 950, deactivate: 50 } }), config({ users: { maxDeactivations: 20 } }))
    expect(e.message).toBe(
      "Safeguard tripped, nothing was sent to Okta: would deactivate 50 users; limit is 20 (safeguards.users.maxDeactivations), 30 over. " +
        "If this is expected, re-run with --allow-deletes or raise the limit (safeguards.users.maxDeactivations)."
    )
  })

  it("the truncated-file guard: minimum records as a count and as a % of active", () => {
    const count = tripped(plan({ users: { create: 40 }, baseline: { users: 0, groups: 0, memberships: 0 } }), config({ users: { minRecords: 100 } }))
    expect(count.violations.map((v) => v.message)).toEqual([
      "the source has 40 valid users; at least 100 are required (safeguards.users.minRecords), 60 short: is the source truncated?"
    ])
    const pct = tripped(plan({ users: { unchanged: 300, deactivate: 700 } }), config({ users: { minRecordsPercent: 50, maxDeactivationPercent: null } }))
    expect(pct.violations.map((v) => v.message)).toEqual([
      "the source has 300 valid users, 30% of the 1,000 active; at least 50% is required (safeguards.users.minRecordsPercent): is the source truncated?"
    ])
    // with the defaults both the deactivation % and the minimum % trip
    expect(tripped(plan({ users: { unchanged: 300, deactivate: 700 } })).violations.map((v) => v.rule)).toEqual([
      "maxDeactivationPercent",
      "minRecordsPercent"
    ])
  })

  it("an empty source never deactivates anyone, even with --allow-deletes, unless allowEmptySource", () => {
    const empty = plan({ users: { deactivate: 1000 } })
    const e = tripped(empty, defaults, true)
    expect(e.message).toBe(
      "Safeguard tripped, nothing was sent to Okta: the source has no valid users, which would deactivate all 1,000 active users; an empty source never deactivates anyone " +
        "(if this is intended, set safeguards.users.allowEmptySource: true). " +
        "An empty source is accepted only with safeguards.users.allowEmptySource: true; --allow-deletes does not override it."
    )
    expect(e.reason).toBe("EmptySource")
    expect(e.override).toBe("safeguards.users.allowEmptySource: true")
    expect(e.violations[0]?.rule).toBe("emptySource")
    const allowed = config({ users: { allowEmptySource: true, maxDeactivationPercent: 10 } })
    // allowed as empty, but the deactivation and minimum-records limits still apply without --allow-deletes
    expect(tripped(empty, allowed).violations.map((v) => v.rule)).toEqual(["maxDeactivationPercent", "minRecordsPercent"])
    expect(passes(empty, allowed, true)).toBe(true)
  })

  it("groups have their own limits", () => {
    const e = tripped(plan({ users: { unchanged: 1000 }, groups: { unchanged: 10, deactivate: 10 } }))
    expect(e.violations).toEqual([
      expect.objectContaining({
        entity: "groups",
        message: "would deactivate 10 groups (50% of 20 active); limit is 25% (safeguards.groups.maxDeactivationPercent)"
      })
    ])
    expect(tripped(plan({ users: { unchanged: 1000 }, groups: { deactivate: 20 } })).violations[0]?.rule).toBe("emptySource")
  })

  it("membership removals as a count and as a % of memberships", () => {
    const e = tripped(plan({ users: { unchanged: 1000 }, groups: { unchanged: 20 }, remove: 600 }), config({ memberships: { maxRemovals: 500, maxRemovalPercent: 25 } }))
    expect(e.violations.map((v) => v.message)).toEqual([
      "would remove 600 group memberships; limit is 500 (safeguards.memberships.maxRemovals), 100 over",
      "would remove 600 group memberships (30% of 2,000); limit is 25% (safeguards.memberships.maxRemovalPercent)"
    ])
    expect(e.violations.map((v) => v.rule)).toEqual(["maxRemovals", "maxRemovalPercent"])
    expect(e.message).toContain("raise the limit (safeguards.memberships.maxRemovals, safeguards.memberships.maxRemovalPercent)")
  })

  it("--allow-deletes lets every limit through except the empty source", () => {
    expect(passes(plan({ users: { unchanged: 300, deactivate: 700 }, groups: { unchanged: 1, deactivate: 19 }, remove: 1900 }), defaults, true)).toBe(true)
  })

  it("estimates the active population for plans without a baseline (older plan files)", () => {
    const p = plan({ users: { unchanged: 80, update: 5, held: 3, deactivate: 12, create: 50 }, baseline: null })
    expect(Safeguards.baselineOf(p).users).toBe(100)
    expect(tripped(p).violations[0]?.message).toBe(
      "would deactivate 12 users (12% of 100 active); limit is 10% (safeguards.users.maxDeactivationPercent)"
    )
  })
})

describe("Safeguards config defaults", () => {
  const parse = (safeguards?: unknown) =>
    PipelineConfigForDefaults.parse({
      version: 1,
      okta: { orgUrl: "embedded", identitySourceId: "0oa1" },
      source: { type: "file" },
      mapping: { externalId: "id", profile: {} },
      ...(safeguards === undefined ? {} : { safeguards })
    }).safeguards

  it("apply per key: setting one rule keeps the other defaults; null turns a rule off", () => {
    expect(parse()).toEqual({
      users: { maxDeactivationPercent: 10, minRecordsPercent: 50, allowEmptySource: false },
      groups: { maxDeactivationPercent: 25, allowEmptySource: false },
      memberships: { maxRemovalPercent: 25 }
    })
    const withCount = parse({ users: { maxDeactivations: 50 } })
    expect(withCount.users).toMatchObject({ maxDeactivations: 50, maxDeactivationPercent: 10, minRecordsPercent: 50 })
    expect(withCount.groups.maxDeactivationPercent).toBe(25)
    const off = parse({ users: { maxDeactivationPercent: null } })
    expect(off.users.maxDeactivationPercent).toBeUndefined()
    expect(off.users.minRecordsPercent).toBe(50)
  })
})
