import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { PipelineConfig, type PipelineConfigInput } from "../src/config/Config.ts"
import type { SourceRow } from "../src/domain/Model.ts"
import { isEmpty, type Plan } from "../src/plan/Plan.ts"
import * as PlanJson from "../src/plan/PlanJson.ts"
import * as Planner from "../src/plan/Planner.ts"
import { makeMemory, StateStore, type StateStoreService } from "../src/state/StateStore.ts"

const baseConfig: PipelineConfigInput = {
  version: 1,
  okta: { orgUrl: "embedded", identitySourceId: "0oa1" },
  source: { type: "file" },
  mapping: { externalId: "id", profile: { userName: "email", email: "email", firstName: "first", lastName: "last" } }
}
const config = (extra: Partial<PipelineConfigInput> = {}) => PipelineConfig.parse({ ...baseConfig, ...extra })

interface Person {
  id: string
  email?: string
  first?: string
  last?: string
  dept?: string
  status?: string
}
const rows = (people: ReadonlyArray<Person>, file = "people.csv"): Array<SourceRow> =>
  people.map((p, i) => ({ data: { ...p }, location: `${file}:${i + 2}` }))

const ann: Person = { id: "E1", email: "ann@x.co", first: "Ann", last: "Lee", dept: "Eng", status: "active" }
const bob: Person = { id: "E2", email: "bob@x.co", first: "Bob", last: "Ray", dept: "Eng", status: "active" }
const cat: Person = { id: "E3", email: "cat@x.co", first: "Cat", last: "Kim", dept: "Ops", status: "active" }

const plan = (store: StateStoreService, c: PipelineConfig, input: ReadonlyArray<SourceRow>) =>
  Effect.gen(function* () {
    const compiled = yield* Planner.compile(c)
    return yield* Planner.plan(compiled, Stream.fromIterable(input), {
      identitySourceId: "0oa1",
      configHash: "cfg",
      createdAt: "2026-01-01T00:00:00.000Z"
    })
  }).pipe(Effect.provideService(StateStore, store))

let run = 0
const commit = (store: StateStoreService, p: Plan) =>
  store.commit({ runId: `r${++run}`, at: `2026-01-0${Math.min(run, 9)}T00:00:00.000Z`, changes: Planner.committedChanges(p) })

/** Plan and commit, returning the plan. */
const sync = (store: StateStoreService, c: PipelineConfig, input: ReadonlyArray<SourceRow>) =>
  Effect.tap(plan(store, c, input), (p) => commit(store, p))

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isFailure(exit) && exit.cause._tag === "Fail") return exit.cause.error
  throw new Error(`expected a failure, got ${String(exit)}`)
}

const deptGroups: Partial<PipelineConfigInput> = {
  groups: [{ externalId: "'dept-' & $lowercase(dept)", displayName: "dept" }]
}

describe("Planner: users", () => {
  it.effect("first run creates everyone; applied, the next plan over the same rows is empty", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const first = yield* sync(store, config(), rows([bob, ann]))
      expect([...first.users].map((u) => [u.op, u.externalId])).toEqual([
        ["create", "E1"],
        ["create", "E2"]
      ])
      expect([...first.users][0]).toMatchObject({ location: "people.csv:3", profile: { email: "ann@x.co", userName: "ann@x.co" } })
      expect(first.summary.users).toEqual({ create: 2, update: 0, reactivate: 0, deactivate: 0, unchanged: 0, held: 0 })
      expect(first.summary.baseline).toEqual({ users: 0, groups: 0, memberships: 0 })
      expect(first.hash).toBe(PlanJson.hash(first))
      const second = yield* plan(store, config(), rows([bob, ann]))
      expect(isEmpty(second)).toBe(true)
      expect(second.summary.users).toMatchObject({ unchanged: 2, create: 0 })
      expect(second.summary.baseline?.users).toBe(2)
      expect(second.inputs.stateHash).not.toBe(first.inputs.stateHash)
    })
  )

  it.effect("an update carries the field-level diff", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      yield* sync(store, config(), rows([ann, bob]))
      const p = yield* plan(store, config(), rows([{ ...ann, last: "Lee-Smith", email: "ANN.LEE@X.CO" }, bob]))
      expect(p.users).toEqual([
        {
          op: "update",
          externalId: "E1",
          location: "people.csv:2",
          hash: expect.any(String),
          profile: { email: "ann.lee@x.co", firstName: "Ann", lastName: "Lee-Smith", userName: "ann.lee@x.co" },
          fields: [
            { field: "email", before: "ann@x.co", after: "ann.lee@x.co" },
            { field: "lastName", before: "Lee", after: "Lee-Smith" },
            { field: "userName", before: "ann@x.co", after: "ann.lee@x.co" }
          ]
        }
      ])
      expect(p.summary.users).toMatchObject({ update: 1, unchanged: 1 })
    })
  )

  it.effect("NFD and NFC spellings of the same name are unchanged after normalization", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      yield* sync(store, config(), rows([{ ...ann, first: "Zoë", last: "Müller" }]))
      const p = yield* plan(store, config(), rows([{ ...ann, first: "Zoe\u0308", last: " Mu\u0308ller " }]))
      expect(isEmpty(p)).toBe(true)
      expect(p.summary.users.unchanged).toBe(1)
    })
  )

  it.effect("a record absent from the source is deactivated as missing, with where it was last seen", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      yield* sync(store, config(), rows([ann, bob]))
      const p = yield* plan(store, config(), rows([ann]))
      expect(p.users).toEqual([{ op: "deactivate", externalId: "E2", reason: "missing", lastSeen: expect.any(String), lastLocation: "people.csv:3" }])
    })
  )

  it.effect("a record excluded by a filter rule is deactivated as filtered, naming the rule; exclusions are counted by rule", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const c = config({
        filter: [
          { name: "active", include: "status = 'active'" },
          { name: "has-email", include: "$exists(email)" }
        ]
      })
      yield* sync(store, c, rows([ann, bob, cat]))
      const { email: _e, ...noEmail } = cat
      const p = yield* plan(store, c, rows([ann, { ...bob, status: "terminated" }, noEmail, { ...noEmail, id: "E9", status: "x" }]))
      expect(p.users).toEqual([
        expect.objectContaining({ op: "deactivate", externalId: "E2", reason: "filtered", filterRule: "active" }),
        expect.objectContaining({ op: "deactivate", externalId: "E3", reason: "filtered", filterRule: "has-email" })
      ])
      expect(p.summary.excluded).toEqual({ active: 2, "has-email": 1 })
      expect(p.summary.rowsRead).toBe(4)
    })
  )

  it.effect("SAFETY: an ACTIVE record whose row is invalid is held, not deactivated, and reported with its location", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      yield* sync(store, config(), rows([ann, bob]))
      const p = yield* plan(store, config(), rows([ann, { ...bob, email: "bob-at-x" }]))
      expect(p.users).toEqual([])
      expect(p.summary.users).toMatchObject({ held: 1, deactivate: 0, unchanged: 1 })
      expect(p.summary.invalid).toBe(1)
      expect(p.issues).toEqual([{
        kind: "invalid",
        location: "people.csv:3",
        externalId: "E2",
        field: "email",
        message: 'email "bob-at-x" is not a valid email address'
      }])
      expect(p.summary.issueCounts).toEqual({ invalid: p.issues.length })
    })
  )

  it.effect("SAFETY: a mapping failure of an ACTIVE record holds it too", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const c = config({
        mapping: { externalId: "id", profile: { userName: "email", email: "email", firstName: "first", lastName: "$uppercase(last)" } }
      })
      yield* sync(store, c, rows([ann]))
      const p = yield* plan(store, c, rows([{ ...ann, last: { a: 1 } as unknown as string }]))
      expect(p.users).toEqual([])
      expect(p.summary.users.held).toBe(1)
      expect(p.issues[0]).toMatchObject({ kind: "mapping", location: "people.csv:2", externalId: "E1", field: "lastName" })
    })
  )

  it.effect("a DEACTIVATED record that is back is reactivated, with its field diff", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      yield* sync(store, config(), rows([ann, bob]))
      yield* sync(store, config(), rows([ann]))
      expect((yield* store.index("user")).get("E2")?.status).toBe("DEACTIVATED")
      const p = yield* plan(store, config(), rows([ann, { ...bob, first: "Robert" }]))
      expect(p.users).toEqual([
        expect.objectContaining({ op: "reactivate", externalId: "E2", fields: [{ field: "firstName", before: "Bob", after: "Robert" }] })
      ])
      expect(p.summary.users).toMatchObject({ reactivate: 1, unchanged: 1 })
      expect(p.summary.baseline?.users).toBe(1)
    })
  )

  it.effect("a duplicate externalId fails the run, naming both locations", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const exit = yield* Effect.exit(plan(store, config(), rows([ann, bob, { ...cat, id: "E1" }, { ...cat, id: "E1" }])))
      const e = failure(exit)
      expect(e._tag).toBe("ValidationError")
      if (e._tag !== "ValidationError") return
      expect(e.issues[0]).toEqual({
        kind: "duplicate",
        location: "people.csv:4",
        externalId: "E1",
        field: "externalId",
        message: 'duplicate externalId "E1": rows people.csv:2 and people.csv:4 both have it'
      })
      expect(e.reason).toBe("Duplicate")
      expect(e.issues).toHaveLength(2)
      expect(e.message).toMatch(/^2 duplicate externalIds in the source; .*people\.csv:2 and people\.csv:4/)
    })
  )

  it.effect("a filtered-out row with the externalId of a synced row is a warning naming both rows (before or after it), not silence", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const c = config({ filter: [{ name: "active", include: "status = 'active'" }] })
      const leaver = { ...bob, id: "E1", status: "terminated" }
      // the excluded row after the synced one, and before it (E3)
      const p = yield* plan(store, c, rows([ann, leaver, { ...cat, status: "terminated" }, bob, cat]))
      expect([...p.users].map((u) => [u.op, u.externalId])).toEqual([
        ["create", "E1"],
        ["create", "E2"],
        ["create", "E3"]
      ])
      expect([...p.users][0]).toMatchObject({ location: "people.csv:2" })
      expect(p.issues).toEqual([
        {
          kind: "duplicate",
          location: "people.csv:3",
          externalId: "E1",
          field: "externalId",
          message: 'duplicate externalId "E1": this row is excluded by filter "active", the row at people.csv:2 is synced'
        },
        {
          kind: "duplicate",
          location: "people.csv:4",
          externalId: "E3",
          field: "externalId",
          message: 'duplicate externalId "E3": this row is excluded by filter "active", the row at people.csv:6 is synced'
        }
      ])
      expect(p.summary.issueCounts).toEqual({ duplicate: 2 })
      // two excluded rows with one id (nothing of theirs is synced) are not reported
      const gone = { ...cat, id: "E7", status: "terminated" }
      const both = yield* plan(store, c, rows([ann, gone, { ...gone, first: "Other" }]))
      expect(both.issues).toEqual([])
      // and an invalid row with the id still counts as the synced side
      const invalid = yield* plan(store, c, rows([{ ...ann, email: "not-an-email" }, leaver]))
      expect(invalid.issues.filter((i) => i.kind === "duplicate")).toEqual([
        expect.objectContaining({ location: "people.csv:3", message: expect.stringContaining("the row at people.csv:2 is synced") })
      ])
    })
  )

  it.effect("validation.strict turns invalid rows into a ValidationError", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const e = failure(yield* Effect.exit(plan(store, config({ validation: { strict: true } }), rows([ann, { ...bob, first: "x".repeat(51) }]))))
      expect(e).toMatchObject({ _tag: "ValidationError", reason: "Invalid" })
      expect(e.message).toBe(
        "1 source row invalid and validation.strict is true. people.csv:3: firstName is 51 characters; the limit is 50"
      )
    })
  )

  it.effect("a filter that yields a non-boolean stops the run with a ConfigError", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const e = failure(yield* Effect.exit(plan(store, config({ filter: "status" }), rows([ann]))))
      expect(e._tag).toBe("ConfigError")
      expect(e.message).toContain('filter rule "filter" must yield true or false')
    })
  )

  it.effect("expressions that need jsonata's async evaluator give the same plan as the sync path", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const syncCfg = config({ mapping: { externalId: "id", profile: { userName: "email", email: "email", firstName: "$uppercase(first)", lastName: "last" } } })
      const asyncCfg = config({
        mapping: { externalId: "id", profile: { userName: "email", email: "email", firstName: "$join([$uppercase(first)])", lastName: "last" } }
      })
      const a = yield* plan(store, syncCfg, rows([ann, bob]))
      const b = yield* plan(store, asyncCfg, rows([ann, bob]))
      expect(b.users).toEqual(a.users)
      expect([...a.users][0]).toMatchObject({ profile: { firstName: "ANN" } })
    })
  )

  it.effect("lists at most 1,000 issues, in location order, and counts them all", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const bad = Array.from({ length: 1500 }, (_, i) => ({ ...ann, id: `B${i}`, email: "bad-email" }))
      const p = yield* plan(store, config({ mapping: { externalId: "id", profile: { userName: "id", email: "email" } } }), rows([...bad].reverse()))
      expect(p.issues).toHaveLength(1000)
      expect(p.summary.invalid).toBe(1500)
      expect(p.summary.issueCounts).toEqual({ invalid: 1500 })
      expect(p.issues[0]?.location).toBe("people.csv:2")
      expect(p.issues[999]?.location).toBe("people.csv:1001")
    })
  )

  it.effect("rows without a usable externalId are reported and cannot be matched", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const p = yield* plan(store, config(), rows([ann, { ...bob, id: "" }, { ...cat, id: "x".repeat(513) }]))
      expect(p.summary.users.create).toBe(1)
      expect(p.summary.invalid).toBe(2)
      expect(p.issues.map((i) => [i.location, i.message])).toEqual([
        ["people.csv:3", "externalId is empty"],
        ["people.csv:4", "externalId is 513 characters; Okta allows at most 512"]
      ])
    })
  )
})

describe("Planner: groups and memberships", () => {
  it.effect("creates groups from rows and adds their members", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const p = yield* sync(store, config(deptGroups), rows([ann, bob, cat]))
      expect(p.groups.map((g) => [g.op, g.externalId, g.op !== "deactivate" ? g.profile : undefined])).toEqual([
        ["create", "dept-eng", { displayName: "Eng" }],
        ["create", "dept-ops", { displayName: "Ops" }]
      ])
      expect(p.memberships).toEqual([
        { op: "add", groupExternalId: "dept-eng", memberExternalIds: ["E1", "E2"] },
        { op: "add", groupExternalId: "dept-ops", memberExternalIds: ["E3"] }
      ])
      expect(p.summary.memberships).toEqual({ add: 3, remove: 0 })
      expect(isEmpty(yield* plan(store, config(deptGroups), rows([ann, bob, cat])))).toBe(true)
    })
  )

  it.effect("a user who moves is removed from the old group and added to the new one", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      yield* sync(store, config(deptGroups), rows([ann, bob, cat]))
      const p = yield* plan(store, config(deptGroups), rows([ann, { ...bob, dept: "Ops" }, cat]))
      expect(p.memberships).toEqual([
        { op: "remove", groupExternalId: "dept-eng", memberExternalIds: ["E2"] },
        { op: "add", groupExternalId: "dept-ops", memberExternalIds: ["E2"] }
      ])
      expect(p.summary.memberships).toEqual({ add: 1, remove: 1 })
      expect(p.summary.baseline?.memberships).toBe(3)
    })
  )

  it.effect("a group no row yields is deactivated; its memberships and those of deactivated users are not sent as removals", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      yield* sync(store, config(deptGroups), rows([ann, bob, cat]))
      const p = yield* plan(store, config(deptGroups), rows([ann]))
      expect(p.groups).toEqual([expect.objectContaining({ op: "deactivate", externalId: "dept-ops", reason: "missing" })])
      expect([...p.users].map((u) => [u.op, u.externalId])).toEqual([
        ["deactivate", "E2"],
        ["deactivate", "E3"]
      ])
      expect(p.memberships).toEqual([])
    })
  )

  it.effect("a reactivated user gets their memberships re-sent", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      yield* sync(store, config(deptGroups), rows([ann, bob]))
      yield* sync(store, config(deptGroups), rows([ann]))
      const p = yield* plan(store, config(deptGroups), rows([ann, bob]))
      expect(p.users).toEqual([expect.objectContaining({ op: "reactivate", externalId: "E2" })])
      expect(p.memberships).toEqual([{ op: "add", groupExternalId: "dept-eng", memberExternalIds: ["E2"] }])
    })
  )

  it.effect("a held (invalid) member keeps its memberships; an invalid row still yields its groups", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      yield* sync(store, config(deptGroups), rows([ann, bob, cat]))
      const p = yield* plan(store, config(deptGroups), rows([ann, bob, { ...cat, email: "broken" }]))
      expect(p.users).toEqual([])
      expect(p.groups).toEqual([])
      expect(p.memberships).toEqual([])
      expect(p.summary.users.held).toBe(1)
    })
  )

  it.effect("an invalid group is reported and held, never created or deactivated", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const c = config({ groups: [{ externalId: "'dept-' & dept", displayName: "name" }] })
      const p = yield* plan(store, c, rows([ann]))
      expect(p.groups).toEqual([])
      expect(p.memberships).toEqual([])
      expect(p.issues).toEqual([
        {
          kind: "invalid",
          location: "people.csv:2",
          externalId: "dept-Eng",
          field: "groups[0].displayName",
          message: 'group "dept-Eng": displayName is required but empty'
        }
      ])
      expect([...p.users].map((u) => u.op)).toEqual(["create"])
    })
  )

  it.effect("rows that disagree on a group's name are reported; the smallest location wins whatever the row order", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const c = config({ groups: [{ externalId: "'dept'", displayName: "dept" }] })
      const a = yield* plan(store, c, rows([ann, cat]))
      const b = yield* plan(store, c, [...rows([ann, cat])].reverse())
      expect(a.groups).toEqual([expect.objectContaining({ op: "create", externalId: "dept", profile: { displayName: "Eng" }, location: "people.csv:2" })])
      expect(b.hash).toBe(a.hash)
      expect(a.issues).toEqual([
        expect.objectContaining({ kind: "invalid", externalId: "dept", message: expect.stringContaining('using "Eng" from people.csv:2') })
      ])
    })
  )

  it.effect("a member whose externalId is longer than 255 cannot join groups (reported), but is still synced", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const long = "L".repeat(300)
      const p = yield* plan(store, config(deptGroups), rows([{ ...ann, id: long }]))
      expect([...p.users].map((u) => u.op)).toEqual(["create"])
      expect(p.memberships).toEqual([])
      expect(p.issues[0]?.message).toMatch(/cannot join groups/)
    })
  )
})

describe("Planner: a mapping that names a column the source does not have", () => {
  it.effect("fails with one ConfigError naming the config path, the column and the columns the rows have", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const c = config({ mapping: { externalId: "employee_id", profile: { userName: "email", email: "email", firstName: "first", lastName: "last" } } })
      const error = failure(yield* Effect.exit(plan(store, c, rows([ann, bob]))))
      expect(error._tag).toBe("ConfigError")
      if (error._tag !== "ConfigError") return
      expect(error.path).toBe("mapping.externalId")
      expect(error.message).toContain('copies the column "employee_id"')
      expect(error.message).toContain('people.csv:2 has the columns "id", "email"')
    })
  )

  it.effect("a column present in some rows only (sparse JSON) is not an error", () =>
    Effect.gen(function* () {
      const store = yield* makeMemory()
      const c = config({ mapping: { externalId: "id", profile: { userName: "email", email: "email", firstName: "first", lastName: "last", department: "dept" } }, schema: { users: { attributes: { department: {} } } } })
      const p = yield* plan(store, c, rows([{ id: "E9", email: "x@x.co", first: "X", last: "Y" }, ann]))
      expect(p.summary.users.create).toBe(2)
    })
  )
})
