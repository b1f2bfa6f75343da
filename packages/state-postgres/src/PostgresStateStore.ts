/**
 * The `StateStore` on PostgreSQL (`pg`): shared state for AWS Lambda and for several workers.
 *
 * - `commit` is ONE transaction: the net effect of the session's changes is written with a few set-based
 *   statements (`unnest` arrays, ≤ 5,000 rows each) plus the journal checkpoint. A connection that dies
 *   before COMMIT (killed backend, network, frozen Lambda) leaves the previous state: the server rolls back.
 * - The journal stores the plan once per run; a checkpoint rewrites only the changed `journal_sessions` rows.
 * - The lock is a LEASE ROW (owner, expires_at) taken with one conditional upsert and renewed by a fiber
 *   every ttl/3 while held. A dead holder's lease expires; a live one never does. Writes made while holding
 *   a lease check in the same transaction that the lease is still ours (fencing), so a process that lost
 *   its lease (frozen, partitioned) cannot overwrite the state of the run that took over.
 * - Lease times come from Effect's `Clock` of the caller (tests drive them with `TestClock`).
 * - Errors are `StateError`s; messages name `host:port/database` and the schema, never the URL.
 */
import { StateError, StateStore } from "@anysource/core"
import { Clock, Effect, Layer, Option, Redacted, type Scope } from "effect"
import pg from "pg"
import { net } from "./internal/changes.ts"
import { describeServer, toStateError, type ErrorContext } from "./internal/errors.ts"
import { latestVersion, migrate, migrations, quoteIdent } from "./internal/schema.ts"
import { decode as dec, encode as enc, encodeOrNull } from "./internal/text.ts"

export interface Options {
  /** `postgres://user:password@host:port/database?sslmode=…` (libpq-style parameters such as `sslrootcert` work). */
  readonly url: Redacted.Redacted<string>
  /** The schema holding the tables (created on first use). Default `anysource`. */
  readonly schema?: string
  /** The Okta identity source this store keeps state for. */
  readonly identitySourceId: string
  /** Pool size. Default 4 (a commit, a lease renewal and reads can overlap). */
  readonly maxConnections?: number
  /** Give up connecting after this long. Default 10,000 ms. */
  readonly connectTimeoutMillis?: number
  /** Server-side `statement_timeout`. Default 300,000 ms; 0 = none. */
  readonly statementTimeoutMillis?: number
  /**
   * Server-side `idle_in_transaction_session_timeout`: a transaction left open by a frozen or stuck process
   * is ended (and rolled back) after this long, so it cannot block others. Default 60,000 ms.
   */
  readonly idleInTransactionTimeoutMillis?: number
  /** `application_name` shown in `pg_stat_activity`. Default `anysource`. */
  readonly applicationName?: string
}

export const defaultSchema = "anysource"

/** The schema version this package writes (`<schema>.schema_migrations`). */
export const schemaVersion: number = latestVersion(migrations)

/** Rows per multi-row statement of a commit. */
const writeChunk = 5_000
/** Ids per `= ANY($n)` read. */
const idChunk = 10_000
/** Rows per page of the keyset-paged full reads (`index`, `list`, `memberships`). */
const page = 50_000
/** A lease shorter than this is not renewed (there is no useful interval). */
const minRenewableTtl = 3_000

type Kind = StateStore.StateEntry["kind"]

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

const iso = (value: Date | string): string => (value instanceof Date ? value.toISOString() : new Date(value).toISOString())

const checkpointStatuses = new Set<StateStore.SessionCheckpoint["status"]>([
  "PENDING",
  "CREATED",
  "UPLOADING",
  "TRIGGERED",
  "COMPLETED",
  "FAILED"
])

interface EntryRow {
  readonly external_id: string
  readonly hash: string
  readonly status: StateStore.EntityStatus
  readonly first_seen: Date
  readonly last_seen: Date
  readonly last_run_id: string
  readonly profile: unknown
  readonly location: string | null
}

interface RunRow {
  readonly run_id: string
  readonly started_at: Date
  readonly finished_at: Date | null
  readonly mode: StateStore.RunRecord["mode"]
  readonly outcome: string | null
  readonly plan_hash: string | null
  readonly counts: Record<string, number> | null
  readonly message: string | null
}

interface LockRow {
  readonly owner: string
  readonly acquired_at: Date
  readonly expires_at: Date
}

interface JournalRow {
  readonly run_id: string
  readonly plan_hash: string
  readonly plan_identity_source_id: string
  readonly plan_json: string
  readonly started_at: Date
  readonly sessions: ReadonlyArray<{
    readonly index: number
    readonly oktaSessionId: string | null
    readonly uploadedBatches: ReadonlyArray<number>
    readonly status: string
  }>
}

/**
 * Connect, create the schema and tables if needed (migrations under an advisory lock), and give the store.
 * The pool closes with the scope.
 */
export const make = (options: Options): Effect.Effect<StateStore.StateStoreService, StateError, Scope.Scope> =>
  Effect.gen(function* () {
    const schema = options.schema ?? defaultSchema
    const q = quoteIdent(schema)
    const sourceId = options.identitySourceId
    const src = enc(sourceId)
    const ctx: ErrorContext = { server: describeServer(Redacted.value(options.url)), schema }

    const pool = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          const created = new pg.Pool({
            connectionString: Redacted.value(options.url),
            max: options.maxConnections ?? 4,
            connectionTimeoutMillis: options.connectTimeoutMillis ?? 10_000,
            idleTimeoutMillis: 10_000,
            keepAlive: true,
            application_name: options.applicationName ?? "anysource",
            statement_timeout: options.statementTimeoutMillis ?? 300_000,
            idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMillis ?? 60_000
          })
          // An idle connection that breaks (server restart, terminated backend) is dropped by the pool; the
          // next query connects again. Without a listener the error would crash the process.
          created.on("error", () => undefined)
          return created
        },
        catch: (cause) => toStateError(ctx, "set up the connection pool", cause)
      }),
      (p) => Effect.promise(() => p.end().catch(() => undefined))
    )

    /** Run `f` on one pooled connection; a connection that saw an error is closed, not reused. */
    const run = <A>(action: string, f: (client: pg.PoolClient) => Promise<A>): Effect.Effect<A, StateError> =>
      Effect.tryPromise({
        try: async () => {
          const client = await pool.connect()
          try {
            const result = await f(client)
            client.release()
            return result
          } catch (error) {
            // Closing the connection also ends (rolls back) any transaction it had open.
            client.release(true)
            throw error
          }
        },
        catch: (cause) => toStateError(ctx, action, cause)
      })

    /** `f` inside BEGIN … COMMIT. */
    const transaction = <A>(action: string, f: (client: pg.PoolClient) => Promise<A>, begin = "BEGIN") =>
      run(action, async (client) => {
        await client.query(begin)
        const result = await f(client)
        await client.query("COMMIT")
        return result
      })

    /** Reads that span several statements see one snapshot. */
    const snapshot = <A>(action: string, f: (client: pg.PoolClient) => Promise<A>) =>
      transaction(action, f, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    const corrupt = (what: string) =>
      new StateError({
        reason: "Corrupt",
        message: `${what} in the state schema "${schema}" (PostgreSQL ${ctx.server}) is unreadable; was it edited by hand?`
      })

    yield* run("migrate the state schema", (client) => migrate(client, schema)).pipe(
      Effect.withSpan("PostgresStateStore.migrate", { attributes: { schema } })
    )

    // --- the lease this store holds (owner → how many scopes hold it), for renewal and fencing
    const held = new Map<string, number>()

    /** Inside a write transaction: while this store holds a lease, it must still be ours (FOR SHARE keeps it so until COMMIT). */
    const fence = async (client: pg.PoolClient) => {
      if (held.size === 0) return
      const r = await client.query<{ owner: string }>(`SELECT owner FROM ${q}.locks WHERE identity_source_id = $1 FOR SHARE`, [src])
      const owner = r.rows[0] === undefined ? undefined : dec(r.rows[0].owner)
      if (owner === undefined || !held.has(owner))
        throw new StateError({
          reason: "Locked",
          message: `The lease on identity source ${sourceId} held by ${[...held.keys()].join(", ")} was lost (${owner === undefined ? "the lease row is gone" : `${owner} holds it now`}); nothing was written. Another run took over; this one must stop.`
        })
    }

    const toEntry = (kind: Kind, row: EntryRow): StateStore.StateEntry => {
      const externalId = dec(row.external_id)
      if (row.profile === null || typeof row.profile !== "object" || Array.isArray(row.profile))
        throw corrupt(`The profile of ${kind} ${externalId}`)
      return {
        kind,
        externalId,
        hash: dec(row.hash),
        status: row.status,
        profile: row.profile as StateStore.StateEntry["profile"],
        ...(row.location !== null ? { location: dec(row.location) } : {}),
        firstSeen: iso(row.first_seen),
        lastSeen: iso(row.last_seen),
        lastRunId: dec(row.last_run_id)
      }
    }

    // older histories say `succeeded` / `interrupted`: read them in today's words
    const outcomeOf = (stored: string | null): { outcome?: StateStore.RunOutcome } => {
      const outcome = StateStore.runOutcome(stored)
      return outcome !== undefined ? { outcome } : {}
    }

    const toRun = (row: RunRow): StateStore.RunRecord => ({
      runId: dec(row.run_id),
      identitySourceId: sourceId,
      startedAt: iso(row.started_at),
      ...(row.finished_at !== null ? { finishedAt: iso(row.finished_at) } : {}),
      mode: row.mode,
      ...outcomeOf(row.outcome),
      ...(row.plan_hash !== null ? { planHash: dec(row.plan_hash) } : {}),
      ...(row.counts !== null ? { counts: row.counts } : {}),
      ...(row.message !== null ? { message: dec(row.message) } : {})
    })

    // The profile is looked up per entity by its full key (LIMIT 1 keeps the planner from turning this into a
    // join it may plan badly on freshly filled tables without statistics: a nested loop over all profiles).
    const entrySelect = `SELECT e.external_id, e.hash, e.status, e.first_seen, e.last_seen, e.last_run_id, p.profile, p.location
      FROM ${q}.entities e LEFT JOIN LATERAL (
        SELECT pr.profile, pr.location FROM ${q}.profiles pr
        WHERE pr.identity_source_id = e.identity_source_id AND pr.kind = e.kind AND pr.external_id = e.external_id LIMIT 1
      ) p ON true
      WHERE e.identity_source_id = $1 AND e.kind = $2`

    /** Write the journal: the plan only when the run changes; checkpoints as changed rows. */
    const writeJournal = async (client: pg.PoolClient, journal: StateStore.Journal) => {
      const head = await client.query<{ run_id: string; plan_hash: string; plan_identity_source_id: string; started_at: Date }>(
        `SELECT run_id, plan_hash, plan_identity_source_id, started_at FROM ${q}.journal WHERE identity_source_id = $1 FOR UPDATE`,
        [src]
      )
      const row = head.rows[0]
      if (row === undefined || row.run_id !== enc(journal.runId) || row.plan_hash !== enc(journal.planHash)) {
        await client.query(`DELETE FROM ${q}.journal WHERE identity_source_id = $1`, [src])
        await client.query(
          `INSERT INTO ${q}.journal (identity_source_id, run_id, plan_hash, plan_identity_source_id, plan_json, started_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [src, enc(journal.runId), enc(journal.planHash), enc(journal.identitySourceId), journal.planJson, journal.startedAt]
        )
      } else if (row.plan_identity_source_id !== enc(journal.identitySourceId) || row.started_at.getTime() !== Date.parse(journal.startedAt)) {
        await client.query(`UPDATE ${q}.journal SET plan_identity_source_id = $2, started_at = $3 WHERE identity_source_id = $1`, [
          src,
          enc(journal.identitySourceId),
          journal.startedAt
        ])
      }
      const s = journal.sessions
      if (s.length > 0)
        await client.query(
          `INSERT INTO ${q}.journal_sessions (identity_source_id, position, session_index, okta_session_id, uploaded_batches, status)
           SELECT $1, s.position, s.session_index, s.okta_session_id, s.batches::integer[], s.status
           FROM unnest($2::integer[], $3::integer[], $4::text[], $5::text[], $6::text[]) AS s(position, session_index, okta_session_id, batches, status)
           ON CONFLICT (identity_source_id, position) DO UPDATE SET
             session_index = EXCLUDED.session_index, okta_session_id = EXCLUDED.okta_session_id,
             uploaded_batches = EXCLUDED.uploaded_batches, status = EXCLUDED.status, updated_at = now()
           WHERE (journal_sessions.session_index, journal_sessions.okta_session_id, journal_sessions.uploaded_batches, journal_sessions.status)
             IS DISTINCT FROM (EXCLUDED.session_index, EXCLUDED.okta_session_id, EXCLUDED.uploaded_batches, EXCLUDED.status)`,
          [
            src,
            s.map((_, i) => i),
            s.map((c) => c.index),
            s.map((c) => encodeOrNull(c.oktaSessionId)),
            s.map((c) => `{${c.uploadedBatches.map((b) => Math.trunc(b)).join(",")}}`),
            s.map((c) => c.status)
          ]
        )
      await client.query(`DELETE FROM ${q}.journal_sessions WHERE identity_source_id = $1 AND position >= $2`, [src, s.length])
    }

    const applyChanges = async (client: pg.PoolClient, batch: StateStore.CommitBatch) => {
      const changes = net(batch.changes)
      const runId = enc(batch.runId)
      for (const part of chunks(changes.forgets, writeChunk)) {
        // profiles go with their entity (ON DELETE CASCADE); memberships name records, not rows
        const kinds = part.map((f) => f.kind)
        const ids = part.map((f) => enc(f.externalId))
        await client.query(
          `DELETE FROM ${q}.entities e USING unnest($2::text[], $3::text[]) AS f(kind, external_id)
           WHERE e.identity_source_id = $1 AND e.kind = f.kind AND e.external_id = f.external_id`,
          [src, kinds, ids]
        )
        await client.query(
          `DELETE FROM ${q}.memberships ms USING unnest($2::text[], $3::text[]) AS f(kind, external_id)
           WHERE ms.identity_source_id = $1
             AND ((f.kind = 'user' AND ms.member_external_id = f.external_id) OR (f.kind = 'group' AND ms.group_external_id = f.external_id))`,
          [src, kinds, ids]
        )
      }
      for (const part of chunks(changes.upserts, writeChunk)) {
        await client.query(
          `INSERT INTO ${q}.entities (identity_source_id, kind, external_id, hash, status, first_seen, last_seen, last_run_id)
           SELECT $1, u.kind, u.external_id, u.hash, u.status, $2, $2, $3
           FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS u(kind, external_id, hash, status)
           ON CONFLICT (identity_source_id, kind, external_id) DO UPDATE SET
             hash = EXCLUDED.hash, status = EXCLUDED.status, last_seen = EXCLUDED.last_seen, last_run_id = EXCLUDED.last_run_id`,
          [
            src,
            batch.at,
            runId,
            part.map((u) => u.kind),
            part.map((u) => enc(u.externalId)),
            part.map((u) => enc(u.hash)),
            part.map((u) => u.status)
          ]
        )
        await client.query(
          `INSERT INTO ${q}.profiles (identity_source_id, kind, external_id, profile, location)
           SELECT $1, u.kind, u.external_id, u.profile::json, u.location
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(kind, external_id, profile, location)
           ON CONFLICT (identity_source_id, kind, external_id) DO UPDATE SET profile = EXCLUDED.profile, location = EXCLUDED.location`,
          [
            src,
            part.map((u) => u.kind),
            part.map((u) => enc(u.externalId)),
            part.map((u) => JSON.stringify(u.profile)),
            part.map((u) => encodeOrNull(u.location))
          ]
        )
      }
      for (const part of chunks(changes.deactivations, writeChunk))
        await client.query(
          `UPDATE ${q}.entities e SET status = 'DEACTIVATED', last_run_id = $2
           FROM unnest($3::text[], $4::text[]) AS d(kind, external_id)
           WHERE e.identity_source_id = $1 AND e.kind = d.kind AND e.external_id = d.external_id`,
          [src, runId, part.map((d) => d.kind), part.map((d) => enc(d.externalId))]
        )
      for (const part of chunks(changes.memberAdds, writeChunk))
        await client.query(
          `INSERT INTO ${q}.memberships (identity_source_id, group_external_id, member_external_id)
           SELECT $1, m.g, m.m FROM unnest($2::text[], $3::text[]) AS m(g, m)
           ON CONFLICT DO NOTHING`,
          [src, part.map((m) => enc(m.group)), part.map((m) => enc(m.member))]
        )
      for (const part of chunks(changes.memberRemoves, writeChunk))
        await client.query(
          `DELETE FROM ${q}.memberships ms USING unnest($2::text[], $3::text[]) AS m(g, m)
           WHERE ms.identity_source_id = $1 AND ms.group_external_id = m.g AND ms.member_external_id = m.m`,
          [src, part.map((m) => enc(m.group)), part.map((m) => enc(m.member))]
        )
      if (batch.journal) await writeJournal(client, batch.journal)
    }

    // --- the lease
    const describeHolder = (holder: LockRow) =>
      new StateError({
        reason: "Locked",
        message:
          `Identity source ${sourceId} is locked by ${dec(holder.owner)} (since ${iso(holder.acquired_at)}); another run is in progress. ` +
          `If that run died, its lease expires at ${iso(holder.expires_at)} (state schema "${schema}", PostgreSQL ${ctx.server}).`
      })

    const takeLease = (owner: string, ttlMillis: number) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const acquiredAt = new Date(now)
        const expiresAt = new Date(now + Math.max(0, ttlMillis))
        return yield* run(`take the lock of identity source ${sourceId}`, async (client) => {
          // The holder may release between the two statements: try again then.
          for (let attempt = 0; attempt < 3; attempt++) {
            const taken = await client.query(
              `INSERT INTO ${q}.locks AS l (identity_source_id, owner, acquired_at, expires_at, renewed_at) VALUES ($1, $2, $3, $4, $3)
               ON CONFLICT (identity_source_id) DO UPDATE SET
                 owner = EXCLUDED.owner,
                 acquired_at = CASE WHEN l.owner = EXCLUDED.owner THEN l.acquired_at ELSE EXCLUDED.acquired_at END,
                 expires_at = EXCLUDED.expires_at, renewed_at = EXCLUDED.renewed_at
               WHERE l.owner = EXCLUDED.owner OR l.expires_at <= EXCLUDED.acquired_at
               RETURNING owner`,
              [src, enc(owner), acquiredAt, expiresAt]
            )
            if (taken.rowCount === 1) return undefined
            const holder = await client.query<LockRow>(`SELECT owner, acquired_at, expires_at FROM ${q}.locks WHERE identity_source_id = $1`, [src])
            if (holder.rows[0] !== undefined) return holder.rows[0]
          }
          return { owner: "another run", acquired_at: acquiredAt, expires_at: expiresAt } satisfies LockRow
        })
      })

    const releaseLease = (owner: string) =>
      Effect.suspend(() => {
        const count = (held.get(owner) ?? 1) - 1
        if (count > 0) {
          held.set(owner, count)
          return Effect.void
        }
        held.delete(owner)
        return run(`release the lock of identity source ${sourceId}`, (client) =>
          client.query(`DELETE FROM ${q}.locks WHERE identity_source_id = $1 AND owner = $2`, [src, enc(owner)])
        ).pipe(
          Effect.asVoid,
          Effect.catchAll((error) => Effect.logWarning(`${error.message} The lease stays until it expires.`))
        )
      })

    /** Every ttl/3: push expires_at to now + ttl. Stops when the lease turns out to be someone else's. */
    const renewLoop = (owner: string, ttlMillis: number) => {
      const every = Math.max(1_000, Math.floor(ttlMillis / 3))
      const renewOnce = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const r = yield* run(`renew the lock of identity source ${sourceId}`, (client) =>
          client.query(`UPDATE ${q}.locks SET expires_at = $3, renewed_at = $4 WHERE identity_source_id = $1 AND owner = $2`, [
            src,
            enc(owner),
            new Date(now + ttlMillis),
            new Date(now)
          ])
        )
        return r.rowCount === 1
      })
      return Effect.gen(function* () {
        for (;;) {
          yield* Effect.sleep(every)
          const renewed = yield* Effect.either(renewOnce)
          if (renewed._tag === "Left") {
            yield* Effect.logWarning(`${renewed.left.message} Retrying in ${every} ms; the lease is valid until it expires.`)
            continue
          }
          if (!renewed.right) {
            yield* Effect.logWarning(`The lease of ${owner} on identity source ${sourceId} was taken over; writes by this run will be refused.`)
            return
          }
        }
      }).pipe(Effect.annotateLogs({ lockOwner: owner }))
    }

    const service: StateStore.StateStoreService = {
      index: (kind) =>
        snapshot(`read the ${kind} index`, async (client) => {
          const out = new Map<string, StateStore.IndexEntry>()
          let after: string | undefined
          for (;;) {
            const r = await client.query<[string, string, boolean]>({
              text: `SELECT external_id, hash, status = 'DEACTIVATED' FROM ${q}.entities
                     WHERE identity_source_id = $1 AND kind = $2 ${after === undefined ? "" : "AND external_id > $4"}
                     ORDER BY external_id LIMIT $3`,
              values: after === undefined ? [src, kind, page] : [src, kind, page, after],
              rowMode: "array"
            })
            for (const row of r.rows) out.set(dec(row[0]), { hash: dec(row[1]), status: row[2] ? "DEACTIVATED" : "ACTIVE" })
            if (r.rows.length < page) break
            after = r.rows[r.rows.length - 1]![0]
          }
          return out as ReadonlyMap<string, StateStore.IndexEntry>
        }).pipe(Effect.withSpan("PostgresStateStore.index", { attributes: { kind } })),

      entries: (kind, externalIds) =>
        externalIds.length === 0
          ? Effect.succeed(new Map())
          : snapshot(`read ${kind} entries`, async (client) => {
              const out = new Map<string, StateStore.StateEntry>()
              for (const part of chunks(externalIds, idChunk)) {
                const r = await client.query<EntryRow>(`${entrySelect} AND e.external_id = ANY($3::text[])`, [src, kind, part.map(enc)])
                for (const row of r.rows) {
                  const entry = toEntry(kind, row)
                  out.set(entry.externalId, entry)
                }
              }
              return out as ReadonlyMap<string, StateStore.StateEntry>
            }).pipe(Effect.withSpan("PostgresStateStore.entries", { attributes: { kind, count: externalIds.length } })),

      memberships: snapshot("read memberships", async (client) => {
        const out = new Map<string, Set<string>>()
        let after: [string, string] | undefined
        for (;;) {
          const r = await client.query<[string, string]>({
            text: `SELECT group_external_id, member_external_id FROM ${q}.memberships
                   WHERE identity_source_id = $1 ${after === undefined ? "" : "AND (group_external_id, member_external_id) > ($3, $4)"}
                   ORDER BY group_external_id, member_external_id LIMIT $2`,
            values: after === undefined ? [src, page] : [src, page, ...after],
            rowMode: "array"
          })
          for (const [g, m] of r.rows) {
            const group = dec(g)
            let set = out.get(group)
            if (set === undefined) out.set(group, (set = new Set()))
            set.add(dec(m))
          }
          if (r.rows.length < page) break
          after = r.rows[r.rows.length - 1]!
        }
        return out as ReadonlyMap<string, ReadonlySet<string>>
      }).pipe(Effect.withSpan("PostgresStateStore.memberships")),

      list: (kind) =>
        snapshot(`list ${kind} entries`, async (client) => {
          const out: Array<StateStore.StateEntry> = []
          let after: string | undefined
          const listPage = 10_000
          for (;;) {
            const r = await client.query<EntryRow>(
              `${entrySelect} ${after === undefined ? "" : "AND e.external_id > $4"} ORDER BY e.external_id LIMIT $3`,
              after === undefined ? [src, kind, listPage] : [src, kind, listPage, after]
            )
            for (const row of r.rows) out.push(toEntry(kind, row))
            if (r.rows.length < listPage) break
            after = r.rows[r.rows.length - 1]!.external_id
          }
          return out as ReadonlyArray<StateStore.StateEntry>
        }).pipe(Effect.withSpan("PostgresStateStore.list", { attributes: { kind } })),

      commit: (batch) =>
        transaction(`commit run ${batch.runId}`, async (client) => {
          await fence(client)
          await applyChanges(client, batch)
        }).pipe(Effect.withSpan("PostgresStateStore.commit", { attributes: { runId: batch.runId, changes: batch.changes.length } })),

      touch: (kind, externalIds, at) =>
        externalIds.length === 0
          ? Effect.void
          : transaction("refresh last-seen times", async (client) => {
              await fence(client)
              for (const part of chunks(externalIds, idChunk))
                await client.query(
                  `UPDATE ${q}.entities e SET last_seen = $3 FROM unnest($4::text[]) AS t(external_id)
                   WHERE e.identity_source_id = $1 AND e.kind = $2 AND e.external_id = t.external_id`,
                  [src, kind, at, part.map(enc)]
                )
            }).pipe(Effect.withSpan("PostgresStateStore.touch", { attributes: { kind, count: externalIds.length } })),

      journal: run("read the apply journal", async (client) => {
        const r = await client.query<JournalRow>(
          `SELECT j.run_id, j.plan_hash, j.plan_identity_source_id, j.plan_json, j.started_at,
             coalesce((SELECT json_agg(json_build_object('index', s.session_index, 'oktaSessionId', s.okta_session_id,
                                                         'uploadedBatches', s.uploaded_batches, 'status', s.status) ORDER BY s.position)
                       FROM ${q}.journal_sessions s WHERE s.identity_source_id = j.identity_source_id), '[]'::json) AS sessions
           FROM ${q}.journal j WHERE j.identity_source_id = $1`,
          [src]
        )
        const row = r.rows[0]
        if (row === undefined) return Option.none<StateStore.Journal>()
        const sessions = row.sessions.map((s): StateStore.SessionCheckpoint => {
          if (!checkpointStatuses.has(s.status as StateStore.SessionCheckpoint["status"])) throw corrupt(`A checkpoint of the apply journal (status ${s.status})`)
          return {
            index: s.index,
            ...(s.oktaSessionId !== null ? { oktaSessionId: dec(s.oktaSessionId) } : {}),
            uploadedBatches: s.uploadedBatches,
            status: s.status as StateStore.SessionCheckpoint["status"]
          }
        })
        return Option.some<StateStore.Journal>({
          runId: dec(row.run_id),
          identitySourceId: dec(row.plan_identity_source_id),
          planHash: dec(row.plan_hash),
          planJson: row.plan_json,
          startedAt: iso(row.started_at),
          sessions
        })
      }),

      saveJournal: (journal) =>
        transaction(`save the apply journal of run ${journal.runId}`, async (client) => {
          await fence(client)
          await writeJournal(client, journal)
        }),

      clearJournal: transaction("clear the apply journal", async (client) => {
        await fence(client)
        await client.query(`DELETE FROM ${q}.journal WHERE identity_source_id = $1`, [src])
      }),

      rebuildProgress: run("read the state rebuild's progress", async (client) => {
        const r = await client.query<{ progress: string }>(`SELECT progress FROM ${q}.rebuild_progress WHERE identity_source_id = $1`, [src])
        const row = r.rows[0]
        if (row === undefined) return Option.none()
        let p: StateStore.RebuildProgress
        try {
          p = JSON.parse(dec(row.progress)) as StateStore.RebuildProgress
        } catch {
          throw corrupt("The state rebuild's progress")
        }
        if (typeof p !== "object" || p === null || typeof p.runId !== "string" || typeof p.phase !== "string")
          throw corrupt("The state rebuild's progress")
        return Option.some(p)
      }),

      saveRebuildProgress: (progress) =>
        run("save the state rebuild's progress", (client) =>
          client.query(
            `INSERT INTO ${q}.rebuild_progress (identity_source_id, progress, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (identity_source_id) DO UPDATE SET progress = EXCLUDED.progress, updated_at = EXCLUDED.updated_at`,
            [src, enc(JSON.stringify(progress)), progress.updatedAt]
          )
        ).pipe(Effect.asVoid),

      clearRebuildProgress: run("clear the state rebuild's progress", (client) =>
        client.query(`DELETE FROM ${q}.rebuild_progress WHERE identity_source_id = $1`, [src])
      ).pipe(Effect.asVoid),

      recordRun: (record) =>
        run(`record run ${record.runId}`, (client) =>
          client.query(
            `INSERT INTO ${q}.runs (identity_source_id, run_id, started_at, finished_at, mode, outcome, plan_hash, counts, message)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (identity_source_id, run_id) DO UPDATE SET started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
               mode = EXCLUDED.mode, outcome = EXCLUDED.outcome, plan_hash = EXCLUDED.plan_hash, counts = EXCLUDED.counts,
               message = EXCLUDED.message`,
            [
              src,
              enc(record.runId),
              record.startedAt,
              record.finishedAt ?? null,
              record.mode,
              record.outcome ?? null,
              encodeOrNull(record.planHash),
              record.counts !== undefined ? JSON.stringify(record.counts) : null,
              encodeOrNull(record.message)
            ]
          )
        ).pipe(Effect.asVoid),

      history: (limit) =>
        limit <= 0
          ? Effect.succeed([])
          : run("read the run history", async (client) => {
              const r = await client.query<RunRow>(
                `SELECT run_id, started_at, finished_at, mode, outcome, plan_hash, counts, message FROM ${q}.runs
                 WHERE identity_source_id = $1 ORDER BY seq DESC LIMIT $2`,
                [src, Math.floor(limit)]
              )
              return r.rows.map(toRun)
            }),

      lock: (owner, ttlMillis) =>
        Effect.gen(function* () {
          yield* Effect.acquireRelease(
            Effect.gen(function* () {
              const holder = yield* takeLease(owner, ttlMillis)
              if (holder !== undefined) return yield* Effect.fail(describeHolder(holder))
              held.set(owner, (held.get(owner) ?? 0) + 1)
            }),
            () => releaseLease(owner)
          )
          if (ttlMillis >= minRenewableTtl) yield* Effect.forkScoped(renewLoop(owner, ttlMillis))
        })
    }
    return service
  })

/** The store as a layer for `StateStore.StateStore`; the pool closes when the layer is released. */
export const layer = (options: Options): Layer.Layer<StateStore.StateStore, StateError> =>
  Layer.scoped(StateStore.StateStore, make(options))
