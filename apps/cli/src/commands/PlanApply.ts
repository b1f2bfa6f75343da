/**
 * `plan` and `apply`: the two verbs most people use. Both call core's `Sync.runWithReport`; this
 * module only parses flags, shows progress, asks for confirmation, renders and writes reports.
 * `plan` itself is in Plan.ts.
 */
import { PlanDriftError, Safeguards, Sync, Verify, type Plan as CorePlan } from "@anysource/core"
import { Run } from "@anysource/runtime"
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as path from "node:path"
import * as ExitCodes from "../ExitCodes.ts"
import * as Render from "../Render.ts"
import * as Runtime from "../Runtime.ts"
import { globalOptions, type Globals, requireTerminal, runCommand, UsageError } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"
import {
  checkReportFiles,
  detailOption,
  progressFor,
  readPlanFile,
  reportOption,
  schemaCheckOf,
  skipSchemaCheckOption,
  writeReports
} from "../internal/PlanFiles.ts"
import { initialOption, refreshOption, sampleFrom } from "../internal/ProofOptions.ts"
import * as Plan from "./Plan.ts"

export { planJsonChunks, planJsonOptions, readPlanFile, writeReports } from "../internal/PlanFiles.ts"

// ---------------------------------------------------------------------------------------------

const applyCommand = Command.make(
  "apply",
  {
    ...globalOptions,
    yes: Options.boolean("yes").pipe(
      Options.withAlias("y"),
      Options.withDescription(
        "Apply without asking. Required where nobody can be asked (no terminal, or CI set)."
      )
    ),
    plan: Options.text("plan").pipe(
      Options.withPseudoName("file"),
      Options.withDescription(
        "Apply exactly this saved plan; refuse (exit 8) if the source, state or config moved since."
      ),
      Options.optional
    ),
    allowDeletes: Options.boolean("allow-deletes").pipe(
      Options.withDescription("Let a tripped safeguard through for this run (review the plan first).")
    ),
    detail: detailOption,
    json: Options.boolean("json").pipe(Options.withDescription("Print the run report as JSON on stdout.")),
    report: reportOption,
    refresh: refreshOption,
    initial: initialOption,
    noVerify: Options.boolean("no-verify").pipe(
      Options.withDescription("Skip reading the changed records back after this apply.")
    ),
    verifySample: Options.text("verify-sample").pipe(
      Options.withPseudoName("size"),
      Options.withDescription("Records to read back: a count (100), a share (10%) or 100%."),
      Options.optional
    ),
    skipSchemaCheck: skipSchemaCheckOption
  },
  (o) =>
    runCommand(o as Globals, (io) =>
      Effect.gen(function* () {
        yield* checkReportFiles(o.report)
        const verifySample = yield* sampleFrom("--verify-sample", o.verifySample)
        const proof = {
          refresh: o.refresh,
          initial: o.initial,
          verify: o.noVerify ? (false as const) : verifySample !== undefined ? { sample: verifySample } : {}
        }
        // Like `terraform apply` without -auto-approve: never change Okta unasked when nobody can be asked.
        if (!o.yes)
          yield* requireTerminal(io, {
            command: "apply",
            does: "changes Okta",
            hint: "Review the changes with `anysource plan`, then run `anysource apply --yes`; or save them with `anysource plan --out plan.json` and apply exactly those with `anysource apply --plan plan.json --yes`."
          })
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const identitySourceId = loaded.config.okta.identitySourceId
        const savedPlan = Option.isSome(o.plan)
          ? Option.some(yield* readPlanFile(o.plan.value))
          : Option.none<CorePlan.Plan>()
        if (Option.isSome(savedPlan) && savedPlan.value.identitySourceId !== identitySourceId)
          return yield* Effect.fail(
            new UsageError({
              message: `${Option.getOrElse(o.plan, () => "")} was made for identity source ${savedPlan.value.identitySourceId}, but ${io.configPath} syncs ${identitySourceId}.`
            })
          )
        const ask = !o.yes
        const target =
          loaded.config.okta.orgUrl === "embedded" ? "the embedded emulator" : loaded.config.okta.orgUrl
        // The plan shown before the question goes where the person answering sees it: stdout on a terminal
        // (and not --json), else stderr with the question.
        const onStdout = io.env.stdoutIsTTY && !o.json
        const style = onStdout ? io.out : io.err
        const show = (text: string) => (onStdout ? io.print(text) : io.printErr(text))
        const showLines = (lines: Iterable<string>) =>
          onStdout ? io.printLines(lines) : io.printErrLines(lines)
        const blocked = (plan: CorePlan.Plan) =>
          Safeguards.violations(plan, loaded.config.safeguards, { allowDeletes: o.allowDeletes }).length > 0
        const showPlan = (plan: CorePlan.Plan, to: "stdout" | "prompt") =>
          Effect.gen(function* () {
            const options = { stoppedBySafeguard: blocked(plan) }
            if (to === "prompt") {
              if (o.detail) yield* Effect.zipRight(showLines(Render.planDetailLines(plan, style)), show(""))
              return yield* show(Render.renderPlanSummary(plan, style, options))
            }
            if (o.detail)
              yield* Effect.zipRight(io.printLines(Render.planDetailLines(plan, io.out)), io.print(""))
            yield* io.print(`${Render.renderPlanSummary(plan, io.out, options)}\n`)
          })
        // the plan the user agreed to (the saved one, or the one shown before the question)
        let agreed = Option.getOrUndefined(savedPlan)

        const body = Effect.gen(function* () {
          let expected = Option.map(savedPlan, (p) => p.hash)
          if (ask) {
            // Plan first, show it, ask; then apply with the plan's hash so exactly what was shown is applied.
            if (agreed === undefined) {
              const progress = progressFor(io, true)
              const first = yield* Sync.runWithReport({
                loaded,
                mode: "plan",
                allowDeletes: o.allowDeletes,
                refresh: o.refresh,
                initial: o.initial,
                onEvent: progress.onEvent,
                ...schemaCheckOf(o.skipSchemaCheck)
              }).pipe(Effect.ensuring(progress.stop))
              if (first.report.plan) yield* showPlan(first.report.plan, "prompt")
              if (Option.isSome(first.error) || !first.report.plan || first.report.outcome === "no-changes")
                return first
              agreed = first.report.plan
            } else yield* showPlan(agreed, "prompt")
            const n = Render.totalChanges(agreed)
            const confirmed = yield* io.ask(
              `Apply ${n === 1 ? "this change" : `these ${n} changes`} to ${target} (identity source ${identitySourceId})?`
            )
            if (!confirmed) return "cancelled" as const
            expected = Option.some(agreed.hash)
          }
          const progress = progressFor(io, !o.json)
          // Without a prompt, show the plan as soon as it is known (before anything is sent); with progress bars on
          // screen, after them. A plan that is not the expected one is never shown: the apply refuses it (drift).
          let shownPlan = ask
          const showOnce = (plan: CorePlan.Plan) =>
            Effect.gen(function* () {
              if (shownPlan || o.json) return
              shownPlan = true
              if (Option.isSome(expected) && plan.hash !== expected.value) return
              yield* showPlan(plan, "stdout")
            })
          const result = yield* Sync.runWithReport({
            loaded,
            mode: "apply",
            allowDeletes: o.allowDeletes,
            ...proof,
            ...schemaCheckOf(o.skipSchemaCheck),
            ...(Option.isSome(expected) ? { expectedPlanHash: expected.value } : {}),
            onEvent: (event) =>
              event._tag === "Planned" && !io.interactive
                ? Effect.zipRight(showOnce(event.plan), progress.onEvent(event))
                : progress.onEvent(event)
          }).pipe(Effect.ensuring(progress.stop))
          if (result.report.plan) yield* showOnce(result.report.plan)
          return result
        }).pipe(Effect.provide(Runtime.syncLayer(loaded)), Effect.scoped)

        const result = yield* body
        if (result === "cancelled") {
          yield* io.printErr(io.err.yellow("Apply cancelled; nothing was sent to Okta."))
          return yield* io.setExit(ExitCodes.ExitCode.Changes)
        }
        const { error, report } = result
        yield* writeReports(o.report, report)
        const drift = yield* Run.failed(error).pipe(
          Effect.as(undefined),
          Effect.catchTag("PlanDriftError", (e) => Effect.succeed(e)),
          Effect.orElseSucceed(() => undefined)
        )
        if (drift !== undefined && agreed !== undefined) {
          // say which input moved, instead of printing the fresh plan and "Failed"
          const lines = Render.describeDrift(agreed, report.plan, {
            plan: Option.getOrElse(o.plan, () => "the plan you confirmed"),
            config: io.configPath
          })
          return yield* Effect.fail(
            new PlanDriftError({
              reason: drift.reason,
              message: lines.join("\n"),
              expectedHash: drift.expectedHash,
              actualHash: drift.actualHash
            })
          )
        }
        if (o.json) yield* io.printJson(report)
        // a failure is rendered once, as the error message, right after
        else
          yield* io.print(
            Render.renderReport(
              report,
              io.out,
              o.report.map((f) => path.normalize(f)),
              { includeError: false }
            )
          )
        if (Option.isSome(error)) return yield* Effect.fail(error.value)
        yield* io.setExit(
          report.outcome === "partial"
            ? ExitCodes.ExitCode.Apply
            : report.verification !== undefined && Verify.foundDifferences(report.verification)
              ? ExitCodes.ExitCode.NotAsSent
              : ExitCodes.ExitCode.Ok
        )
      })
    )
).pipe(
  Command.withDescription(
    describe(
      "Plan, then send exactly the changes to Okta through import sessions, and record them in the state store. On a terminal it shows the plan and asks; elsewhere (pipes, cron, CI) it needs --yes.",
      {
        examples: [
          "anysource apply",
          "anysource apply --yes --report run.html",
          "anysource apply --allow-deletes   # after reviewing a plan that trips a safeguard"
        ],
        exitCodes:
          "0 applied and verified, 2 declined, 6 safeguard, 8 plan moved, 9 incomplete, 10 empty state, Okta populated, 11 no --yes, 12 Okta differs"
      }
    )
  )
)

export const commands = [Plan.command, applyCommand] as const
