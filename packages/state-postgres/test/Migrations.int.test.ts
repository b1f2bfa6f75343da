/**
 * Migrations: versioned in `<schema>.schema_migrations`, one transaction under an advisory lock, so
 * processes starting together are safe; a failing migration changes nothing; a newer schema is refused.
 */
import { StateError } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as PostgresStateStore from "../src/PostgresStateStore.ts"
import { migrate, migrations, type Migration } from "../src/internal/schema.ts"
import { admin, open, schemas, withAdmin } from "./helpers/pg.ts"

const { fresh } = schemas("migr")

const versions = (schema: string) =>
  admin(async (c) => (await c.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).rows.map((r) => r.version))

const tables = (schema: string) =>
  admin(async (c) =>
    (await c.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema])).rows.map(
      (r) => r.table_name
    )
  )

describe("migrations", () => {
  it.scoped(
    "eight stores opening a fresh schema at once all succeed; each migration runs once",
    () =>
      Effect.gen(function* () {
        const schema = fresh()
        const stores = yield* Effect.all(
          Array.from({ length: 8 }, (_, i) => open(schema, `0oaMIG${i}`)),
          { concurrency: "unbounded" }
        )
        expect(stores).toHaveLength(8)
        expect(yield* versions(schema)).toEqual(migrations.map((m) => m.version))
        expect((yield* versions(schema)).at(-1)).toBe(PostgresStateStore.schemaVersion)
        expect(yield* tables(schema)).toEqual(["entities", "journal", "journal_sessions", "locks", "memberships", "profiles", "rebuild_progress", "runs", "schema_migrations"])
        // and they work side by side
        yield* Effect.forEach(stores, (s, i) => s.commit({ runId: `r${i}`, at: "2026-01-01T00:00:00.000Z", changes: [{ kind: "user", op: "upsert", externalId: "same", hash: `h${i}`, profile: {} }] }), {
          concurrency: "unbounded"
        })
        expect((yield* stores[3]!.index("user")).get("same")?.hash).toBe("h3")
      }),
    30_000
  )

  it.scoped("reopening a migrated schema keeps its data and applies nothing again", () =>
    Effect.gen(function* () {
      const schema = fresh()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const store = yield* open(schema)
          yield* store.commit({ runId: "r1", at: "2026-01-01T00:00:00.000Z", changes: [{ kind: "group", op: "upsert", externalId: "g", hash: "h", profile: { displayName: "G" } }] })
        })
      )
      const applied = yield* admin(async (c) => (await c.query(`SELECT applied_at FROM "${schema}".schema_migrations`)).rows)
      const store = yield* open(schema)
      expect((yield* store.index("group")).get("g")).toEqual({ hash: "h", status: "ACTIVE" })
      expect(yield* admin(async (c) => (await c.query(`SELECT applied_at FROM "${schema}".schema_migrations`)).rows)).toEqual(applied)
    })
  )

  it.scoped("a schema written by a newer anysource is refused with Migration", () =>
    Effect.gen(function* () {
      const schema = fresh()
      yield* Effect.scoped(open(schema))
      yield* admin((c) => c.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (99, 'from the future')`))
      const error = yield* Effect.flip(Effect.scoped(open(schema)))
      expect(error.reason).toBe("Migration")
      expect(error.message).toContain("version 99")
    })
  )

  it("a failing migration rolls back with its version row: the schema stays at the previous version", async () => {
    const schema = fresh()
    const last = migrations.length
    const next = last + 1
    const broken: ReadonlyArray<Migration> = [
      ...migrations,
      { version: next, name: "half-done", up: (q) => `CREATE TABLE ${q}.extra (id int); ALTER TABLE ${q}.nope ADD COLUMN x int;` }
    ]
    await withAdmin(async (c) => {
      await migrate(c, schema)
      const error = await migrate(c, schema, broken).then(
        () => undefined,
        (e: unknown) => e
      )
      expect(error).toBeInstanceOf(StateError)
      expect((error as StateError).reason).toBe("Migration")
      expect((error as StateError).message).toContain(`Migration ${next} (half-done)`)
      expect((await c.query(`SELECT max(version) AS version FROM "${schema}".schema_migrations`)).rows).toEqual([{ version: last }])
      expect((await c.query("SELECT to_regclass($1) AS t", [`"${schema}".extra`])).rows[0].t).toBeNull()
      // the fixed migration applies later
      const fixed: ReadonlyArray<Migration> = [...migrations, { version: next, name: "fixed", up: (q) => `CREATE TABLE ${q}.extra (id int);` }]
      expect(await migrate(c, schema, fixed)).toEqual({ from: last, to: next })
    })
  })

  it.scoped("a schema at version 1 (before state rebuilds) upgrades with its records intact and keeps a rebuild's progress", () =>
    Effect.gen(function* () {
      const schema = fresh()
      yield* Effect.promise(() => withAdmin((c) => migrate(c, schema, migrations.slice(0, 1))))
      yield* admin((c) =>
        c.query(
          `INSERT INTO "${schema}".entities (identity_source_id, kind, external_id, hash, status, first_seen, last_seen, last_run_id)
           VALUES ('0oaMIGV1', 'user', 'e1', 'h1', 'ACTIVE', now(), now(), 'r1')`
        )
      )
      const store = yield* open(schema, "0oaMIGV1")
      expect((yield* store.index("user")).get("e1")).toEqual({ hash: "h1", status: "ACTIVE" })
      expect(yield* versions(schema)).toEqual([1, 2])
      const progress = {
        runId: "rebuild-1",
        startedAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-01-01T00:05:00.000Z",
        phase: "memberships" as const,
        after: "g\u0000odd",
        counts: { matched: 1 }
      }
      yield* store.saveRebuildProgress(progress)
      expect(yield* store.rebuildProgress).toEqual(Option.some(progress))
      yield* store.clearRebuildProgress
      expect(Option.isNone(yield* store.rebuildProgress)).toBe(true)
    })
  )
})
