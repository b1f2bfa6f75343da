/**
 * `plan` and `apply`: the two verbs most people use. Both call core's `Sync.runWithReport`; this
 * module only parses flags, shows progress, asks for confirmation, renders and writes reports.
 */
import { type ConfigError, PlanJson, Sync, type Plan, type RunReport } from "@anysource/core"
import { Command, Options, Prompt } from "@effect/cli"
import { Effect, Option } from "effect"
import * as path from "node:path"
import * as ExitCodes from "../ExitCodes.ts"
import * as HtmlReport from "../HtmlReport.ts"
import * as Progress from "../Progress.ts"
import * as Render from "../Render.ts"
import * as Runtime from "../Runtime.ts"
import { type FileError, globalOptions, type Globals, type Io, readFile, runCommand, UsageError, writeFile } from "../internal/Context.ts"
import { examples } from "../internal/Help.ts"

const reportOption = Options.text("report").pipe(
  Options.withDescription("Write the run report: run.json (machine-readable) or run.html (a page for people). Repeatable."),
  Options.repeated
)

const detailOption = Options.boolean("detail").pipe(
  Options.withAlias("d"),
  Options.withDescription("Show every change: source location and field-level before → after.")
)

const checkReportFiles = (files: ReadonlyArray<string>): Effect.Effect<void, UsageError> =>
  Effect.forEach(
    files,
    (f) =>
      /\.(json|html?)$/i.test(f)
        ? Effect.void
        : Effect.fail(new UsageError({ message: `--report ${f}: use a file name ending in .json or .html` })),
    { discard: true }
  )

/** Write the report in every requested format. */
export const writeReports = (files: ReadonlyArray<string>, report: RunReport.RunReport): Effect.Effect<void, FileError> =>
  Effect.forEach(
    files,
    (f) => writeFile(f, /\.html?$/i.test(f) ? HtmlReport.render(report) : `${JSON.stringify(report, null, 2)}\n`),
    { discard: true }
  )

/** The plan as stable JSON (the contract for `apply --plan` and CI integrations). */
export const planJson = (plan: Plan.Plan): string => `${PlanJson.stringify(plan, 2)}\n`

/** Read a plan written by `plan --out`: validated, and refused when edited (its hash no longer matches). */
export const readPlanFile = (file: string): Effect.Effect<Plan.Plan, FileError | ConfigError> =>
  readFile(file).pipe(Effect.flatMap((text) => PlanJson.parse(text, file)))

const progressFor = (io: Io, enabled: boolean) =>
  Progress.make({
    interactive: io.interactive && enabled,
    style: io.err,
    log: (message) => Effect.logInfo(message)
  })

// ---------------------------------------------------------------------------------------------

const planCommand = Command.make(
  "plan",
  {
    ...globalOptions,
    detail: detailOption,
    json: Options.boolean("json").pipe(Options.withDescription("Print the plan as JSON on stdout (nothing else on stdout).")),
    out: Options.text("out").pipe(
      Options.withAlias("o"),
      Options.withDescription("Save the plan as JSON, to apply exactly it later with `apply --plan <file>`."),
      Options.optional
    ),
    report: reportOption
  },
  (o) =>
    runCommand(o as Globals, (io) =>
      Effect.gen(function* () {
        yield* checkReportFiles(o.report)
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const progress = progressFor(io, !o.json)
        const { error, report } = yield* Sync.runWithReport({ loaded, mode: "plan", onEvent: progress.onEvent }).pipe(
          Effect.ensuring(progress.stop),
          Effect.provide(Runtime.syncLayer(loaded)),
          Effect.scoped
        )
        const plan = report.plan
        if (plan) {
          if (o.json) yield* io.print(planJson(plan).trimEnd())
          else {
            if (o.detail) yield* io.print(`${Render.renderPlanDetail(plan, io.out)}\n`)
            yield* io.print(Render.renderPlanSummary(plan, io.out))
          }
          if (Option.isSome(o.out)) {
            yield* writeFile(o.out.value, planJson(plan))
            if (!o.json) yield* io.print(io.out.dim(`Plan saved to ${o.out.value}. Apply exactly it with: anysource apply --plan ${o.out.value}`))
          } else if (!o.json && Render.totalChanges(plan) > 0 && Option.isNone(error))
            yield* io.print(io.out.dim(`Run \`anysource apply\` to apply these changes (or save them with --out plan.json).`))
        }
        yield* writeReports(o.report, report)
        if (Option.isSome(error)) return yield* Effect.fail(error.value)
        yield* io.setExit(report.outcome === "planned" ? ExitCodes.ExitCode.Changes : ExitCodes.ExitCode.Ok)
      })
    )
).pipe(
  Command.withDescription(
    examples("Read the source, map, validate and diff against the last sync; show what apply would change. Sends nothing to Okta. Exit 0: no changes; 2: changes.", [
      "anysource plan",
      "anysource plan --detail",
      "anysource plan --json | jq .summary",
      "anysource plan --out plan.json --report plan.html"
    ])
  )
)

// ---------------------------------------------------------------------------------------------

const applyCommand = Command.make(
  "apply",
  {
    ...globalOptions,
    yes: Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("Do not ask for confirmation.")),
    plan: Options.text("plan").pipe(
      Options.withDescription("Apply exactly this saved plan; refuse (exit 8) if the source, state or config moved since."),
      Options.optional
    ),
    allowDeletes: Options.boolean("allow-deletes").pipe(
      Options.withDescription("Let a tripped deactivation safeguard through for this run (review the plan first).")
    ),
    detail: detailOption,
    json: Options.boolean("json").pipe(Options.withDescription("Print the run report as JSON on stdout.")),
    report: reportOption
  },
  (o) =>
    runCommand(o as Globals, (io) =>
      Effect.gen(function* () {
        yield* checkReportFiles(o.report)
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const identitySourceId = loaded.config.okta.identitySourceId
        const savedPlan = Option.isSome(o.plan) ? Option.some(yield* readPlanFile(o.plan.value)) : Option.none<Plan.Plan>()
        if (Option.isSome(savedPlan) && savedPlan.value.identitySourceId !== identitySourceId)
          return yield* Effect.fail(
            new UsageError({
              message: `${Option.getOrElse(o.plan, () => "")} was made for identity source ${savedPlan.value.identitySourceId}, but ${io.configPath} syncs ${identitySourceId}.`
            })
          )
        const ask = io.interactive && !o.yes && !o.json
        const target = loaded.config.okta.orgUrl === "embedded" ? "the embedded emulator" : loaded.config.okta.orgUrl

        const body = Effect.gen(function* () {
          let expected = Option.map(savedPlan, (p) => p.hash)
          if (ask) {
            // Plan first, show it, ask; then apply with the plan's hash so exactly what was shown is applied.
            let shown: Plan.Plan
            if (Option.isSome(savedPlan)) shown = savedPlan.value
            else {
              const progress = progressFor(io, true)
              const first = yield* Sync.runWithReport({
                loaded,
                mode: "plan",
                allowDeletes: o.allowDeletes,
                onEvent: progress.onEvent
              }).pipe(Effect.ensuring(progress.stop))
              if (first.report.plan) yield* io.print(Render.renderPlanSummary(first.report.plan, io.out))
              if (Option.isSome(first.error) || !first.report.plan || first.report.outcome === "no-changes") return first
              shown = first.report.plan
            }
            if (o.detail) yield* io.print(`\n${Render.renderPlanDetail(shown, io.out)}`)
            if (Option.isSome(savedPlan)) yield* io.print(Render.renderPlanSummary(shown, io.out))
            const confirmed = yield* Prompt.confirm({
              message: `Apply ${Render.totalChanges(shown) === 1 ? "this change" : `these ${Render.totalChanges(shown)} changes`} to ${target} (identity source ${identitySourceId})?`,
              initial: false
            })
            if (!confirmed) return "cancelled" as const
            expected = Option.some(shown.hash)
          }
          const progress = progressFor(io, !o.json)
          // Without a prompt, show the plan as soon as it is known (before anything is sent);
          // with progress bars on screen, after them.
          let shownPlan = ask
          const showPlan = (plan: Plan.Plan) =>
            Effect.gen(function* () {
              if (shownPlan || o.json) return
              shownPlan = true
              if (o.detail) yield* io.print(`${Render.renderPlanDetail(plan, io.out)}\n`)
              yield* io.print(`${Render.renderPlanSummary(plan, io.out)}\n`)
            })
          const result = yield* Sync.runWithReport({
            loaded,
            mode: "apply",
            allowDeletes: o.allowDeletes,
            ...(Option.isSome(expected) ? { expectedPlanHash: expected.value } : {}),
            onEvent: (event) =>
              event._tag === "Planned" && !io.interactive
                ? Effect.zipRight(showPlan(event.plan), progress.onEvent(event))
                : progress.onEvent(event)
          }).pipe(Effect.ensuring(progress.stop))
          if (result.report.plan) yield* showPlan(result.report.plan)
          return result
        }).pipe(Effect.provide(Runtime.syncLayer(loaded)), Effect.scoped)

        const result = yield* body
        if (result === "cancelled") {
          yield* io.print(io.out.yellow("Apply cancelled; nothing was sent to Okta."))
          return yield* io.setExit(ExitCodes.ExitCode.Changes)
        }
        const { error, report } = result
        yield* writeReports(o.report, report)
        if (o.json) yield* io.print(JSON.stringify(report, null, 2))
        // a failure is rendered once, as the error message, right after
        else yield* io.print(Render.renderReport(report, io.out, o.report.map((f) => path.normalize(f)), { includeError: false }))
        if (Option.isSome(error)) return yield* Effect.fail(error.value)
        yield* io.setExit(report.outcome === "partial" ? ExitCodes.ExitCode.Apply : ExitCodes.ExitCode.Ok)
      })
    )
).pipe(
  Command.withDescription(
    examples(
      "Plan, then send exactly the changes to Okta through import sessions, and record them in the state store. Asks for confirmation on a terminal unless --yes.",
      [
        "anysource apply",
        "anysource apply --yes --report run.html",
        "anysource plan --out plan.json && anysource apply --plan plan.json",
        "anysource apply --allow-deletes   # after reviewing a plan that trips a safeguard"
      ]
    )
  )
)

export const commands = [planCommand, applyCommand] as const
