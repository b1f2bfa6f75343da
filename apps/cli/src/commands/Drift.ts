/**
 * `drift [--fix]`: compare what anysource believes Okta holds (state) with Okta, for all or a sample of the active
 * records. `--fix` records Okta's values in state for every drifted record (holding the identity source's lock),
 * then plans as usual: the re-sends are an ordinary plan, with the same safeguards, to review and apply.
 */
import { Drift, Sample, StateStore, Sync } from "@anysource/core"
import { Command, Options } from "@effect/cli"
import { Clock, Effect, Option } from "effect"
import * as ExitCodes from "../ExitCodes.ts"
import * as Progress from "../Progress.ts"
import * as Render from "../Render.ts"
import { driftLines } from "../RenderProof.ts"
import * as Runtime from "../Runtime.ts"
import { globalOptions, runCommand, withTrailingNewline, writeFileFrom } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"
import { planJsonChunks, planJsonOptions } from "../internal/PlanFiles.ts"
import { maxRequestsOption, sampleFrom } from "../internal/ProofOptions.ts"

export const command = Command.make(
  "drift",
  {
    ...globalOptions,
    sample: Options.text("sample").pipe(
      Options.withPseudoName("size"),
      Options.withDescription(
        "How many of the active records to read: a count (500), a share (10%) or all (100%, the default)."
      ),
      Options.optional
    ),
    maxRequests: maxRequestsOption,
    only: Options.choice("only", ["users", "groups", "memberships"]).pipe(
      Options.withDescription("Check only this kind of record (repeatable). Default: all three."),
      Options.repeated
    ),
    fix: Options.boolean("fix").pipe(
      Options.withDescription(
        "Record Okta's values in state for drifted records, then plan their re-send (review, then apply)."
      )
    ),
    out: Options.text("out").pipe(
      Options.withAlias("o"),
      Options.withPseudoName("file"),
      Options.withDescription("With --fix: save the plan, to apply exactly it with `apply --plan <file>`."),
      Options.optional
    ),
    detail: Options.boolean("detail").pipe(
      Options.withAlias("d"),
      Options.withDescription("With --fix: show every planned change.")
    ),
    json: Options.boolean("json").pipe(
      Options.withDescription("Print the drift report (and with --fix the plan) as JSON on stdout.")
    )
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const sample = (yield* sampleFrom("--sample", o.sample)) ?? Sample.all
        const progress = Progress.make({
          interactive: io.interactive && !o.json,
          style: io.err,
          log: (m) => Effect.logInfo(m)
        })
        const identitySourceId = loaded.config.okta.identitySourceId
        const runId = `drift-${new Date(yield* Clock.currentTimeMillis).toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15)}`
        const { report, fixed } = yield* Effect.gen(function* () {
          const report = yield* Drift.check({
            sample,
            scopes: o.only.length > 0 ? o.only : Drift.scopes,
            rateLimitShare: loaded.config.verify.rateLimitShare,
            concurrency: loaded.config.verify.concurrency,
            seed: runId,
            onEvent: (event) => progress.onEvent({ _tag: "ReadBack", event }),
            ...(Option.isSome(o.maxRequests) ? { maxRequests: o.maxRequests.value } : {})
          }).pipe(Effect.ensuring(progress.stop))
          if (!o.fix || !Drift.found(report)) return { report, fixed: undefined }
          // state is written: hold the lock so no apply runs meanwhile, then plan as usual
          const store = yield* StateStore.StateStore
          yield* Effect.scoped(Effect.zipRight(store.lock(runId, 2 * 60 * 1000), Drift.fix(report, runId)))
          const planned = yield* Sync.runWithReport({ loaded, mode: "plan" })
          return { report, fixed: planned }
        }).pipe(Effect.provide(Runtime.syncLayer(loaded)), Effect.scoped)

        if (o.json)
          yield* io.printJson(
            fixed?.report.plan !== undefined ? { drift: report, plan: fixed.report.plan } : report,
            planJsonOptions
          )
        else yield* io.printLines(driftLines(report, identitySourceId, io.out))
        if (report.stopped === "error") return yield* io.setExit(ExitCodes.fromTag(report.error?.tag))
        if (fixed === undefined) {
          if (Drift.found(report) && !o.json)
            yield* io.print(
              io.out.dim("Run `anysource drift --fix` to record Okta's values in state and plan the re-send.")
            )
          return yield* io.setExit(Drift.found(report) ? ExitCodes.ExitCode.NotAsSent : ExitCodes.ExitCode.Ok)
        }
        const { error, report: run } = fixed
        const plan = run.plan
        if (plan !== undefined && !o.json) {
          yield* io.print(
            io.out.dim(
              `\n${report.records.length} drifted records recorded in state as Okta holds them (run ${runId}). The plan that re-sends the source's values:`
            )
          )
          if (o.detail) yield* io.printLines(Render.planDetailLines(plan, io.out))
          yield* io.print(
            Render.renderPlanSummary(plan, io.out, {
              stoppedBySafeguard: Option.isSome(error) && error.value._tag === "SafeguardTripped"
            })
          )
        }
        if (plan !== undefined && Option.isSome(o.out)) {
          yield* writeFileFrom(o.out.value, withTrailingNewline(planJsonChunks(plan)))
          if (!o.json)
            yield* io.print(
              io.out.dim(
                `Plan saved to ${o.out.value}. Apply exactly it with: anysource apply --plan ${o.out.value}`
              )
            )
        } else if (plan !== undefined && Render.totalChanges(plan) > 0 && !o.json)
          yield* io.print(io.out.dim("Run `anysource apply` to send them."))
        if (Option.isSome(error)) return yield* Effect.fail(error.value)
        yield* io.setExit(run.outcome === "planned" ? ExitCodes.ExitCode.Changes : ExitCodes.ExitCode.Ok)
      })
    )
).pipe(
  Command.withDescription(
    describe(
      "Compare the state (what anysource believes Okta holds) with Okta. Record by record (single-entity reads): profiles edited outside, records missing, members missing or extra. `--fix` records Okta's values in state and plans the re-send as an ordinary plan.",
      {
        examples: [
          "anysource drift",
          "anysource drift --sample 10% --only users",
          "anysource drift --fix --out plan.json && anysource apply --plan plan.json"
        ],
        exitCodes:
          "0 no drift, 12 drift found; with --fix: 0 nothing to re-send, 2 re-sends planned (review, then apply), 6 a safeguard would stop them"
      }
    )
  )
)
