/**
 * A differential conformance run: one scripted scenario (conformanceScenario.ts) against a real org and against a
 * local emulator side by side, and every difference between the two servers' answers: status code, error code,
 * body shape, session state sequence, timing rule and measured limits. What `anysource okta conformance` runs,
 * so anyone with a preview org can confirm, or correct, the emulator's idea of Okta
 * (docs/okta/identity-sources-api.md §12).
 *
 * Safety: every externalId sent starts with `anysource-conformance-<run>-`, and the probe refuses (a defect) any
 * request naming another record or a session the run did not create. What the run creates is journaled before the
 * request that creates it and removed at the end, also after a failure or an interruption; a journal left by a
 * killed run is cleaned up first by the next run (or by `cleanup`).
 */
import { Effect, Ref } from "effect"
import { randomBytes } from "node:crypto"
import type { OktaAuthConfig } from "../config/Config.ts"
import type { ConfigError } from "../domain/Errors.ts"
import {
  emptyLeftovers,
  isEmpty,
  merge,
  removeLeftovers,
  type CleanupResult,
  type Side
} from "./internal/conformanceCleanup.ts"
import { makeProbe, PREFIX } from "./internal/conformanceProbe.ts"
import { idsFor, runScenario } from "./internal/conformanceScenario.ts"
import { diff, type Difference } from "./internal/conformanceDiff.ts"
import type { ConformanceJournal, Leftovers, Observation } from "./internal/conformanceTypes.ts"

export type { CleanupResult } from "./internal/conformanceCleanup.ts"
export type { Shape } from "./internal/conformanceShape.ts"
export type { ConformanceJournal, Leftovers, Observation } from "./internal/conformanceTypes.ts"
export { externalIdsIn, refusal } from "./internal/conformanceProbe.ts"
export {
  diff,
  knownDifferences,
  type Aspect,
  type Difference,
  type KnownDifference
} from "./internal/conformanceDiff.ts"
export { diffShapes, renderShape, shapeOf } from "./internal/conformanceShape.ts"

/** Every externalId a conformance run sends starts with this. */
export const externalIdPrefix = PREFIX

/** One server of the run. */
export interface ConformanceTarget {
  /** How the report names it: "org", "emulator". */
  readonly label: string
  readonly orgUrl: string
  /** Given explicitly: the run never falls back to a configured one. */
  readonly identitySourceId: string
  readonly auth: OktaAuthConfig
  /** Moves the server's clock instead of waiting (an emulator on a manual clock). Absent: real waits. */
  readonly advance?: (millis: number) => Effect.Effect<void>
  readonly journal?: ConformanceJournal
  readonly requestTimeoutMs?: number
}

export interface RunOptions {
  /** The server under test (a real org). */
  readonly subject: ConformanceTarget
  /** What it is compared with (the local emulator). */
  readonly reference: ConformanceTarget
  /** Part of every externalId; default random. */
  readonly runId?: string
  /** Also wait five minutes after a trigger to see a new session allowed (default false). */
  readonly includeSlow?: boolean
  readonly pollIntervalMillis?: number
  /** How long an import may take before the run stops waiting for it (default 15 minutes). */
  readonly completionTimeoutMillis?: number
  /** Called with every observation as it is made (progress). */
  readonly onObservation?: (label: string, observation: Observation) => Effect.Effect<void>
}

export interface SideReport {
  readonly label: string
  readonly orgUrl: string
  readonly identitySourceId: string
  readonly observations: ReadonlyArray<Observation>
  /** Leftovers of an earlier, killed run removed before this one started. */
  readonly earlier?: CleanupResult
  readonly cleanup: CleanupResult
  readonly requests: number
}

export interface Report {
  readonly runId: string
  readonly externalIdPrefix: string
  readonly subject: SideReport
  readonly reference: SideReport
  readonly differences: ReadonlyArray<Difference>
}

const cleanupOptions = (o: {
  readonly pollIntervalMillis?: number
  readonly completionTimeoutMillis?: number
}) => ({
  pollIntervalMillis: o.pollIntervalMillis ?? 2_000,
  completionTimeoutMillis: o.completionTimeoutMillis ?? 15 * 60_000
})

const makeSide = (
  target: ConformanceTarget,
  onObservation: RunOptions["onObservation"]
): Effect.Effect<Side, ConfigError> =>
  Effect.gen(function* () {
    const probe = yield* makeProbe(target)
    const observations = yield* Ref.make<ReadonlyArray<Observation>>([])
    const leftovers = yield* Ref.make<Leftovers>(emptyLeftovers)
    const journal = target.journal
    return {
      label: target.label,
      probe,
      observations,
      observe: (o) =>
        Effect.zipRight(
          Ref.update(observations, (all) => [...all, o]),
          onObservation?.(target.label, o) ?? Effect.void
        ),
      leftovers,
      remember: (more) =>
        Effect.flatMap(
          Ref.updateAndGet(leftovers, (l) => merge(l, more)),
          (l) => (journal === undefined ? Effect.void : journal.save(l))
        ),
      wait: (millis) => target.advance?.(millis) ?? Effect.sleep(millis),
      ...(journal !== undefined ? { journal } : {})
    } satisfies Side
  })

/** Removes what the journal lists and rewrites it with what is left (cleared when nothing is). */
const cleanJournaled = (
  side: Side,
  options: ReturnType<typeof cleanupOptions>
): Effect.Effect<CleanupResult | undefined> =>
  Effect.gen(function* () {
    const listed = side.journal === undefined ? undefined : yield* side.journal.load
    if (listed === undefined || isEmpty(listed)) return undefined
    const result = yield* removeLeftovers(side, listed, options)
    yield* Ref.set(side.leftovers, result.remaining)
    yield* isEmpty(result.remaining) ? side.journal!.clear : side.journal!.save(result.remaining)
    return result
  })

/** What a finished (or failed, or interrupted) run removes: everything it created, then the journal entry. */
const finish = (
  side: Side,
  options: ReturnType<typeof cleanupOptions>,
  into: Ref.Ref<CleanupResult | undefined>
) =>
  Effect.gen(function* () {
    const result = yield* removeLeftovers(side, yield* Ref.get(side.leftovers), options)
    if (side.journal !== undefined)
      yield* isEmpty(result.remaining) ? side.journal.clear : side.journal.save(result.remaining)
    yield* Ref.set(into, result)
  })

const sideReport = (
  target: ConformanceTarget,
  side: Side,
  cleanup: CleanupResult | undefined,
  earlier: CleanupResult | undefined
) =>
  Effect.gen(function* () {
    const report: SideReport = {
      label: target.label,
      orgUrl: target.orgUrl,
      identitySourceId: target.identitySourceId,
      observations: yield* Ref.get(side.observations),
      ...(earlier !== undefined ? { earlier } : {}),
      cleanup: cleanup ?? {
        remaining: yield* Ref.get(side.leftovers),
        cancelledSessions: 0,
        deactivatedUsers: 0,
        deletedGroups: 0,
        problems: ["not cleaned up"]
      },
      requests: yield* side.probe.requests
    }
    return report
  })

/** Runs the scenario on both servers side by side and diffs what they answered. Cleans up on every way out. */
export const run = (options: RunOptions): Effect.Effect<Report, ConfigError> =>
  Effect.gen(function* () {
    for (const t of [options.subject, options.reference])
      if (t.identitySourceId.trim() === "" || t.identitySourceId.includes("/"))
        return yield* Effect.dieMessage(
          `conformance: ${t.label} needs an explicit identity source id, got "${t.identitySourceId}"`
        )
    const runId = options.runId ?? randomBytes(6).toString("hex")
    const ids = idsFor(runId)
    const timing = cleanupOptions(options)
    const scenario = { ...timing, includeSlow: options.includeSlow ?? false }
    const targets = [options.subject, options.reference] as const
    const sides = yield* Effect.all(targets.map((t) => makeSide(t, options.onObservation)))
    const earlier = yield* Effect.all(sides.map((s) => cleanJournaled(s, timing)))
    const results = yield* Effect.all(sides.map(() => Ref.make<CleanupResult | undefined>(undefined)))
    yield* Effect.all(
      sides.map((side, i) =>
        runScenario(side, ids, scenario).pipe(Effect.ensuring(finish(side, timing, results[i]!)))
      ),
      { concurrency: "unbounded", discard: true }
    )
    const [subject, reference] = yield* Effect.all(
      sides.map((side, i) =>
        Effect.flatMap(Ref.get(results[i]!), (r) => sideReport(targets[i]!, side, r, earlier[i]))
      )
    )
    return {
      runId,
      externalIdPrefix: `${PREFIX}${runId}-`,
      subject: subject!,
      reference: reference!,
      differences: diff(subject!.observations, reference!.observations)
    }
  })

/** Removes what the target's journal lists (a killed run's leftovers); undefined when it lists nothing. */
export const cleanup = (
  target: ConformanceTarget,
  options: { readonly pollIntervalMillis?: number; readonly completionTimeoutMillis?: number } = {}
): Effect.Effect<CleanupResult | undefined, ConfigError> =>
  Effect.flatMap(makeSide(target, undefined), (side) => cleanJournaled(side, cleanupOptions(options)))

/** One line describing an observation, for progress output (body shapes are left to the report). */
export const describeObservation = (o: Observation): string =>
  [
    o.step,
    o.skipped ?? (o.status !== undefined ? String(o.status) : ""),
    o.errorCode ?? "",
    o.sessionStates?.join(" → ") ?? "",
    o.facts === undefined
      ? ""
      : Object.entries(o.facts)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(" ")
  ]
    .filter((x) => x !== "")
    .join("  ")
