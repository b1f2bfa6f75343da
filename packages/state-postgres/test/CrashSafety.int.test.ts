/**
 * A connection killed in the middle of a commit (`pg_terminate_backend`, what a crashed process, a network
 * cut or the server's idle-in-transaction timeout amounts to) leaves the previous state intact.
 *
 * "In the middle" is made deterministic: a second session holds a lock the commit needs at a chosen step,
 * so the store's transaction has written everything before that step when it is killed:
 * - `memberships`: users, groups and profiles are written, memberships and the journal are not;
 * - `journal`: everything is written except the journal checkpoint (the last step).
 */
import type { StateStore } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import pg from "pg"
import { eventually, open, pgUrl, schemas, withAdmin } from "./helpers/pg.ts"

const { fresh } = schemas("crash")
const SOURCE = "0oaCRASH"

const generation = (gen: number, users: number, journalStatus: StateStore.SessionCheckpoint["status"]): StateStore.CommitBatch => {
  const changes: Array<StateStore.CommittedChange> = []
  for (let i = 0; i < users; i++)
    changes.push({ kind: "user", op: "upsert", externalId: `E${i}`, hash: `g${gen}-${i}`, profile: { email: `e${i}@example.com`, title: `title ${gen}` }, location: `people.csv:${i + 2}` })
  for (let i = 0; i < users; i += 10) changes.push({ kind: "user", op: "deactivate", externalId: `E${i + gen}` })
  changes.push({ kind: "group", op: "upsert", externalId: `dept-${gen}`, hash: `g${gen}`, profile: { displayName: `Dept ${gen}` } })
  changes.push({ kind: "membership", op: "add", groupExternalId: `dept-${gen}`, memberExternalIds: Array.from({ length: users }, (_, i) => `E${i}`) })
  if (gen > 1) changes.push({ kind: "membership", op: "remove", groupExternalId: `dept-${gen - 1}`, memberExternalIds: Array.from({ length: users / 2 }, (_, i) => `E${i}`) })
  return {
    runId: `run-${gen}`,
    at: new Date(Date.UTC(2026, 0, gen)).toISOString(),
    changes,
    journal: {
      runId: `run-${gen}`,
      identitySourceId: SOURCE,
      planHash: `plan-${gen}`,
      planJson: JSON.stringify({ gen }),
      startedAt: new Date(Date.UTC(2026, 0, gen)).toISOString(),
      sessions: [{ index: 0, oktaSessionId: `aps${gen}`, uploadedBatches: [0, 1, 2], status: journalStatus }]
    }
  }
}

const stateOf = (store: StateStore.StateStoreService) =>
  Effect.gen(function* () {
    const users = yield* store.index("user")
    const groups = yield* store.index("group")
    const members = yield* store.memberships
    const some = yield* store.entries("user", ["E0", "E1", "E4999"])
    return {
      users: [...users].sort(([a], [b]) => (a < b ? -1 : 1)),
      groups: [...groups],
      members: [...members].map(([g, m]) => [g, m.size]),
      some: [...some.values()],
      journal: Option.getOrUndefined(yield* store.journal)
    }
  })

const blockers = {
  memberships: (schema: string) => `LOCK TABLE "${schema}".memberships IN SHARE MODE`,
  journal: (schema: string) => `SELECT 1 FROM "${schema}".journal WHERE identity_source_id = '${SOURCE}' FOR UPDATE`
}

describe("a connection killed mid-commit", () => {
  for (const step of ["memberships", "journal"] as const) {
    it.scoped(
      `at the ${step} step leaves the previous state intact; the commit run again lands whole`,
      () =>
        Effect.gen(function* () {
          const schema = fresh()
          const applicationName = `anysource-crash-${step}-${process.pid}`
          const store = yield* open(schema, SOURCE, { applicationName })
          yield* store.commit(generation(1, 5_000, "COMPLETED"))
          const before = yield* stateOf(store)
          expect(before.users).toHaveLength(5_000)

          // a second session takes the lock the commit will need at `step`, and holds it
          const blocker = new pg.Client({ connectionString: pgUrl(), application_name: "anysource-crash-blocker" })
          yield* Effect.promise(() => blocker.connect())
          yield* Effect.addFinalizer(() => Effect.promise(() => blocker.end().catch(() => undefined)))
          yield* Effect.promise(() => blocker.query("BEGIN"))
          yield* Effect.promise(() => blocker.query(blockers[step](schema)))

          const next = generation(2, 5_000, "COMPLETED")
          const commit = yield* Effect.fork(store.commit(next))
          const waiting = yield* eventually(
            () =>
              withAdmin(async (c) => {
                const r = await c.query<{ pid: number; query: string }>(
                  "SELECT pid, query FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
                  [applicationName]
                )
                return r.rows
              }),
            (rows) => rows.length === 1
          )
          expect(waiting[0]!.query).toContain(step === "memberships" ? "memberships" : "journal")
          const terminated = yield* Effect.promise(() =>
            withAdmin((c) => c.query<{ ok: boolean }>("SELECT pg_terminate_backend($1) AS ok", [waiting[0]!.pid]))
          )
          expect(terminated.rows[0]?.ok).toBe(true)
          yield* Effect.promise(() => blocker.query("ROLLBACK"))

          const failed = yield* Effect.flip(Fiber.join(commit))
          expect(failed._tag).toBe("StateError")
          expect(failed.reason).toBe("Io")
          expect(failed.message).toContain("commit run run-2")

          // nothing of generation 2 is visible, not even the users written before the kill
          const after = yield* stateOf(store)
          expect(after).toEqual(before)
          expect(after.journal?.runId).toBe("run-1")

          // what the next run does (the journal still says the session is not committed): commit again
          yield* store.commit(next)
          const landed = yield* stateOf(store)
          expect(landed.users.filter(([, e]) => e.hash.startsWith("g2-"))).toHaveLength(5_000)
          expect(landed.users.filter(([, e]) => e.status === "DEACTIVATED").map(([id]) => id)).toEqual(
            Array.from({ length: 500 }, (_, k) => `E${k * 10 + 2}`).sort()
          )
          expect(landed.members).toEqual([
            ["dept-1", 2_500],
            ["dept-2", 5_000]
          ])
          expect(landed.journal?.runId).toBe("run-2")
          expect(landed.some.find((e) => e.externalId === "E1")?.profile).toEqual({ email: "e1@example.com", title: "title 2" })
        }),
      60_000
    )
  }
})
