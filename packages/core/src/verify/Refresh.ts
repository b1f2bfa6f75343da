/**
 * Bringing state back in line with what Okta really holds, and `plan --refresh`.
 *
 * A correction records Okta's view of one record in state: `Observed` (Okta holds this profile: state stores it,
 * hashed like a planned profile, so the next plan diffs the source against it), `Absent` (Okta does not hold
 * the record: state forgets it, so the next plan creates it) and `Members` (a group's members as Okta lists
 * them). `drift --fix` and `plan --refresh` commit corrections and then plan as usual: the re-sends are an
 * ordinary plan, with the same safeguards and the same review.
 *
 * `refreshPlan` reads the records a plan would touch: users and groups to create, update or deactivate, and the
 * members of groups whose memberships change. Reactivations are not read (the API does not show a user's
 * status). Every read is compared through `ProfileCompare`; only records where Okta and state disagree are
 * corrected.
 */
import { Clock, Effect } from "effect"
import type { OktaApiError, StateError } from "../domain/Errors.ts"
import { profileHash } from "../domain/Hash.ts"
import type { CommittedChange, EntityKind, Profile } from "../domain/Model.ts"
import { OktaClient } from "../okta/OktaClient.ts"
import { type AnyProfile, profilesEqual } from "../okta/ProfileCompare.ts"
import type { Plan, UserChange } from "../plan/Plan.ts"
import { StateStore } from "../state/StateStore.ts"
import { runAll } from "./internal/runAll.ts"
import * as Progress from "./Progress.ts"
import * as Reader from "./Reader.ts"

export type Correction =
  | {
      readonly _tag: "Observed"
      readonly kind: EntityKind
      readonly externalId: string
      /** Okta's values for the attributes anysource sends (`null` where Okta has none), keys sorted. */
      readonly profile: Profile
      readonly location?: string
    }
  | { readonly _tag: "Absent"; readonly kind: EntityKind; readonly externalId: string }
  | {
      readonly _tag: "Members"
      readonly groupExternalId: string
      /** In Okta but not in state, and in state but not in Okta. */
      readonly add: ReadonlyArray<string>
      readonly remove: ReadonlyArray<string>
    }

/** Okta's profile over `attributes` (the ones the mapping sends), in sorted order, `null` where it has no value. */
export const observedProfile = (attributes: Iterable<string>, okta: AnyProfile): Profile => {
  const out: Record<string, string | null> = {}
  for (const a of [...new Set(attributes)].sort()) {
    const v = Object.hasOwn(okta, a) ? okta[a] : undefined
    out[a] = typeof v === "string" ? v : null
  }
  return out
}

/** The state changes of some corrections, in their order. */
export const toChanges = (corrections: ReadonlyArray<Correction>): ReadonlyArray<CommittedChange> =>
  corrections.flatMap((c): ReadonlyArray<CommittedChange> => {
    switch (c._tag) {
      case "Observed":
        return [
          {
            kind: c.kind,
            op: "upsert",
            externalId: c.externalId,
            hash: profileHash(c.profile),
            profile: c.profile,
            ...(c.location !== undefined ? { location: c.location } : {})
          }
        ]
      case "Absent":
        return [{ kind: c.kind, op: "forget", externalId: c.externalId }]
      case "Members":
        return [
          ...(c.add.length > 0
            ? [
                {
                  kind: "membership" as const,
                  op: "add" as const,
                  groupExternalId: c.groupExternalId,
                  memberExternalIds: c.add
                }
              ]
            : []),
          ...(c.remove.length > 0
            ? [
                {
                  kind: "membership" as const,
                  op: "remove" as const,
                  groupExternalId: c.groupExternalId,
                  memberExternalIds: c.remove
                }
              ]
            : [])
        ]
    }
  })

const COMMIT_CHUNK = 5_000

/** Commit corrections to state (in chunks, each atomic) as run `runId`. */
export const commit = (
  corrections: ReadonlyArray<Correction>,
  runId: string
): Effect.Effect<void, StateError, StateStore> =>
  Effect.gen(function* () {
    const store = yield* StateStore
    const at = new Date(yield* Clock.currentTimeMillis).toISOString()
    const changes = toChanges(corrections)
    for (let i = 0; i < changes.length; i += COMMIT_CHUNK)
      yield* store.commit({ runId, at, changes: changes.slice(i, i + COMMIT_CHUNK) })
  })

/** The members Okta lists against the members state holds: what state must add and remove to match. */
export const membersCorrection = (
  group: string,
  okta: ReadonlySet<string>,
  state: ReadonlySet<string> | undefined
): Correction | undefined => {
  const add = [...okta].filter((m) => state === undefined || !state.has(m)).sort()
  const remove = state === undefined ? [] : [...state].filter((m) => !okta.has(m)).sort()
  return add.length === 0 && remove.length === 0
    ? undefined
    : { _tag: "Members", groupExternalId: group, add, remove }
}

export interface RefreshReport {
  /** Records read (users, groups, groups' members). */
  readonly read: number
  /** Corrections committed: records where Okta and state disagreed. */
  readonly corrected: number
  readonly corrections: { readonly observed: number; readonly absent: number; readonly members: number }
  readonly requests: number
  readonly pausedMillis: number
}

export interface RefreshOptions {
  readonly runId: string
  readonly rateLimitShare: number
  readonly concurrency: number
  readonly onEvent?: Progress.OnEvent
}

type EntityTarget = { readonly kind: EntityKind; readonly change: UserChange }
type Target = EntityTarget | { readonly kind: "membership"; readonly group: string }

const entityCorrection = (
  t: EntityTarget,
  read: Reader.ReadResult<{ readonly profile: Profile }>,
  stored: Profile | undefined
): Correction | undefined => {
  const { kind, change } = t
  if (read._tag === "OverBudget") return undefined
  if (read._tag === "Absent")
    return stored !== undefined ? { _tag: "Absent", kind, externalId: change.externalId } : undefined
  if (change.op === "deactivate") return undefined
  const attributes = Object.keys(change.profile)
  if (
    stored !== undefined &&
    profilesEqual(stored, read.value.profile, { attributes: [...attributes, ...Object.keys(stored)] })
  )
    return undefined
  return {
    _tag: "Observed",
    kind,
    externalId: change.externalId,
    profile: observedProfile(attributes, read.value.profile),
    location: change.location
  }
}

/** The records `plan` would touch that can be read (reactivations cannot: no status in the API). */
const targetsOf = (plan: Plan): ReadonlyArray<Target> => {
  const out: Array<Target> = []
  for (const change of plan.users) if (change.op !== "reactivate") out.push({ kind: "user", change })
  for (const change of plan.groups) if (change.op !== "reactivate") out.push({ kind: "group", change })
  for (const group of new Set(plan.memberships.map((m) => m.groupExternalId)))
    out.push({ kind: "membership", group })
  return out
}

/**
 * Read Okta's view of every record `plan` would touch and commit a correction wherever it disagrees with state.
 * Fails on an Okta error (a refreshed plan must not rest on half the reads). Run the planner again when
 * `corrected > 0`.
 */
export const refreshPlan = (
  plan: Plan,
  options: RefreshOptions
): Effect.Effect<RefreshReport, OktaApiError | StateError, OktaClient | StateStore> =>
  Effect.gen(function* () {
    const store = yield* StateStore
    const client = yield* OktaClient
    const onEvent = options.onEvent ?? Progress.silent
    const targets = targetsOf(plan)
    const ids = (kind: EntityKind) => targets.flatMap((t) => (t.kind === kind ? [t.change.externalId] : []))
    const stored = {
      user: yield* store.entries("user", ids("user")),
      group: yield* store.entries("group", ids("group"))
    }
    const members = targets.some((t) => t.kind === "membership")
      ? yield* store.memberships
      : new Map<string, ReadonlySet<string>>()
    const { reader, tick } = yield* Reader.start(
      client,
      { rateLimitShare: options.rateLimitShare },
      { task: "refresh", what: "records the plan touches", total: targets.length, onEvent }
    )
    const ran = yield* runAll(
      targets,
      (t): Effect.Effect<Correction | undefined, OktaApiError> =>
        t.kind === "membership"
          ? Effect.map(reader.members(t.group), (r) =>
              r._tag === "Found" ? membersCorrection(t.group, r.value, members.get(t.group)) : undefined
            )
          : Effect.map(
              t.kind === "user" ? reader.user(t.change.externalId) : reader.group(t.change.externalId),
              (r) =>
                entityCorrection(
                  t,
                  r,
                  (t.kind === "user" ? stored.user : stored.group).get(t.change.externalId)?.profile
                )
            ),
      { concurrency: options.concurrency, tick }
    )
    if (ran.error !== undefined) return yield* Effect.fail(ran.error)
    const corrections = ran.results.filter((c): c is Correction => c !== undefined)
    yield* commit(corrections, options.runId)
    const usage = yield* reader.usage
    return {
      read: targets.length,
      corrected: corrections.length,
      corrections: {
        observed: corrections.filter((c) => c._tag === "Observed").length,
        absent: corrections.filter((c) => c._tag === "Absent").length,
        members: corrections.filter((c) => c._tag === "Members").length
      },
      requests: usage.requests,
      pausedMillis: usage.pausedMillis
    }
  })
