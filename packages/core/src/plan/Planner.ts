/**
 * The planner: stream source rows through map → filter → normalize → validate, dedupe by externalId,
 * and diff the desired snapshot against the state store.
 *
 * Memory is bounded by the state index, not the source: every row is reduced to its externalId (plus
 * location, for duplicate reports) and a content hash; full profiles are held only for records that
 * changed, and the stored entries (for field-level diffs) are loaded only for those.
 *
 * `plan` is a sequence of named steps: start the source, read the state index, fold the rows (`Rows.ts` →
 * `Accumulator.ts`), refuse duplicates (and invalid rows in strict mode), diff users, groups and memberships
 * (`Diff.ts`), check that every copied column exists, and assemble the hashed plan.
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
import { Chunk, Clock, Effect, Either, Fiber, Option, Stream } from "effect"
import type { PipelineConfig } from "../config/Config.ts"
import { type ConfigError, type SourceError, type StateError, ValidationError } from "../domain/Errors.ts"
import type { CommittedChange, EntityKind, SourceRow } from "../domain/Model.ts"
import { isPromise, type Maybe } from "../pipeline/Maybe.ts"
import { StateStore, type IndexEntry, type StateStoreService } from "../state/StateStore.ts"
import { Accumulator } from "./Accumulator.ts"
import * as Diff from "./Diff.ts"
import { LocationCodec } from "./internal/locations.ts"
import type { SpillOptions } from "./internal/spill.ts"
import { UserTable } from "./internal/userTable.ts"
import type { Plan, UserChange } from "./Plan.ts"
import * as PlanJson from "./PlanJson.ts"
import { ColumnCheck, compile, processRow, type Compiled, type RowOutcome } from "./Rows.ts"

export { issueLimit } from "./Accumulator.ts"
export { diffProfiles } from "./Diff.ts"
export { compile, type Compiled } from "./Rows.ts"

export interface PlanOptions {
  readonly identitySourceId: string
  readonly configHash: string
  readonly sourceFingerprint?: string
  /** ISO-8601 creation time (the caller reads the Clock). */
  readonly createdAt: string
  /**
   * Where a plan with many user changes keeps them (default: past 20,000, in a temporary file of the system's
   * temporary folder, read back as the plan's `users` are iterated).
   */
  readonly spill?: SpillOptions
}

/** Changed rows are turned into changes (and their stored entries loaded) this many at a time. */
const DRAIN_AT = 10_000

type Pulled = Either.Either<Chunk.Chunk<SourceRow>, Option.Option<SourceError>>

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
 * `ConfigError` when a filter rule or group `when` yields a non-boolean or a copied column is missing.
 */
export const plan = (
  c: Compiled,
  rows: Stream.Stream<SourceRow, SourceError>,
  options: PlanOptions
): Effect.Effect<Plan, ValidationError | ConfigError | SourceError | StateError, StateStore> =>
  Effect.gen(function* () {
    const store = yield* StateStore
    const source = yield* startSource(rows)
    const locations = new LocationCodec()
    const acc = new Accumulator(c, yield* readUserIndex(store, locations), locations)
    const groupIndex = yield* store.index("group")
    const columns = new ColumnCheck(c)
    const userChanges = new Diff.UserChanges(options.spill)
    yield* foldRows(c, acc, columns, source, Diff.drainChanged(store, acc, userChanges))
    const invalidGroups = acc.finishGroups()
    yield* refuseInvalid(c, acc, invalidGroups)
    const users = yield* Diff.diffUsers(store, acc, userChanges)
    const groups = yield* Diff.diffGroups(store, acc, groupIndex, invalidGroups)
    const memberships = yield* Diff.diffMemberships(store, acc, users.reactivated, groups.ops)
    const missing = columns.error()
    if (missing !== undefined) return yield* Effect.fail(missing)
    return assemble(options, acc, groupIndex, users, groups, memberships)
  }).pipe(Effect.scoped)

interface StartedSource {
  readonly pull: Effect.Effect<Chunk.Chunk<SourceRow>, Option.Option<SourceError>>
  readonly first: Fiber.Fiber<Pulled>
}

/**
 * Start the source before reading the state: a source that parses on another thread (source-file's decode worker)
 * works ahead while this thread reads the state. The first pull runs in the background; a short real-time pause
 * (not the Effect clock, which tests may hold still) lets it open its input.
 */
const startSource = (rows: Stream.Stream<SourceRow, SourceError>) =>
  Effect.gen(function* () {
    const pull = yield* Stream.toPull(rows)
    // (as a value: an error passed through Fiber.join would come back as a copy, not the source's own error)
    const first = yield* Effect.fork(Effect.either(pull))
    yield* Effect.raceFirst(Effect.asVoid(Fiber.await(first)), realPause(25))
    return { pull, first } satisfies StartedSource
  })

/** The users in state, read straight into the slot table where the store can (no Map of one object per user). */
const readUserIndex = (
  store: StateStoreService,
  locations: LocationCodec
): Effect.Effect<UserTable, StateError> =>
  store.forEachIndex !== undefined
    ? Effect.suspend(() => {
        const table = new UserTable(locations)
        return Effect.as(store.forEachIndex!("user", table.load), table)
      }).pipe(Effect.map((t) => t.seal()))
    : Effect.map(store.index("user"), (index) => UserTable.fromMap(index, locations))

/**
 * Every chunk of rows through the pipeline into the accumulator (the per-row hot path); `drain` turns the changed
 * rows into changes whenever `DRAIN_AT` of them wait.
 */
const foldRows = (
  c: Compiled,
  acc: Accumulator,
  columns: ColumnCheck,
  source: StartedSource,
  drain: Effect.Effect<void, StateError>
): Effect.Effect<void, ConfigError | SourceError | StateError> =>
  Effect.gen(function* () {
    const addAll = (outcomes: ReadonlyArray<RowOutcome>): Effect.Effect<void, ConfigError> => {
      for (const o of outcomes) {
        const fatal = acc.add(o)
        if (fatal) return Effect.fail(fatal)
      }
      return VOID
    }
    const onChunk = (chunk: Chunk.Chunk<SourceRow>): Effect.Effect<void, ConfigError> =>
      Effect.suspend(() => {
        const arr = Chunk.toReadonlyArray(chunk)
        acc.rowsRead += arr.length
        columns.see(arr)
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
    let next: Effect.Effect<Pulled> = Fiber.join(source.first)
    for (;;) {
      const got = yield* next
      if (Either.isLeft(got)) {
        if (Option.isNone(got.left)) return
        return yield* Effect.fail(got.left.value)
      }
      yield* onChunk(got.right)
      if (acc.pendingChanged >= DRAIN_AT) yield* drain
      next = Effect.either(source.pull)
    }
  })

/** Duplicates always fail the run (naming both locations); invalid rows or groups only with `validation.strict`. */
const refuseInvalid = (
  c: Compiled,
  acc: Accumulator,
  invalidGroups: ReadonlySet<string>
): Effect.Effect<void, ValidationError> => {
  if (acc.duplicates.total > 0) {
    const dups = acc.duplicates.result()
    return Effect.fail(
      new ValidationError({
        reason: "Duplicate",
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
    return Effect.fail(
      new ValidationError({
        reason: "Invalid",
        message: `${what} invalid and validation.strict is true. ${issues
          .slice(0, 3)
          .map((i) => `${i.location}: ${i.message}`)
          .join("; ")}${issues.length > 3 ? "; …" : ""}`,
        issues
      })
    )
  }
  return VOID
}

/** The plan: changes, summary and inputs, hashed. */
const assemble = (
  options: PlanOptions,
  acc: Accumulator,
  groupIndex: ReadonlyMap<string, IndexEntry>,
  users: Diff.UserDiff,
  groups: Diff.GroupDiff,
  memberships: Diff.MembershipDiff
): Plan => {
  const excluded: Record<string, number> = {}
  for (const [k, v] of [...acc.excludedCounts].sort((a, b) => Diff.byString(a[0], b[0]))) excluded[k] = v
  const body: Omit<Plan, "hash"> = {
    version: 1,
    identitySourceId: options.identitySourceId,
    createdAt: options.createdAt,
    inputs: {
      configHash: options.configHash,
      stateHash: Diff.stateDigest(acc.users.digest, groupIndex, memberships.digest),
      ...(options.sourceFingerprint !== undefined ? { sourceFingerprint: options.sourceFingerprint } : {})
    },
    users: users.changes,
    groups: groups.changes,
    memberships: memberships.changes,
    summary: {
      users: users.counts,
      groups: Diff.counts(groups.changes, groups.unchanged, groups.held),
      memberships: { add: memberships.add, remove: memberships.remove },
      rowsRead: acc.rowsRead,
      excluded,
      invalid: acc.invalidRows,
      baseline: { users: users.active, groups: groups.active, memberships: memberships.pairs },
      issueCounts: { ...acc.issues.counts }
    },
    issues: acc.issues.result()
  }
  return { ...body, hash: PlanJson.hash(body) }
}

export interface FromConfigOptions {
  readonly config: PipelineConfig
  readonly rows: Stream.Stream<SourceRow, SourceError>
  readonly identitySourceId: string
  /** sha256 of the effective config (secrets excluded), recorded in `plan.inputs`. */
  readonly configHash: string
  readonly sourceFingerprint?: string
}

/**
 * Plan one run from the pipeline config (published as `Pipeline.plan`): compile the config once, then `plan`.
 * Config mistakes surface as `ConfigError` before any row is read (expressions, attributes, patterns) or at the
 * first row that shows them (a filter that yields a non-boolean). `createdAt` comes from the Clock.
 */
export const fromConfig = (
  options: FromConfigOptions
): Effect.Effect<Plan, ValidationError | ConfigError | SourceError | StateError, StateStore> =>
  Effect.gen(function* () {
    const compiled = yield* compile(options.config)
    const now = yield* Clock.currentTimeMillis
    return yield* plan(compiled, options.rows, {
      identitySourceId: options.identitySourceId,
      configHash: options.configHash,
      createdAt: new Date(now).toISOString(),
      ...(options.sourceFingerprint !== undefined ? { sourceFingerprint: options.sourceFingerprint } : {})
    })
  }).pipe(Effect.withSpan("anysource.plan"))

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
        : {
            kind,
            op: "upsert",
            externalId: ch.externalId,
            hash: ch.hash,
            profile: ch.profile,
            location: ch.location
          }
    )
  for (const ch of plan.users) entity("user", ch)
  for (const ch of plan.groups) entity("group", ch)
  for (const m of plan.memberships)
    out.push({
      kind: "membership",
      op: m.op,
      groupExternalId: m.groupExternalId,
      memberExternalIds: m.memberExternalIds
    })
  return out
}
