/** The conformance checks of the records: index, entries, upserts and deactivations, one batch, odd values, size. */
import { expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type * as StateStore from "../StateStore.ts"
import { byId, membershipsOf, t1, t2, t3, type MakeStore } from "./contract.ts"

export const recordChecks = (makeStore: MakeStore): void => {
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

  it.scoped(
    "forEachIndex and forEachMembership (where a store has them) visit exactly what index and memberships hold",
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
              externalId: "u1",
              hash: "a".repeat(64),
              profile: { email: "a@b.co" }
            },
            { kind: "user", op: "upsert", externalId: "u2", hash: "h2", profile: { email: "c@d.co" } },
            { kind: "user", op: "upsert", externalId: "u3", hash: "h3", profile: { email: "e@f.co" } },
            { kind: "group", op: "upsert", externalId: "g1", hash: "gh1", profile: { displayName: "G1" } },
            { kind: "membership", op: "add", groupExternalId: "g1", memberExternalIds: ["u1", "u2"] }
          ]
        })
        yield* store.commit({
          runId: "r2",
          at: t2,
          changes: [{ kind: "user", op: "deactivate", externalId: "u3" }]
        })
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

  it.scoped("a second upsert keeps firstSeen and replaces hash, profile, location, lastSeen, lastRunId", () =>
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
        changes: [{ kind: "user", op: "upsert", externalId: "e1", hash: "h1", profile: { email: "a@b.co" } }]
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
        changes: [{ kind: "user", op: "upsert", externalId: "e1", hash: "h1", profile: { email: "a@b.co" } }]
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
}
