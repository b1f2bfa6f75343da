/**
 * `state rebuild`: when the state store is lost or corrupted (deleted, moved, restored from nothing), rebuild it
 * from the source and single-entity reads of Okta, so the next run neither re-sends nor deactivates everyone.
 * Resumable (progress is kept in state), bounded concurrency, a progress bar on a terminal. Writes state only.
 */
import { StateRebuild } from "@anysource/core"
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as Progress from "../Progress.ts"
import { rebuildLines } from "../RenderProof.ts"
import * as Runtime from "../Runtime.ts"
import { globalOptions, runCommand, UsageError } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"

export const command = Command.make(
  "rebuild",
  {
    ...globalOptions,
    concurrency: Options.integer("concurrency").pipe(
      Options.withPseudoName("n"),
      Options.withDescription("Reads in flight at once (1–32). Default: verify.concurrency."),
      Options.optional
    ),
    rateLimitShare: Options.integer("rate-limit-share").pipe(
      Options.withPseudoName("percent"),
      Options.withDescription(
        "Most of each rate-limit window to use (1–90 %); it pauses until the reset beyond that. Default: verify.rateLimitShare."
      ),
      Options.optional
    ),
    json: Options.boolean("json").pipe(
      Options.withDescription("Print the rebuild's counts as JSON on stdout.")
    )
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        if (Option.isSome(o.concurrency) && (o.concurrency.value < 1 || o.concurrency.value > 32))
          return yield* Effect.fail(
            new UsageError({ message: `--concurrency ${o.concurrency.value}: use 1 to 32` })
          )
        if (Option.isSome(o.rateLimitShare) && (o.rateLimitShare.value < 1 || o.rateLimitShare.value > 90))
          return yield* Effect.fail(
            new UsageError({ message: `--rate-limit-share ${o.rateLimitShare.value}: use 1 to 90 (percent)` })
          )
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const progress = Progress.make({
          interactive: io.interactive && !o.json,
          style: io.err,
          log: (m) => Effect.logInfo(m)
        })
        let rows = 0
        const report = yield* StateRebuild.rebuildState({
          loaded,
          onEvent: (event) => progress.onEvent({ _tag: "ReadBack", event }),
          onRead: (n) =>
            Effect.zipRight(
              progress.onEvent({ _tag: "ReadProgress", rows: n }),
              Effect.sync(() => void (rows = n))
            ),
          ...(Option.isSome(o.concurrency) ? { concurrency: o.concurrency.value } : {}),
          ...(Option.isSome(o.rateLimitShare) ? { rateLimitShare: o.rateLimitShare.value } : {})
        }).pipe(Effect.ensuring(progress.stop), Effect.provide(Runtime.syncLayer(loaded)), Effect.scoped)
        if (o.json) return yield* io.printJson({ ...report, rows })
        yield* io.printLines(rebuildLines(report, loaded.config.okta.identitySourceId, rows, io.out))
      })
    )
).pipe(
  Command.withDescription(
    describe(
      "Rebuild a lost or corrupted state store from the source and single-entity reads of Okta, so the next plan is only what is really left to do. Resumes an unfinished rebuild; refuses a state that already holds records (use `drift --fix` there).",
      {
        examples: [
          "anysource state rebuild",
          "anysource state rebuild --concurrency 8 --rate-limit-share 80"
        ],
        exitCodes:
          "0 rebuilt, 10 the state already holds records (or is locked), 7 Okta failed (run it again to resume)"
      }
    )
  )
)
