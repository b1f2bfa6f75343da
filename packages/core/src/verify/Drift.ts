/**
 * Drift: what anysource believes Okta holds (the state) against what Okta holds, for all or a sample of the
 * active records, read with the single-entity endpoints.
 *
 * Kinds of drift, per record: `profile` (Okta's values differ from the ones last sent: an admin edit, another
 * writer), `missing` (Okta has no such user or group), and for a group's members `membership-missing` (state
 * has the member, Okta does not) and `membership-extra` (Okta lists a member state does not have). Users and
 * groups that state holds as deactivated are not read: the API does not show a user's status, and a deleted
 * group is expected to be gone.
 *
 * `fix` records Okta's view in state for every drifted record (Refresh.ts corrections); the next plan then
 * re-sends what the source says, as an ordinary plan with the usual safeguards and review.
 */
import { Clock, Effect } from "effect"
import type { OktaApiError, StateError } from "../domain/Errors.ts"
import type { EntityKind, Profile } from "../domain/Model.ts"
import { OktaClient } from "../okta/OktaClient.ts"
import { type ProfileDifference, profileDifferences } from "../okta/ProfileCompare.ts"
import { StateStore, type StateStoreService } from "../state/StateStore.ts"
import { runAll } from "./internal/runAll.ts"
import * as Progress from "./Progress.ts"
import * as Reader from "./Reader.ts"
import * as Refresh from "./Refresh.ts"
import * as Sample from "./Sample.ts"
import type { ReadError } from "./Verify.ts"

export type DriftKind = "profile" | "missing" | "membership-missing" | "membership-extra"

export type Scope = "users" | "groups" | "memberships"
export const scopes: ReadonlyArray<Scope> = ["users", "groups", "memberships"]

export interface DriftRecord {
  readonly kind: "user" | "group" | "membership"
  readonly externalId: string
  readonly drift: ReadonlyArray<DriftKind>
  /** `expected` is what state holds (last sent), `actual` what Okta answered. */
  readonly differences?: ReadonlyArray<ProfileDifference>
  /** Members state has and Okta does not; members Okta lists and state does not. */
  readonly missingMembers?: ReadonlyArray<string>
  readonly extraMembers?: ReadonlyArray<string>
  /** What `fix` records in state for it. */
  readonly correction: Refresh.Correction
}

type Counts = { readonly users: number; readonly groups: number; readonly memberships: number }

export interface DriftReport {
  readonly sample: string
  /** Active records in state (memberships: active groups), the population the sample is drawn from. */
  readonly population: Counts
  readonly checked: Counts
  /** Drifted records by kind (membership kinds count member pairs). */
  readonly drifted: {
    readonly profile: number
    readonly missing: number
    readonly membershipMissing: number
    readonly membershipExtra: number
  }
  /** Sampled records left unread (budget, or stopped by an error). */
  readonly unchecked: number
  readonly stopped?: "budget" | "error"
  readonly error?: ReadError
  readonly requests: number
  readonly pausedMillis: number
  readonly durationMs: number
  /** Every drifted record, in the order read. */
  readonly records: ReadonlyArray<DriftRecord>
}

export interface DriftOptions {
  readonly sample: Sample.Sample
  readonly scopes?: ReadonlyArray<Scope>
  readonly maxRequests?: number
  readonly rateLimitShare: number
  readonly concurrency: number
  readonly seed: string
  readonly onEvent?: Progress.OnEvent
}

type Target =
  | { readonly kind: EntityKind; readonly externalId: string }
  | { readonly kind: "membership"; readonly externalId: string }

/** The active users and groups in state, and every active group again for its members. */
const population = (store: StateStoreService, wanted: ReadonlyArray<Scope>) =>
  Effect.gen(function* () {
    const active = (index: ReadonlyMap<string, { readonly status: string }>) =>
      [...index].flatMap(([id, e]) => (e.status === "ACTIVE" ? [id] : [])).sort()
    const users = wanted.includes("users") ? active(yield* store.index("user")) : []
    const groupIds =
      wanted.includes("groups") || wanted.includes("memberships") ? active(yield* store.index("group")) : []
    const targets: Array<Target> = [
      ...users.map((externalId) => ({ kind: "user" as const, externalId })),
      ...(wanted.includes("groups")
        ? groupIds.map((externalId) => ({ kind: "group" as const, externalId }))
        : []),
      ...(wanted.includes("memberships")
        ? groupIds.map((externalId) => ({ kind: "membership" as const, externalId }))
        : [])
    ]
    const counts: Counts = {
      users: users.length,
      groups: wanted.includes("groups") ? groupIds.length : 0,
      memberships: wanted.includes("memberships") ? groupIds.length : 0
    }
    return { targets, counts }
  })

const entityDrift = (
  kind: EntityKind,
  externalId: string,
  stored: Profile,
  read: Reader.ReadResult<{ readonly profile: Profile }>
): DriftRecord | null | undefined => {
  if (read._tag === "OverBudget") return undefined
  if (read._tag === "Absent")
    return { kind, externalId, drift: ["missing"], correction: { _tag: "Absent", kind, externalId } }
  const differences = profileDifferences(stored, read.value.profile, { attributes: Object.keys(stored) })
  if (differences.length === 0) return null
  const profile = Refresh.observedProfile(Object.keys(stored), read.value.profile)
  return {
    kind,
    externalId,
    drift: ["profile"],
    differences,
    correction: { _tag: "Observed", kind, externalId, profile }
  }
}

const membersDrift = (
  group: string,
  state: ReadonlySet<string> | undefined,
  read: Reader.ReadResult<ReadonlySet<string>>
): DriftRecord | null | undefined => {
  if (read._tag === "OverBudget") return undefined
  // a group Okta does not hold is reported (and corrected) once, as the group
  if (read._tag === "Absent") return null
  const correction = Refresh.membersCorrection(group, read.value, state)
  if (correction === undefined || correction._tag !== "Members") return null
  const drift: Array<DriftKind> = [
    ...(correction.remove.length > 0 ? ["membership-missing" as const] : []),
    ...(correction.add.length > 0 ? ["membership-extra" as const] : [])
  ]
  return {
    kind: "membership",
    externalId: group,
    drift,
    ...(correction.remove.length > 0 ? { missingMembers: correction.remove } : {}),
    ...(correction.add.length > 0 ? { extraMembers: correction.add } : {}),
    correction
  }
}

/** Compare state with Okta for a sample of the active records. Fails only when the state cannot be read. */
export const check = (
  options: DriftOptions
): Effect.Effect<DriftReport, StateError, OktaClient | StateStore> =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const store = yield* StateStore
    const client = yield* OktaClient
    const onEvent = options.onEvent ?? Progress.silent
    const { targets, counts } = yield* population(store, options.scopes ?? scopes)
    const sampled = Sample.pick(targets, (t) => `${t.kind}:${t.externalId}`, options.sample, options.seed)
    const idsOf = (kind: EntityKind) => sampled.flatMap((t) => (t.kind === kind ? [t.externalId] : []))
    const entries = {
      user: yield* store.entries("user", idsOf("user")),
      group: yield* store.entries("group", idsOf("group"))
    }
    const members = sampled.some((t) => t.kind === "membership")
      ? yield* store.memberships
      : new Map<string, ReadonlySet<string>>()
    const { reader, tick } = yield* Reader.start(
      client,
      {
        rateLimitShare: options.rateLimitShare,
        ...(options.maxRequests !== undefined ? { maxRequests: options.maxRequests } : {})
      },
      { task: "drift", what: "records in state", total: sampled.length, onEvent }
    )
    const ran = yield* runAll(
      sampled,
      (t): Effect.Effect<DriftRecord | null | undefined, OktaApiError> => {
        if (t.kind === "membership")
          return Effect.map(reader.members(t.externalId), (r) =>
            membersDrift(t.externalId, members.get(t.externalId), r)
          )
        const stored = entries[t.kind].get(t.externalId)?.profile ?? {}
        return Effect.map(t.kind === "user" ? reader.user(t.externalId) : reader.group(t.externalId), (r) =>
          entityDrift(t.kind, t.externalId, stored, r)
        )
      },
      { concurrency: options.concurrency, tick }
    )
    const usage = yield* reader.usage
    const records = ran.results.filter((r): r is DriftRecord => r !== undefined && r !== null)
    const checkedOf = (kind: Target["kind"]) =>
      sampled.filter((t, i) => t.kind === kind && ran.results[i] !== undefined).length
    const pairs = (f: (r: DriftRecord) => ReadonlyArray<string> | undefined) =>
      records.reduce((n, r) => n + (f(r)?.length ?? 0), 0)
    const end = yield* Clock.currentTimeMillis
    return {
      sample: Sample.describe(options.sample),
      population: counts,
      checked: { users: checkedOf("user"), groups: checkedOf("group"), memberships: checkedOf("membership") },
      drifted: {
        profile: records.filter((r) => r.drift.includes("profile")).length,
        missing: records.filter((r) => r.drift.includes("missing")).length,
        membershipMissing: pairs((r) => r.missingMembers),
        membershipExtra: pairs((r) => r.extraMembers)
      },
      unchecked: ran.results.filter((r) => r === undefined).length,
      ...(ran.error !== undefined
        ? {
            stopped: "error" as const,
            error: { tag: ran.error._tag, reason: ran.error.reason, message: ran.error.message }
          }
        : usage.overBudget
          ? { stopped: "budget" as const }
          : {}),
      requests: usage.requests,
      pausedMillis: usage.pausedMillis,
      durationMs: end - start,
      records
    }
  })

/** True when the check found any drift. */
export const found = (report: DriftReport): boolean => report.records.length > 0

/**
 * Record Okta's view of every drifted record in state (as run `runId`), so the next plan re-sends what the source
 * says. Returns how many records were corrected.
 */
export const fix = (report: DriftReport, runId: string): Effect.Effect<number, StateError, StateStore> =>
  Effect.as(
    Refresh.commit(
      report.records.map((r) => r.correction),
      runId
    ),
    report.records.length
  )
