/**
 * The planner: stream source rows through map → filter → normalize → validate, dedupe by externalId,
 * and diff the desired snapshot against the state store.
 *
 * Memory is bounded by the state index, not the source: every row is reduced to its externalId (plus
 * location, for duplicate reports) and a content hash; full profiles are held only for records that
 * changed, and the stored entries (for field-level diffs) are loaded only for those.
 *
 * Decisions:
 * - A duplicate externalId fails the run (`ValidationError` naming both locations): picking one is unsafe.
 * - A record whose row was invalid or could not be mapped, but is ACTIVE in state, is HELD: never
 *   deactivated, its memberships untouched (`summary.*.held`). The same goes for groups.
 * - Deactivation reason: `filtered` (with the rule) when a row with that externalId was excluded by a
 *   filter rule, else `missing`.
 * - A group is deactivated only when no included row yields it any more (rows whose user is invalid
 *   still yield their groups).
 * - Memberships are diffed per group. Deactivated users' and groups' memberships are not sent as
 *   removals (Okta's deactivation covers them, and state keeps them); a reactivated user or group gets
 *   all its desired memberships (re-)sent. Removals only name users that are valid in this run.
 * - Changes are sorted by externalId and issues by location, so a plan (and its hash) does not depend
 *   on row order. A group's profile and location come from its smallest row location when rows disagree
 *   (the disagreement is reported).
 */
import { Chunk, Effect, Either, Fiber, Option, Stream } from "effect"
import type { PipelineConfig } from "./Config.ts"
import { ConfigError, type RecordIssue, type SourceError, type StateError, ValidationError } from "./Errors.ts"
import * as Filter from "./Filter.ts"
import * as Hash from "./Hash.ts"
import { IssueCollector, naturalCompare } from "./internal/issues.ts"
import { LocationCodec } from "./internal/locations.ts"
import { DUPLICATE, UserTable } from "./internal/userTable.ts"
import { isPromise, type Maybe } from "./internal/maybe.ts"
import * as Mapping from "./Mapping.ts"
import type { DesiredUser, EntityKind, Profile, SourceLocation, SourceRow } from "./Model.ts"
import type { EntityCounts, FieldChange, GroupChange, MembershipChange, Plan, UserChange } from "./Plan.ts"
import * as PlanJson from "./PlanJson.ts"
import {
  type CommittedChange,
  type EntityStatus,
  type IndexEntry,
  type StateEntry,
  StateStore,
  type StateStoreService
} from "./StateStore.ts"
import * as Validate from "./Validate.ts"

/** How many issues a plan lists (all are counted in `summary.issueCounts`). */
export const issueLimit = 1_000

/** Everything compiled once per run. */
export interface Compiled {
  readonly mapping: Mapping.Mapping
  readonly filter: Filter.Filter
  readonly validator: Validate.Validator
  readonly strict: boolean
}

export const compile = (
  config: Pick<PipelineConfig, "mapping" | "groups" | "normalize" | "schema" | "filter" | "validation">
): Effect.Effect<Compiled, ConfigError> =>
  Effect.gen(function* () {
    const validator = yield* Validate.make(config)
    const mapping = yield* Mapping.compile(config)
    const filter = yield* Filter.compile(config.filter)
    return { mapping, filter, validator, strict: config.validation.strict }
  })

export interface PlanOptions {
  readonly identitySourceId: string
  readonly configHash: string
  readonly sourceFingerprint?: string
  /** ISO-8601 creation time (the caller reads the Clock). */
  readonly createdAt: string
}

// ---------------------------------------------------------------------------------------------
// Per-row processing (pure, synchronous unless an expression needs JSONata's async evaluator)

type RowOutcome =
  | {
      readonly t: "user"
      readonly location: SourceLocation
      readonly externalId: string
      readonly profile: Record<string, string | null>
      readonly hash: string
      readonly groups: ReadonlyArray<Mapping.MappedGroup>
      readonly issues: ReadonlyArray<RecordIssue>
    }
  | {
      readonly t: "invalid"
      readonly location: SourceLocation
      readonly externalId: string | undefined
      readonly groups: ReadonlyArray<Mapping.MappedGroup>
      readonly issues: ReadonlyArray<RecordIssue>
    }
  | { readonly t: "excluded"; readonly location: SourceLocation; readonly externalId: string | undefined; readonly rule: string }
  | { readonly t: "fatal"; readonly error: ConfigError }

const withId = (issue: RecordIssue, externalId: string | undefined): RecordIssue =>
  externalId === undefined || issue.externalId !== undefined ? issue : { ...issue, externalId }

const NO_ISSUES: ReadonlyArray<RecordIssue> = []

const finish = (
  c: Compiled,
  row: SourceRow,
  id: Mapping.ExternalIdResult,
  p: Mapping.MappedProfile,
  g: Mapping.MappedGroups
): RowOutcome => {
  if (g.fatal) return { t: "fatal", error: g.fatal }
  const externalId = typeof id === "string" ? id : undefined
  let issues: Array<RecordIssue> | undefined
  if (externalId === undefined) (issues ??= []).push((id as { issue: RecordIssue }).issue)
  else {
    const bad = c.validator.userExternalId(externalId)
    if (bad) (issues ??= []).push({ kind: "invalid", location: row.location, externalId, field: "externalId", message: bad })
  }
  if (!Mapping.isProfile(p)) for (const i of p) (issues ??= []).push(i)
  else if (issues === undefined) {
    const fieldIssues = c.validator.user(p)
    for (const f of fieldIssues)
      (issues ??= []).push({ kind: "invalid", location: row.location, field: f.field, message: f.message, ...(externalId !== undefined ? { externalId } : {}) })
  }
  const groupIssues = g.issues.length === 0 ? NO_ISSUES : g.issues.map((i) => withId(i, externalId))
  if (issues !== undefined || !Mapping.isProfile(p) || externalId === undefined)
    return { t: "invalid", location: row.location, externalId, groups: g.groups, issues: [...(issues ?? []), ...groupIssues] }
  return { t: "user", location: row.location, externalId, profile: p, hash: Hash.profileHash(p), groups: g.groups, issues: groupIssues }
}

const afterFilter = (c: Compiled, row: SourceRow, id: Mapping.ExternalIdResult, f: Filter.Outcome): Maybe<RowOutcome> => {
  const externalId = typeof id === "string" ? id : undefined
  switch (f._tag) {
    case "Fatal":
      return { t: "fatal", error: f.error }
    case "Excluded":
      return { t: "excluded", location: row.location, externalId, rule: f.rule }
    case "Failed":
      return { t: "invalid", location: row.location, externalId, groups: [], issues: [withId(f.issue, externalId)] }
  }
  const pM = Mapping.profile(c.mapping, row, externalId)
  const gM = Mapping.groups(c.mapping, row)
  if (!isPromise(pM) && !isPromise(gM)) return finish(c, row, id, pM, gM)
  return Promise.all([pM, gM]).then(([p, g]) => finish(c, row, id, p, g))
}

const processRow = (c: Compiled, row: SourceRow): Maybe<RowOutcome> => {
  const idM = Mapping.externalId(c.mapping, row)
  const fM = Filter.apply(c.filter, row)
  if (!isPromise(idM) && !isPromise(fM)) return afterFilter(c, row, idM, fM)
  return Promise.all([idM, fM]).then(([id, f]) => afterFilter(c, row, id, f))
}

// ---------------------------------------------------------------------------------------------
// Accumulation (one run)

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

const sameGroupProfile = (a: Record<string, string | null>, b: Record<string, string | null>) =>
  a.displayName === b.displayName && a.description === b.description

class Accumulator {
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
  /** Users to create/update/reactivate (ids are unique: `claim` rejects duplicates). */
  readonly changed: Array<DesiredUser> = []
  readonly groups = new Map<string, SeenGroup>()
  readonly members = new Map<string, Set<string>>()
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
        if (o.externalId !== undefined && !this.excludedIds.has(o.externalId) && this.users.status(o.externalId) === "ACTIVE")
          this.excludedIds.set(o.externalId, o.rule)
        if (o.externalId !== undefined) {
          const synced = this.users.seenLocation(o.externalId)
          if (synced !== undefined) this.filteredDuplicate(o.externalId, o.location, o.rule, synced)
          else if (!this.excludedAt.has(o.externalId)) this.excludedAt.set(o.externalId, [this.locations.encode(o.location), o.rule])
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
            this.users.markInvalid(o.externalId, slot)
            key = this.users.locationKey
          }
        }
        if (o.groups.length > 0) this.addGroups(o.groups, undefined, o.location, key, undefined)
        return undefined
      }
      case "user": {
        for (const i of o.issues) this.issues.add(i)
        const slot = this.claim(o.externalId, o.location)
        if (slot === DUPLICATE) return undefined
        // the groups a user is in are kept only for users that change (most rows are unchanged)
        const unchanged = this.users.isUnchanged(slot, o.hash)
        const memberOf: Array<string> | undefined = unchanged ? undefined : []
        if (o.groups.length > 0) this.addGroups(o.groups, o.externalId, o.location, this.users.locationKey, memberOf)
        if (memberOf !== undefined)
          this.changed.push({
            externalId: o.externalId,
            profile: o.profile,
            hash: o.hash,
            location: o.location,
            groups: memberOf
          })
        else this.unchangedUsers++
        return undefined
      }
    }
  }

  /** Record that `externalId` comes from `location`: its slot, NEW, or DUPLICATE (with a duplicate issue). */
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
  private filteredDuplicate(externalId: string, excludedAt: SourceLocation, rule: string, syncedAt: SourceLocation): void {
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
      if (badId) problems.push({ kind: "invalid", location: g.location, externalId: id, field: field("externalId"), message: badId })
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

  /** Record the row's groups (and `member`'s memberships, also pushed to `memberOf` when given). */
  private addGroups(
    groups: ReadonlyArray<Mapping.MappedGroup>,
    member: string | undefined,
    location: SourceLocation,
    encoded: string | number | undefined,
    memberOf: Array<string> | undefined
  ): void {
    let memberIssue = false
    const locationKey = encoded ?? this.locations.encode(location)
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!
      const known = this.groups.get(g.externalId)
      if (known === undefined) {
        this.groups.set(g.externalId, { profile: g.profile, location, locationKey, ruleIndex: g.rule.index, conflict: false })
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
            this.issues.add({ kind: "invalid", location, externalId: member, field: "externalId", message: bad })
          }
        }
        if (!memberIssue) {
          let set = this.members.get(g.externalId)
          if (set === undefined) this.members.set(g.externalId, (set = new Set()))
          set.add(member)
          memberOf?.push(g.externalId)
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Diff

const byId = <A extends { readonly externalId: string }>(a: A, b: A) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0)
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

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
        out.push({ externalId: d.externalId, hash: d.hash, location: d.location, op: "create", profile: d.profile })
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

const counts = (changes: ReadonlyArray<UserChange>, unchanged: number, held: number): EntityCounts => {
  const c = { create: 0, update: 0, reactivate: 0, deactivate: 0, unchanged, held }
  for (const ch of changes) c[ch.op]++
  return c
}

const stateDigest = (usersDigest: string, groups: ReadonlyMap<string, IndexEntry>, members: Hash.MultisetDigest): string => {
  const groups_ = new Hash.MultisetDigest()
  for (const [id, e] of groups) groups_.add(id, e.status, e.hash, 24)
  return Hash.sha256(`${usersDigest}:${groups_.digest()}:${members.digest()}`)
}

const VOID = Effect.void

/** Wait `millis` of real time (a timer, not the Effect Clock). */
const realPause = (millis: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const t = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(t))
  })

/**
 * Plan: consume `rows`, diff against the `StateStore`, return the Plan (hash included). Fails with
 * `ValidationError` on duplicate externalIds (always) or invalid rows (`validation.strict`), with
 * `ConfigError` when a filter rule or group `when` yields a non-boolean.
 */
export const plan = (
  c: Compiled,
  rows: Stream.Stream<SourceRow, SourceError>,
  options: PlanOptions
): Effect.Effect<Plan, ValidationError | ConfigError | SourceError | StateError, StateStore> =>
  Effect.gen(function* () {
    const store = yield* StateStore
    // Start the source before reading the state: a source that parses on another thread (source-file's decode
    // worker) works ahead while this thread reads the state. The first pull runs in the background; a short
    // real-time pause (not the Effect clock, which tests may hold still) lets it open its input.
    const pull = yield* Stream.toPull(rows)
    // (as a value: an error passed through Fiber.join would come back as a copy, not the source's own error)
    const first = yield* Effect.fork(Effect.either(pull))
    yield* Effect.raceFirst(Effect.asVoid(Fiber.await(first)), realPause(25))
    const locations = new LocationCodec()
    // read straight into the table where the store can (no Map of one object per user in between)
    const users =
      store.forEachIndex !== undefined
        ? yield* Effect.suspend(() => {
            const table = new UserTable(locations)
            return Effect.as(store.forEachIndex!("user", table.load), table)
          }).pipe(Effect.map((t) => t.seal()))
        : yield* Effect.map(store.index("user"), (index) => UserTable.fromMap(index, locations))
    const acc = new Accumulator(c, users, locations)
    const groupIndex = yield* store.index("group")

    const addAll = (outcomes: ReadonlyArray<RowOutcome>): Effect.Effect<void, ConfigError> => {
      for (const o of outcomes) {
        const fatal = acc.add(o)
        if (fatal) return Effect.fail(fatal)
      }
      return VOID
    }

    // Columns the mapping copies that no row has yet: a wrong column name (or a wrong delimiter) would
    // otherwise show up as every row being invalid. Checked until each has been seen once.
    const missingColumns = new Map<string, string>()
    for (const compiled of [c.mapping.externalId, ...c.mapping.values])
      if (compiled.column !== undefined && !missingColumns.has(compiled.column)) missingColumns.set(compiled.column, compiled.path)
    let firstRow: SourceRow | undefined

    const onChunk = (chunk: Chunk.Chunk<SourceRow>): Effect.Effect<void, ConfigError> =>
      Effect.suspend(() => {
        const arr = Chunk.toReadonlyArray(chunk)
        acc.rowsRead += arr.length
        if (firstRow === undefined) firstRow = arr[0]
        if (missingColumns.size > 0)
          for (const row of arr) {
            for (const name of missingColumns.keys()) if (Object.prototype.hasOwnProperty.call(row.data, name)) missingColumns.delete(name)
            if (missingColumns.size === 0) break
          }
        const outcomes: Array<Maybe<RowOutcome>> = new Array(arr.length)
        let pending = false
        for (let i = 0; i < arr.length; i++) {
          const o = processRow(c, arr[i]!)
          if (isPromise(o)) pending = true
          outcomes[i] = o
        }
        if (!pending) return addAll(outcomes as Array<RowOutcome>)
        return Effect.flatMap(
          Effect.promise(() => Promise.all(outcomes)),
          addAll
        )
      })
    let next: Effect.Effect<Either.Either<Chunk.Chunk<SourceRow>, Option.Option<SourceError>>> = Fiber.join(first)
    for (;;) {
      const got = yield* next
      if (Either.isLeft(got)) {
        if (Option.isNone(got.left)) break
        return yield* Effect.fail(got.left.value)
      }
      yield* onChunk(got.right)
      next = Effect.either(pull)
    }

    const invalidGroups = acc.finishGroups()
    if (acc.duplicates.total > 0) {
      const dups = acc.duplicates.result()
      return yield* Effect.fail(
        new ValidationError({
          message: `${acc.duplicates.total} duplicate externalId${acc.duplicates.total === 1 ? "" : "s"} in the source; each record must have its own externalId. ${dups
            .slice(0, 3)
            .map((d) => d.message)
            .join("; ")}${acc.duplicates.total > 3 ? "; …" : ""}`,
          issues: dups
        })
      )
    }
    if (c.strict && (acc.invalidRows > 0 || invalidGroups.size > 0)) {
      const issues = acc.issues.result()
      const what = [
        acc.invalidRows > 0 ? `${acc.invalidRows} source row${acc.invalidRows === 1 ? "" : "s"}` : "",
        invalidGroups.size > 0 ? `${invalidGroups.size} group${invalidGroups.size === 1 ? "" : "s"}` : ""
      ]
        .filter(Boolean)
        .join(" and ")
      return yield* Effect.fail(
        new ValidationError({
          message: `${what} invalid and validation.strict is true. ${issues
            .slice(0, 3)
            .map((i) => `${i.location}: ${i.message}`)
            .join("; ")}${issues.length > 3 ? "; …" : ""}`,
          issues
        })
      )
    }

    // --- users
    let activeUsers = 0
    let heldUsers = 0
    const goneUsers: Array<{ externalId: string; rule: string | undefined }> = []
    acc.users.forEachActive((id, seen, invalid) => {
      activeUsers++
      if (seen) {
        if (invalid) heldUsers++
      } else goneUsers.push({ externalId: id, rule: acc.excludedIds.get(id) })
    })
    goneUsers.sort(byId)
    const userChanges = [
      ...(yield* upserts(store, "user", (id) => acc.users.status(id), acc.changed)),
      ...(yield* deactivations(store, "user", goneUsers))
    ].sort(byId)

    // --- groups
    const desiredGroups: Array<Desired> = []
    let unchangedGroups = 0
    let activeGroups = 0
    let heldGroups = 0
    const groupOp = new Map<string, "create" | "update" | "reactivate" | "unchanged">()
    for (const [id, g] of acc.groups) {
      if (invalidGroups.has(id)) continue
      const hash = Hash.profileHash(g.profile)
      const st = groupIndex.get(id)
      const op = st === undefined ? "create" : st.status !== "ACTIVE" ? "reactivate" : st.hash !== hash ? "update" : "unchanged"
      groupOp.set(id, op)
      if (op === "unchanged") unchangedGroups++
      else desiredGroups.push({ externalId: id, profile: g.profile, hash, location: g.location })
    }
    const goneGroups: Array<{ externalId: string; rule: string | undefined }> = []
    for (const [id, st] of groupIndex) {
      if (st.status !== "ACTIVE") continue
      activeGroups++
      const g = acc.groups.get(id)
      if (g === undefined) goneGroups.push({ externalId: id, rule: undefined })
      else if (invalidGroups.has(id)) heldGroups++
    }
    goneGroups.sort(byId)
    const groupChanges: Array<GroupChange> = [
      ...(yield* upserts(store, "group", (id) => groupIndex.get(id)?.status, desiredGroups)),
      ...(yield* deactivations(store, "group", goneGroups))
    ].sort(byId)

    // --- memberships: the state's pairs are streamed once against the desired sets (no set per group is built
    // for the state). A pair also desired is kept unless its group is new/reactivated or its user reactivated
    // (those are re-sent); what stays in a desired set is an add; a state pair not desired is a removal.
    const reactivatedUsers = new Set<string>()
    for (const ch of userChanges) if (ch.op === "reactivate") reactivatedUsers.add(ch.externalId)
    const isValidUser = (u: string) => acc.users.isValid(u)
    const removals = new Map<string, Array<string>>()
    const memberDigest = new Hash.MultisetDigest()
    let membershipPairs = 0
    const visitPair = (g: string, u: string): void => {
      membershipPairs++
      memberDigest.add(g, u)
      const op = groupOp.get(g)
      if (op === undefined) return
      const desired = acc.members.get(g)
      if (desired !== undefined && desired.has(u)) {
        if (op !== "create" && op !== "reactivate" && !reactivatedUsers.has(u)) desired.delete(u)
        return
      }
      if (!isValidUser(u)) return
      let list = removals.get(g)
      if (list === undefined) removals.set(g, (list = []))
      list.push(u)
    }
    if (store.forEachMembership !== undefined) yield* store.forEachMembership(visitPair)
    else {
      const stateMembers = yield* store.memberships
      for (const [g, ms] of stateMembers) for (const u of ms) visitPair(g, u)
    }
    const membershipChanges: Array<MembershipChange> = []
    let adds = 0
    let removes = 0
    for (const g of [...groupOp.keys()].sort()) {
      const add = [...(acc.members.get(g) ?? [])]
      const remove = removals.get(g) ?? []
      if (add.length > 0) {
        membershipChanges.push({ groupExternalId: g, memberExternalIds: add.sort(), op: "add" })
        adds += add.length
      }
      if (remove.length > 0) {
        membershipChanges.push({ groupExternalId: g, memberExternalIds: remove.sort(), op: "remove" })
        removes += remove.length
      }
    }

    if (firstRow !== undefined && missingColumns.size > 0) {
      const [column, path] = [...missingColumns][0]!
      const others = [...missingColumns.keys()].slice(1)
      const has = Object.keys(firstRow.data)
      return yield* Effect.fail(
        new ConfigError({
          reason: "Invalid",
          path,
          message:
            `${path} copies the column ${JSON.stringify(column)}, but no row of the source has it ` +
            `(${firstRow.location} has ${has.length === 0 ? "no columns" : `the columns ${has.slice(0, 12).map((k) => JSON.stringify(k)).join(", ")}${has.length > 12 ? ", …" : ""}`}).` +
            (others.length > 0 ? ` Also missing: ${others.map((k) => JSON.stringify(k)).join(", ")}.` : "") +
            " Fix the column name in the config, or check the file's header row and delimiter. Nothing was sent to Okta."
        })
      )
    }

    const excluded: Record<string, number> = {}
    for (const [k, v] of [...acc.excludedCounts].sort((a, b) => byString(a[0], b[0]))) excluded[k] = v
    const issueCounts = { ...acc.issues.counts }

    const body: Omit<Plan, "hash"> = {
      version: 1,
      identitySourceId: options.identitySourceId,
      createdAt: options.createdAt,
      inputs: {
        configHash: options.configHash,
        stateHash: stateDigest(acc.users.digest, groupIndex, memberDigest),
        ...(options.sourceFingerprint !== undefined ? { sourceFingerprint: options.sourceFingerprint } : {})
      },
      users: userChanges,
      groups: groupChanges,
      memberships: membershipChanges,
      summary: {
        users: counts(userChanges, acc.unchangedUsers, heldUsers),
        groups: counts(groupChanges, unchangedGroups, heldGroups),
        memberships: { add: adds, remove: removes },
        rowsRead: acc.rowsRead,
        excluded,
        invalid: acc.invalidRows,
        baseline: { users: activeUsers, groups: activeGroups, memberships: membershipPairs },
        issueCounts
      },
      issues: acc.issues.result()
    }
    return { ...body, hash: PlanJson.hash(body) }
  }).pipe(Effect.scoped)

/**
 * The state changes a fully applied plan commits (what the orchestrator commits session by session):
 * upserts for create/update/reactivate, deactivations, and membership adds/removes.
 */
export const committedChanges = (plan: Plan): ReadonlyArray<CommittedChange> => {
  const out: Array<CommittedChange> = []
  const entity = (kind: EntityKind, ch: UserChange) =>
    out.push(
      ch.op === "deactivate"
        ? { kind, op: "deactivate", externalId: ch.externalId }
        : { kind, op: "upsert", externalId: ch.externalId, hash: ch.hash, profile: ch.profile, location: ch.location }
    )
  for (const ch of plan.users) entity("user", ch)
  for (const ch of plan.groups) entity("group", ch)
  for (const m of plan.memberships)
    out.push({ kind: "membership", op: m.op, groupExternalId: m.groupExternalId, memberExternalIds: m.memberExternalIds })
  return out
}
