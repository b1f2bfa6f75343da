import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync
} from "node:fs"
import { dirname, join } from "node:path"
import { StateStore, type StateError } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect, Exit, Option, Scope, TestClock } from "effect"
import * as SqliteStateStore from "../src/SqliteStateStore.ts"
import { migrate, migrations, type Migration } from "../src/internal/schema.ts"
import { freshDbPath, tempDir } from "./helpers/tempDir.ts"

const dir = tempDir()
const t1 = "2026-01-01T00:00:00.000Z"

const open = (path: string, identitySourceId = "0oaSQLITE", busyTimeoutMillis?: number) =>
  SqliteStateStore.make({
    path,
    identitySourceId,
    ...(busyTimeoutMillis !== undefined ? { busyTimeoutMillis } : {})
  })

const users = (n: number, hash = "h", from = 0): Array<StateStore.CommittedChange> =>
  Array.from({ length: n }, (_, i) => ({
    kind: "user" as const,
    op: "upsert" as const,
    externalId: `u${from + i}`,
    hash,
    profile: { email: `u${from + i}@example.com` }
  }))

const failure = <A>(effect: Effect.Effect<A, StateError, Scope.Scope>) => Effect.flip(Effect.scoped(effect))

/** Run a raw SQLite connection for the duration of `f`. */
const withRaw = <A>(path: string, f: (db: Database.Database) => A): A => {
  const db = new Database(path)
  try {
    return f(db)
  } finally {
    db.close()
  }
}

describe("SqliteStateStore", () => {
  it.scoped("creates the file and its parent directories, in WAL mode at the current schema version", () =>
    Effect.gen(function* () {
      const path = freshDbPath(dir)
      expect(existsSync(dirname(path))).toBe(false)
      yield* Effect.scoped(open(path))
      expect(existsSync(path)).toBe(true)
      withRaw(path, (db) => {
        expect(db.pragma("journal_mode", { simple: true })).toBe("wal")
        expect(db.pragma("user_version", { simple: true })).toBe(SqliteStateStore.schemaVersion)
        const tables = db
          .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
          .pluck()
          .all()
        expect(tables).toEqual(
          expect.arrayContaining([
            "entities",
            "identity_sources",
            "journal",
            "locks",
            "memberships",
            "profiles",
            "runs"
          ])
        )
        expect(db.prepare("SELECT id FROM identity_sources").pluck().all()).toEqual(["0oaSQLITE"])
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok")
      })
      expect(SqliteStateStore.schemaVersion).toBe(migrations.length)
    })
  )

  it.scoped("index(kind) and id lookups search the entities primary key; profiles are joined by key", () =>
    Effect.gen(function* () {
      const path = freshDbPath(dir)
      yield* Effect.scoped(open(path))
      withRaw(path, (db) => {
        const plan = (sql: string) =>
          db
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .all()
            .map((r) => (r as { detail: string }).detail)
            .join(" | ")
        expect(
          plan(
            "SELECT external_id, hash, status FROM entities WHERE identity_source_id = 'x' AND kind = 'user'"
          )
        ).toContain("SEARCH entities USING PRIMARY KEY (identity_source_id=? AND kind=?)")
        const entries = plan(
          `SELECT e.*, p.profile FROM entities e LEFT JOIN profiles p
             ON p.identity_source_id = e.identity_source_id AND p.kind = e.kind AND p.external_id = e.external_id
           WHERE e.identity_source_id = 'x' AND e.kind = 'user' AND e.external_id IN (SELECT value FROM json_each('[]'))`
        )
        expect(entries).toContain(
          "SEARCH e USING PRIMARY KEY (identity_source_id=? AND kind=? AND external_id=?)"
        )
        expect(entries).toMatch(
          /SEARCH p USING INDEX \w+ \(identity_source_id=\? AND kind=\? AND external_id=\?\)/
        )
      })
    })
  )

  it.scoped("everything survives closing and reopening the file", () =>
    Effect.gen(function* () {
      const path = freshDbPath(dir)
      const journal: StateStore.Journal = {
        runId: "r1",
        identitySourceId: "0oaSQLITE",
        planHash: "p",
        planJson: "{}",
        startedAt: t1,
        sessions: [{ index: 0, oktaSessionId: "aps1", uploadedBatches: [0, 1], status: "COMPLETED" }]
      }
      const run: StateStore.RunRecord = {
        runId: "r1",
        identitySourceId: "0oaSQLITE",
        startedAt: t1,
        mode: "apply",
        outcome: "applied",
        counts: { created: 3 }
      }
      yield* Effect.scoped(
        Effect.gen(function* () {
          const store = yield* open(path)
          yield* store.commit({
            runId: "r1",
            at: t1,
            changes: [
              ...users(3),
              {
                kind: "group",
                op: "upsert",
                externalId: "g1",
                hash: "hg",
                profile: { displayName: "G" },
                location: "groups:1"
              },
              { kind: "membership", op: "add", groupExternalId: "g1", memberExternalIds: ["u0", "u2"] }
            ],
            journal
          })
          yield* store.recordRun(run)
          yield* store.lock("run-1", 60_000)
        })
      )
      const store = yield* open(path)
      expect([...(yield* store.index("user")).keys()].sort()).toEqual(["u0", "u1", "u2"])
      expect((yield* store.entries("group", ["g1"])).get("g1")).toMatchObject({
        location: "groups:1",
        profile: { displayName: "G" }
      })
      expect([...((yield* store.memberships).get("g1") ?? [])].sort()).toEqual(["u0", "u2"])
      expect(yield* store.journal).toEqual(Option.some(journal))
      expect(yield* store.history(5)).toEqual([run])
      // The lock was released when its scope closed.
      yield* Effect.scoped(store.lock("run-2", 60_000))
    })
  )

  it.scoped("a history written with the older outcome words reads back in the report's words", () =>
    Effect.gen(function* () {
      const path = freshDbPath(dir)
      const store = yield* open(path)
      const older = [["r1", "succeeded"], ["r2", "interrupted"], ["r3", "failed"]] as const
      for (const [runId] of older) yield* store.recordRun({ runId, identitySourceId: "0oaSQLITE", startedAt: t1, mode: "apply" })
      withRaw(path, (db) => {
        const set = db.prepare("UPDATE runs SET outcome = ? WHERE run_id = ?")
        for (const [runId, outcome] of older) set.run(outcome, runId)
      })
      expect((yield* store.history(5)).map((r) => [r.runId, r.outcome]).sort()).toEqual([
        ["r1", "applied"],
        ["r2", "partial"],
        ["r3", "failed"]
      ])
    })
  )

  it.scoped("one file holds several identity sources without mixing them", () =>
    Effect.gen(function* () {
      const path = freshDbPath(dir)
      const a = yield* open(path, "0oaA")
      const b = yield* open(path, "0oaB")
      yield* a.commit({
        runId: "ra",
        at: t1,
        changes: [
          ...users(2, "ha"),
          { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ["u0"] }
        ]
      })
      yield* b.commit({
        runId: "rb",
        at: t1,
        changes: [{ kind: "user", op: "upsert", externalId: "u0", hash: "hb", profile: {} }]
      })
      yield* b.commit({
        runId: "rb2",
        at: t1,
        changes: [{ kind: "user", op: "deactivate", externalId: "u1" }]
      })
      yield* a.recordRun({ runId: "ra", identitySourceId: "0oaA", startedAt: t1, mode: "apply" })
      yield* a.lock("run-a", 60_000)
      expect([...(yield* a.index("user"))].sort()).toEqual([
        ["u0", { hash: "ha", status: "ACTIVE" }],
        ["u1", { hash: "ha", status: "ACTIVE" }]
      ])
      // B's deactivation of "u1" did not touch A's u1, and B's u0 is its own record.
      expect([...(yield* b.index("user"))]).toEqual([["u0", { hash: "hb", status: "ACTIVE" }]])
      expect((yield* b.memberships).size).toBe(0)
      expect(yield* b.history(5)).toEqual([])
      // B's lock is independent of A's.
      yield* Effect.scoped(b.lock("run-b", 60_000))
    })
  )

  describe("lock between two stores on one file", () => {
    it.scoped("the second store fails with Locked, then succeeds once the first scope closes", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        const first = yield* open(path)
        const second = yield* open(path)
        const held = yield* Scope.make()
        yield* first.lock("host-1:pid-1", 60_000).pipe(Scope.extend(held))
        const error = yield* failure(second.lock("host-2:pid-2", 60_000))
        expect(error.reason).toBe("Locked")
        expect(error.message).toContain("host-1:pid-1")
        expect(error.message).toContain("expires at 1970-01-01T00:01:00.000Z")
        yield* Scope.close(held, Exit.void)
        yield* Effect.scoped(second.lock("host-2:pid-2", 60_000))
      })
    )

    it.scoped("a dead holder's lease is taken over once it expires (TestClock)", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        // The dead holder: its store and lock scopes are never closed, so the lease is never released.
        const deadStore = yield* Scope.make()
        // (a crashed process renews nothing: renewal is off for it)
        const dead = yield* SqliteStateStore.make({
          path,
          identitySourceId: "0oaSQLITE",
          renewLeases: false
        }).pipe(Scope.extend(deadStore))
        const deadLock = yield* Scope.make()
        yield* dead.lock("crashed-run", 30_000).pipe(Scope.extend(deadLock))

        const next = yield* open(path)
        yield* TestClock.adjust("29 seconds")
        expect((yield* failure(next.lock("next-run", 30_000))).reason).toBe("Locked")
        yield* TestClock.adjust("1001 millis")
        const taken = yield* Scope.make()
        yield* next.lock("next-run", 30_000).pipe(Scope.extend(taken))

        // When the old holder's scope finally closes, its release must not drop the new lease.
        yield* Scope.close(deadLock, Exit.void)
        expect((yield* failure(next.lock("third-run", 30_000))).reason).toBe("Locked")
        yield* Scope.close(taken, Exit.void)
        yield* Effect.scoped(next.lock("third-run", 30_000))
        yield* Scope.close(deadStore, Exit.void)
      })
    )

    it.scoped(
      "a live holder renews its lease: nobody takes it over while its scope is open (TestClock)",
      () =>
        Effect.gen(function* () {
          const path = freshDbPath(dir)
          const holder = yield* open(path)
          const held = yield* Scope.make()
          yield* holder.lock("long-apply", 30_000).pipe(Scope.extend(held))
          const other = yield* open(path)
          for (let i = 0; i < 12; i++) {
            yield* TestClock.adjust("10 seconds")
            expect((yield* failure(other.lock("other-run", 30_000))).reason).toBe("Locked")
          }
          yield* Scope.close(held, Exit.void)
          yield* Effect.scoped(other.lock("other-run", 30_000))
        })
    )

    it.scoped("releasing after the store was closed does not fail; the lease then waits for its expiry", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        const storeScope = yield* Scope.make()
        const store = yield* open(path).pipe(Scope.extend(storeScope))
        const lockScope = yield* Scope.make()
        yield* store.lock("owner-1", 10_000).pipe(Scope.extend(lockScope))
        yield* Scope.close(storeScope, Exit.void)
        yield* Scope.close(lockScope, Exit.void)
        const other = yield* open(path)
        expect((yield* failure(other.lock("owner-2", 10_000))).reason).toBe("Locked")
        yield* TestClock.adjust("10 seconds")
        yield* Effect.scoped(other.lock("owner-2", 10_000))
      })
    )
  })

  it.scoped(
    "a write lock held by another connection gives Locked after the busy timeout; readers are not blocked",
    () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        const store = yield* open(path, "0oaSQLITE", 50)
        yield* store.commit({ runId: "r1", at: t1, changes: users(3) })
        const raw = new Database(path)
        yield* Effect.addFinalizer(() => Effect.sync(() => raw.close()))
        raw.exec("BEGIN IMMEDIATE")
        const error = yield* Effect.flip(store.commit({ runId: "r2", at: t1, changes: users(1, "h2") }))
        expect(error.reason).toBe("Locked")
        expect(error.message).toMatch(/busy/)
        expect((yield* failure(store.lock("someone", 1000))).reason).toBe("Locked")
        // WAL: reads go on while another connection writes.
        expect((yield* store.index("user")).size).toBe(3)
        raw.exec("COMMIT")
        yield* store.commit({ runId: "r2", at: t1, changes: users(1, "h2") })
        expect((yield* store.index("user")).get("u0")?.hash).toBe("h2")
      })
  )

  it.scoped("a commit that fails half-way changes nothing (one transaction for changes and journal)", () =>
    Effect.gen(function* () {
      const path = freshDbPath(dir)
      const store = yield* open(path)
      const before: StateStore.Journal = {
        runId: "r1",
        identitySourceId: "0oaSQLITE",
        planHash: "p",
        planJson: "{}",
        startedAt: t1,
        sessions: []
      }
      yield* store.commit({ runId: "r1", at: t1, changes: users(10), journal: before })
      const bogus = {
        kind: "robot",
        op: "upsert",
        externalId: "x",
        hash: "h",
        profile: {}
      } as unknown as StateStore.CommittedChange
      const error = yield* Effect.flip(
        store.commit({
          runId: "r2",
          at: t1,
          changes: [
            ...users(450, "new"),
            { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ["u1"] },
            { kind: "user", op: "deactivate", externalId: "u2" },
            bogus
          ],
          journal: { ...before, runId: "r2" }
        })
      )
      expect(error.reason).toBe("Io")
      expect(error.message).toContain("commit run r2")
      const index = yield* store.index("user")
      expect(index.size).toBe(10)
      expect([...index.values()].every((e) => e.hash === "h" && e.status === "ACTIVE")).toBe(true)
      expect((yield* store.memberships).size).toBe(0)
      expect(Option.getOrThrow(yield* store.journal).runId).toBe("r1")
    })
  )

  it.scoped("history(0) is empty", () =>
    Effect.gen(function* () {
      const store = yield* open(freshDbPath(dir))
      yield* store.recordRun({ runId: "r1", identitySourceId: "0oaSQLITE", startedAt: t1, mode: "plan" })
      expect(yield* store.history(0)).toEqual([])
      expect((yield* store.history(1)).length).toBe(1)
    })
  )

  it.effect("layer provides the StateStore tag", () =>
    Effect.gen(function* () {
      const store = yield* StateStore.StateStore
      yield* store.commit({ runId: "r1", at: t1, changes: users(2) })
      expect((yield* store.index("user")).size).toBe(2)
    }).pipe(Effect.provide(SqliteStateStore.layer({ path: freshDbPath(dir), identitySourceId: "0oaLAYER" })))
  )

  describe("damaged files", () => {
    it.scoped("a file that is not SQLite gives a Corrupt error that says how to recover", () =>
      Effect.gen(function* () {
        const path = join(dir, "not-a-db.db")
        writeFileSync(path, "this is a CSV file, not a database\n".repeat(200))
        const error = yield* failure(open(path))
        expect(error.reason).toBe("Corrupt")
        expect(error.message).toContain(path)
        expect(error.message).toMatch(/SQLITE_NOTADB/)
        expect(error.message).toContain(`mv ${path} ${path}.damaged`)
        expect(error.message).toContain(".recover")
        // Nothing was written over the user's file.
        expect(readFileSync(path, "utf8").startsWith("this is a CSV file")).toBe(true)
      })
    )

    it.scoped("a database with overwritten pages gives Corrupt, not a crash", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        yield* Effect.scoped(
          Effect.gen(function* () {
            const store = yield* open(path)
            yield* store.commit({ runId: "r1", at: t1, changes: users(3000) })
          })
        )
        withRaw(path, (db) => db.pragma("wal_checkpoint(TRUNCATE)"))
        const size = statSync(path).size
        const pageSize = 4096
        const fd = openSync(path, "r+")
        const garbage = Buffer.alloc(pageSize, 0xa5)
        for (let offset = pageSize; offset < size; offset += pageSize)
          writeSync(fd, garbage, 0, pageSize, offset)
        closeSync(fd)
        const error = yield* failure(
          Effect.gen(function* () {
            const store = yield* open(path)
            yield* store.index("user")
            yield* store.list("user")
          })
        )
        expect(error.reason).toBe("Corrupt")
        expect(error.message).toContain("damaged")
      })
    )

    it.scoped("rows that were tampered with (missing profile, journal that is not JSON) give Corrupt", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        const store = yield* open(path)
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: users(2),
          journal: {
            runId: "r1",
            identitySourceId: "0oaSQLITE",
            planHash: "p",
            planJson: "{}",
            startedAt: t1,
            sessions: []
          }
        })
        withRaw(path, (db) => {
          db.pragma("foreign_keys = OFF")
          db.prepare("DELETE FROM profiles WHERE external_id = 'u1'").run()
          db.prepare("UPDATE journal SET journal = '{not json'").run()
        })
        const missing = yield* Effect.flip(store.entries("user", ["u0", "u1"]))
        expect(missing.reason).toBe("Corrupt")
        expect(missing.message).toContain("the profile of user u1 is missing")
        expect((yield* Effect.flip(store.list("user"))).reason).toBe("Corrupt")
        const journal = yield* Effect.flip(store.journal)
        expect(journal.reason).toBe("Corrupt")
        expect(journal.message).toContain("the apply journal is not valid JSON")
        // The narrow index does not need profiles and still works.
        expect((yield* store.index("user")).size).toBe(2)
      })
    )

    it.scoped("a parent path that is a file, or a directory as the database, gives Io", () =>
      Effect.gen(function* () {
        const file = join(dir, "plain-file")
        writeFileSync(file, "x")
        const underFile = yield* failure(open(join(file, "sub", "state.db")))
        expect(underFile.reason).toBe("Io")
        expect(underFile.message).toContain("open the state database")
        const directory = join(dir, "a-directory")
        mkdirSync(directory)
        expect((yield* failure(open(directory))).reason).toBe("Io")
      })
    )
  })

  describe("the apply journal", () => {
    const bigPlan = JSON.stringify({
      users: Array.from({ length: 5000 }, (_, i) => ({ externalId: `E${i}`, op: "create" }))
    })
    const journalOf = (sessions: ReadonlyArray<StateStore.SessionCheckpoint>): StateStore.Journal => ({
      runId: "run-1",
      identitySourceId: "0oaSQLITE",
      planHash: "plan-1",
      planJson: bigPlan,
      startedAt: t1,
      sessions
    })

    it.scoped("stores the plan once; checkpoints rewrite only the small rest, and read back whole", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        const store = yield* open(path)
        yield* store.saveJournal(journalOf([{ index: 0, uploadedBatches: [], status: "CREATED" }]))
        for (let i = 0; i < 5; i++)
          yield* store.saveJournal(
            journalOf([
              {
                index: 0,
                oktaSessionId: "aps1",
                uploadedBatches: [...Array(i + 1).keys()],
                status: "UPLOADING"
              }
            ])
          )
        const row = withRaw(path, (db) =>
          db.prepare("SELECT length(journal) AS small, length(plan_json) AS plan FROM journal").get()
        ) as { small: number; plan: number }
        expect(row.plan).toBe(bigPlan.length)
        expect(row.small).toBeLessThan(400)
        const back = Option.getOrThrow(yield* store.journal)
        expect(back.planJson).toBe(bigPlan)
        expect(back.sessions[0]?.uploadedBatches).toEqual([0, 1, 2, 3, 4])
        // a new run replaces the plan
        yield* store.saveJournal({ ...journalOf([]), runId: "run-2", planHash: "plan-2", planJson: "{}" })
        expect(Option.getOrThrow(yield* store.journal)).toMatchObject({ runId: "run-2", planJson: "{}" })
      })
    )

    it.scoped("a journal written by schema v1 (plan inside the JSON) is read after the upgrade", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        mkdirSync(dirname(path), { recursive: true })
        const db = new Database(path)
        try {
          yield* migrate(db, path, migrations.slice(0, 1))
          db.prepare("INSERT INTO identity_sources (id, created_at) VALUES (?, ?)").run("0oaSQLITE", t1)
          const v1Journal = journalOf([
            { index: 0, oktaSessionId: "aps1", uploadedBatches: [0], status: "UPLOADING" }
          ])
          db.prepare(
            "INSERT INTO journal (identity_source_id, run_id, plan_hash, journal, updated_at) VALUES (?, ?, ?, ?, ?)"
          ).run("0oaSQLITE", "run-1", "plan-1", JSON.stringify(v1Journal), t1)
        } finally {
          db.close()
        }
        const store = yield* open(path)
        expect(Option.getOrThrow(yield* store.journal)).toEqual(
          journalOf([{ index: 0, oktaSessionId: "aps1", uploadedBatches: [0], status: "UPLOADING" }])
        )
      })
    )
  })

  describe("schema v3: the progress of a state rebuild", () => {
    it.scoped("a file written at schema v2 upgrades with its records intact and then keeps a rebuild's progress", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        mkdirSync(dirname(path), { recursive: true })
        const db = new Database(path)
        try {
          yield* migrate(db, path, migrations.slice(0, 2))
          db.prepare("INSERT INTO identity_sources (id, created_at) VALUES (?, ?)").run("0oaSQLITE", t1)
          db.prepare(
            `INSERT INTO entities (identity_source_id, kind, external_id, hash, status, first_seen, last_seen, last_run_id)
             VALUES ('0oaSQLITE', 'user', 'e1', 'h1', 'ACTIVE', ?, ?, 'r1')`
          ).run(t1, t1)
          db.prepare(
            "INSERT INTO profiles (identity_source_id, kind, external_id, profile) VALUES ('0oaSQLITE', 'user', 'e1', ?)"
          ).run(JSON.stringify({ email: "a@b.co" }))
        } finally {
          db.close()
        }
        const store = yield* open(path)
        expect((yield* store.index("user")).get("e1")).toEqual({ hash: "h1", status: "ACTIVE" })
        expect(Option.isNone(yield* store.rebuildProgress)).toBe(true)
        const progress = { runId: "rebuild-1", startedAt: t1, updatedAt: t1, phase: "groups" as const, after: "g9", counts: { matched: 1 } }
        yield* store.saveRebuildProgress(progress)
        expect(yield* store.rebuildProgress).toEqual(Option.some(progress))
        withRaw(path, (raw) => expect(raw.pragma("user_version", { simple: true })).toBe(3))
      })
    )

    it.scoped("a forget of many users removes them and their memberships, and leaves the others", () =>
      Effect.gen(function* () {
        const store = yield* open(freshDbPath(dir))
        const ids = Array.from({ length: 250 }, (_, i) => `u${i}`)
        yield* store.commit({
          runId: "r1",
          at: t1,
          changes: [...users(250), { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ids }]
        })
        const gone = ids.slice(0, 200).map((externalId) => ({ kind: "user" as const, op: "forget" as const, externalId }))
        yield* store.commit({ runId: "r2", at: "2026-01-02T00:00:00.000Z", changes: gone })
        expect((yield* store.index("user")).size).toBe(50)
        expect([...((yield* store.memberships).get("g") ?? [])].sort()).toEqual(ids.slice(200).sort())
        expect((yield* store.entries("user", ["u0", "u249"])).size).toBe(1)
      })
    )
  })

  describe("schema migrations", () => {
    const next = migrations.length + 1
    const v2: Migration = {
      version: next,
      description: "add entities.note",
      up: (db) => db.exec("ALTER TABLE entities ADD COLUMN note TEXT NOT NULL DEFAULT 'v2'")
    }

    it.scoped("a file written by a newer anysource is refused with Migration", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        yield* Effect.scoped(open(path))
        withRaw(path, (db) => db.pragma("user_version = 99"))
        const error = yield* failure(open(path))
        expect(error.reason).toBe("Migration")
        expect(error.message).toContain("v99")
        expect(error.message).toContain("Upgrade anysource")
      })
    )

    it.effect("a file at the current version upgrades to the next with its data intact", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        yield* Effect.scoped(
          Effect.gen(function* () {
            const store = yield* open(path)
            yield* store.commit({ runId: "r1", at: t1, changes: users(5) })
          })
        )
        const db = new Database(path)
        try {
          expect(db.pragma("user_version", { simple: true })).toBe(migrations.length)
          const version = yield* migrate(db, path, [...migrations, v2])
          expect(version).toBe(next)
          expect(db.pragma("user_version", { simple: true })).toBe(next)
          expect(db.prepare("SELECT count(*) FROM entities WHERE note = 'v2'").pluck().get()).toBe(5)
          // Idempotent: running again changes nothing.
          expect(yield* migrate(db, path, [...migrations, v2])).toBe(next)
        } finally {
          db.close()
        }
      })
    )

    it.effect("a failing migration is rolled back and reported; the file stays at the old version", () =>
      Effect.gen(function* () {
        const path = freshDbPath(dir)
        mkdirSync(dirname(path), { recursive: true })
        const db = new Database(path)
        try {
          expect(yield* migrate(db, path, migrations.slice(0, 1))).toBe(1)
          const broken: Migration = {
            version: 2,
            description: "a broken step",
            up: (d) => d.exec("CREATE TABLE half_done (x); INSERT INTO no_such_table VALUES (1)")
          }
          const error = yield* Effect.flip(migrate(db, path, [...migrations.slice(0, 1), broken]))
          expect(error.reason).toBe("Migration")
          expect(error.message).toContain("schema v2 (a broken step)")
          expect(error.message).toContain("left at schema v1")
          expect(db.pragma("user_version", { simple: true })).toBe(1)
          expect(
            db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'").pluck().get()
          ).toBe(0)
        } finally {
          db.close()
        }
      })
    )
  })
})
