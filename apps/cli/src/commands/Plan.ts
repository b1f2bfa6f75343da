/**
 * `plan`: read the source, map, validate and diff against state; show what `apply` would change. Sends nothing to
 * Okta (with `--refresh` it reads Okta's view of what it would touch, and records corrections in state).
 */
import { Sync } from "@anysource/core"
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as ExitCodes from "../ExitCodes.ts"
import * as Render from "../Render.ts"
import { refreshLine } from "../RenderProof.ts"
import * as Runtime from "../Runtime.ts"
import {
  globalOptions,
  type Globals,
  runCommand,
  withTrailingNewline,
  writeFileFrom
} from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"
import {
  checkReportFiles,
  detailOption,
  planJsonChunks,
  planJsonOptions,
  progressFor,
  reportOption,
  schemaCheckOf,
  skipSchemaCheckOption,
  writeReports
} from "../internal/PlanFiles.ts"
import { initialOption, refreshOption } from "../internal/ProofOptions.ts"

export const command = Command.make(
  "plan",
  {
    ...globalOptions,
    detail: detailOption,
    json: Options.boolean("json").pipe(
      Options.withDescription("Print the plan as JSON on stdout (nothing else on stdout).")
    ),
    out: Options.text("out").pipe(
      Options.withAlias("o"),
      Options.withPseudoName("file"),
      Options.withDescription("Save the plan as JSON, to apply exactly it later with `apply --plan <file>`."),
      Options.optional
    ),
    report: reportOption,
    refresh: refreshOption,
    initial: initialOption,
    skipSchemaCheck: skipSchemaCheckOption
  },
  (o) =>
    runCommand(o as Globals, (io) =>
      Effect.gen(function* () {
        yield* checkReportFiles(o.report)
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const progress = progressFor(io, !o.json)
        const { error, report } = yield* Sync.runWithReport({
          loaded,
          mode: "plan",
          refresh: o.refresh,
          initial: o.initial,
          onEvent: progress.onEvent,
          ...schemaCheckOf(o.skipSchemaCheck)
        }).pipe(Effect.ensuring(progress.stop), Effect.provide(Runtime.syncLayer(loaded)), Effect.scoped)
        const plan = report.plan
        const stoppedBySafeguard = report.outcome === "safeguard"
        if (plan) {
          if (o.json) yield* io.printJson(plan, planJsonOptions)
          else {
            if (report.refresh) yield* io.print(refreshLine(report.refresh, io.out))
            if (o.detail) {
              yield* io.printLines(Render.planDetailLines(plan, io.out))
              yield* io.print("")
            }
            yield* io.print(Render.renderPlanSummary(plan, io.out, { stoppedBySafeguard }))
          }
          if (Option.isSome(o.out)) {
            yield* writeFileFrom(o.out.value, withTrailingNewline(planJsonChunks(plan)))
            if (!o.json)
              yield* io.print(
                io.out.dim(
                  `Plan saved to ${o.out.value}. Apply exactly it with: anysource apply --plan ${o.out.value}`
                )
              )
          } else if (!o.json && Render.totalChanges(plan) > 0 && Option.isNone(error))
            yield* io.print(
              io.out.dim(
                `Run \`anysource apply\` to apply these changes (or save them with --out plan.json).`
              )
            )
        }
        yield* writeReports(o.report, report)
        if (Option.isSome(error)) return yield* Effect.fail(error.value)
        yield* io.setExit(report.outcome === "planned" ? ExitCodes.ExitCode.Changes : ExitCodes.ExitCode.Ok)
      })
    )
).pipe(
  Command.withDescription(
    describe(
      "Read the source, map, validate and diff against the last sync; show what apply would change. Sends nothing to Okta.",
      {
        examples: [
          "anysource plan",
          "anysource plan --detail",
          "anysource plan --json | jq .summary",
          "anysource plan --out plan.json --report plan.html",
          "anysource plan --refresh   # read Okta's view of what would change first"
        ],
        exitCodes:
          "0 no changes, 2 changes pending, 6 a safeguard would stop the apply, 10 the state is empty but Okta holds this source's records (--initial, or `state rebuild`)"
      }
    )
  )
)
