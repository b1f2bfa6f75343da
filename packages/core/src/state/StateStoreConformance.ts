/**
 * Behavioural checks every StateStore implementation must pass, run against core's in-memory store and
 * the SQLite and PostgreSQL stores: `StateStoreConformance.stateStoreContract(name, makeStore)`.
 * Depends only on `@anysource/core` and `@effect/vitest`.
 *
 * `list` order is not part of the contract (memory keeps insertion order, SQLite sorts by externalId),
 * so lists are compared sorted.
 */
import type { StateError } from "../domain/Errors.ts"
import type * as StateStore from "./StateStore.ts"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Scope } from "effect"

type Store = StateStore.StateStoreService
export type MakeStore = () => Effect.Effect<Store, StateError, Scope.Scope>

const t1 = "2026-01-01T00:00:00.000Z"
const t2 = "2026-01-02T00:00:00.000Z"
const t3 = "2026-01-03T00:00:00.000Z"

const byId = (entries: ReadonlyArray<StateStore.StateEntry>) =>
  [...entries].sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0))

const membershipsOf = (store: Store) =>
  Effect.map(store.memberships, (m) =>
    Object.fromEntries(
      [...m].map(([g, members]) => [g, [...members].sort()] as const).sort(([a], [b]) => (a < b ? -1 : 1))
    )
  )

const journal = (
  runId: string,
  sessions: ReadonlyArray<StateStore.SessionCheckpoint>
): StateStore.Journal => ({
  runId,
  identitySourceId: "0oaCONTRACT",
  planHash: `plan-${runId}`,
  planJson: JSON.stringify({ runId, users: ["a", "b"] }),
  startedAt: t1,
  sessions
})

const lockedReason = <A>(effect: Effect.Effect<A, StateError, Scope.Scope>) =>
  Effect.scoped(effect).pipe(
    Effect.flip,
    Effect.map((e) => e.reason)
  )

export const stateStoreContract = (name: string, makeStore: MakeStore) =>
  describe(`StateStore contract: ${name}`, () => {
    it.scoped("a new store is empty", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        expect((yield* store.index("user")).size).toBe(0)
        expect((yield* store.index("group")).size).toBe(0)
        expect(yield* store.list("user")).toEqual([])
        expect((yield* store.memberships).size).toBe(0)
        expect((yield* store.entries("user", ["nobody"])).size).toBe(0)
        expect(Option.isNone(yield* store.journal)).toBe(true)
        expect(yield* store.history(10)).toEqual([])
      })
    )

    it.scoped("upsert stores the full entry; index holds hash and status", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: [
            {
              kind: "user",
              op: "upsert",
              externalId: "e1",
              hash: "h1",
              profile: { email: "a@b.co", mobilePhone: null },
              location: "people.csv:2"
            },
            { kind: "user", op: "upsert", externalId: "e2", hash: "h2", profile: { email: "c@d.co" } }
          ]
        })
        const index = yield* store.index("user")
        expect([...index].sort()).toEqual([
          ["e1", { hash: "h1", status: "ACTIVE" }],
          ["e2", { hash: "h2", status: "ACTIVE" }]
        ])
        const entries = yield* store.entries("user", ["e1", "e2", "missing"])
        expect(entries.size).toBe(2)
        expect(entries.get("e1")).toEqual({
          kind: "user",
          externalId: "e1",
          hash: "h1",
          status: "ACTIVE",
          profile: { email: "a@b.co", mobilePhone: null },
          location: "people.csv:2",
          firstSeen: t1,
          lastSeen: t1,
          lastRunId: "r1"
        })
        // An entry without a location has no `location` key at all.
        expect(entries.get("e2")).not.toHaveProperty("location")
        expect(byId(yield* store.list("user")).map((e) => e.externalId)).toEqual(["e1", "e2"])
      })
    )

    it.scoped("forEachIndex and forEachMembership (where a store has them) visit exactly what index and memberships hold", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: [
            { kind: "user", op: "upsert", externalId: "u1", hash: "a".repeat(64), profile: { email: "a@b.co" } },
            { kind: "user", op: "upsert", externalId: "u2", hash: "h2", profile: { email: "c@d.co" } },
            { kind: "user", op: "upsert", externalId: "u3", hash: "h3", profile: { email: "e@f.co" } },
            { kind: "group", op: "upsert", externalId: "g1", hash: "gh1", profile: { displayName: "G1" } },
            { kind: "membership", op: "add", groupExternalId: "g1", memberExternalIds: ["u1", "u2"] }
          ]
        })
        yield* store.commit({ runId: "r2", at: t2, changes: [{ kind: "user", op: "deactivate", externalId: "u3" }] })
        for (const kind of ["user", "group"] as const) {
          const viaIndex = [...(yield* store.index(kind))].map(([id, e]) => [id, e.hash, e.status]).sort()
          if (store.forEachIndex === undefined) continue
          const visited: Array<[string, string, string]> = []
          yield* store.forEachIndex(kind, (id, hash, status) => visited.push([id, hash, status]))
          expect(visited.sort()).toEqual(viaIndex)
        }
        expect([...(yield* store.index("user"))].find(([id]) => id === "u3")?.[1].status).toBe("DEACTIVATED")
        if (store.forEachMembership !== undefined) {
          const pairs: Array<[string, string]> = []
          yield* store.forEachMembership((g, m) => pairs.push([g, m]))
          expect(pairs.sort()).toEqual([
            ["g1", "u1"],
            ["g1", "u2"]
          ])
        }
      })
    )

    it.scoped(
      "a second upsert keeps firstSeen and replaces hash, profile, location, lastSeen, lastRunId",
      () =>
        Effect.gen(function* () {
          const store = yield* makeStore()
          yield* store.commit({
            runId: "r1",
            at: t1,
            changes: [
              {
                kind: "user",
                op: "upsert",
                externalId: "e1",
                hash: "h1",
                profile: { a: "1", b: "2" },
                location: "x:1"
              }
            ]
          })
          yield* store.commit({
            runId: "r2",
            at: t2,
            changes: [{ kind: "user", op: "upsert", externalId: "e1", hash: "h1b", profile: { a: "9" } }]
          })
          const e1 = (yield* store.entries("user", ["e1"])).get("e1")
          expect(e1).toEqual({
            kind: "user",
            externalId: "e1",
            hash: "h1b",
            status: "ACTIVE",
            profile: { a: "9" },
            firstSeen: t1,
            lastSeen: t2,
            lastRunId: "r2"
          })
        })
    )

    it.scoped("deactivate keeps the profile and lastSeen; unknown ids are ignored; upsert reactivates", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: [
            { kind: "user", op: "upsert", externalId: "e1", hash: "h1", profile: { email: "a@b.co" } }
          ]
        })
        yield* store.commit({
          runId: "r2",
          at: t2,
          changes: [
            { kind: "user", op: "deactivate", externalId: "e1" },
            { kind: "user", op: "deactivate", externalId: "ghost" }
          ]
        })
        const index = yield* store.index("user")
        expect(index.get("e1")).toEqual({ hash: "h1", status: "DEACTIVATED" })
        expect(index.has("ghost")).toBe(false)
        const e1 = (yield* store.entries("user", ["e1"])).get("e1")
        expect(e1).toMatchObject({
          status: "DEACTIVATED",
          lastSeen: t1,
          lastRunId: "r2",
          profile: { email: "a@b.co" }
        })

        yield* store.commit({
          runId: "r3",
          at: t3,
          changes: [
            { kind: "user", op: "upsert", externalId: "e1", hash: "h1", profile: { email: "a@b.co" } }
          ]
        })
        expect((yield* store.entries("user", ["e1"])).get("e1")).toMatchObject({
          status: "ACTIVE",
          firstSeen: t1,
          lastSeen: t3,
          lastRunId: "r3"
        })
      })
    )

    it.scoped("users and groups are separate namespaces", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: [
            { kind: "user", op: "upsert", externalId: "same", hash: "hu", profile: { email: "a@b.co" } },
            {
              kind: "group",
              op: "upsert",
              externalId: "same",
              hash: "hg",
              profile: { displayName: "Sales" }
            },
            { kind: "group", op: "deactivate", externalId: "same" }
          ]
        })
        expect((yield* store.index("user")).get("same")).toEqual({ hash: "hu", status: "ACTIVE" })
        expect((yield* store.index("group")).get("same")).toEqual({ hash: "hg", status: "DEACTIVATED" })
        expect((yield* store.list("group")).map((e) => e.kind)).toEqual(["group"])
        expect((yield* store.entries("group", ["same"])).get("same")?.profile).toEqual({
          displayName: "Sales"
        })
      })
    )

    it.scoped("changes in one batch apply in order", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: [
            { kind: "user", op: "upsert", externalId: "a", hash: "1", profile: {} },
            { kind: "user", op: "deactivate", externalId: "a" },
            { kind: "user", op: "upsert", externalId: "b", hash: "1", profile: {} },
            { kind: "user", op: "deactivate", externalId: "b" },
            { kind: "user", op: "upsert", externalId: "b", hash: "2", profile: { v: "2" } },
            { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ["a", "b"] },
            { kind: "membership", op: "remove", groupExternalId: "g", memberExternalIds: ["a"] },
            { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ["a"] },
            { kind: "membership", op: "remove", groupExternalId: "g", memberExternalIds: ["b"] }
          ]
        })
        const index = yield* store.index("user")
        expect(index.get("a")).toEqual({ hash: "1", status: "DEACTIVATED" })
        expect(index.get("b")).toEqual({ hash: "2", status: "ACTIVE" })
        expect(yield* membershipsOf(store)).toEqual({ g: ["a"] })
      })
    )

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

    it.scoped("odd identifiers and values round-trip exactly", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        const ids = [
          "ünïcödé-é",
          "with space",
          "quote'\"",
          "percent%_",
          "semi;colon--",
          "",
          "emoji-🙂",
          "a\u0000b"
        ]
        const profile = {
          "first name": "Zoë",
          empty: "",
          nothing: null,
          json: '{"x":[1,2]}',
          long: "x".repeat(5000)
        }
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: [
            ...ids.map((id) => ({
              kind: "user" as const,
              op: "upsert" as const,
              externalId: id,
              hash: `h-${id}`,
              profile
            })),
            { kind: "membership", op: "add", groupExternalId: "grp'\"", memberExternalIds: ids }
          ]
        })
        const index = yield* store.index("user")
        expect(new Set(index.keys())).toEqual(new Set(ids))
        const entries = yield* store.entries("user", ids)
        expect(entries.size).toBe(ids.length)
        for (const id of ids) expect(entries.get(id)?.profile).toEqual(profile)
        expect(new Set((yield* store.memberships).get("grp'\""))).toEqual(new Set(ids))
      })
    )

    it.scoped("a large batch lands completely", () =>
      Effect.gen(function* () {
        const store = yield* makeStore()
        const n = 5_003
        const changes: Array<StateStore.CommittedChange> = []
        for (let i = 0; i < n; i++) {
          changes.push({
            kind: "user",
            op: "upsert",
            externalId: `u${i}`,
            hash: `h${i}`,
            profile: { n: String(i) }
          })
          if (i % 7 === 0) changes.push({ kind: "user", op: "deactivate", externalId: `u${i}` })
        }
        changes.push({
          kind: "membership",
          op: "add",
          groupExternalId: "all",
          memberExternalIds: changes.flatMap((c) =>
            c.kind === "user" && c.op === "upsert" ? [c.externalId] : []
          )
        })
        yield* store.commit({ runId: "big", at: t1, changes })
        const index = yield* store.index("user")
        expect(index.size).toBe(n)
        let deactivated = 0
        for (const [id, e] of index) {
          const i = Number(id.slice(1))
          expect(e.hash).toBe(`h${i}`)
          expect(e.status).toBe(i % 7 === 0 ? "DEACTIVATED" : "ACTIVE")
          if (e.status === "DEACTIVATED") deactivated++
        }
        expect(deactivated).toBe(Math.ceil(n / 7))
        expect((yield* store.memberships).get("all")?.size).toBe(n)
        const some = yield* store.entries(
          "user",
          Array.from({ length: n }, (_, i) => `u${i}`)
        )
        expect(some.size).toBe(n)
        yield* store.touch(
          "user",
          Array.from({ length: n }, (_, i) => `u${i}`),
          t2
        )
        expect((yield* store.list("user")).every((e) => e.lastSeen === t2)).toBe(true)
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

      it.scoped(
        "an expired lease is taken over, and the old holder's release leaves the new lease alone",
        () =>
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
  })
