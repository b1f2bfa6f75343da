/**
 * The pipeline entry the Sync use case calls: compile the config once, stream the source rows through
 * map → filter → normalize → validate → dedupe, and diff against the StateStore into a hashed `Plan`.
 */
import { Clock, Effect, type Stream } from "effect"
import type { PipelineConfig } from "../config/Config.ts"
import type { ConfigError, SourceError, StateError, ValidationError } from "../domain/Errors.ts"
import type { SourceRow } from "../domain/Model.ts"
import type { Plan } from "./Plan.ts"
import * as Planner from "./Planner.ts"
import type { StateStore } from "../state/StateStore.ts"

export interface PlanOptions {
  readonly config: PipelineConfig
  readonly rows: Stream.Stream<SourceRow, SourceError>
  readonly identitySourceId: string
  /** sha256 of the effective config (secrets excluded), recorded in `plan.inputs`. */
  readonly configHash: string
  readonly sourceFingerprint?: string
}

/**
 * Plan one run. Config mistakes surface as `ConfigError` before any row is read (expressions,
 * attributes, patterns) or at the first row that shows them (a filter that yields a non-boolean).
 * `createdAt` comes from the Clock.
 */
export const plan = (
  options: PlanOptions
): Effect.Effect<Plan, ValidationError | ConfigError | SourceError | StateError, StateStore> =>
  Effect.gen(function* () {
    const compiled = yield* Planner.compile(options.config)
    const now = yield* Clock.currentTimeMillis
    return yield* Planner.plan(compiled, options.rows, {
      identitySourceId: options.identitySourceId,
      configHash: options.configHash,
      createdAt: new Date(now).toISOString(),
      ...(options.sourceFingerprint !== undefined ? { sourceFingerprint: options.sourceFingerprint } : {})
    })
  }).pipe(Effect.withSpan("anysource.plan"))
