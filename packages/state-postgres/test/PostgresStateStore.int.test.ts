/** PostgreSQL-specific behaviour beyond the shared contract. */
import type { StateStore } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import * as PostgresStateStore from "../src/PostgresStateStore.ts"
import { admin, open, schemas } from "./helpers/pg.ts"

const { fresh } = schemas("store")
const at = "2026-03-01T12:00:00.000Z"

const journal = (runId: string, sessions: ReadonlyArray<StateStore.SessionCheckpoint>, planJson = JSON.stringify({ big: "x".repeat(100_000) })): StateStore.Journal => ({
  runId,
  identitySourceId: "0oaPG",
  planHash: `hash-${runId}`,
  planJson,
  startedAt: at,
  sessions
})

const pending = (n: number): Array<StateStore.SessionCheckpoint> => Array.from({ length: n }, (_, index) => ({ index, uploadedBatches: [], status: "PENDING" }))

describe("PostgresStateStore", () => {
  it.scoped("one schema keeps several identity sources apart", () =>
    Effect.gen(function* () {
      const schema = fresh()
      const a = yield* open(schema, "0oaA")
      const b = yield* open(schema, "0oaB")
      yield* a.commit({ runId: "r", at, changes: [{ kind: "user", op: "upsert", externalId: "E1", hash: "ha", profile: { email: "a@x.co" } }, { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ["E1"] }] })
      yield* b.commit({ runId: "r", at, changes: [{ kind: "user", op: "upsert", externalId: "E1", hash: "hb", profile: { email: "b@x.co" } }] })
      yield* a.saveJournal(journal("ra", pending(1)))
      yield* a.lock("run-a", 60_000)
      yield* Effect.scoped(b.lock("run-b", 60_000))
      expect((yield* a.index("user")).get("E1")?.hash).toBe("ha")
      expect((yield* b.index("user")).get("E1")?.hash).toBe("hb")
      expect((yield* b.memberships).size).toBe(0)
      expect(Option.isNone(yield* b.journal)).toBe(true)
    })
  )

  it.scoped("a checkpoint rewrites only the changed session rows, never the stored plan", () =>
    Effect.gen(function* () {
      const schema = fresh()
      const store = yield* open(schema)
      const rows = () =>
        admin(async (c) => ({
          head: (await c.query(`SELECT xmin::text AS x, length(plan_json) AS len FROM "${schema}".journal`)).rows[0] as { x: string; len: number },
          sessions: (await c.query(`SELECT position, xmin::text AS x, status FROM "${schema}".journal_sessions ORDER BY position`)).rows as Array<{ position: number; x: string; status: string }>
        }))
      yield* store.saveJournal(journal("r1", pending(3)))
      const first = yield* rows()
      expect(first.head.len).toBeGreaterThan(100_000)

      const cp1: Array<StateStore.SessionCheckpoint> = [{ index: 0, oktaSessionId: "aps1", uploadedBatches: [0, 1], status: "UPLOADING" }, ...pending(3).slice(1)]
      // the orchestrator passes the whole journal each time; the plan text is not sent again
      yield* store.saveJournal(journal("r1", cp1, "(not stored: same run and plan hash)"))
      const second = yield* rows()
      expect(second.head).toEqual(first.head)
      expect(second.sessions[0]!.x).not.toBe(first.sessions[0]!.x)
      expect(second.sessions.slice(1).map((s) => s.x)).toEqual(first.sessions.slice(1).map((s) => s.x))

      const done: StateStore.SessionCheckpoint = { index: 0, oktaSessionId: "aps1", uploadedBatches: [0, 1, 2], status: "COMPLETED" }
      yield* store.commit({ runId: "r1", at, changes: [], journal: journal("r1", [done, ...pending(3).slice(1)], "(not stored)") })
      const read = Option.getOrThrow(yield* store.journal)
      expect(read.planJson).toBe(journal("r1", []).planJson)
      expect(read.sessions[0]).toEqual(done)
      expect((yield* rows()).head).toEqual(first.head)

      // a new run replaces the plan and its checkpoints
      yield* store.saveJournal(journal("r2", pending(1), "{\"plan\":2}"))
      const replaced = Option.getOrThrow(yield* store.journal)
      expect(replaced).toEqual(journal("r2", pending(1), "{\"plan\":2}"))
      expect((yield* rows()).sessions).toHaveLength(1)
    })
  )

  it.scoped("ids are stored readable; only U+0000 and U+0001 are escaped", () =>
    Effect.gen(function* () {
      const schema = fresh()
      const store = yield* open(schema)
      yield* store.commit({
        runId: "r1",
        at,
        changes: [
          { kind: "user", op: "upsert", externalId: "E42 Zoë", hash: "h", profile: { email: "z@x.co" }, location: "people.csv:7" },
          { kind: "user", op: "upsert", externalId: "nul\u0000id", hash: "h", profile: { note: "a\u0000b" } }
        ]
      })
      const raw = yield* admin(async (c) => (await c.query(`SELECT external_id, profile::text AS p, location FROM "${schema}".entities JOIN "${schema}".profiles USING (identity_source_id, kind, external_id) ORDER BY external_id`)).rows)
      expect(raw).toEqual([
        { external_id: "E42 Zoë", p: '{"email":"z@x.co"}', location: "people.csv:7" },
        { external_id: "nul\u00010id", p: '{"note":"a\\u0000b"}', location: null }
      ])
      expect((yield* store.entries("user", ["nul\u0000id"])).get("nul\u0000id")?.profile).toEqual({ note: "a\u0000b" })
    })
  )

  it.scoped(
    "a 10,000-user commit (with profiles, deactivations and 10,000 memberships) is fast",
    () =>
      Effect.gen(function* () {
        const schema = fresh()
        const store = yield* open(schema)
        const changes: Array<StateStore.CommittedChange> = []
        for (let i = 0; i < 10_000; i++)
          changes.push({
            kind: "user",
            op: "upsert",
            externalId: `E${String(i).padStart(6, "0")}`,
            hash: `sha256:${i}`,
            profile: { userName: `u${i}@example.com`, email: `u${i}@example.com`, firstName: "First", lastName: `Last${i}`, title: "Engineer", department: `Dept ${i % 20}`, city: "Zürich", managerId: `E${i % 100}` },
            location: `people.csv:${i + 2}`
          })
        changes.push({ kind: "membership", op: "add", groupExternalId: "everyone", memberExternalIds: changes.map((c) => (c.kind === "user" ? c.externalId : "")) })
        const started = Date.now()
        yield* store.commit({ runId: "big", at, changes })
        const firstMillis = Date.now() - started
        // the second commit updates every row (the common case of a re-sync with changes)
        const updated = changes.map((c) => (c.kind === "user" && c.op === "upsert" ? { ...c, hash: `${c.hash}b` } : c))
        const again = Date.now()
        yield* store.commit({ runId: "big2", at, changes: updated })
        const secondMillis = Date.now() - again
        expect((yield* store.index("user")).size).toBe(10_000)
        expect((yield* store.memberships).get("everyone")?.size).toBe(10_000)
        // generous bounds for a shared 2-core machine; typically well under a second each
        expect(firstMillis).toBeLessThan(8_000)
        expect(secondMillis).toBeLessThan(8_000)
      }),
    30_000
  )

  it.scoped("an unreachable server fails with Io naming host:port/database, never the password", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        PostgresStateStore.make({
          url: Redacted.make("postgres://anysource:S3cr3t-Pa55@127.0.0.1:1/statedb"),
          identitySourceId: "0oaX",
          connectTimeoutMillis: 2_000
        })
      )
      expect(error.reason).toBe("Io")
      expect(error.message).toContain("127.0.0.1:1/statedb")
      expect(error.message).toContain('schema "anysource"')
      expect(JSON.stringify(error)).not.toContain("S3cr3t")
      expect(String(error)).not.toContain("S3cr3t")
    })
  )
})
