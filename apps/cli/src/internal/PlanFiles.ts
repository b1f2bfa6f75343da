/**
 * What `plan` and `apply` share (commands/PlanApply.ts): the `--report` and `--detail` flags, writing reports and
 * plan files as streams, reading a saved plan back (validated, refused when edited), the progress display.
 */
import { type ConfigError, type Plan, PlanJson, type RunReport } from "@anysource/core"
import { Options } from "@effect/cli"
import { Effect } from "effect"
import * as HtmlReport from "../HtmlReport.ts"
import * as Progress from "../Progress.ts"
import { type FileError, type Io, readFile, UsageError, writeFileFrom, writeJsonFile } from "./Context.ts"
import { jsonChunks } from "./JsonChunks.ts"

export const reportOption = Options.text("report").pipe(
  Options.withPseudoName("file"),
  Options.withDescription("Write the run report: run.json (machine-readable) or run.html (a page for people). Repeatable."),
  Options.repeated
)

export const detailOption = Options.boolean("detail").pipe(
  Options.withAlias("d"),
  Options.withDescription("Show every change: source location and field-level before → after.")
)

export const skipSchemaCheckOption = Options.boolean("skip-schema-check").pipe(
  Options.withDescription(
    "Do not read the identity source's schema first (for tokens without okta.schemas.read; same as okta.schemaCheck: false)."
  )
)

/** `--skip-schema-check` as Sync's option (absent: the config's okta.schemaCheck decides). */
export const schemaCheckOf = (skip: boolean) => (skip ? { schemaCheck: false } : {})

export const checkReportFiles = (files: ReadonlyArray<string>): Effect.Effect<void, UsageError> =>
  Effect.forEach(
    files,
    (f) =>
      /\.(json|html?)$/i.test(f)
        ? Effect.void
        : Effect.fail(new UsageError({ message: `--report ${f}: use a file name ending in .json or .html` })),
    { discard: true }
  )

/** Write the report in every requested format, streamed (never the whole report as one string). */
export const writeReports = (files: ReadonlyArray<string>, report: RunReport.RunReport): Effect.Effect<void, FileError> =>
  Effect.forEach(files, (f) => (/\.html?$/i.test(f) ? writeFileFrom(f, HtmlReport.chunks(report)) : writeJsonFile(f, report)), {
    discard: true
  })

/**
 * The plan as stable JSON (keys sorted at every depth, 2-space indent): the contract for `apply --plan` and CI
 * integrations. Written in chunks; `PlanJson.parse` reads it back with the same content hash.
 */
export const planJsonOptions = { indent: 2, sortKeys: true } as const

/** The plan's JSON text in chunks (see `planJsonOptions`). */
export const planJsonChunks = (plan: Plan.Plan): Generator<string, void, undefined> => jsonChunks(plan, planJsonOptions)

/** Read a plan written by `plan --out`: validated, and refused when edited (its hash no longer matches). */
export const readPlanFile = (file: string): Effect.Effect<Plan.Plan, FileError | ConfigError> =>
  readFile(file).pipe(Effect.flatMap((text) => PlanJson.parse(text, file)))

export const progressFor = (io: Io, enabled: boolean) =>
  Progress.make({
    interactive: io.interactive && enabled,
    style: io.err,
    log: (message) => Effect.logInfo(message)
  })
