/**
 * The diffs: what the accumulated rows want against what the state store holds, for users, groups and
 * memberships. Stored entries (for field-level diffs and a deactivation's last location) are loaded only for
 * the records that change.
 *
 * - A record whose row was invalid but is ACTIVE in state is held: not deactivated, memberships untouched.
 * - Deactivation reason: `filtered` (with the rule) when a row with that externalId was excluded, else `missing`.
 * - Memberships are diffed per group. Deactivated users' and groups' memberships are not sent as removals (Okta's
 *   deactivation covers them, and state keeps them); a reactivated user or group gets all its desired memberships
 *   (re-)sent. Removals only name users that are valid in this run.
 * - Changes are sorted by externalId, so a plan (and its hash) does not depend on row order.
 */
import { Effect } from "effect"
import type { StateError } from "../domain/Errors.ts"
import * as Hash from "../domain/Hash.ts"
import type { EntityKind, Profile, SourceLocation } from "../domain/Model.ts"
import type { EntityStatus, IndexEntry, StateEntry, StateStoreService } from "../state/StateStore.ts"
import type { Accumulator } from "./Accumulator.ts"
import { SortedSpill, type SpillOptions } from "./internal/spill.ts"
import type { Changes, EntityCounts, FieldChange, GroupChange, MembershipChange, UserChange } from "./Plan.ts"

const byId = <A extends { readonly externalId: string }>(a: A, b: A) =>
  a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0
export const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Field-level diff, fields sorted; only fields whose value differs. */
export const diffProfiles = (before: Profile | undefined, after: Profile): ReadonlyArray<FieldChange> => {
  const keys = new Set<string>(Object.keys(after))
  if (before) for (const k of Object.keys(before)) keys.add(k)
  const out: Array<FieldChange> = []
  for (const k of [...keys].sort()) {
    const hasB = before !== undefined && Object.hasOwn(before, k)
    const hasA = Object.hasOwn(after, k)
    const b = hasB ? before[k] : undefined
    const a = hasA ? after[k] : undefined
    if (hasA === hasB && a === b) continue
    out.push({ ...(hasA ? { after: a ?? null } : {}), ...(hasB ? { before: b ?? null } : {}), field: k })
  }
  return out
}

const loadEntries = (store: StateStoreService, kind: EntityKind, ids: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const out = new Map<string, StateEntry>()
    for (let i = 0; i < ids.length; i += 10_000) {
      const part = yield* store.entries(kind, ids.slice(i, i + 10_000))
      for (const [k, v] of part) out.set(k, v)
    }
    return out as ReadonlyMap<string, StateEntry>
  })

interface Desired {
  readonly externalId: string
  readonly profile: Profile
  readonly hash: string
  readonly location: SourceLocation
}

/** Build create/update/reactivate changes for `changed` records, loading stored entries only for them. */
const upserts = (
  store: StateStoreService,
  kind: EntityKind,
  statusOf: (externalId: string) => EntityStatus | undefined,
  changed: Iterable<Desired>
) =>
  Effect.gen(function* () {
    const list = [...changed]
    const known = list.filter((d) => statusOf(d.externalId) !== undefined).map((d) => d.externalId)
    const entries = yield* loadEntries(store, kind, known)
    const out: Array<UserChange> = []
    for (const d of list) {
      const st = statusOf(d.externalId)
      if (st === undefined) {
        // keys in sorted order: the plan's stable JSON then needs no re-sorting (see Hash.stableHash)
        out.push({
          externalId: d.externalId,
          hash: d.hash,
          location: d.location,
          op: "create",
          profile: d.profile
        })
      } else {
        const before = entries.get(d.externalId)?.profile
        out.push({
          externalId: d.externalId,
          fields: diffProfiles(before, d.profile),
          hash: d.hash,
          location: d.location,
          op: st === "ACTIVE" ? "update" : "reactivate",
          profile: d.profile
        })
      }
    }
    return out
  })

const deactivations = (
  store: StateStoreService,
  kind: EntityKind,
  gone: ReadonlyArray<{ readonly externalId: string; readonly rule: string | undefined }>
) =>
  Effect.gen(function* () {
    const entries = yield* loadEntries(
      store,
      kind,
      gone.map((g) => g.externalId)
    )
    return gone.map(({ externalId, rule }): UserChange => {
      const e = entries.get(externalId)
      return {
        externalId,
        ...(rule !== undefined ? { filterRule: rule } : {}),
        ...(e?.location !== undefined ? { lastLocation: e.location } : {}),
        ...(e?.lastSeen !== undefined ? { lastSeen: e.lastSeen } : {}),
        op: "deactivate",
        reason: rule === undefined ? "missing" : "filtered"
      }
    })
  })

export const counts = (changes: Iterable<UserChange>, unchanged: number, held: number): EntityCounts => {
  const c = { create: 0, update: 0, reactivate: 0, deactivate: 0, unchanged, held }
  for (const ch of changes) c[ch.op]++
  return c
}

export const stateDigest = (
  usersDigest: string,
  groups: ReadonlyMap<string, IndexEntry>,
  members: Hash.MultisetDigest
): string => {
  const groups_ = new Hash.MultisetDigest()
  for (const [id, e] of groups) groups_.add(id, e.status, e.hash, 24)
  return Hash.sha256(`${usersDigest}:${groups_.digest()}:${members.digest()}`)
}

/**
 * The user changes of a run as they are found: the changed rows during the fold (in chunks, so a first run of a
 * million creates never holds them all), the deactivations at the end. Sorted by externalId when finished, in
 * memory or spilled to a temporary file (see `internal/spill.ts`).
 */
export class UserChanges {
  private readonly spill: SortedSpill<UserChange>
  readonly counts = { create: 0, update: 0, reactivate: 0, deactivate: 0 }
  /** Slots of the users to reactivate (their memberships are all re-sent). */
  readonly reactivated = new Set<number>()

  constructor(options?: SpillOptions) {
    this.spill = new SortedSpill(options)
  }

  add(change: UserChange): void {
    this.counts[change.op]++
    this.spill.add(change)
  }

  finish(): Changes<UserChange> {
    return this.spill.finish()
  }
}

/** Rows that changed since the last fold step become changes (stored entries loaded for the known ones). */
export const drainChanged = (
  store: StateStoreService,
  acc: Accumulator,
  out: UserChanges
): Effect.Effect<void, StateError> =>
  Effect.suspend(() => {
    const changed = acc.takeChanged()
    if (changed.length === 0) return Effect.void
    return Effect.map(
      upserts(store, "user", (id) => acc.users.status(id), changed),
      (changes) => {
        for (const ch of changes) {
          if (ch.op === "reactivate") out.reactivated.add(acc.users.slotOf(ch.externalId)!)
          out.add(ch)
        }
      }
    )
  })

export interface UserDiff {
  readonly changes: Changes<UserChange>
  readonly counts: EntityCounts
  /** Users ACTIVE in state before this plan. */
  readonly active: number
  readonly held: number
  /** Slots of the users to reactivate. */
  readonly reactivated: ReadonlySet<number>
}

/** Users: creates, updates and reactivations of the changed rows, deactivations of the ACTIVE ones not seen. */
export const diffUsers = (
  store: StateStoreService,
  acc: Accumulator,
  out: UserChanges
): Effect.Effect<UserDiff, StateError> =>
  Effect.gen(function* () {
    yield* drainChanged(store, acc, out)
    let active = 0
    let held = 0
    const gone: Array<{ externalId: string; rule: string | undefined }> = []
    acc.users.forEachActive((id, seen, invalid) => {
      active++
      if (seen) {
        if (invalid) held++
      } else gone.push({ externalId: id, rule: acc.excludedIds.get(id) })
    })
    // in chunks, so the stored entries of a source that lost everyone are never loaded at once
    for (let i = 0; i < gone.length; i += 10_000)
      for (const ch of yield* deactivations(store, "user", gone.slice(i, i + 10_000))) out.add(ch)
    const changes = out.finish()
    return {
      changes,
      counts: { ...out.counts, unchanged: acc.unchangedUsers, held },
      active,
      held,
      reactivated: out.reactivated
    }
  })

export type GroupOp = "create" | "update" | "reactivate" | "unchanged"

export interface GroupDiff {
  readonly changes: ReadonlyArray<GroupChange>
  readonly unchanged: number
  /** Groups ACTIVE in state before this plan. */
  readonly active: number
  readonly held: number
  /** What happens to every valid group the rows yield. */
  readonly ops: ReadonlyMap<string, GroupOp>
}

/** Groups: a group is deactivated only when no included row yields it any more; invalid groups are held. */
export const diffGroups = (
  store: StateStoreService,
  acc: Accumulator,
  index: ReadonlyMap<string, IndexEntry>,
  invalid: ReadonlySet<string>
): Effect.Effect<GroupDiff, StateError> =>
  Effect.gen(function* () {
    const desired: Array<Desired> = []
    let unchanged = 0
    let active = 0
    let held = 0
    const ops = new Map<string, GroupOp>()
    for (const [id, g] of acc.groups) {
      if (invalid.has(id)) continue
      const hash = Hash.profileHash(g.profile)
      const st = index.get(id)
      const op =
        st === undefined
          ? "create"
          : st.status !== "ACTIVE"
            ? "reactivate"
            : st.hash !== hash
              ? "update"
              : "unchanged"
      ops.set(id, op)
      if (op === "unchanged") unchanged++
      else desired.push({ externalId: id, profile: g.profile, hash, location: g.location })
    }
    const gone: Array<{ externalId: string; rule: string | undefined }> = []
    for (const [id, st] of index) {
      if (st.status !== "ACTIVE") continue
      active++
      const g = acc.groups.get(id)
      if (g === undefined) gone.push({ externalId: id, rule: undefined })
      else if (invalid.has(id)) held++
    }
    gone.sort(byId)
    const changes: Array<GroupChange> = [
      ...(yield* upserts(store, "group", (id) => index.get(id)?.status, desired)),
      ...(yield* deactivations(store, "group", gone))
    ].sort(byId)
    return { changes, unchanged, active, held, ops }
  })

export interface MembershipDiff {
  readonly changes: ReadonlyArray<MembershipChange>
  readonly add: number
  readonly remove: number
  /** Membership pairs in state before this plan. */
  readonly pairs: number
  readonly digest: Hash.MultisetDigest
}

/**
 * Memberships: the state's pairs are streamed once against the desired sets (no set per group is built for the
 * state). A pair also desired is kept unless its group is new/reactivated or its user reactivated (those are
 * re-sent); what stays in a desired set is an add; a state pair not desired is a removal.
 */
export const diffMemberships = (
  store: StateStoreService,
  acc: Accumulator,
  reactivated: ReadonlySet<number>,
  groupOps: ReadonlyMap<string, GroupOp>
): Effect.Effect<MembershipDiff, StateError> =>
  Effect.gen(function* () {
    const table = acc.users
    const members = acc.members
    const removals = new Map<string, Array<string>>()
    const digest = new Hash.MultisetDigest()
    let pairs = 0
    const visitPair = (g: string, u: string): void => {
      pairs++
      digest.add(g, u)
      const op = groupOps.get(g)
      if (op === undefined) return
      const slot = table.slotOf(u)
      const gi = members.groupIndex(g)
      if (slot !== undefined && gi !== undefined && members.has(slot, gi)) {
        if (op !== "create" && op !== "reactivate" && !reactivated.has(slot)) members.match(slot, gi)
        return
      }
      if (slot === undefined || !table.isValidSlot(slot)) return
      let list = removals.get(g)
      if (list === undefined) removals.set(g, (list = []))
      list.push(u)
    }
    if (store.forEachMembership !== undefined) yield* store.forEachMembership(visitPair)
    else for (const [g, ms] of yield* store.memberships) for (const u of ms) visitPair(g, u)
    const unmatched = members.unmatched()
    const changes: Array<MembershipChange> = []
    let add = 0
    let remove = 0
    for (const g of [...groupOps.keys()].sort()) {
      const gi = members.groupIndex(g)
      const adds = gi === undefined ? [] : unmatched[gi]!.map((slot) => table.idOf(slot))
      const removes = removals.get(g) ?? []
      if (adds.length > 0) {
        changes.push({ groupExternalId: g, memberExternalIds: adds.sort(), op: "add" })
        add += adds.length
      }
      if (removes.length > 0) {
        changes.push({ groupExternalId: g, memberExternalIds: removes.sort(), op: "remove" })
        remove += removes.length
      }
    }
    return { changes, add, remove, pairs, digest }
  })
