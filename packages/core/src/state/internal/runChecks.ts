/** The conformance checks of memberships and lastSeen, the journal, the run history and the lock. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Scope } from "effect"
import type * as StateStore from "../StateStore.ts"
import { journal, lockedReason, membershipsOf, t1, t2, t3, type MakeStore } from "./contract.ts"

export const runChecks = (makeStore: MakeStore): void => {
  it.scoped(
    "memberships: add is idempotent, remove of absent members is a no-op, an emptied group disappears",
    () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: [
            { kind: "membership", op: "add", groupExternalId: "g1", memberExternalIds: ["u1", "u2", "u2"] },
            { kind: "membership", op: "add", groupExternalId: "g2", memberExternalIds: ["u1"] },
            { kind: "membership", op: "add", groupExternalId: "g1", memberExternalIds: ["u1"] },
            { kind: "membership", op: "remove", groupExternalId: "g3", memberExternalIds: ["u9"] },
            { kind: "membership", op: "add", groupExternalId: "g4", memberExternalIds: [] }
          ]
        })
        expect(yield* membershipsOf(store)).toEqual({ g1: ["u1", "u2"], g2: ["u1"] })
        yield* store.commit({
          runId: "r2",
          at: t2,
          changes: [
            { kind: "membership", op: "remove", groupExternalId: "g2", memberExternalIds: ["u1", "u7"] }
          ]
        })
        const m = yield* store.memberships
        expect(m.has("g2")).toBe(false)
        expect([...(m.get("g1") ?? [])].sort()).toEqual(["u1", "u2"])
      })
  )

  it.scoped(
    "the journal: saved with a commit, left alone by a commit without one, saved and cleared directly",
    () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        const first = journal("r1", [{ index: 0, uploadedBatches: [], status: "PENDING" }])
        yield* store.saveJournal(first)
        expect(yield* store.journal).toEqual(Option.some(first))

        const second = journal("r1", [
          { index: 0, oktaSessionId: "aps1", uploadedBatches: [0, 1, 2], status: "COMPLETED" },
          { index: 1, uploadedBatches: [], status: "PENDING" }
        ])
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: [{ kind: "user", op: "upsert", externalId: "e1", hash: "h", profile: {} }],
          journal: second
        })
        expect(yield* store.journal).toEqual(Option.some(second))

        yield* store.commit({ runId: "r1", at: t2, changes: [] })
        expect(yield* store.journal).toEqual(Option.some(second))

        yield* store.clearJournal
        expect(Option.isNone(yield* store.journal)).toBe(true)
        yield* store.clearJournal
        expect(Option.isNone(yield* store.journal)).toBe(true)
      })
  )

  it.scoped("touch refreshes lastSeen of known records only and changes nothing else", () =>
    Effect.gen(function* () {
      const store = yield* makeStore()
      yield* store.commit({
        runId: "r1",
        at: t1,
        changes: [
          { kind: "user", op: "upsert", externalId: "e1", hash: "h1", profile: { a: "1" } },
          { kind: "user", op: "upsert", externalId: "e2", hash: "h2", profile: { a: "2" } },
          { kind: "group", op: "upsert", externalId: "e1", hash: "g1", profile: { displayName: "G" } }
        ]
      })
      yield* store.touch("user", ["e1", "unknown"], t2)
      const entries = yield* store.entries("user", ["e1", "e2", "unknown"])
      expect(entries.size).toBe(2)
      expect(entries.get("e1")).toMatchObject({
        hash: "h1",
        status: "ACTIVE",
        firstSeen: t1,
        lastSeen: t2,
        lastRunId: "r1"
      })
      expect(entries.get("e2")?.lastSeen).toBe(t1)
      expect((yield* store.entries("group", ["e1"])).get("e1")?.lastSeen).toBe(t1)
      yield* store.touch("user", [], t3)
      expect((yield* store.entries("user", ["e1"])).get("e1")?.lastSeen).toBe(t2)
    })
  )

  it.scoped("recordRun upserts by runId; history is newest first and limited", () =>
    Effect.gen(function* () {
      const store = yield* makeStore()
      const run = (runId: string, extra: Partial<StateStore.RunRecord> = {}): StateStore.RunRecord => ({
        runId,
        identitySourceId: "0oaCONTRACT",
        startedAt: t1,
        mode: "apply",
        ...extra
      })
      yield* store.recordRun(run("r1"))
      yield* store.recordRun(run("r2", { mode: "plan", outcome: "planned" }))
      yield* store.recordRun(run("r3"))
      const finished = run("r1", {
        finishedAt: t2,
        outcome: "applied",
        planHash: "sha256:abc",
        counts: { created: 3, updated: 0 },
        message: "ok"
      })
      yield* store.recordRun(finished)
      const history = yield* store.history(10)
      expect(history.map((r) => r.runId)).toEqual(["r3", "r2", "r1"])
      expect(history[2]).toEqual(finished)
      expect(history[1]).toEqual(run("r2", { mode: "plan", outcome: "planned" }))
      expect(history[0]).toEqual(run("r3"))
      expect((yield* store.history(2)).map((r) => r.runId)).toEqual(["r3", "r2"])
      expect((yield* store.history(1)).map((r) => r.runId)).toEqual(["r3"])
    })
  )

  describe("lock", () => {
    it.scoped(
      "a second owner is refused while the lock is held, and gets it once the holder's scope closes",
      () =>
        Effect.gen(function* () {
          const store = yield* makeStore()
          const holder = yield* Scope.make()
          yield* store.lock("run-A", 60_000).pipe(Scope.extend(holder))
          const refused = yield* lockedReason(store.lock("run-B", 60_000))
          expect(refused).toBe("Locked")
          const message = yield* Effect.scoped(store.lock("run-B", 60_000)).pipe(
            Effect.flip,
            Effect.map((e) => e.message)
          )
          expect(message).toContain("run-A")
          yield* Scope.close(holder, Exit.void)
          yield* Effect.scoped(store.lock("run-B", 60_000))
        })
    )

    it.scoped("the same owner may take the lock again", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        yield* store.lock("run-A", 60_000)
        yield* Effect.scoped(store.lock("run-A", 60_000))
      })
    )

    it.scoped("an expired lease is taken over, and the old holder's release leaves the new lease alone", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        const dead = yield* Scope.make()
        yield* store.lock("dead-run", 0).pipe(Scope.extend(dead))
        const live = yield* Scope.make()
        yield* store.lock("live-run", 60_000).pipe(Scope.extend(live))
        yield* Scope.close(dead, Exit.void)
        expect(yield* lockedReason(store.lock("third-run", 60_000))).toBe("Locked")
        yield* Scope.close(live, Exit.void)
        yield* Effect.scoped(store.lock("third-run", 60_000))
      })
    )
  })
}
