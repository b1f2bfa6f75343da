/**
 * Verification: after an apply, read the changed records back with the single-entity endpoints and compare them
 * with what was sent. A session that reached COMPLETED says Okta accepted the import, not that each record now
 * looks as sent: records can be rejected one by one, and another writer can change them right after.
 *
 * - Users and groups sent as create/update/reactivate: `GET …/users/{externalId}` or `…/groups/{externalId}`,
 *   compared through `ProfileCompare` over the attributes that were sent (`null` and absent alike); 404 is
 *   `missing`, another value is `differs` with the field-level difference.
 * - Groups sent to bulk-groups-delete: expected gone (404). Memberships: each changed group's members (all pages)
 *   must include every member added and none removed.
 * - User deactivations are not read back: the Identity Sources API answers a deactivated user like an active one
 *   (no status in its reply), so they are counted as `notReadable`.
 * - A sample (`verify.sample`) is drawn from the readable records, different per run (seeded by the run id);
 *   `maxRequests` bounds the requests and the reader keeps rate-limit headroom (Reader.ts).
 * - Verification never fails the run it checks: an Okta error stops it and is reported with what was checked.
 */
import { Clock, Effect } from "effect"
import type { VerifyConfig } from "../config/Config.ts"
import type { OktaApiError, StateError } from "../domain/Errors.ts"
import type { Profile } from "../domain/Model.ts"
import { OktaClient } from "../okta/OktaClient.ts"
import { type ProfileDifference, profileDifferences } from "../okta/ProfileCompare.ts"
import type { Plan } from "../plan/Plan.ts"
import { type RunRecord, StateStore } from "../state/StateStore.ts"
import { runAll } from "./internal/runAll.ts"
import * as Progress from "./Progress.ts"
import * as Reader from "./Reader.ts"
import * as Sample from "./Sample.ts"

export type Target =
  | {
      readonly kind: "user" | "group"
      readonly externalId: string
      readonly op: "create" | "update" | "reactivate"
      readonly profile: Profile
    }
  | { readonly kind: "group"; readonly externalId: string; readonly op: "deactivate" }
  | {
      readonly kind: "membership"
      readonly externalId: string
      readonly op: "members"
      /** Members that must be in the group, and members that must not. */
      readonly add: ReadonlyArray<string>
      readonly remove: ReadonlyArray<string>
    }

/** A record Okta does not hold as sent: field-level differences, or members missing and still present. */
export interface RecordResult {
  readonly kind: Target["kind"]
  readonly externalId: string
  readonly op: Target["op"]
  readonly outcome: "differs" | "missing"
  readonly differences?: ReadonlyArray<ProfileDifference>
  /** Members sent as added that the group does not have. */
  readonly missingMembers?: ReadonlyArray<string>
  /** Members sent as removed that the group still has. */
  readonly extraMembers?: ReadonlyArray<string>
  readonly note?: string
}

/** An error that stopped a read-back (no secrets: built from Okta's error body and the request path). */
export interface ReadError {
  readonly tag: string
  readonly reason?: string
  readonly message: string
}

export interface VerificationReport {
  /** The sample as configured: `100`, `10%`, `100%`. */
  readonly sample: string
  /** Changed records that can be read back (users and groups sent, groups deleted, groups whose members changed). */
  readonly changed: number
  /** Changes the API cannot show (user deactivations): not read. */
  readonly notReadable: number
  readonly sampled: number
  readonly checked: number
  readonly verified: number
  readonly differs: number
  readonly missing: number
  /** Sampled records left unread: the budget ran out, or an error stopped the verification. */
  readonly unchecked: number
  readonly stopped?: "budget" | "error"
  readonly error?: ReadError
  /** Requests sent for it, and time it held back for rate-limit headroom. */
  readonly requests: number
  readonly pausedMillis: number
  readonly durationMs: number
  /** The records that differ or are missing (the first 1,000; `differs + missing` counts them all). */
  readonly records: ReadonlyArray<RecordResult>
}

export interface VerifyOptions {
  readonly sample: Sample.Sample
  readonly maxRequests?: number
  readonly rateLimitShare: number
  readonly concurrency: number
  /** Seeds the sample (the run id): another run checks other records. */
  readonly seed: string
  readonly onEvent?: Progress.OnEvent
}

export const recordLimit = 1_000

/** The options from the config's `verify` block (overrides win: a CLI flag). */
export const optionsFrom = (
  config: VerifyConfig,
  seed: string,
  overrides: Partial<VerifyOptions> = {}
): VerifyOptions => ({
  sample: Sample.fromSize(config.sample),
  maxRequests: config.maxRequests,
  rateLimitShare: config.rateLimitShare,
  concurrency: config.concurrency,
  seed,
  ...overrides
})

/** What a plan sent that can be read back, and how many of its changes cannot (user deactivations). */
export const targetsOfPlan = (
  plan: Plan
): { readonly targets: ReadonlyArray<Target>; readonly notReadable: number } => {
  const targets: Array<Target> = []
  let notReadable = 0
  for (const u of plan.users) {
    if (u.op === "deactivate") notReadable++
    else targets.push({ kind: "user", externalId: u.externalId, op: u.op, profile: u.profile })
  }
  for (const g of plan.groups)
    targets.push(
      g.op === "deactivate"
        ? { kind: "group", externalId: g.externalId, op: "deactivate" }
        : { kind: "group", externalId: g.externalId, op: g.op, profile: g.profile }
    )
  const members = new Map<string, { add: Array<string>; remove: Array<string> }>()
  for (const m of plan.memberships) {
    let entry = members.get(m.groupExternalId)
    if (entry === undefined) members.set(m.groupExternalId, (entry = { add: [], remove: [] }))
    ;(m.op === "add" ? entry.add : entry.remove).push(...m.memberExternalIds)
  }
  for (const [group, { add, remove }] of members)
    targets.push({ kind: "membership", externalId: group, op: "members", add, remove })
  return { targets, notReadable }
}

/** The newest run in the history that applied something (what `anysource verify` checks without a plan file). */
export const lastApplied = (
  historyLimit = 50
): Effect.Effect<RunRecord | undefined, StateError, StateStore> =>
  Effect.map(
    Effect.flatMap(StateStore, (store) => store.history(historyLimit)),
    (runs) => runs.find((r) => r.mode === "apply" && r.outcome === "applied")
  )

/**
 * What state says run `runId` wrote, as targets: its users and groups with the profiles stored (what was sent),
 * its deleted groups, and the members state holds for its groups (each must be in Okta). Memberships changed
 * in groups the run did not otherwise touch are not known from state: verify a saved plan for those.
 */
export const targetsOfRun = (
  runId: string
): Effect.Effect<
  { readonly targets: ReadonlyArray<Target>; readonly notReadable: number },
  StateError,
  StateStore
> =>
  Effect.gen(function* () {
    const store = yield* StateStore
    const users = (yield* store.list("user")).filter((e) => e.lastRunId === runId)
    const groups = (yield* store.list("group")).filter((e) => e.lastRunId === runId)
    const members = yield* store.memberships
    const byId = <A extends { readonly externalId: string }>(a: A, b: A) =>
      a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0
    const targets: Array<Target> = []
    for (const u of [...users].sort(byId))
      if (u.status === "ACTIVE")
        targets.push({ kind: "user", externalId: u.externalId, op: "update", profile: u.profile })
    for (const g of [...groups].sort(byId)) {
      if (g.status !== "ACTIVE") {
        targets.push({ kind: "group", externalId: g.externalId, op: "deactivate" })
        continue
      }
      targets.push({ kind: "group", externalId: g.externalId, op: "update", profile: g.profile })
      const set = members.get(g.externalId)
      if (set !== undefined && set.size > 0)
        targets.push({
          kind: "membership",
          externalId: g.externalId,
          op: "members",
          add: [...set].sort(),
          remove: []
        })
    }
    return { targets, notReadable: users.filter((u) => u.status !== "ACTIVE").length }
  })

type Checked = { readonly _tag: "Verified" } | { readonly _tag: "Failed"; readonly record: RecordResult }

const verified: Checked = { _tag: "Verified" }

const compare = (
  target: Extract<Target, { profile: Profile }>,
  read: Reader.ReadResult<{ readonly profile: Profile }>
): Checked | undefined => {
  if (read._tag === "OverBudget") return undefined
  const base = { kind: target.kind, externalId: target.externalId, op: target.op }
  if (read._tag === "Absent")
    return {
      _tag: "Failed",
      record: { ...base, outcome: "missing", note: `Okta has no ${target.kind} with this externalId` }
    }
  const differences = profileDifferences(target.profile, read.value.profile, {
    attributes: Object.keys(target.profile)
  })
  return differences.length === 0
    ? verified
    : { _tag: "Failed", record: { ...base, outcome: "differs", differences } }
}

/** One target read back and compared; `undefined` when the budget was spent before its read. */
export const check = (
  reader: Reader.Reader,
  target: Target
): Effect.Effect<Checked | undefined, OktaApiError> => {
  switch (target.kind) {
    case "user":
      return Effect.map(reader.user(target.externalId), (r) => compare(target, r))
    case "group":
      if (target.op !== "deactivate")
        return Effect.map(reader.group(target.externalId), (r) => compare(target, r))
      return Effect.map(reader.group(target.externalId), (r): Checked | undefined =>
        r._tag === "OverBudget"
          ? undefined
          : r._tag === "Absent"
            ? verified
            : {
                _tag: "Failed",
                record: {
                  kind: "group",
                  externalId: target.externalId,
                  op: "deactivate",
                  outcome: "differs",
                  note: "still in Okta after bulk-groups-delete"
                }
              }
      )
    case "membership":
      return Effect.map(reader.members(target.externalId), (r): Checked | undefined => {
        if (r._tag === "OverBudget") return undefined
        const base = { kind: "membership" as const, externalId: target.externalId, op: "members" as const }
        if (r._tag === "Absent")
          return {
            _tag: "Failed",
            record: { ...base, outcome: "missing", note: "Okta has no group with this externalId" }
          }
        const missingMembers = target.add.filter((m) => !r.value.has(m))
        const extraMembers = target.remove.filter((m) => r.value.has(m))
        return missingMembers.length === 0 && extraMembers.length === 0
          ? verified
          : {
              _tag: "Failed",
              record: {
                ...base,
                outcome: "differs",
                ...(missingMembers.length > 0 ? { missingMembers } : {}),
                ...(extraMembers.length > 0 ? { extraMembers } : {})
              }
            }
      })
  }
}

const describeError = (e: OktaApiError): ReadError => ({ tag: e._tag, reason: e.reason, message: e.message })

const keyOf = (t: Target) => `${t.kind}:${t.externalId}`

/** Read back a sample of `targets` and compare each with what was sent. Never fails. */
export const verifyTargets = (
  targets: ReadonlyArray<Target>,
  notReadable: number,
  options: VerifyOptions
): Effect.Effect<VerificationReport, never, OktaClient> =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const client = yield* OktaClient
    const onEvent = options.onEvent ?? Progress.silent
    const sampled = Sample.pick(targets, keyOf, options.sample, options.seed)
    const { reader, tick } = yield* Reader.start(
      client,
      {
        rateLimitShare: options.rateLimitShare,
        ...(options.maxRequests !== undefined ? { maxRequests: options.maxRequests } : {})
      },
      { task: "verify", what: "changed records", total: sampled.length, onEvent }
    )
    const ran = yield* runAll(sampled, (t) => check(reader, t), {
      concurrency: options.concurrency,
      tick
    })
    const usage = yield* reader.usage
    const failures = ran.results.flatMap((r) => (r?._tag === "Failed" ? [r.record] : []))
    const checked = ran.results.filter((r) => r !== undefined).length
    const end = yield* Clock.currentTimeMillis
    return {
      sample: Sample.describe(options.sample),
      changed: targets.length,
      notReadable,
      sampled: sampled.length,
      checked,
      verified: checked - failures.length,
      differs: failures.filter((f) => f.outcome === "differs").length,
      missing: failures.filter((f) => f.outcome === "missing").length,
      unchecked: sampled.length - checked,
      ...(ran.error !== undefined
        ? { stopped: "error" as const, error: describeError(ran.error) }
        : usage.overBudget
          ? { stopped: "budget" as const }
          : {}),
      requests: usage.requests,
      pausedMillis: usage.pausedMillis,
      durationMs: end - start,
      records: failures.slice(0, recordLimit)
    }
  })

/** Verify what `plan` sent (the changes of a completed apply). */
export const verifyPlan = (
  plan: Plan,
  options: VerifyOptions
): Effect.Effect<VerificationReport, never, OktaClient> => {
  const { targets, notReadable } = targetsOfPlan(plan)
  return verifyTargets(targets, notReadable, options)
}

/** True when the verification found a record that differs from what was sent or is missing. */
export const foundDifferences = (report: VerificationReport): boolean => report.differs + report.missing > 0
