/**
 * `verify`: read changed records back from Okta and compare them with what was sent. Without `--plan` it checks the
 * last applied run (its records as state recorded them); with `--plan` exactly the changes of a saved plan.
 * Read-only: nothing is sent to Okta and state is not written.
 */
import { Verify } from "@anysource/core"
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as ExitCodes from "../ExitCodes.ts"
import * as Progress from "../Progress.ts"
import { safe } from "../Render.ts"
import { verificationLines } from "../RenderProof.ts"
import * as Runtime from "../Runtime.ts"
import { globalOptions, runCommand, writeJsonFile } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"
import { readPlanFile } from "../internal/PlanFiles.ts"
import { maxRequestsOption, sampleFrom } from "../internal/ProofOptions.ts"

export const sampleOption = Options.text("sample").pipe(
  Options.withPseudoName("size"),
  Options.withDescription(
    "How many records to read: a count (100), a share (10%) or all (100%). Default: verify.sample."
  ),
  Options.optional
)

export const command = Command.make(
  "verify",
  {
    ...globalOptions,
    plan: Options.text("plan").pipe(
      Options.withPseudoName("file"),
      Options.withDescription(
        "Verify the changes of this saved plan (what `apply --plan` sent), memberships included."
      ),
      Options.optional
    ),
    sample: sampleOption,
    maxRequests: maxRequestsOption,
    json: Options.boolean("json").pipe(
      Options.withDescription("Print the verification report as JSON on stdout.")
    ),
    report: Options.text("report").pipe(
      Options.withPseudoName("file.json"),
      Options.withDescription("Also write the verification report to this JSON file."),
      Options.optional
    )
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const sample = yield* sampleFrom("--sample", o.sample)
        const savedPlan = Option.isSome(o.plan) ? yield* readPlanFile(o.plan.value) : undefined
        const progress = Progress.make({
          interactive: io.interactive && !o.json,
          style: io.err,
          log: (m) => Effect.logInfo(m)
        })
        const result = yield* Effect.gen(function* () {
          const last = savedPlan === undefined ? yield* Verify.lastApplied() : undefined
          if (savedPlan === undefined && last === undefined) return undefined
          const { targets, notReadable } =
            savedPlan !== undefined
              ? Verify.targetsOfPlan(savedPlan)
              : yield* Verify.targetsOfRun(last!.runId)
          const seed = savedPlan?.hash ?? last!.runId
          const report = yield* Verify.verifyTargets(
            targets,
            notReadable,
            Verify.optionsFrom(loaded.config.verify, seed, {
              onEvent: (event) => progress.onEvent({ _tag: "ReadBack", event }),
              ...(sample !== undefined ? { sample } : {}),
              ...(Option.isSome(o.maxRequests) ? { maxRequests: o.maxRequests.value } : {})
            })
          )
          return {
            report,
            what:
              savedPlan !== undefined
                ? `the plan in ${o.plan.pipe(Option.getOrElse(() => ""))}`
                : `run ${last!.runId}`
          }
        }).pipe(Effect.ensuring(progress.stop), Effect.provide(Runtime.syncLayer(loaded)), Effect.scoped)
        if (result === undefined) {
          yield* io.printErr(
            "No applied run in the state's history: nothing to verify. `anysource verify --plan plan.json` verifies a saved plan."
          )
          return
        }
        const { report, what } = result
        if (Option.isSome(o.report)) yield* writeJsonFile(o.report.value, report)
        if (o.json) yield* io.printJson(report)
        else
          yield* io.printLines([
            io.out.bold(`Verification of ${safe(what)} against ${safe(loaded.config.okta.identitySourceId)}`),
            ...verificationLines(report, io.out, 50)
          ])
        if (report.stopped === "error") return yield* io.setExit(ExitCodes.fromTag(report.error?.tag))
        yield* io.setExit(
          Verify.foundDifferences(report) ? ExitCodes.ExitCode.NotAsSent : ExitCodes.ExitCode.Ok
        )
      })
    )
).pipe(
  Command.withDescription(
    describe(
      "Read changed records back from Okta and compare them with what was sent. Single-entity reads of the last applied run, or of a saved plan; sends nothing, writes no state.",
      {
        examples: [
          "anysource verify",
          "anysource verify --sample 100%",
          "anysource verify --plan plan.json --json"
        ],
        exitCodes:
          "0 every record read is as sent, 12 some differ or are missing, 7 Okta failed (the report says what was read)"
      }
    )
  )
)
