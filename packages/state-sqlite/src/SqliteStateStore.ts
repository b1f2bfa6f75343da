/**
 * The embedded default `StateStore`: one SQLite file (better-sqlite3), `.anysource/state.db` unless configured.
 *
 * - WAL mode, `synchronous = FULL`: a commit is written only after Okta said COMPLETED, and it must then
 *   survive a power cut as well as a killed process. FULL costs one fsync of the WAL per transaction; the
 *   store commits once per Okta session (up to 10,000 entities), so that is a handful of fsyncs per run.
 *   With NORMAL a power cut could silently roll back the last commits and the next run would re-upload them.
 * - `commit` is one `BEGIN IMMEDIATE` transaction holding all entity changes of the batch and the journal
 *   checkpoint. A process killed before COMMIT leaves the previous state; SQLite rolls the WAL back on open.
 * - Every table is keyed by the identity source id: one file can hold several identity sources.
 * - The lock is a lease row (owner, expires_at). A live holder renews it every ttl/3 (at least every second)
 *   while its scope is open, so an apply may run longer than the TTL; a dead holder's lease expires after the TTL.
 * - better-sqlite3 is synchronous: every call blocks the event loop for its duration (reading the index
 *   of 1,000,000 users takes about two seconds of CPU on a small machine; see README).
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { StateError, StateStore } from "@anysource/core"
import Database from "better-sqlite3"
import { Clock, Effect, Layer, Option, type Scope } from "effect"
import { corruptMessage, toStateError } from "./internal/errors.ts"
import { latestVersion, migrate, migrations } from "./internal/schema.ts"

export interface Options {
  /** The state file. Relative paths resolve against the process's working directory (callers resolve config paths first). `:memory:` works for tests. */
  readonly path: string
  /** The Okta identity source this store keeps state for. */
  readonly identitySourceId: string
  /** How long a statement waits for another connection's write lock before failing with `Locked`. Default 5000. */
  readonly busyTimeoutMillis?: number
  /** Renew a held lease every ttl/3 while the lock's scope is open (default true; false models a holder that stopped). */
  readonly renewLeases?: boolean
}

/** Where the CLI puts the file when `state.path` is not set. */
export const defaultPath = ".anysource/state.db"

/** The schema version this package writes (`PRAGMA user_version`). */
export const schemaVersion: number = latestVersion(migrations)

/** Rows per multi-row upsert statement (7 + 5 parameters each, far below SQLite's 32,766 limit). */
const upsertChunk = 100
/** Ids per `json_each` parameter for reads, touches and deactivations. */
const idChunk = 10_000

const rows = (count: number, row: string) => Array.from({ length: count }, () => row).join(", ")

/** The narrow part: a new entity is ACTIVE and first seen now; an existing one keeps `first_seen`. */
const upsertEntitiesSql = (count: number) =>
  `INSERT INTO entities (identity_source_id, kind, external_id, hash, status, first_seen, last_seen, last_run_id)
   VALUES ${rows(count, "(?, ?, ?, ?, 'ACTIVE', ?, ?, ?)")}
   ON CONFLICT (identity_source_id, kind, external_id) DO UPDATE SET
     hash = excluded.hash, status = 'ACTIVE', last_seen = excluded.last_seen, last_run_id = excluded.last_run_id`
const entityParams = 7

const upsertProfilesSql = (count: number) =>
  `INSERT INTO profiles (identity_source_id, kind, external_id, profile, location) VALUES ${rows(count, "(?, ?, ?, ?, ?)")}
   ON CONFLICT (identity_source_id, kind, external_id) DO UPDATE SET
     profile = excluded.profile, location = excluded.location`
const profileParams = 5

const selectEntries = `SELECT e.kind, e.external_id, e.hash, e.status, e.first_seen, e.last_seen, e.last_run_id,
    p.profile, p.location
  FROM entities e LEFT JOIN profiles p
    ON p.identity_source_id = e.identity_source_id AND p.kind = e.kind AND p.external_id = e.external_id
  WHERE e.identity_source_id = ? AND e.kind = ?`

interface EntityRow {
  readonly kind: StateStore.StateEntry["kind"]
  readonly external_id: string
  readonly hash: string
  readonly status: StateStore.EntityStatus
  readonly profile: string | null
  readonly location: string | null
  readonly first_seen: string
  readonly last_seen: string
  readonly last_run_id: string
}

interface RunRow {
  readonly run_id: string
  readonly started_at: string
  readonly finished_at: string | null
  readonly mode: StateStore.RunRecord["mode"]
  readonly outcome: string | null
  readonly plan_hash: string | null
  readonly counts: string | null
  readonly message: string | null
}

interface LockRow {
  readonly owner: string
  readonly acquired_at: number
  readonly expires_at: number
}

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

const open = (path: string, busyTimeoutMillis: number): Effect.Effect<Database.Database, StateError> =>
  Effect.try({
    try: () => {
      if (path !== ":memory:" && path !== "") mkdirSync(dirname(path), { recursive: true })
      const db = new Database(path, { timeout: busyTimeoutMillis })
      try {
        // The first statement reads the header: a file that is not SQLite fails here with SQLITE_NOTADB.
        db.pragma("journal_mode = WAL")
        db.pragma("synchronous = FULL")
        db.pragma("foreign_keys = ON")
        db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMillis))}`)
        // After a checkpoint, truncate a WAL that a large commit grew beyond 64 MiB.
        db.pragma("journal_size_limit = 67108864")
        return db
      } catch (error) {
        db.close()
        throw error
      }
    },
    catch: (cause) => toStateError(path, "open the state database", cause)
  })

const close = (db: Database.Database, path: string): Effect.Effect<void> =>
  Effect.try(() => {
    if (db.open) db.close()
  }).pipe(
    Effect.catchAll((cause) => Effect.logWarning(`Could not close the state database ${path} cleanly`, cause))
  )

/**
 * Open (creating it and its parent directories if needed) and migrate the state file; the connection closes
 * with the scope.
 */
export const make = (
  options: Options
): Effect.Effect<StateStore.StateStoreService, StateError, Scope.Scope> =>
  Effect.gen(function* () {
    const { path, identitySourceId: sourceId } = options
    const db = yield* Effect.acquireRelease(open(path, options.busyTimeoutMillis ?? 5000), (db) =>
      close(db, path)
    )
    yield* migrate(db, path)

    const attempt = <A>(action: string, f: () => A): Effect.Effect<A, StateError> =>
      Effect.try({ try: f, catch: (cause) => toStateError(path, action, cause) })

    const parseStored = <A>(text: string | null, what: string): A => {
      if (text === null)
        throw new StateError({ reason: "Corrupt", message: corruptMessage(path, `${what} is missing`) })
      try {
        return JSON.parse(text) as A
      } catch (cause) {
        throw new StateError({
          reason: "Corrupt",
          message: corruptMessage(path, `${what} is not valid JSON`),
          cause
        })
      }
    }

    const stmts = yield* attempt("prepare the state database statements", () => ({
      sourceExists: db.prepare("SELECT 1 FROM identity_sources WHERE id = ?").pluck(),
      addSource: db.prepare("INSERT OR IGNORE INTO identity_sources (id, created_at) VALUES (?, ?)"),
      index: db
        .prepare(
          "SELECT external_id, hash, status = 'DEACTIVATED' FROM entities WHERE identity_source_id = ? AND kind = ?"
        )
        .raw(),
      entries: db.prepare(`${selectEntries} AND e.external_id IN (SELECT value FROM json_each(?))`),
      list: db.prepare(`${selectEntries} ORDER BY e.external_id`),
      memberships: db
        .prepare(
          `SELECT group_external_id, member_external_id FROM memberships WHERE identity_source_id = ?
           ORDER BY group_external_id, member_external_id`
        )
        .raw(),
      // unordered: the planner's fast path needs no order
      membershipPairs: db
        .prepare("SELECT group_external_id, member_external_id FROM memberships WHERE identity_source_id = ?")
        .raw(),
      upsertEntityOne: db.prepare(upsertEntitiesSql(1)),
      upsertEntityChunk: db.prepare(upsertEntitiesSql(upsertChunk)),
      upsertProfileOne: db.prepare(upsertProfilesSql(1)),
      upsertProfileChunk: db.prepare(upsertProfilesSql(upsertChunk)),
      deactivate: db.prepare(
        `UPDATE entities SET status = 'DEACTIVATED', last_run_id = ?
         WHERE identity_source_id = ? AND kind = ? AND external_id IN (SELECT value FROM json_each(?))`
      ),
      forgetEntities: db.prepare(
        `DELETE FROM entities WHERE identity_source_id = ? AND kind = ? AND external_id IN (SELECT value FROM json_each(?))`
      ),
      forgetMembers: db.prepare(
        `DELETE FROM memberships WHERE identity_source_id = ? AND member_external_id IN (SELECT value FROM json_each(?))`
      ),
      forgetGroups: db.prepare(
        `DELETE FROM memberships WHERE identity_source_id = ? AND group_external_id IN (SELECT value FROM json_each(?))`
      ),
      rebuildProgress: db.prepare("SELECT progress FROM rebuild_progress WHERE identity_source_id = ?").pluck(),
      saveRebuildProgress: db.prepare(
        `INSERT INTO rebuild_progress (identity_source_id, progress, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (identity_source_id) DO UPDATE SET progress = excluded.progress, updated_at = excluded.updated_at`
      ),
      clearRebuildProgress: db.prepare("DELETE FROM rebuild_progress WHERE identity_source_id = ?"),
      touch: db.prepare(
        `UPDATE entities SET last_seen = ?
         WHERE identity_source_id = ? AND kind = ? AND external_id IN (SELECT value FROM json_each(?))`
      ),
      addMembers: db.prepare(
        `INSERT OR IGNORE INTO memberships (identity_source_id, group_external_id, member_external_id)
         SELECT ?, ?, value FROM json_each(?)`
      ),
      removeMembers: db.prepare(
        `DELETE FROM memberships WHERE identity_source_id = ? AND group_external_id = ?
           AND member_external_id IN (SELECT value FROM json_each(?))`
      ),
      journal: db.prepare("SELECT journal, plan_json FROM journal WHERE identity_source_id = ?"),
      saveJournal: db.prepare(
        `INSERT INTO journal (identity_source_id, run_id, plan_hash, journal, plan_json, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (identity_source_id) DO UPDATE SET run_id = excluded.run_id, plan_hash = excluded.plan_hash,
           journal = excluded.journal, plan_json = excluded.plan_json, updated_at = excluded.updated_at`
      ),
      saveCheckpoints: db.prepare(
        `UPDATE journal SET journal = ?, updated_at = ?
         WHERE identity_source_id = ? AND run_id = ? AND plan_hash = ? AND plan_json IS NOT NULL`
      ),
      clearJournal: db.prepare("DELETE FROM journal WHERE identity_source_id = ?"),
      recordRun: db.prepare(
        `INSERT INTO runs (identity_source_id, run_id, started_at, finished_at, mode, outcome, plan_hash, counts, message)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (identity_source_id, run_id) DO UPDATE SET started_at = excluded.started_at,
           finished_at = excluded.finished_at, mode = excluded.mode, outcome = excluded.outcome,
           plan_hash = excluded.plan_hash, counts = excluded.counts, message = excluded.message`
      ),
      history: db.prepare(
        `SELECT run_id, started_at, finished_at, mode, outcome, plan_hash, counts, message FROM runs
         WHERE identity_source_id = ? ORDER BY seq DESC LIMIT ?`
      ),
      getLock: db.prepare("SELECT owner, acquired_at, expires_at FROM locks WHERE identity_source_id = ?"),
      putLock: db.prepare(
        `INSERT INTO locks (identity_source_id, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (identity_source_id) DO UPDATE SET owner = excluded.owner, acquired_at = excluded.acquired_at,
           expires_at = excluded.expires_at`
      ),
      releaseLock: db.prepare("DELETE FROM locks WHERE identity_source_id = ? AND owner = ?"),
      renewLock: db.prepare("UPDATE locks SET expires_at = ? WHERE identity_source_id = ? AND owner = ?")
    }))

    // Register the identity source (the parent row every table references). Only writes when missing, so
    // opening a file while another process commits does not wait for its write lock.
    const now = yield* Clock.currentTimeMillis
    yield* attempt(`register identity source ${sourceId} in the state database`, () => {
      if (stmts.sourceExists.get(sourceId) === undefined)
        stmts.addSource.run(sourceId, new Date(now).toISOString())
    })

    const toEntry = (row: EntityRow): StateStore.StateEntry => ({
      kind: row.kind,
      externalId: row.external_id,
      hash: row.hash,
      status: row.status,
      profile: parseStored<StateStore.StateEntry["profile"]>(
        row.profile,
        `the profile of ${row.kind} ${row.external_id}`
      ),
      ...(row.location !== null ? { location: row.location } : {}),
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
      lastRunId: row.last_run_id
    })

    // older histories say `succeeded` / `interrupted`: read them in today's words
    const outcomeOf = (stored: string | null): { outcome?: StateStore.RunOutcome } => {
      const outcome = StateStore.runOutcome(stored)
      return outcome !== undefined ? { outcome } : {}
    }

    const toRun = (row: RunRow): StateStore.RunRecord => ({
      runId: row.run_id,
      identitySourceId: sourceId,
      startedAt: row.started_at,
      ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
      mode: row.mode,
      ...outcomeOf(row.outcome),
      ...(row.plan_hash !== null ? { planHash: row.plan_hash } : {}),
      ...(row.counts !== null
        ? { counts: parseStored<Record<string, number>>(row.counts, `the counts of run ${row.run_id}`) }
        : {}),
      ...(row.message !== null ? { message: row.message } : {})
    })

    // The plan (megabytes for a large apply) is written once per run; a checkpoint rewrites only the small
    // rest of the journal. `planWritten` remembers which run's plan this process already stored.
    let planWritten: { runId: string; planHash: string } | undefined
    const writeJournal = (journal: StateStore.Journal, at: string) => {
      const { planJson, ...rest } = journal
      const small = JSON.stringify({ ...rest, planJson: "" })
      if (planWritten?.runId === journal.runId && planWritten.planHash === journal.planHash) {
        const updated = stmts.saveCheckpoints.run(small, at, sourceId, journal.runId, journal.planHash)
        if (updated.changes === 1) return
      }
      stmts.saveJournal.run(sourceId, journal.runId, journal.planHash, small, planJson, at)
      planWritten = { runId: journal.runId, planHash: journal.planHash }
    }

    /** All changes in order; runs of consecutive upserts / deactivations are written in chunks. */
    const applyChanges = (batch: StateStore.CommitBatch) => {
      const { changes, runId, at } = batch
      let i = 0
      while (i < changes.length) {
        const change = changes[i]!
        if (change.kind === "membership") {
          const members = JSON.stringify(change.memberExternalIds)
          if (change.op === "add") stmts.addMembers.run(sourceId, change.groupExternalId, members)
          else stmts.removeMembers.run(sourceId, change.groupExternalId, members)
          i++
        } else if (change.op === "upsert") {
          // Entities first: each profile row references its entity (foreign key).
          const entities: Array<string> = []
          const profiles: Array<string | null> = []
          let count = 0
          const flush = () => {
            if (count === upsertChunk) {
              stmts.upsertEntityChunk.run(entities)
              stmts.upsertProfileChunk.run(profiles)
            } else {
              for (let r = 0; r < count; r++) {
                stmts.upsertEntityOne.run(entities.slice(r * entityParams, (r + 1) * entityParams))
                stmts.upsertProfileOne.run(profiles.slice(r * profileParams, (r + 1) * profileParams))
              }
            }
            entities.length = 0
            profiles.length = 0
            count = 0
          }
          for (; i < changes.length; i++) {
            const c = changes[i]!
            if (c.kind === "membership" || c.op !== "upsert") break
            entities.push(sourceId, c.kind, c.externalId, c.hash, at, at, runId)
            profiles.push(sourceId, c.kind, c.externalId, JSON.stringify(c.profile), c.location ?? null)
            if (++count === upsertChunk) flush()
          }
          flush()
        } else {
          // a run of deactivations (or of forgets) of one kind, written in chunks
          const { kind, op } = change
          const ids: Array<string> = []
          for (; i < changes.length; i++) {
            const c = changes[i]!
            if (c.kind !== kind || c.op !== op) break
            ids.push(c.externalId)
          }
          for (const part of chunks(ids, idChunk)) {
            const json = JSON.stringify(part)
            if (op === "deactivate") stmts.deactivate.run(runId, sourceId, kind, json)
            else {
              // profiles go with their entity (ON DELETE CASCADE); memberships name records, not rows
              stmts.forgetEntities.run(sourceId, kind, json)
              if (kind === "user") stmts.forgetMembers.run(sourceId, json)
              else stmts.forgetGroups.run(sourceId, json)
            }
          }
        }
      }
      if (batch.journal) writeJournal(batch.journal, at)
    }
    const commitTx = db.transaction(applyChanges)

    const touchTx = db.transaction((kind: string, ids: ReadonlyArray<string>, at: string) => {
      for (const part of chunks(ids, idChunk)) stmts.touch.run(at, sourceId, kind, JSON.stringify(part))
    })

    /** Returns the live holder when the lease is taken by someone else; otherwise takes or refreshes it. */
    const takeLease = db.transaction((owner: string, now: number, ttlMillis: number): LockRow | undefined => {
      const row = stmts.getLock.get(sourceId) as LockRow | undefined
      if (row !== undefined && row.owner !== owner && row.expires_at > now) return row
      stmts.putLock.run(sourceId, owner, now, now + Math.max(0, ttlMillis))
      return undefined
    })

    const takeLock = (owner: string, ttlMillis: number) =>
      Effect.acquireRelease(
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const holder = yield* attempt(`take the lock of identity source ${sourceId}`, () =>
            takeLease.immediate(owner, now, ttlMillis)
          )
          if (holder !== undefined) {
            return yield* Effect.fail(
              new StateError({
                reason: "Locked",
                message:
                  `Identity source ${sourceId} is locked by ${holder.owner} (since ` +
                  `${new Date(holder.acquired_at).toISOString()}); another run is in progress. If that run died, ` +
                  `its lease expires at ${new Date(holder.expires_at).toISOString()}.`
              })
            )
          }
        }),
        () =>
          attempt(`release the lock of identity source ${sourceId}`, () => {
            stmts.releaseLock.run(sourceId, owner)
          }).pipe(
            Effect.catchAll((error) =>
              Effect.logWarning(`${error.message} The lease stays until it expires.`)
            )
          )
      )

    const service: StateStore.StateStoreService = {
      index: (kind) =>
        attempt(`read the ${kind} index from the state database`, () => {
          const out = new Map<string, StateStore.IndexEntry>()
          for (const row of stmts.index.iterate(sourceId, kind) as Iterable<[string, string, number]>) {
            out.set(row[0], { hash: row[1], status: row[2] === 1 ? "DEACTIVATED" : "ACTIVE" })
          }
          return out as ReadonlyMap<string, StateStore.IndexEntry>
        }).pipe(Effect.withSpan("SqliteStateStore.index", { attributes: { kind } })),

      forEachIndex: (kind, f) =>
        attempt(`read the ${kind} index from the state database`, () => {
          for (const row of stmts.index.iterate(sourceId, kind) as Iterable<[string, string, number]>)
            f(row[0], row[1], row[2] === 1 ? "DEACTIVATED" : "ACTIVE")
        }).pipe(Effect.withSpan("SqliteStateStore.forEachIndex", { attributes: { kind } })),

      entries: (kind, externalIds) =>
        attempt(`read ${kind} entries from the state database`, () => {
          const out = new Map<string, StateStore.StateEntry>()
          for (const part of chunks(externalIds, idChunk)) {
            for (const row of stmts.entries.iterate(
              sourceId,
              kind,
              JSON.stringify(part)
            ) as Iterable<EntityRow>) {
              out.set(row.external_id, toEntry(row))
            }
          }
          return out as ReadonlyMap<string, StateStore.StateEntry>
        }).pipe(
          Effect.withSpan("SqliteStateStore.entries", { attributes: { kind, count: externalIds.length } })
        ),

      memberships: attempt("read memberships from the state database", () => {
        const out = new Map<string, Set<string>>()
        for (const [group, member] of stmts.memberships.iterate(sourceId) as Iterable<[string, string]>) {
          let set = out.get(group)
          if (set === undefined) out.set(group, (set = new Set()))
          set.add(member)
        }
        return out as ReadonlyMap<string, ReadonlySet<string>>
      }).pipe(Effect.withSpan("SqliteStateStore.memberships")),

      forEachMembership: (f) =>
        attempt("read memberships from the state database", () => {
          for (const [group, member] of stmts.membershipPairs.iterate(sourceId) as Iterable<[string, string]>) f(group, member)
        }).pipe(Effect.withSpan("SqliteStateStore.forEachMembership")),

      list: (kind) =>
        attempt(`list ${kind} entries from the state database`, () =>
          (stmts.list.all(sourceId, kind) as Array<EntityRow>).map(toEntry)
        ).pipe(Effect.withSpan("SqliteStateStore.list", { attributes: { kind } })),

      commit: (batch) =>
        attempt(`commit run ${batch.runId} to the state database`, () => commitTx.immediate(batch)).pipe(
          Effect.withSpan("SqliteStateStore.commit", {
            attributes: { runId: batch.runId, changes: batch.changes.length }
          })
        ),

      touch: (kind, externalIds, at) =>
        attempt(`refresh last-seen times in the state database`, () =>
          touchTx.immediate(kind, externalIds, at)
        ).pipe(
          Effect.withSpan("SqliteStateStore.touch", { attributes: { kind, count: externalIds.length } })
        ),

      journal: attempt("read the apply journal from the state database", () => {
        const row = stmts.journal.get(sourceId) as { journal: string; plan_json: string | null } | undefined
        return Option.fromNullable(row).pipe(
          Option.map((r) => {
            const journal = parseStored<StateStore.Journal>(r.journal, "the apply journal")
            // v2 rows keep the plan apart; v1 rows still carry it inside the journal JSON
            return r.plan_json === null ? journal : { ...journal, planJson: r.plan_json }
          })
        )
      }),

      saveJournal: (journal) =>
        Effect.flatMap(Clock.currentTimeMillis, (millis) =>
          attempt(`save the apply journal of run ${journal.runId}`, () => {
            writeJournal(journal, new Date(millis).toISOString())
          })
        ),

      clearJournal: attempt("clear the apply journal", () => {
        stmts.clearJournal.run(sourceId)
        planWritten = undefined
      }),

      rebuildProgress: attempt("read the state rebuild's progress", () =>
        Option.fromNullable(stmts.rebuildProgress.get(sourceId) as string | undefined).pipe(
          Option.map((text) => parseStored<StateStore.RebuildProgress>(text, "the state rebuild's progress"))
        )
      ),

      saveRebuildProgress: (progress) =>
        attempt("save the state rebuild's progress", () => {
          stmts.saveRebuildProgress.run(sourceId, JSON.stringify(progress), progress.updatedAt)
        }),

      clearRebuildProgress: attempt("clear the state rebuild's progress", () => {
        stmts.clearRebuildProgress.run(sourceId)
      }),

      recordRun: (run) =>
        attempt(`record run ${run.runId} in the state database`, () => {
          stmts.recordRun.run(
            sourceId,
            run.runId,
            run.startedAt,
            run.finishedAt ?? null,
            run.mode,
            run.outcome ?? null,
            run.planHash ?? null,
            run.counts !== undefined ? JSON.stringify(run.counts) : null,
            run.message ?? null
          )
        }),

      history: (limit) =>
        attempt("read the run history from the state database", () =>
          limit <= 0 ? [] : (stmts.history.all(sourceId, Math.floor(limit)) as Array<RunRow>).map(toRun)
        ),

      lock: (owner, ttlMillis) =>
        Effect.zipLeft(
          takeLock(owner, ttlMillis),
          options.renewLeases === false
            ? Effect.void
            : Effect.forkScoped(
                Effect.forever(
                  Effect.delay(
                    Effect.flatMap(Clock.currentTimeMillis, (now) =>
                      attempt(`renew the lock of identity source ${sourceId}`, () => {
                        stmts.renewLock.run(now + ttlMillis, sourceId, owner)
                      })
                    ).pipe(Effect.catchAll((error) => Effect.logWarning(error.message))),
                    Math.max(1000, Math.floor(ttlMillis / 3))
                  )
                )
              )
        )
    }
    return service
  })

/** The store as a layer for `StateStore.StateStore`; the file closes when the layer is released. */
export const layer = (options: Options): Layer.Layer<StateStore.StateStore, StateError> =>
  Layer.scoped(StateStore.StateStore, make(options))
