/**
 * The lost-state guard: a plan on an empty state against an identity source that already holds the source's
 * people would re-send everyone (and, once state is rebuilt by hand, could deactivate the wrong ones). Before
 * such a plan goes ahead, a few of the records it would create are looked up in Okta.
 *
 * Why this probe: Okta has no endpoint that lists an identity source's users or groups, and list-sessions may
 * show only open sessions (docs/okta/identity-sources-api.md §10.5), so the one reliable question is "does Okta
 * hold this externalId?". Up to five users spread over the plan (first, last and between, in externalId order)
 * and up to two groups are read: after a lost state nearly every one of them exists, so one hit is enough.
 * Limits: an org that holds only records this source no longer has, or other records entirely, looks empty
 * (and nothing of it would be re-sent or deactivated); the probe costs at most seven reads and runs only when
 * the state holds nothing and the plan creates something.
 */
import { Duration, Effect, Option } from "effect"
import { OktaApiError, StateError } from "../domain/Errors.ts"
import { OktaClient } from "../okta/OktaClient.ts"
import type { Plan, UserChange } from "../plan/Plan.ts"
import { StateStore } from "../state/StateStore.ts"
import * as Reader from "./Reader.ts"

export interface ProbeResult {
  /** The externalIds looked up (users, then groups). */
  readonly checked: ReadonlyArray<string>
  /** Those Okta holds. */
  readonly found: ReadonlyArray<string>
}

/** True when the state held nothing the plan could compare with and the plan creates something. */
export const isFirstRun = (plan: Plan): boolean => {
  const s = plan.summary
  const known = (c: typeof s.users) => c.update + c.reactivate + c.deactivate + c.unchanged + (c.held ?? 0)
  const baseline = s.baseline ?? { users: 0, groups: 0, memberships: 0 }
  return (
    baseline.users + baseline.groups + baseline.memberships === 0 &&
    known(s.users) + known(s.groups) === 0 &&
    s.memberships.remove === 0 &&
    s.users.create + s.groups.create > 0
  )
}

/** Up to `n` creates spread evenly over `changes` (first and last included), in one pass. */
export const spread = (changes: Iterable<UserChange>, total: number, n: number): ReadonlyArray<string> => {
  if (total <= 0 || n <= 0) return []
  const k = Math.min(n, total)
  const wanted = new Set(
    Array.from({ length: k }, (_, i) => (k === 1 ? 0 : Math.round((i * (total - 1)) / (k - 1))))
  )
  const out: Array<string> = []
  let i = 0
  for (const c of changes) {
    if (wanted.has(i) && c.op === "create") out.push(c.externalId)
    i++
  }
  return out
}

/** Look a few of the plan's creates up in Okta. */
export const probe = (plan: Plan): Effect.Effect<ProbeResult, OktaApiError, OktaClient> =>
  Effect.gen(function* () {
    const client = yield* OktaClient
    const reader = yield* Reader.make(client, { rateLimitShare: 90 })
    const users = spread(plan.users, plan.users.length, 5)
    const groups = spread(plan.groups, plan.groups.length, 2)
    const found: Array<string> = []
    for (const id of users) if ((yield* reader.user(id))._tag === "Found") found.push(id)
    for (const id of groups) if ((yield* reader.group(id))._tag === "Found") found.push(id)
    return { checked: [...users, ...groups], found }
  })

/** How long a plan (which only warns when Okta cannot be read) waits for the probe's reads, retries included. */
const PLAN_PROBE_PATIENCE = Duration.seconds(10)

/**
 * Stop a plan that would run on a lost state: while a `state rebuild` is unfinished, and when the state is empty
 * but Okta already holds some of the records the plan would create (unless `initial`: the caller says this really
 * is the first sync). `unreachable: "warn"` (a plan that sends nothing) logs a warning and goes on when Okta cannot
 * be read; an apply keeps the default `"fail"`, so nothing is ever sent on an unchecked empty state.
 */
export const guard = (
  plan: Plan,
  options: { readonly initial: boolean; readonly unreachable?: "fail" | "warn" }
): Effect.Effect<void, StateError | OktaApiError, OktaClient | StateStore> =>
  Effect.gen(function* () {
    const store = yield* StateStore
    const rebuilding = yield* store.rebuildProgress
    if (Option.isSome(rebuilding))
      return yield* Effect.fail(
        new StateError({
          reason: "Rebuilding",
          message: `A state rebuild (${rebuilding.value.runId}, started ${rebuilding.value.startedAt}) has not finished: the state holds only part of what Okta has. Run \`anysource state rebuild\` again to finish it before planning.`
        })
      )
    if (options.initial || !isFirstRun(plan)) return
    const warnOnly = options.unreachable === "warn"
    const probed = yield* probe(plan).pipe(
      // a plan does not wait out the client's whole retry budget for a check it only warns about
      warnOnly
        ? Effect.timeoutFail({
            duration: PLAN_PROBE_PATIENCE,
            onTimeout: () =>
              new OktaApiError({
                reason: "Timeout",
                message: `Okta did not answer within ${Duration.format(PLAN_PROBE_PATIENCE)}`
              })
          })
        : (self) => self,
      Effect.map(Option.some),
      Effect.catchTag("OktaApiError", (e) =>
        warnOnly
          ? Effect.logWarning(
              `Could not check Okta for a lost state (${e.message}); this plan went on without it. An apply checks again and refuses if Okta cannot be read (--initial skips the check).`
            ).pipe(Effect.as(Option.none<{ checked: ReadonlyArray<string>; found: ReadonlyArray<string> }>()))
          : Effect.fail(e)
      )
    )
    if (Option.isNone(probed)) return
    const { checked, found } = probed.value
    if (found.length === 0) return
    const names = found.slice(0, 3).join(", ")
    return yield* Effect.fail(
      new StateError({
        reason: "Empty",
        message: `The state is empty, but Okta already holds ${found.length} of the ${checked.length} records of this source looked up (${names}${found.length > 3 ? ", …" : ""}): the state was probably lost or points at the wrong place. Nothing was sent. Run \`anysource state rebuild\` to rebuild it from the source and Okta, or pass --initial if this really is the first sync.`
      })
    )
  })
