/**
 * What `plan` and `apply` share (commands/PlanApply.ts): the `--report` and `--detail` flags, writing reports and
 * plan files as streams, reading a saved plan back (validated, refused when edited), the progress display.
 */
import { type ConfigError, type Plan, PlanFile, type RunReport } from "@anysource/core"
import { Options } from "@effect/cli"
import { Effect } from "effect"
import * as Progress from "../Progress.ts"
import * as fs from "node:fs"
import { FileError, type Io, UsageError, writeFileFrom, writeJsonFile } from "./Context.ts"
import { jsonChunks } from "./JsonChunks.ts"

export const reportOption = Options.text("report").pipe(
  Options.withPseudoName("file"),
  Options.withDescription(
    "Write the run report: run.json (machine-readable) or run.html (a page for people). Repeatable."
  ),
  Options.repeated
)

export const detailOption = Options.boolean("detail").pipe(
  Options.withAlias("d"),
  Options.withDescription("Show every change: source location and field-level before → after.")
)

export const skipSchemaCheckOption = Options.boolean("skip-schema-check").pipe(
  Options.withDescription("Skip the schema check (as okta.schemaCheck: false).")
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
export const writeReports = (
  files: ReadonlyArray<string>,
  report: RunReport.RunReport
): Effect.Effect<void, FileError> =>
  Effect.forEach(
    files,
    (f) =>
      /\.html?$/i.test(f)
        ? // the page's module loads only when a page is asked for
          Effect.flatMap(
            Effect.promise(() => import("../HtmlReport.ts")),
            (HtmlReport) => writeFileFrom(f, HtmlReport.chunks(report))
          )
        : writeJsonFile(f, report),
    { discard: true }
  )

/**
 * The plan as stable JSON (keys sorted at every depth, 2-space indent): the contract for `apply --plan` and CI
 * integrations. Written in chunks; `PlanJson.parse` reads it back with the same content hash.
 */
export const planJsonOptions = { indent: 2, sortKeys: true } as const

/** The plan's JSON text in chunks (see `planJsonOptions`). */
export const planJsonChunks = (plan: Plan.Plan): Generator<string, void, undefined> =>
  jsonChunks(plan, planJsonOptions)

/** Fails with the same `FileError` as `readFile` when `file` cannot be read, without reading it. */
const requireReadable = (file: string): Effect.Effect<void, FileError> =>
  Effect.try({
    try: () => {
      fs.accessSync(file, fs.constants.R_OK)
      if (fs.statSync(file).isDirectory())
        throw Object.assign(new Error(`${file} is a folder`), { code: "EISDIR" })
    },
    catch: (cause) =>
      new FileError({
        file,
        message: `Could not read ${file}: ${(cause as NodeJS.ErrnoException)?.code === "ENOENT" ? "no such file" : cause instanceof Error ? cause.message : String(cause)}`
      })
  })

/**
 * Read a plan written by `plan --out`: validated, and refused when edited (its hash no longer matches). Read as a
 * stream: the plan of a first run of a million people is larger than one string can hold.
 */
export const readPlanFile = (file: string): Effect.Effect<Plan.Plan, FileError | ConfigError> =>
  requireReadable(file).pipe(Effect.zipRight(PlanFile.read(file)))

export const progressFor = (io: Io, enabled: boolean) =>
  Progress.make({
    interactive: io.interactive && enabled,
    style: io.err,
    log: (message) => Effect.logInfo(message)
  })
