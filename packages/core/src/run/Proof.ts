/**
 * The steps of a run that check Okta rather than trust state (verify/): the lost-state guard before a plan goes
 * ahead, `--refresh` before it is computed, and verification after a completed apply. Sync.ts calls these; the
 * options here are the ones apps pass through `SyncOptions`.
 */
import { Effect } from "effect"
import type { LoadedConfig } from "../config/ConfigLoader.ts"
import type { OktaApiError, StateError } from "../domain/Errors.ts"
import type { OktaClient } from "../okta/OktaClient.ts"
import type { Plan } from "../plan/Plan.ts"
import type { StateStore } from "../state/StateStore.ts"
import * as Probe from "../verify/Probe.ts"
import type * as Progress from "../verify/Progress.ts"
import * as Refresh from "../verify/Refresh.ts"
import type * as Sample from "../verify/Sample.ts"
import * as Verify from "../verify/Verify.ts"

export interface ProofOptions {
  /** The state is empty on purpose: skip the lost-state probe (`--initial`). */
  readonly initial?: boolean
  /** Read Okta's view of the records the plan would touch, correct state, and plan again (`--refresh`). */
  readonly refresh?: boolean
  /**
   * Verification after a completed apply: `false` turns it off for this run; otherwise the config's `verify` block
   * applies (`after: never` turns it off), with these overrides.
   */
  readonly verify?: false | { readonly sample?: Sample.Sample; readonly maxRequests?: number }
}

/** The lost-state guard (a rebuild under way; an empty state against an org that holds the source's records). */
export const guard = (
  plan: Plan,
  options: ProofOptions & { readonly mode: "plan" | "apply" }
): Effect.Effect<void, StateError | OktaApiError, OktaClient | StateStore> =>
  Probe.guard(plan, {
    initial: options.initial === true,
    unreachable: options.mode === "plan" ? "warn" : "fail"
  })

/** `--refresh`: correct state from Okta for what `plan` touches; the caller plans again when something was corrected. */
export const refresh = (
  loaded: LoadedConfig,
  plan: Plan,
  runId: string,
  onEvent: Progress.OnEvent
): Effect.Effect<Refresh.RefreshReport, OktaApiError | StateError, OktaClient | StateStore> =>
  Refresh.refreshPlan(plan, {
    runId,
    rateLimitShare: loaded.config.verify.rateLimitShare,
    concurrency: loaded.config.verify.concurrency,
    onEvent
  })

/** Verification after a completed apply, as configured; `undefined` when it is off. */
export const verifyAfterApply = (
  loaded: LoadedConfig,
  plan: Plan,
  runId: string,
  options: ProofOptions,
  onEvent: Progress.OnEvent
): Effect.Effect<Verify.VerificationReport | undefined, never, OktaClient> => {
  if (options.verify === false || loaded.config.verify.after === "never") return Effect.succeed(undefined)
  const overrides = options.verify ?? {}
  return Verify.verifyPlan(
    plan,
    Verify.optionsFrom(loaded.config.verify, runId, {
      onEvent,
      ...(overrides.sample !== undefined ? { sample: overrides.sample } : {}),
      ...(overrides.maxRequests !== undefined ? { maxRequests: overrides.maxRequests } : {})
    })
  )
}

/** The verification's counts for the run history. */
export const historyCounts = (v: Verify.VerificationReport | undefined): Readonly<Record<string, number>> =>
  v === undefined
    ? {}
    : {
        verified: v.verified,
        verifyDiffers: v.differs,
        verifyMissing: v.missing,
        verifyUnchecked: v.unchecked
      }
