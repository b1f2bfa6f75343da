/**
 * What anysource believes is in Okta, what each run did, and where an unfinished apply stands.
 * Implementations: in-memory (`StateStore.layerMemory`, tests), SQLite (`@anysource/state-sqlite`),
 * PostgreSQL (`@anysource/state-postgres`).
 *
 * Rules every implementation keeps:
 * - `commit` is atomic: the entity changes of one COMPLETED Okta session and the journal checkpoint land together or not at all.
 * - Nothing is committed before Okta reported the session COMPLETED (the orchestrator's job; the store just stores).
 * - A killed process between begin and commit leaves the previous state intact.
 */
import { Clock, Context, Effect, Layer, Option, Ref, type Scope } from "effect"
import { StateError } from "../domain/Errors.ts"
import type { CommittedChange, EntityKind, Profile, SourceLocation } from "../domain/Model.ts"

export type { CommittedChange } from "../domain/Model.ts"

export type EntityStatus = "ACTIVE" | "DEACTIVATED"

/** The small per-record entry the planner holds for every known record (memory is bounded by this). */
export interface IndexEntry {
  readonly hash: string
  readonly status: EntityStatus
}

export interface StateEntry extends IndexEntry {
  readonly kind: EntityKind
  readonly externalId: string
  readonly profile: Profile
  readonly location?: SourceLocation
  /** ISO-8601 timestamps. */
  readonly firstSeen: string
  readonly lastSeen: string
  readonly lastRunId: string
}

export interface SessionCheckpoint {
  /** Position of this session in the plan's session list (0-based). */
  readonly index: number
  readonly oktaSessionId?: string
  /** Indexes (within the session) of batches Okta accepted (202). */
  readonly uploadedBatches: ReadonlyArray<number>
  readonly status: "PENDING" | "CREATED" | "UPLOADING" | "TRIGGERED" | "COMPLETED" | "FAILED"
}

/** The journal of an apply in flight; survives crashes, lets the next run resume. */
export interface Journal {
  readonly runId: string
  readonly identitySourceId: string
  readonly planHash: string
  /** The plan being applied, as stable JSON, so a resume applies exactly what was planned. */
  readonly planJson: string
  readonly startedAt: string
  readonly sessions: ReadonlyArray<SessionCheckpoint>
}

/**
 * How a run ended, the same words in its report (`RunReport.outcome`) and in the run history: `no-changes`,
 * `planned` (mode plan), `applied`, `partial` (stopped at a session boundary, journal kept), `safeguard`, `failed`.
 */
export type RunOutcome = "no-changes" | "planned" | "applied" | "partial" | "safeguard" | "failed"

const runOutcomes: ReadonlySet<string> = new Set<RunOutcome>(["no-changes", "planned", "applied", "partial", "safeguard", "failed"])

/**
 * A stored outcome in today's words, for stores reading their run history: histories written before one
 * vocabulary say `succeeded` (now `applied`) and `interrupted` (now `partial`). Anything else unknown is dropped.
 */
export const runOutcome = (stored: string | null | undefined): RunOutcome | undefined => {
  if (stored === "succeeded") return "applied"
  if (stored === "interrupted") return "partial"
  return stored !== null && stored !== undefined && runOutcomes.has(stored) ? (stored as RunOutcome) : undefined
}

export interface RunRecord {
  readonly runId: string
  readonly identitySourceId: string
  readonly startedAt: string
  readonly finishedAt?: string
  readonly mode: "plan" | "apply"
  readonly outcome?: RunOutcome
  readonly planHash?: string
  readonly counts?: Readonly<Record<string, number>>
  readonly message?: string
}

/**
 * Where an unfinished `state rebuild` stands (`anysource state rebuild` resumes from it): the phase it is in and the
 * last externalId of that phase whose records are committed. Present only while a rebuild is unfinished.
 */
export interface RebuildProgress {
  readonly runId: string
  readonly startedAt: string
  readonly updatedAt: string
  readonly phase: "users" | "groups" | "memberships"
  /** The last externalId (user, or group for the last two phases) done in `phase`; absent at its start. */
  readonly after?: string
  /** Running totals for the report (records matched, differing, not in Okta, membership pairs, requests). */
  readonly counts: Readonly<Record<string, number>>
}

export interface CommitBatch {
  readonly runId: string
  readonly at: string
  readonly changes: ReadonlyArray<CommittedChange>
  /** The journal as it stands once this commit is durable (the session marked COMPLETED). */
  readonly journal?: Journal
}

export interface StateStoreService {
  /** externalId → {hash, status} for every known user or group. */
  readonly index: (kind: EntityKind) => Effect.Effect<ReadonlyMap<string, IndexEntry>, StateError>
  /**
   * Optional fast path for the planner: call `f` once per index entry (the same entries as `index`) without
   * building a Map of one object per record. Stores that lack it are read through `index`.
   */
  readonly forEachIndex?: (
    kind: EntityKind,
    f: (externalId: string, hash: string, status: EntityStatus) => void
  ) => Effect.Effect<void, StateError>
  /** Full last-synced entries for the given ids (only changed records are loaded). */
  readonly entries: (
    kind: EntityKind,
    externalIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, StateEntry>, StateError>
  /** groupExternalId → member user externalIds, as last synced. */
  readonly memberships: Effect.Effect<ReadonlyMap<string, ReadonlySet<string>>, StateError>
  /** Optional fast path for the planner: call `f` once per (group, member) pair of `memberships`, building nothing. */
  readonly forEachMembership?: (f: (groupExternalId: string, memberExternalId: string) => void) => Effect.Effect<void, StateError>
  /** Every entry (for `state show|export`). */
  readonly list: (kind: EntityKind) => Effect.Effect<ReadonlyArray<StateEntry>, StateError>
  /** Atomically apply one completed session's changes (and its journal checkpoint). */
  readonly commit: (batch: CommitBatch) => Effect.Effect<void, StateError>
  /** Mark records as still present in the source (refreshes `lastSeen`) without changing them. */
  readonly touch: (kind: EntityKind, externalIds: ReadonlyArray<string>, at: string) => Effect.Effect<void, StateError>
  readonly journal: Effect.Effect<Option.Option<Journal>, StateError>
  readonly saveJournal: (journal: Journal) => Effect.Effect<void, StateError>
  readonly clearJournal: Effect.Effect<void, StateError>
  /** The progress of an unfinished `state rebuild`, if one is under way (see `RebuildProgress`). */
  readonly rebuildProgress: Effect.Effect<Option.Option<RebuildProgress>, StateError>
  readonly saveRebuildProgress: (progress: RebuildProgress) => Effect.Effect<void, StateError>
  readonly clearRebuildProgress: Effect.Effect<void, StateError>
  readonly recordRun: (run: RunRecord) => Effect.Effect<void, StateError>
  readonly history: (limit: number) => Effect.Effect<ReadonlyArray<RunRecord>, StateError>
  /**
   * Hold the per-identity-source lock for the scope's lifetime. Fails with `StateError{reason:"Locked"}`
   * when another live holder has it; a dead holder's lock expires after `ttlMillis`.
   */
  readonly lock: (owner: string, ttlMillis: number) => Effect.Effect<void, StateError, Scope.Scope>
}

export class StateStore extends Context.Tag("@anysource/core/StateStore")<StateStore, StateStoreService>() {}

// ---------------------------------------------------------------------------------------------
// In-memory implementation (tests, dry runs). Same semantics as the durable stores.

interface MemoryData {
  readonly entries: Map<string, StateEntry>
  readonly memberships: Map<string, Set<string>>
  journal: Journal | undefined
  rebuild: RebuildProgress | undefined
  readonly runs: Array<RunRecord>
  lock: { owner: string; expiresAt: number } | undefined
}

const key = (kind: EntityKind, id: string) => `${kind}\u0000${id}`

/** A `forget`: the entry goes, and so does every membership naming it (as member, or as the group). */
const forget = (data: MemoryData, kind: EntityKind, externalId: string): void => {
  data.entries.delete(key(kind, externalId))
  if (kind === "group") data.memberships.delete(externalId)
  else
    for (const [group, members] of data.memberships) {
      members.delete(externalId)
      if (members.size === 0) data.memberships.delete(group)
    }
}

export const makeMemory = (identitySourceId = "memory"): Effect.Effect<StateStoreService> =>
  Effect.gen(function* () {
    const ref = yield* Ref.make<MemoryData>({
      entries: new Map(),
      memberships: new Map(),
      journal: undefined,
      rebuild: undefined,
      runs: [],
      lock: undefined
    })
    const data = yield* Ref.get(ref)
    const service: StateStoreService = {
      index: (kind) =>
        Effect.sync(() => {
          const out = new Map<string, IndexEntry>()
          for (const e of data.entries.values())
            if (e.kind === kind) out.set(e.externalId, { hash: e.hash, status: e.status })
          return out
        }),
      entries: (kind, ids) =>
        Effect.sync(() => {
          const out = new Map<string, StateEntry>()
          for (const id of ids) {
            const e = data.entries.get(key(kind, id))
            if (e) out.set(id, e)
          }
          return out
        }),
      memberships: Effect.sync(() => {
        const out = new Map<string, ReadonlySet<string>>()
        for (const [g, m] of data.memberships) out.set(g, new Set(m))
        return out
      }),
      list: (kind) => Effect.sync(() => [...data.entries.values()].filter((e) => e.kind === kind)),
      commit: (batch) =>
        Effect.sync(() => {
          for (const c of batch.changes) {
            if (c.kind === "membership") {
              const set = data.memberships.get(c.groupExternalId) ?? new Set<string>()
              for (const m of c.memberExternalIds) {
                if (c.op === "add") set.add(m)
                else set.delete(m)
              }
              if (set.size === 0) data.memberships.delete(c.groupExternalId)
              else data.memberships.set(c.groupExternalId, set)
            } else if (c.op === "upsert") {
              const prev = data.entries.get(key(c.kind, c.externalId))
              data.entries.set(key(c.kind, c.externalId), {
                kind: c.kind,
                externalId: c.externalId,
                hash: c.hash,
                status: "ACTIVE",
                profile: c.profile,
                ...(c.location !== undefined ? { location: c.location } : {}),
                firstSeen: prev?.firstSeen ?? batch.at,
                lastSeen: batch.at,
                lastRunId: batch.runId
              })
            } else if (c.op === "forget") forget(data, c.kind, c.externalId)
            else {
              const prev = data.entries.get(key(c.kind, c.externalId))
              if (prev)
                data.entries.set(key(c.kind, c.externalId), { ...prev, status: "DEACTIVATED", lastRunId: batch.runId })
            }
          }
          if (batch.journal) data.journal = batch.journal
        }),
      touch: (kind, ids, at) =>
        Effect.sync(() => {
          for (const id of ids) {
            const prev = data.entries.get(key(kind, id))
            if (prev) data.entries.set(key(kind, id), { ...prev, lastSeen: at })
          }
        }),
      journal: Effect.sync(() => Option.fromNullable(data.journal)),
      saveJournal: (journal) =>
        Effect.sync(() => {
          data.journal = journal
        }),
      clearJournal: Effect.sync(() => {
        data.journal = undefined
      }),
      rebuildProgress: Effect.sync(() => Option.fromNullable(data.rebuild)),
      saveRebuildProgress: (progress) =>
        Effect.sync(() => {
          data.rebuild = progress
        }),
      clearRebuildProgress: Effect.sync(() => {
        data.rebuild = undefined
      }),
      recordRun: (run) =>
        Effect.sync(() => {
          const i = data.runs.findIndex((r) => r.runId === run.runId)
          if (i >= 0) data.runs[i] = run
          else data.runs.push(run)
        }),
      history: (limit) => Effect.sync(() => (limit <= 0 ? [] : data.runs.slice(-limit).reverse())),
      lock: (owner, ttlMillis) =>
        Effect.acquireRelease(
          Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            if (data.lock && data.lock.owner !== owner && data.lock.expiresAt > now) {
              return yield* Effect.fail(
                new StateError({
                  reason: "Locked",
                  message: `Identity source ${identitySourceId} is locked by ${data.lock.owner}; another run is in progress.`
                })
              )
            }
            data.lock = { owner, expiresAt: now + ttlMillis }
          }),
          () =>
            Effect.sync(() => {
              if (data.lock?.owner === owner) data.lock = undefined
            })
        )
    }
    return service
  })

export const layerMemory = (identitySourceId?: string): Layer.Layer<StateStore> =>
  Layer.effect(StateStore, makeMemory(identitySourceId))
