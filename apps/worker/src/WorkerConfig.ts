/**
 * The worker file (`worker.yaml`): which pipelines to run, on which cron schedules, the HTTP port and
 * the API token. The pipeline configs themselves are ordinary anysource configs (core's strict
 * schema), so schedules live here, not there.
 *
 * ```yaml
 * pipelines:
 *   - name: hr
 *     config: ./pipelines/hr.yaml       # relative to this file
 *     schedule: "*\/15 * * * *"         # croner: 5 fields, or 6 with seconds first
 *     timezone: Europe/Berlin           # optional, default UTC
 * http: { port: 8080 }
 * token: ${WORKER_TOKEN}                # or WORKER_TOKEN_FILE=/run/secrets/token
 * ```
 *
 * `ANYSOURCE_CONFIGS` (files or directories, comma-separated) adds pipelines without listing them here:
 * each file is a pipeline named after the file, scheduled by `defaults.schedule` (none = run on demand only).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { ConfigError } from "@anysource/core"
import { Effect, Redacted } from "effect"
import { parseDocument } from "yaml"
import { z } from "zod"
import { interpolate } from "./internal/interpolate.ts"
import * as Schedule from "./Schedule.ts"

const intLike = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v), schema)

const boolLike = z.preprocess((v) => (typeof v === "string" && /^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() === "true" : v), z.boolean())

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }

/** `500ms`, `90s`, `15m`, `2h`, or a number of milliseconds. */
export const DurationMillis = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\s*\d+\s*(ms|s|m|h)\s*$/, "a duration such as 90s, 15m or 2h")])
  .transform((v) => {
    if (typeof v === "number") return v
    const m = /^\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(v)!
    return Number(m[1]) * UNITS[m[2]!]!
  })

const CronPattern = z.string().min(1).meta({ description: "Cron pattern (croner): 5 fields, 6 with seconds first, or @hourly/@daily…" })

const scheduleProblem = (value: { schedule?: string | undefined; timezone?: string | undefined }, ctx: z.RefinementCtx) => {
  if (value.timezone !== undefined && !Schedule.isTimezone(value.timezone))
    ctx.addIssue({ code: "custom", path: ["timezone"], message: `unknown time zone ${JSON.stringify(value.timezone)} (use an IANA name such as Europe/Berlin)` })
  else if (value.schedule !== undefined) {
    const parsed = Schedule.parse(value.schedule, value.timezone ?? "UTC")
    if ("error" in parsed) ctx.addIssue({ code: "custom", path: ["schedule"], message: parsed.error })
  }
}

export const PipelineEntry = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, '.', '_' and '-', at most 63 characters")
      .meta({ description: "The pipeline's name in the API, metrics and logs." }),
    config: z.string().min(1).meta({ description: "Path of the pipeline config (YAML, JSON or anysource.config.ts), relative to worker.yaml." }),
    schedule: CronPattern.optional().meta({ description: "When to run. Without it the pipeline runs only on POST /runs." }),
    timezone: z.string().optional(),
    mode: z.enum(["apply", "plan"]).default("apply").meta({ description: "plan = dry runs only: report what would change, send nothing." }),
    allowDeletes: boolLike.default(false).meta({ description: "Let scheduled runs through a tripped deactivation safeguard (like --allow-deletes)." }),
    lockTtl: DurationMillis.default(15 * 60_000).meta({ description: "Lease on the identity-source lock; a dead replica's lock frees after this." }),
    resumeOnStart: boolLike.default(true).meta({ description: "Start a run at once when the state holds an unfinished apply (a deploy or crash interrupted it)." })
  })
  .superRefine(scheduleProblem)
export type PipelineEntry = z.output<typeof PipelineEntry>

export const WorkerConfigSchema = z.strictObject({
  pipelines: z.array(PipelineEntry).default([]),
  defaults: z
    .strictObject({
      schedule: CronPattern.optional(),
      timezone: z.string().optional(),
      mode: z.enum(["apply", "plan"]).default("apply"),
      lockTtl: DurationMillis.default(15 * 60_000)
    })
    .superRefine(scheduleProblem)
    .default({ mode: "apply", lockTtl: 15 * 60_000 })
    .meta({ description: "Settings for the pipelines found through ANYSOURCE_CONFIGS." }),
  http: z
    .strictObject({
      port: intLike(z.number().int().min(0).max(65535)).default(8080),
      host: z.string().min(1).default("0.0.0.0")
    })
    .default({ port: 8080, host: "0.0.0.0" }),
  token: z
    .string()
    .min(16, "must be at least 16 characters (generate one: openssl rand -hex 32)")
    .transform((t) => Redacted.make(t))
    .meta({ description: "Bearer token for GET/POST /runs. Write ${WORKER_TOKEN}; never a literal.", "x-secret": true }),
  shutdownGrace: DurationMillis.default(10 * 60_000).meta({
    description: "On SIGTERM, how long to wait for running pipelines to reach a session boundary before interrupting them."
  }),
  recentRuns: intLike(z.number().int().min(1).max(10_000)).default(200).meta({ description: "Runs kept in memory for GET /runs." }),
  logLevel: z.enum(["all", "trace", "debug", "info", "warning", "error", "fatal", "none"]).default("info")
})
export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>

export interface Pipeline extends PipelineEntry {
  /** Absolute path of the pipeline config. */
  readonly configPath: string
}

export interface WorkerConfig {
  readonly file: string
  readonly pipelines: ReadonlyArray<Pipeline>
  readonly http: { readonly port: number; readonly host: string }
  readonly token: Redacted.Redacted<string>
  readonly shutdownGraceMillis: number
  readonly recentRuns: number
  readonly logLevel: z.output<typeof WorkerConfigSchema>["logLevel"]
  /** Every value interpolated into a secret field (scrubbed from logs as a second line of defence). */
  readonly secrets: ReadonlyArray<string>
}

const PIPELINE_EXTENSIONS = new Set([".yaml", ".yml", ".json", ".ts", ".mts", ".js", ".mjs"])

const invalid = (file: string, issues: ReadonlyArray<{ path: string; message: string }>, reason: ConfigError["reason"] = "Invalid") => {
  const lines = issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}`).join("\n")
  const first = issues[0]
  return new ConfigError({
    reason,
    file,
    ...(first ? { path: first.path } : {}),
    issues,
    message: `invalid worker config ${file} (${issues.length === 1 ? "1 problem" : `${issues.length} problems`}):\n${lines}`
  })
}

/** Validate a parsed worker file (already read from disk). `baseDir` resolves relative pipeline paths. */
export const fromObject = (
  raw: unknown,
  options: {
    readonly file: string
    readonly baseDir: string
    readonly vars: Readonly<Record<string, string | undefined>>
    /** Extra pipeline configs (ANYSOURCE_CONFIGS): files or directories, relative to `cwd`. */
    readonly extraConfigs?: ReadonlyArray<string>
    readonly cwd?: string
  }
): Effect.Effect<WorkerConfig, ConfigError> =>
  Effect.suspend(() => {
    const interpolated = interpolate(raw ?? {}, options.vars)
    if (interpolated.problems.length > 0) return Effect.fail(invalid(options.file, interpolated.problems, "Interpolation"))
    const parsed = WorkerConfigSchema.safeParse(interpolated.value)
    if (!parsed.success) {
      return Effect.fail(
        invalid(
          options.file,
          parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }))
        )
      )
    }
    const config = parsed.data
    const pipelines: Array<Pipeline> = config.pipelines.map((p) => ({ ...p, configPath: Path.resolve(options.baseDir, p.config) }))
    const problems: Array<{ path: string; message: string }> = []
    const cwd = options.cwd ?? process.cwd()
    for (const entry of options.extraConfigs ?? []) {
      const absolute = Path.resolve(cwd, entry)
      let files: Array<string>
      try {
        files = Fs.statSync(absolute).isDirectory()
          ? Fs.readdirSync(absolute)
              .filter((f) => !f.startsWith(".") && PIPELINE_EXTENSIONS.has(Path.extname(f).toLowerCase()) && !/\.d\.ts$/.test(f))
              .sort()
              .map((f) => Path.join(absolute, f))
              .filter((f) => Path.resolve(f) !== Path.resolve(options.file))
          : [absolute]
      } catch {
        problems.push({ path: "ANYSOURCE_CONFIGS", message: `not found: ${entry}` })
        continue
      }
      for (const file of files) {
        if (pipelines.some((p) => p.configPath === file)) continue // listed in worker.yaml: that entry wins
        const name = Path.basename(file).replace(/\.[^.]+$/, "")
        const entryParsed = PipelineEntry.safeParse({
          name,
          config: file,
          mode: config.defaults.mode,
          lockTtl: config.defaults.lockTtl,
          ...(config.defaults.schedule !== undefined ? { schedule: config.defaults.schedule } : {}),
          ...(config.defaults.timezone !== undefined ? { timezone: config.defaults.timezone } : {})
        })
        if (!entryParsed.success) {
          problems.push({ path: "ANYSOURCE_CONFIGS", message: `${file}: ${entryParsed.error.issues.map((i) => i.message).join("; ")}` })
          continue
        }
        pipelines.push({ ...entryParsed.data, configPath: file })
      }
    }
    const seen = new Set<string>()
    for (const p of pipelines) {
      if (seen.has(p.name)) problems.push({ path: "pipelines", message: `two pipelines are named ${JSON.stringify(p.name)}; names must be unique` })
      seen.add(p.name)
    }
    if (pipelines.length === 0)
      problems.push({ path: "pipelines", message: "no pipelines: list them under `pipelines:` or point ANYSOURCE_CONFIGS at pipeline configs" })
    if (problems.length > 0) return Effect.fail(invalid(options.file, problems))
    const tokenPaths = new Set(["token"])
    return Effect.succeed({
      file: options.file,
      pipelines,
      http: config.http,
      token: config.token,
      shutdownGraceMillis: config.shutdownGrace,
      recentRuns: config.recentRuns,
      logLevel: config.logLevel,
      secrets: [Redacted.value(config.token), ...interpolated.substituted.filter((s) => tokenPaths.has(s.path)).map((s) => s.value)].filter(
        (s) => s.length > 0
      )
    } satisfies WorkerConfig)
  })

/** Read and validate the worker file. */
export const load = (
  file: string,
  options: { readonly vars: Readonly<Record<string, string | undefined>>; readonly extraConfigs?: ReadonlyArray<string>; readonly cwd?: string }
): Effect.Effect<WorkerConfig, ConfigError> =>
  Effect.gen(function* () {
    const absolute = Path.resolve(options.cwd ?? process.cwd(), file)
    const text = yield* Effect.try({
      try: () => Fs.readFileSync(absolute, "utf8"),
      catch: () =>
        new ConfigError({
          reason: "NotFound",
          file: absolute,
          message: `worker config not found: ${file} (set ANYSOURCE_WORKER_CONFIG to its path)`
        })
    })
    const document = parseDocument(text, { uniqueKeys: true })
    if (document.errors.length > 0) {
      return yield* new ConfigError({
        reason: "Parse",
        file: absolute,
        message: `cannot parse ${file} as YAML: ${document.errors.map((e) => e.message.split("\n")[0]).join("; ")}`
      })
    }
    return yield* fromObject(document.toJS(), {
      file: absolute,
      baseDir: Path.dirname(absolute),
      vars: options.vars,
      ...(options.extraConfigs ? { extraConfigs: options.extraConfigs } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {})
    })
  })
