/**
 * `state rebuild`: when the state store is lost or corrupted, rebuild it from the source plus single-entity
 * reads of Okta, so the next run neither re-sends nor deactivates everyone.
 *
 * The source's desired records come in as a plan against an empty state (every record a create, every
 * membership an addition; run/Rebuild.ts builds it). Then, in three phases (users, groups, memberships), every
 * desired record is read back from Okta:
 * - found and equal to the source (through `ProfileCompare`): state records the source's profile and hash, so the
 *   next plan leaves it alone;
 * - found but different: state records Okta's values (hashed the same way), so the next plan updates it;
 * - not found: nothing is recorded, so the next plan creates it;
 * - the members of every group Okta holds are recorded as Okta lists them.
 *
 * It is resumable: after every chunk the state commits the records and saves the progress (phase and last
 * externalId), so a killed rebuild continues where it stopped. It refuses a state that already holds records
 * unless that progress says a rebuild is under way.
 *
 * What it cannot recover (the API's limits): people Okta holds who are no longer in the source (there is no
 * endpoint listing an identity source's users, so they are not deactivated later), and whether a person is
 * deactivated in Okta (the reply has no status; a deactivated person still in the source is recorded as
 * active).
 */
import { Clock, Effect, Option } from "effect"
import { type OktaApiError, StateError } from "../domain/Errors.ts"
import type { CommittedChange, EntityKind } from "../domain/Model.ts"
import { OktaClient } from "../okta/OktaClient.ts"
import { profilesEqual } from "../okta/ProfileCompare.ts"
import type { Plan, UserChange } from "../plan/Plan.ts"
import { type RebuildProgress, StateStore, type StateStoreService } from "../state/StateStore.ts"
import * as Progress from "./Progress.ts"
import * as Reader from "./Reader.ts"
import * as Refresh from "./Refresh.ts"

export interface RebuildOptions {
  /** Names the rebuild in state (`lastRunId` of what it records) and in its progress. */
  readonly runId: string
  readonly concurrency: number
  readonly rateLimitShare: number
  /** Records per commit and progress checkpoint (default 500). */
  readonly chunk?: number
  readonly onEvent?: Progress.OnEvent
}

export interface RebuildReport {
  readonly runId: string
  /** True when it continued a rebuild that had stopped. */
  readonly resumed: boolean
  /** users/groups: matched (equal to the source), differ (Okta's values recorded), notInOkta; memberships: groups, pairs. */
  readonly counts: Readonly<Record<string, number>>
  readonly requests: number
  readonly pausedMillis: number
  readonly durationMs: number
}

const phases = ["users", "groups", "memberships"] as const
type Phase = (typeof phases)[number]

const zero: Readonly<Record<string, number>> = {
  usersMatched: 0,
  usersDiffer: 0,
  usersNotInOkta: 0,
  groupsMatched: 0,
  groupsDiffer: 0,
  groupsNotInOkta: 0,
  membershipGroups: 0,
  membershipPairs: 0,
  requests: 0
}

function* chunks<A>(items: Iterable<A>, size: number): Generator<Array<A>> {
  let chunk: Array<A> = []
  for (const item of items) {
    chunk.push(item)
    if (chunk.length === size) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}

/** Refuse a state that holds records, unless a rebuild was under way; returns that progress if so. */
const start = (store: StateStoreService): Effect.Effect<Option.Option<RebuildProgress>, StateError> =>
  Effect.gen(function* () {
    const progress = yield* store.rebuildProgress
    if (Option.isSome(progress)) return progress
    const users = (yield* store.index("user")).size
    const groups = (yield* store.index("group")).size
    if (users + groups > 0)
      return yield* Effect.fail(
        new StateError({
          reason: "NotEmpty",
          message: `The state already holds ${users} users and ${groups} groups; state rebuild only fills an empty state (a lost or deleted one). To bring an existing state in line with Okta, run \`anysource drift --fix\` (or \`anysource plan --refresh\`).`
        })
      )
    return Option.none()
  })

/** One desired user or group against Okta's answer: what state records, and which count it adds to. */
const entityChange = (
  kind: EntityKind,
  desired: Extract<UserChange, { op: "create" }>,
  read: Reader.ReadResult<{ readonly profile: Readonly<Record<string, string | null>> }>
): { readonly change?: CommittedChange; readonly count: string } => {
  const prefix = kind === "user" ? "users" : "groups"
  if (read._tag !== "Found") return { count: `${prefix}NotInOkta` }
  const attributes = Object.keys(desired.profile)
  if (profilesEqual(desired.profile, read.value.profile, { attributes }))
    return {
      change: {
        kind,
        op: "upsert",
        externalId: desired.externalId,
        hash: desired.hash,
        profile: desired.profile,
        location: desired.location
      },
      count: `${prefix}Matched`
    }
  const [change] = Refresh.toChanges([
    {
      _tag: "Observed",
      kind,
      externalId: desired.externalId,
      profile: Refresh.observedProfile(attributes, read.value.profile),
      location: desired.location
    }
  ])
  return { ...(change !== undefined ? { change } : {}), count: `${prefix}Differ` }
}

const creates = (changes: Iterable<UserChange>) => {
  function* only(): Generator<Extract<UserChange, { op: "create" }>> {
    for (const c of changes) if (c.op === "create") yield c
  }
  return only()
}

/** Rebuild state from `desired` (a plan against an empty state) and reads of Okta. */
export const rebuild = (
  desired: Plan,
  options: RebuildOptions
): Effect.Effect<RebuildReport, OktaApiError | StateError, OktaClient | StateStore> =>
  Effect.gen(function* () {
    const began = yield* Clock.currentTimeMillis
    const store = yield* StateStore
    const client = yield* OktaClient
    const onEvent = options.onEvent ?? Progress.silent
    const size = options.chunk ?? 500
    const previous = yield* start(store)
    const runId = Option.match(previous, { onNone: () => options.runId, onSome: (p) => p.runId })
    const startedAt = Option.match(previous, {
      onNone: () => new Date(began).toISOString(),
      onSome: (p) => p.startedAt
    })
    let counts: Record<string, number> = {
      ...zero,
      ...Option.match(previous, { onNone: () => ({}), onSome: (p) => p.counts })
    }
    const reader = yield* Reader.make(client, { rateLimitShare: options.rateLimitShare }, (millis) =>
      onEvent({ _tag: "ReadBackPaused", task: "rebuild", millis })
    )
    const baseRequests = counts["requests"] ?? 0

    const checkpoint = (phase: Phase, after: string | undefined, changes: ReadonlyArray<CommittedChange>) =>
      Effect.gen(function* () {
        const now = new Date(yield* Clock.currentTimeMillis).toISOString()
        counts = { ...counts, requests: baseRequests + (yield* reader.usage).requests }
        if (changes.length > 0) yield* store.commit({ runId, at: now, changes })
        yield* store.saveRebuildProgress({
          runId,
          startedAt,
          updatedAt: now,
          phase,
          ...(after !== undefined ? { after } : {}),
          counts
        })
      })

    /** Where to start in `phase`: skip done phases entirely, and records up to `after` in the current one. */
    const resumeFrom = (phase: Phase): { readonly skip: boolean; readonly after: string | undefined } => {
      if (Option.isNone(previous)) return { skip: false, after: undefined }
      const at = phases.indexOf(previous.value.phase)
      const here = phases.indexOf(phase)
      return { skip: here < at, after: here === at ? previous.value.after : undefined }
    }

    const entities = (
      phase: "users" | "groups",
      kind: EntityKind,
      changes: Iterable<UserChange>,
      total: number
    ) =>
      Effect.gen(function* () {
        const { skip, after } = resumeFrom(phase)
        if (skip) return
        yield* checkpoint(phase, after, [])
        yield* onEvent({ _tag: "ReadBackStarted", task: "rebuild", what: phase, total })
        let done = 0
        for (const chunk of chunks(creates(changes), size)) {
          const todo = after === undefined ? chunk : chunk.filter((c) => c.externalId > after)
          done += chunk.length - todo.length
          if (todo.length === 0) continue
          const results = yield* Effect.forEach(
            todo,
            (c) =>
              Effect.map(kind === "user" ? reader.user(c.externalId) : reader.group(c.externalId), (r) =>
                entityChange(kind, c, r)
              ),
            { concurrency: options.concurrency }
          )
          for (const r of results) counts = { ...counts, [r.count]: (counts[r.count] ?? 0) + 1 }
          yield* checkpoint(
            phase,
            todo[todo.length - 1]!.externalId,
            results.flatMap((r) => (r.change !== undefined ? [r.change] : []))
          )
          done += todo.length
          yield* onEvent({ _tag: "ReadBackProgress", task: "rebuild", done, total })
        }
      })

    const memberships = Effect.gen(function* () {
      const { after } = resumeFrom("memberships")
      yield* checkpoint("memberships", after, [])
      const held = yield* store.index("group")
      const groups = [...creates(desired.groups)].map((g) => g.externalId).filter((g) => held.has(g))
      yield* onEvent({ _tag: "ReadBackStarted", task: "rebuild", what: "memberships", total: groups.length })
      let done = 0
      for (const chunk of chunks(groups, Math.max(1, Math.floor(size / 10)))) {
        const todo = after === undefined ? chunk : chunk.filter((g) => g > after)
        done += chunk.length - todo.length
        if (todo.length === 0) continue
        const read = yield* Effect.forEach(todo, (g) => Effect.map(reader.members(g), (r) => ({ g, r })), {
          concurrency: options.concurrency
        })
        const changes: Array<CommittedChange> = []
        for (const { g, r } of read) {
          if (r._tag !== "Found" || r.value.size === 0) continue
          changes.push({
            kind: "membership",
            op: "add",
            groupExternalId: g,
            memberExternalIds: [...r.value].sort()
          })
          counts = {
            ...counts,
            membershipGroups: (counts["membershipGroups"] ?? 0) + 1,
            membershipPairs: (counts["membershipPairs"] ?? 0) + r.value.size
          }
        }
        yield* checkpoint("memberships", todo[todo.length - 1], changes)
        done += todo.length
        yield* onEvent({ _tag: "ReadBackProgress", task: "rebuild", done, total: groups.length })
      }
    })

    yield* entities("users", "user", desired.users, desired.summary.users.create)
    yield* entities("groups", "group", desired.groups, desired.summary.groups.create)
    yield* memberships
    yield* store.clearRebuildProgress
    const usage = yield* reader.usage
    const end = yield* Clock.currentTimeMillis
    return {
      runId,
      resumed: Option.isSome(previous),
      counts: { ...counts, requests: baseRequests + usage.requests },
      requests: baseRequests + usage.requests,
      pausedMillis: usage.pausedMillis,
      durationMs: end - began
    }
  })
