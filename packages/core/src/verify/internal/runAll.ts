/**
 * Run one check per target with bounded concurrency, never failing: an Okta error stops the remaining checks
 * (they stay unchecked) and is returned; a spent budget makes the reader answer `OverBudget` without a request.
 */
import { Effect, Ref } from "effect"
import type { OktaApiError } from "../../domain/Errors.ts"

export interface Ran<R> {
  /** One entry per target, in target order; `undefined` where it was not checked (budget, or stopped by an error). */
  readonly results: ReadonlyArray<R | undefined>
  readonly error?: OktaApiError
}

export const runAll = <T, R>(
  targets: ReadonlyArray<T>,
  check: (target: T) => Effect.Effect<R | undefined, OktaApiError>,
  options: { readonly concurrency: number; readonly tick: Effect.Effect<void> }
): Effect.Effect<Ran<R>> =>
  Effect.gen(function* () {
    const failed = yield* Ref.make<OktaApiError | undefined>(undefined)
    const results = yield* Effect.forEach(
      targets,
      (target) =>
        Effect.flatMap(Ref.get(failed), (stop) =>
          stop !== undefined
            ? Effect.succeed(undefined)
            : check(target).pipe(
                Effect.tap(() => options.tick),
                Effect.catchAll((e) =>
                  Effect.as(
                    Ref.update(failed, (prev) => prev ?? e),
                    undefined
                  )
                )
              )
        ),
      { concurrency: options.concurrency }
    )
    const error = yield* Ref.get(failed)
    return { results, ...(error !== undefined ? { error } : {}) }
  })
