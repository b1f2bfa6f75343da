/**
 * Drift and refresh against the emulator over HTTP: state against what Okta holds. An admin's edits, a second
 * writer and records rejected inside a completed import are each caught by `Drift.check`; `Drift.fix` records
 * Okta's view so the next ordinary plan re-sends exactly the drifted records; `refresh` corrects what a plan
 * would touch before the plan is made.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Drift from "../src/verify/Drift.ts"
import * as Sample from "../src/verify/Sample.ts"
import { load, mutableSource, org, people, reads } from "./proofHarness.ts"

const options = (overrides: Partial<Drift.DriftOptions> = {}): Drift.DriftOptions => ({
  sample: Sample.all,
  rateLimitShare: 50,
  concurrency: 4,
  seed: "drift",
  ...overrides
})

describe("drift", () => {
  it.scopedLive(
    "an admin's edits are profile drift, with what state holds and what Okta holds; fix + plan re-sends only them",
    () =>
      Effect.gen(function* () {
        const { h, sync, withOkta } = yield* org()
        const loaded = yield* load(mutableSource(people(30)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        yield* sync({ loaded, mode: "apply" })
        expect((yield* withOkta(Drift.check(options()))).records).toEqual([])

        const edited = h.emu.simulate.adminEdit(0.2).sort()
        expect(edited.length).toBeGreaterThan(0)
        const report = yield* withOkta(Drift.check(options()))
        expect(report.population).toEqual({ users: 30, groups: 2, memberships: 2 })
        expect(report.checked).toEqual({ users: 30, groups: 2, memberships: 2 })
        expect(report.drifted).toEqual({
          profile: edited.length,
          missing: 0,
          membershipMissing: 0,
          membershipExtra: 0
        })
        expect(report.records.map((r) => r.externalId).sort()).toEqual(edited)
        const first = report.records.find((r) => r.externalId === edited[0])!
        expect(first.drift).toEqual(["profile"])
        expect(first.differences).toEqual([
          {
            attribute: "firstName",
            expected: `First${Number(edited[0]!.slice(1))}`,
            actual: "Edited by an admin"
          }
        ])

        // fix: state learns Okta's values; the ordinary plan then restores exactly the edited people
        expect(yield* withOkta(Drift.fix(report, "drift-fix-1"))).toBe(edited.length)
        const plan = (yield* sync({ loaded, mode: "plan" })).report.plan!
        expect([...plan.users].map((u) => [u.externalId, u.op])).toEqual(edited.map((id) => [id, "update"]))
        expect([...plan.users][0]).toMatchObject({
          op: "update",
          fields: [{ field: "firstName", before: "Edited by an admin" }]
        })
        expect(plan.groups).toEqual([])
        yield* sync({ loaded, mode: "apply" })
        expect((yield* withOkta(Drift.check(options()))).records).toEqual([])
      }),
    60_000
  )

  it.scopedLive(
    "a second writer is profile and membership drift (missing and extra members); fix + plan puts members back",
    () =>
      Effect.gen(function* () {
        const { h, sync, withOkta } = yield* org()
        const loaded = yield* load(mutableSource(people(20)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        yield* sync({ loaded, mode: "apply" })
        const changed = h.emu.simulate.secondWriter(1)
        expect(changed.groups.sort()).toEqual(["dept-engineering", "dept-sales"])
        const report = yield* withOkta(Drift.check(options()))
        expect(report.drifted).toMatchObject({ profile: 20, membershipMissing: 2, membershipExtra: 2 })
        const sales = report.records.find((r) => r.kind === "membership" && r.externalId === "dept-sales")!
        // E001 (a Sales member) was taken out; E002 (not a Sales member) was put in
        expect(sales).toMatchObject({
          drift: ["membership-missing", "membership-extra"],
          missingMembers: ["E001"],
          extraMembers: ["E002"]
        })

        yield* withOkta(Drift.fix(report, "drift-fix-2"))
        const plan = (yield* sync({ loaded, mode: "plan" })).report.plan!
        expect(plan.memberships).toEqual(
          expect.arrayContaining([
            { op: "add", groupExternalId: "dept-sales", memberExternalIds: ["E001"] },
            { op: "remove", groupExternalId: "dept-sales", memberExternalIds: ["E002"] }
          ])
        )
        expect(plan.summary.users.update).toBe(20)
        yield* sync({ loaded, mode: "apply" })
        expect(h.emu.directory.members("dept-sales")).toEqual(
          people(20)
            .filter((p) => p.dept === "Sales")
            .map((p) => p.id)
        )
        expect((yield* withOkta(Drift.check(options()))).records).toEqual([])
      }),
    60_000
  )

  it.scopedLive(
    "records rejected inside a completed import are missing; fix forgets them and the next plan creates them",
    () =>
      Effect.gen(function* () {
        const { h, sync, withOkta, store } = yield* org({ simulate: { rejectShare: 0.15, seed: "gone" } })
        const loaded = yield* load(mutableSource(people(30)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        yield* sync({ loaded, mode: "apply" })
        const rejected = h.emu
          .simulations()
          .filter((s) => s.kind === "reject" && s.entity === "user")
          .map((s) => s.externalId)
          .sort()
        expect(rejected.length).toBeGreaterThan(0)
        const report = yield* withOkta(Drift.check(options({ scopes: ["users"] })))
        expect(report.checked).toEqual({ users: 30, groups: 0, memberships: 0 })
        expect(report.records.map((r) => [r.externalId, r.drift])).toEqual(
          rejected.map((id) => [id, ["missing"]])
        )
        yield* withOkta(Drift.fix(report, "drift-fix-3"))
        expect(yield* store().entries("user", rejected)).toEqual(new Map())
        const plan = (yield* sync({ loaded, mode: "plan" })).report.plan!
        expect([...plan.users].map((u) => [u.externalId, u.op])).toEqual(rejected.map((id) => [id, "create"]))
      }),
    60_000
  )

  it.scopedLive(
    "a sample reads only its share; the budget stops it cleanly",
    () =>
      Effect.gen(function* () {
        const { h, sync, withOkta } = yield* org()
        const loaded = yield* load(mutableSource(people(40)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        yield* sync({ loaded, mode: "apply" })
        const before = reads(h)
        const sampled = yield* withOkta(
          Drift.check(options({ sample: Sample.parse("10%")!, scopes: ["users"] }))
        )
        expect(sampled).toMatchObject({ sample: "10%", checked: { users: 4 }, unchecked: 0 })
        expect(reads(h) - before).toBe(4)
        const budget = yield* withOkta(Drift.check(options({ maxRequests: 7 })))
        expect(budget).toMatchObject({ stopped: "budget", requests: 7 })
        expect(budget.unchecked).toBe(44 - 7)
      }),
    60_000
  )
})

describe("plan --refresh", () => {
  it.scopedLive(
    "reads what the plan would touch and plans against Okta's view, not a stale state",
    () =>
      Effect.gen(function* () {
        const { h, sync, store } = yield* org()
        const source = mutableSource(people(10))
        const loaded = yield* load(source.definition, h.emu.url, { verify: { after: "never" } })
        yield* sync({ loaded, mode: "apply" })
        // Okta moved on without anysource: another client already gave E002 the title the source now says
        yield* Effect.promise(() =>
          fetch(`${h.emu.url}/api/v1/identity-sources/0oaEMULATED000000001/users/E002`, {
            method: "PATCH",
            headers: { authorization: "SSWS emulator-api-token", "content-type": "application/json" },
            body: JSON.stringify({
              profile: { userName: "person2@example.com", email: "person2@example.com", title: "Manager" }
            })
          })
        )
        source.state.rows = people(10)
          .map((p) => (p.id === "E002" || p.id === "E003" ? { ...p, title: "Manager" } : p))
          .filter((p) => p.id !== "E004")
        // E011 is new to the source but another client already created it in Okta, with other values
        source.state.rows.push({ ...people(11)[10]!, title: "Intern" })
        yield* Effect.promise(() =>
          fetch(`${h.emu.url}/api/v1/identity-sources/0oaEMULATED000000001/users`, {
            method: "POST",
            headers: { authorization: "SSWS emulator-api-token", "content-type": "application/json" },
            body: JSON.stringify({
              externalId: "E011",
              profile: {
                userName: "person11@example.com",
                email: "person11@example.com",
                firstName: "First11",
                title: "Contractor"
              }
            })
          })
        )
        const plain = (yield* sync({ loaded, mode: "plan" })).report.plan!
        expect([...plain.users].map((u) => [u.externalId, u.op])).toEqual([
          ["E002", "update"],
          ["E003", "update"],
          ["E004", "deactivate"],
          ["E011", "create"]
        ])
        const readsBefore = source.state.reads
        const refreshed = yield* sync({ loaded, mode: "plan", refresh: true })
        expect(Option.isNone(refreshed.error)).toBe(true)
        // E002 is already as the source says; E011 exists and needs an update, not a create
        expect([...refreshed.report.plan!.users].map((u) => [u.externalId, u.op])).toEqual([
          ["E003", "update"],
          ["E004", "deactivate"],
          ["E011", "update"]
        ])
        expect([...refreshed.report.plan!.users].find((u) => u.externalId === "E011")).toMatchObject({
          fields: [{ field: "title", before: "Contractor", after: "Intern" }]
        })
        // read: E002, E003, E004, E011 and the members of dept-sales (E011 joins it)
        expect(refreshed.report.refresh).toMatchObject({
          read: 5,
          corrected: 2,
          corrections: { observed: 2, absent: 0, members: 0 }
        })
        // corrected something: the source was read again for the second plan
        expect(source.state.reads - readsBefore).toBe(2)
        // state now holds Okta's view, so an ordinary plan agrees with the refreshed one
        expect((yield* sync({ loaded, mode: "plan" })).report.plan!.hash).toBe(refreshed.report.plan!.hash)
        expect((yield* store().entries("user", ["E011"])).get("E011")?.profile).toMatchObject({
          title: "Contractor"
        })
      }),
    60_000
  )

  it.scopedLive(
    "a refresh that finds state right reads the source once; a record Okta lost is planned as a create",
    () =>
      Effect.gen(function* () {
        const { h, sync } = yield* org({ simulate: { rejectShare: 0.2, seed: "refresh" } })
        const source = mutableSource(people(20))
        const loaded = yield* load(source.definition, h.emu.url, { verify: { after: "never" } })
        yield* sync({ loaded, mode: "apply" })
        const rejected = h.emu
          .simulations()
          .filter((s) => s.kind === "reject" && s.entity === "user")
          .map((s) => s.externalId)
          .sort()
        expect(rejected.length).toBeGreaterThan(0)
        source.state.rows = people(20, "Manager")
        const refreshed = yield* sync({ loaded, mode: "plan", refresh: true })
        const ops = [...refreshed.report.plan!.users]
          .filter((u) => rejected.includes(u.externalId))
          .map((u) => u.op)
        expect(ops.every((op) => op === "create")).toBe(true)
        expect(refreshed.report.refresh?.corrections.absent).toBe(rejected.length)

        const readsBefore = source.state.reads
        const again = yield* sync({
          loaded: yield* load(source.definition, h.emu.url, { verify: { after: "never" } }),
          mode: "plan",
          refresh: true
        })
        expect(again.report.refresh?.corrected).toBe(0)
        expect(source.state.reads - readsBefore).toBe(1)
      }),
    60_000
  )
})
