/**
 * The conformance checks of what verification, drift and `state rebuild` need from a store: `forget` (a record Okta
 * does not hold leaves state with its memberships) and the progress of an unfinished rebuild.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type * as StateStore from "../StateStore.ts"
import { byId, journal, membershipsOf, t1, t2, t3, type MakeStore } from "./contract.ts"

const seed = (store: StateStore.StateStoreService) =>
  store.commit({
    runId: "r1",
    at: t1,
    changes: [
      {
        kind: "user",
        op: "upsert",
        externalId: "u1",
        hash: "h1",
        profile: { email: "a@b.co" },
        location: "people.csv:2"
      },
      { kind: "user", op: "upsert", externalId: "u2", hash: "h2", profile: { email: "c@d.co" } },
      { kind: "group", op: "upsert", externalId: "g1", hash: "gh1", profile: { displayName: "One" } },
      { kind: "group", op: "upsert", externalId: "g2", hash: "gh2", profile: { displayName: "Two" } },
      { kind: "membership", op: "add", groupExternalId: "g1", memberExternalIds: ["u1", "u2"] },
      { kind: "membership", op: "add", groupExternalId: "g2", memberExternalIds: ["u1"] }
    ]
  })

const progress = (
  phase: StateStore.RebuildProgress["phase"],
  after?: string
): StateStore.RebuildProgress => ({
  runId: "rebuild-1",
  startedAt: t1,
  updatedAt: t2,
  phase,
  ...(after !== undefined ? { after } : {}),
  counts: { matched: 3, differ: 1, notInOkta: 0 }
})

export const proofChecks = (makeStore: MakeStore): void => {
  it.scoped("forget drops a user, its profile and every membership naming it; the rest stays", () =>
    Effect.gen(function* () {
      const store = yield* makeStore()
      yield* seed(store)
      yield* store.commit({
        runId: "r2",
        at: t2,
        changes: [{ kind: "user", op: "forget", externalId: "u1" }]
      })
      expect([...(yield* store.index("user")).keys()]).toEqual(["u2"])
      expect((yield* store.entries("user", ["u1"])).size).toBe(0)
      expect(byId(yield* store.list("user")).map((e) => e.externalId)).toEqual(["u2"])
      // g2 had only u1: a group without members is not listed
      expect(yield* membershipsOf(store)).toEqual({ g1: ["u2"] })
      expect((yield* store.index("group")).size).toBe(2)
    })
  )

  it.scoped("forget drops a group and its memberships; forgetting an unknown record changes nothing", () =>
    Effect.gen(function* () {
      const store = yield* makeStore()
      yield* seed(store)
      yield* store.commit({
        runId: "r2",
        at: t2,
        changes: [
          { kind: "group", op: "forget", externalId: "g1" },
          { kind: "user", op: "forget", externalId: "nobody" },
          { kind: "group", op: "forget", externalId: "nothing" }
        ]
      })
      expect([...(yield* store.index("group")).keys()]).toEqual(["g2"])
      expect(yield* membershipsOf(store)).toEqual({ g2: ["u1"] })
      expect((yield* store.index("user")).size).toBe(2)
    })
  )

  it.scoped("changes of one batch apply in order: forget then upsert brings the record back as new", () =>
    Effect.gen(function* () {
      const store = yield* makeStore()
      yield* seed(store)
      yield* store.commit({
        runId: "r2",
        at: t3,
        changes: [
          { kind: "user", op: "forget", externalId: "u2" },
          {
            kind: "user",
            op: "upsert",
            externalId: "u2",
            hash: "h2b",
            profile: { email: "c@d.co", title: "New" }
          },
          { kind: "user", op: "upsert", externalId: "u3", hash: "h3", profile: { email: "e@f.co" } },
          { kind: "user", op: "forget", externalId: "u3" }
        ]
      })
      const u2 = (yield* store.entries("user", ["u2"])).get("u2")
      expect(u2).toMatchObject({
        hash: "h2b",
        status: "ACTIVE",
        firstSeen: t3,
        lastRunId: "r2",
        profile: { title: "New" }
      })
      expect((yield* store.entries("user", ["u3"])).size).toBe(0)
      // u2's memberships went with the forget and do not come back with the upsert
      expect(yield* membershipsOf(store)).toEqual({ g1: ["u1"], g2: ["u1"] })
    })
  )

  it.scoped(
    "a rebuild's progress is absent, then saved, overwritten and cleared, apart from the journal",
    () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        expect(Option.isNone(yield* store.rebuildProgress)).toBe(true)
        yield* store.saveJournal(journal("run-a", []))
        yield* store.saveRebuildProgress(progress("users"))
        expect(yield* store.rebuildProgress).toEqual(Option.some(progress("users")))
        yield* store.saveRebuildProgress(progress("groups", "g-0042"))
        expect(yield* store.rebuildProgress).toEqual(Option.some(progress("groups", "g-0042")))
        yield* store.clearRebuildProgress
        expect(Option.isNone(yield* store.rebuildProgress)).toBe(true)
        // the apply journal is a different thing and stays
        expect(Option.map(yield* store.journal, (j) => j.runId)).toEqual(Option.some("run-a"))
        yield* store.clearRebuildProgress
        expect(Option.isNone(yield* store.rebuildProgress)).toBe(true)
      })
  )
}
