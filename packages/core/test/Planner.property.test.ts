import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import fc from "fast-check"
import { PipelineConfig } from "../src/config/Config.ts"
import type { SourceRow } from "../src/domain/Model.ts"
import { isEmpty, type Plan } from "../src/plan/Plan.ts"
import * as Planner from "../src/plan/Planner.ts"
import { makeMemory, StateStore, type StateStoreService } from "../src/state/StateStore.ts"

const config = PipelineConfig.parse({
  version: 1,
  okta: { orgUrl: "embedded", identitySourceId: "0oa1" },
  source: { type: "file" },
  mapping: {
    externalId: "id",
    profile: { userName: "email", email: "email", firstName: "first", lastName: "last", mobilePhone: "phone" }
  },
  filter: [{ name: "active", include: "status = 'active'" }],
  groups: [
    { externalId: "'dept-' & $lowercase(dept)", displayName: "dept" },
    { externalId: { const: "managers" }, displayName: { const: "Managers" }, when: "manager = 'y'" }
  ]
})

interface Person {
  readonly id: string
  readonly email: string
  readonly first: string
  readonly last: string | null
  readonly phone: string | number | null
  readonly dept: string
  readonly manager: string
  readonly status: string
}

const person: fc.Arbitrary<Person> = fc.record({
  id: fc.integer({ min: 1, max: 40 }).map((n) => `E${n}`),
  email: fc.constantFrom("a", "b", "c", "D").map((s) => `${s}@x.co`),
  // NFC and NFD spellings, surrounding spaces
  first: fc.constantFrom("Ann", " Ann", "Zoë", "Zoe\u0308", "Bo"),
  last: fc.constantFrom("Lee", "Müller", "Mu\u0308ller ", null),
  phone: fc.constantFrom(null, "", "555", 555, 1e21),
  dept: fc.constantFrom("Eng", "Ops", "Sales", ""),
  manager: fc.constantFrom("y", "n"),
  status: fc.constantFrom("active", "active", "active", "gone")
})
const people = fc.uniqueArray(person, { selector: (p) => p.id, maxLength: 25 })

const toRows = (ps: ReadonlyArray<Person>, file: string): Array<SourceRow> =>
  ps.map((p, i) => ({ data: { ...p }, location: `${file}:${i + 2}` }))

const planWith = (store: StateStoreService, rows: ReadonlyArray<SourceRow>, spillAfter?: number) =>
  Effect.gen(function* () {
    const compiled = yield* Planner.compile(config)
    return yield* Planner.plan(compiled, Stream.fromIterable(rows), {
      identitySourceId: "0oa1",
      configHash: "cfg",
      createdAt: "2026-01-01T00:00:00.000Z",
      ...(spillAfter !== undefined ? { spill: { after: spillAfter } } : {})
    })
  }).pipe(Effect.provideService(StateStore, store))

const apply = (store: StateStoreService, plan: Plan, n: number) =>
  store.commit({ runId: `r${n}`, at: `2026-01-0${n}T00:00:00.000Z`, changes: Planner.committedChanges(plan) })

const runP = <A>(e: Effect.Effect<A, unknown>) => Effect.runPromise(e as Effect.Effect<A>)

/** An arbitrary state: two earlier runs applied (so some records are DEACTIVATED). */
const stateAfter = (earlier: Parameters<typeof toRows>[0], middle: Parameters<typeof toRows>[0]) =>
  Effect.gen(function* () {
    const store = yield* makeMemory()
    yield* apply(store, yield* planWith(store, toRows(earlier, "old.csv")), 1)
    yield* apply(store, yield* planWith(store, toRows(middle, "mid.csv")), 2)
    return store
  })

describe("Planner properties", () => {
  it("plan(desired, state) applied to state yields desired: re-planning is empty and state holds exactly desired", async () => {
    await fc.assert(
      fc.asyncProperty(people, people, people, async (earlier, middle, desired) =>
        runP(
          Effect.gen(function* () {
            const store = yield* stateAfter(earlier, middle)

            const rows = toRows(desired, "new.csv")
            const plan = yield* planWith(store, rows)
            yield* apply(store, plan, 3)
            const again = yield* planWith(store, rows)
            expect(isEmpty(again), JSON.stringify({ users: again.users, groups: again.groups, memberships: again.memberships })).toBe(true)

            // "equal to desired": what a first run from empty state would create
            const fresh = yield* planWith(yield* makeMemory(), rows)
            const users = yield* store.list("user")
            const active = new Map(users.filter((u) => u.status === "ACTIVE").map((u) => [u.externalId, u.profile]))
            const want = new Map([...fresh.users].flatMap((u) => (u.op === "create" ? [[u.externalId, u.profile] as const] : [])))
            expect(active).toEqual(want)
            const groups = yield* store.list("group")
            const activeGroups = new Set(groups.filter((g) => g.status === "ACTIVE").map((g) => g.externalId))
            expect(activeGroups).toEqual(new Set(fresh.groups.map((g) => g.externalId)))
            const members = yield* store.memberships
            for (const m of fresh.memberships) {
              const inState = [...(members.get(m.groupExternalId) ?? [])].filter((u) => active.has(u)).sort()
              expect(inState).toEqual([...m.memberExternalIds].sort())
            }
            // active groups have no other active members (deactivated groups keep their last memberships in state)
            for (const [g, ms] of members) {
              if (activeGroups.has(g) && !fresh.memberships.some((m) => m.groupExternalId === g))
                expect([...ms].filter((u) => active.has(u))).toEqual([])
            }
          })
        )
      ),
      { numRuns: 60 }
    )
  })

  it("planning unchanged data is empty", async () => {
    await fc.assert(
      fc.asyncProperty(people, async (ps) =>
        runP(
          Effect.gen(function* () {
            const store = yield* makeMemory()
            const rows = toRows(ps, "people.csv")
            yield* apply(store, yield* planWith(store, rows), 1)
            const p = yield* planWith(store, rows)
            expect(isEmpty(p)).toBe(true)
            expect(p.summary.users.create + p.summary.users.update + p.summary.users.deactivate).toBe(0)
          })
        )
      ),
      { numRuns: 60 }
    )
  })

  it("the stores' fast paths (forEachIndex, forEachMembership) give the same plan as index and memberships", async () => {
    // the memory store has no visitors: this one adds them over its maps, as the SQLite store does over its tables
    const withVisitors = (s: StateStoreService): StateStoreService => ({
      ...s,
      forEachIndex: (kind, f) => Effect.map(s.index(kind), (m) => m.forEach((e, id) => f(id, e.hash, e.status))),
      forEachMembership: (f) =>
        Effect.map(s.memberships, (m) => {
          for (const [g, ms] of m) for (const u of ms) f(g, u)
        })
    })
    await fc.assert(
      fc.asyncProperty(people, people, people, async (earlier, middle, desired) =>
        runP(
          Effect.gen(function* () {
            const store = yield* stateAfter(earlier, middle)
            const rows = toRows(desired, "new.csv")
            const viaMaps = yield* planWith(store, rows)
            const viaVisitors = yield* planWith(withVisitors(store), rows)
            expect(viaVisitors).toEqual(viaMaps)
          })
        )
      ),
      { numRuns: 60 }
    )
  })

  it("a plan whose user changes spill to a temporary file is the same plan (changes, order, summary, hash)", async () => {
    await fc.assert(
      fc.asyncProperty(people, people, people, fc.integer({ min: 1, max: 4 }), async (earlier, middle, desired, after) =>
        runP(
          Effect.gen(function* () {
            const store = yield* stateAfter(earlier, middle)
            const rows = toRows(desired, "new.csv")
            const inMemory = yield* planWith(store, rows)
            const spilled = yield* planWith(store, rows, after)
            expect(Array.isArray(spilled.users)).toBe(inMemory.users.length < after)
            expect(spilled.users.length).toBe(inMemory.users.length)
            expect([...spilled.users]).toEqual(inMemory.users)
            // a second pass reads the file again
            expect([...spilled.users]).toEqual(inMemory.users)
            expect(spilled.summary).toEqual(inMemory.summary)
            expect(spilled.hash).toBe(inMemory.hash)
            expect(JSON.parse(JSON.stringify(spilled))).toEqual(JSON.parse(JSON.stringify(inMemory)))
            expect(Planner.committedChanges(spilled)).toEqual(Planner.committedChanges(inMemory))
          })
        )
      ),
      { numRuns: 60 }
    )
  })

  it("the plan hash does not depend on row order", async () => {
    await fc.assert(
      fc.asyncProperty(
        people,
        people.chain((ps) => {
          const rows = toRows(ps, "new.csv")
          return fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }))
        }),
        async (before, [rows, shuffled]) =>
          runP(
            Effect.gen(function* () {
              const store = yield* makeMemory()
              yield* apply(store, yield* planWith(store, toRows(before, "old.csv")), 1)
              const a = yield* planWith(store, rows)
              const b = yield* planWith(store, shuffled)
              expect(b.hash).toBe(a.hash)
            })
          )
      ),
      { numRuns: 60 }
    )
  })
})
