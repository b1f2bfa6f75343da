/**
 * Accumulation: the rows' outcomes folded into what the diff needs, with memory bounded by the state index. Every
 * row is reduced to its externalId (plus location, for duplicate reports) and a content hash in the `UserTable`;
 * full profiles are kept only for users that changed; groups keep the profile of their smallest row location (so
 * the plan does not depend on row order); memberships are desired sets per group.
 *
 * - A duplicate externalId is recorded (naming both locations) and fails the run once all rows are read.
 * - An excluded row's id is remembered only for ACTIVE records, to say "filtered" when deactivating them.
 * - Rows whose user is invalid still yield their groups (so a group is not deactivated for an invalid user).
 */
import type { ConfigError, RecordIssue } from "../domain/Errors.ts"
import type { Profile, SourceLocation } from "../domain/Model.ts"
import type * as Mapping from "../pipeline/Mapping.ts"
import { IssueCollector, naturalCompare } from "./internal/issues.ts"
import type { LocationCodec } from "./internal/locations.ts"
import { DesiredMembers } from "./internal/members.ts"
import { DUPLICATE, type UserTable } from "./internal/userTable.ts"
import type { Compiled, RowOutcome } from "./Rows.ts"

/** How many issues a plan lists (all are counted in `summary.issueCounts`). */
export const issueLimit = 1_000

interface SeenGroup {
  /** The profile from the row with the smallest location (so the plan does not depend on row order). */
  profile: Record<string, string | null>
  location: SourceLocation
  /** `location`, compacted (see LocationCodec): numbers compare without parsing. */
  locationKey: string | number
  ruleIndex: number
  /** Rows disagree on the group's displayName/description. */
  conflict: boolean
}

/** A user to create, update or reactivate. */
export interface ChangedUser {
  readonly externalId: string
  readonly profile: Profile
  readonly hash: string
  readonly location: SourceLocation
}

const sameGroupProfile = (a: Record<string, string | null>, b: Record<string, string | null>) =>
  a.displayName === b.displayName && a.description === b.description

/** Everything one run learns from its rows, bounded by the state index (plus the records that changed). */
export class Accumulator {
  rowsRead = 0
  invalidRows = 0
  unchangedUsers = 0
  /** Every user in state, and where (whether) a row with its id was seen. */
  readonly users: UserTable
  readonly locations: LocationCodec
  readonly excludedIds = new Map<string, string>()
  readonly excludedCounts = new Map<string, number>()
  /** Excluded rows not (yet) matched by an included row with the same id: id → [location key, rule]. */
  private readonly excludedAt = new Map<string, readonly [string | number, string]>()
  /** Users to create/update/reactivate since the last `takeChanged` (ids are unique: `claim` rejects duplicates). */
  private changed: Array<ChangedUser> = []
  readonly groups = new Map<string, SeenGroup>()
  /** Which valid users should be in which groups, by user slot. */
  readonly members = new DesiredMembers()
  readonly issues = new IssueCollector(issueLimit)
  readonly duplicates = new IssueCollector(issueLimit)

  constructor(
    readonly c: Compiled,
    users: UserTable,
    locations: LocationCodec
  ) {
    this.users = users
    this.locations = locations
  }

  add(o: RowOutcome): ConfigError | undefined {
    switch (o.t) {
      case "fatal":
        return o.error
      case "excluded": {
        this.excludedCounts.set(o.rule, (this.excludedCounts.get(o.rule) ?? 0) + 1)
        // remembered only for ACTIVE records (to say "filtered" when deactivating): bounded by the state
        if (
          o.externalId !== undefined &&
          !this.excludedIds.has(o.externalId) &&
          this.users.status(o.externalId) === "ACTIVE"
        )
          this.excludedIds.set(o.externalId, o.rule)
        if (o.externalId !== undefined) {
          const synced = this.users.seenLocation(o.externalId)
          if (synced !== undefined) this.filteredDuplicate(o.externalId, o.location, o.rule, synced)
          else if (!this.excludedAt.has(o.externalId))
            this.excludedAt.set(o.externalId, [this.locations.encode(o.location), o.rule])
        }
        return undefined
      }
      case "invalid": {
        this.invalidRows++
        for (const i of o.issues) this.issues.add(i)
        let key: string | number | undefined
        if (o.externalId !== undefined) {
          const slot = this.claim(o.externalId, o.location)
          if (slot !== DUPLICATE) {
            this.users.markInvalid(slot)
            key = this.users.locationKey
          }
        }
        if (o.groups.length > 0) this.addGroups(o.groups, undefined, -1, o.location, key)
        return undefined
      }
      case "user": {
        if (o.issues.length > 0) for (const i of o.issues) this.issues.add(i)
        const slot = this.claim(o.externalId, o.location)
        if (slot === DUPLICATE) return undefined
        if (o.groups.length > 0)
          this.addGroups(o.groups, o.externalId, slot, o.location, this.users.locationKey)
        if (this.users.isUnchanged(slot, o.hash)) this.unchangedUsers++
        else
          this.changed.push({
            externalId: o.externalId,
            profile: o.profile,
            hash: o.hash,
            location: o.location
          })
        return undefined
      }
    }
  }

  /** Users changed since the last call (the planner turns them into changes in chunks). */
  takeChanged(): ReadonlyArray<ChangedUser> {
    const out = this.changed
    this.changed = []
    return out
  }

  /** How many changed users wait for `takeChanged`. */
  get pendingChanged(): number {
    return this.changed.length
  }

  /** Record that `externalId` comes from `location`: its slot, or DUPLICATE (with a duplicate issue). */
  private claim(externalId: string, location: SourceLocation): number {
    const slot = this.users.claim(externalId, location)
    if (slot !== DUPLICATE) {
      if (this.excludedAt.size > 0) {
        const excluded = this.excludedAt.get(externalId)
        if (excluded !== undefined) {
          this.excludedAt.delete(externalId)
          this.filteredDuplicate(externalId, this.locations.decode(excluded[0]), excluded[1], location)
        }
      }
      return slot
    }
    const prev = this.users.previousLocation
    const [first, second] = naturalCompare(prev, location) <= 0 ? [prev, location] : [location, prev]
    this.duplicates.add({
      kind: "duplicate",
      location: second,
      externalId,
      field: "externalId",
      message: `duplicate externalId ${JSON.stringify(externalId)}: rows ${first} and ${second} both have it`
    })
    return DUPLICATE
  }

  /**
   * A row excluded by a filter has the externalId of a row that is synced. Not an error (an HR export may keep a
   * leaver's old row next to the rehire's new one), but never silent: a warning naming both rows.
   */
  private filteredDuplicate(
    externalId: string,
    excludedAt: SourceLocation,
    rule: string,
    syncedAt: SourceLocation
  ): void {
    this.issues.add({
      kind: "duplicate",
      location: excludedAt,
      externalId,
      field: "externalId",
      message: `duplicate externalId ${JSON.stringify(externalId)}: this row is excluded by filter ${JSON.stringify(rule)}, the row at ${syncedAt} is synced`
    })
  }

  /** Validate the chosen profile of every group once, after all rows; returns the ids of invalid groups. */
  finishGroups(): ReadonlySet<string> {
    const invalid = new Set<string>()
    for (const [id, g] of this.groups) {
      const problems: Array<RecordIssue> = []
      const badId = this.c.validator.groupExternalId(id)
      const field = (f: string) => `groups[${g.ruleIndex}].${f}`
      if (badId)
        problems.push({
          kind: "invalid",
          location: g.location,
          externalId: id,
          field: field("externalId"),
          message: badId
        })
      for (const f of this.c.validator.group(g.profile))
        problems.push({
          kind: "invalid",
          location: g.location,
          externalId: id,
          field: field(f.field),
          message: `group ${JSON.stringify(id)}: ${f.message}`
        })
      for (const p of problems) this.issues.add(p)
      if (problems.length > 0) invalid.add(id)
      else if (g.conflict)
        this.issues.add({
          kind: "invalid",
          location: g.location,
          externalId: id,
          field: field("displayName"),
          message: `group ${JSON.stringify(id)} gets different names/descriptions from different rows; using ${JSON.stringify(
            g.profile.displayName
          )} from ${g.location} (the first row in location order)`
        })
    }
    return invalid
  }

  /** Record the row's groups (and the memberships of `member`, a valid user in `slot`). */
  private addGroups(
    groups: ReadonlyArray<Mapping.MappedGroup>,
    member: string | undefined,
    slot: number,
    location: SourceLocation,
    encoded: string | number | undefined
  ): void {
    let memberIssue = false
    const locationKey = encoded ?? this.locations.encode(location)
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!
      const known = this.groups.get(g.externalId)
      if (known === undefined) {
        this.groups.set(g.externalId, {
          profile: g.profile,
          location,
          locationKey,
          ruleIndex: g.rule.index,
          conflict: false
        })
      } else {
        if (known.profile !== g.profile && !sameGroupProfile(known.profile, g.profile)) known.conflict = true
        const smaller =
          typeof locationKey === "number" && typeof known.locationKey === "number"
            ? locationKey < known.locationKey
            : naturalCompare(location, known.location) < 0
        if (smaller) {
          known.profile = g.profile
          known.location = location
          known.locationKey = locationKey
          known.ruleIndex = g.rule.index
        }
      }
      if (member !== undefined && g.member) {
        if (!memberIssue) {
          const bad = this.c.validator.memberExternalId(member)
          if (bad) {
            memberIssue = true
            this.issues.add({
              kind: "invalid",
              location,
              externalId: member,
              field: "externalId",
              message: bad
            })
          }
        }
        if (!memberIssue) this.members.add(slot, g.externalId)
      }
    }
  }
}
