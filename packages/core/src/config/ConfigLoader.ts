/**
 * Loads a pipeline config from YAML, JSON or `anysource.config.ts`, interpolates `${ENV_VAR}` (and
 * `ENV_VAR_FILE` secret files), validates it with zod (the pipeline schema plus the source adapter's own
 * schema) and returns it with the adapter, the base directory and a secret-free `configHash`.
 *
 * Errors are `ConfigError`s that name every problem by dotted path (`mapping.profile.email`), say what is
 * expected in plain English and never contain a secret or any interpolated value of a secret.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect } from "effect"
import { PipelineConfig } from "./Config.ts"
import { ConfigError } from "../domain/Errors.ts"
import * as Hash from "../domain/Hash.ts"
import { interpolate, type Interpolated, scrub, secretLikeName, type Substitution } from "./internal/interpolate.ts"
import { formatIssues, type Problem } from "./internal/issues.ts"
import { yamlLocator, type Locator } from "./internal/locate.ts"
import { importModule, locateFile, parseJson, parseYaml, readText } from "./internal/read.ts"
import { describeValue, formatPath, isPlainObject, type Segments } from "./internal/paths.ts"
import { acceptedTypes, isSecret, schemasAt, type Schema } from "./internal/schemaWalk.ts"
import { hashable } from "./internal/stable.ts"
import { closest } from "./internal/suggest.ts"
import { catalog, type SourceCatalog, type SourceDefinition } from "../domain/Source.ts"

export interface LoadedConfig {
  /** The validated pipeline config. `config.source` is `{ type, ...sourceConfig }` (secrets `Redacted`). */
  readonly config: PipelineConfig
  /** The adapter's parsed config (the `source` block minus `type`), ready for `source.make`. */
  readonly sourceConfig: unknown
  /** The adapter named by `source.type`. */
  readonly source: SourceDefinition
  /** Absolute path of the config file (`<inline>` for `parse`). */
  readonly file: string
  /** Directory relative paths resolve against: the config file's directory. */
  readonly baseDir: string
  /** sha256 of the effective config with every secret replaced by a marker: rotating a token keeps it. */
  readonly configHash: string
}

export interface LoadOptions {
  /** The environment for `${VAR}` interpolation (apps pass `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>
  /**
   * The source adapters this app knows (`source.type` is looked up here): the definitions, or a catalog that loads
   * only the adapter a config names.
   */
  readonly sources: ReadonlyArray<SourceDefinition> | SourceCatalog
}

export interface ParseOptions extends LoadOptions {
  /** Directory relative paths resolve against. */
  readonly baseDir: string
  /** Shown in error messages. */
  readonly file?: string
}

/** Looked for, in this order, when `load` is given a directory. */
export const defaultFileNames: ReadonlyArray<string> = [
  "anysource.config.ts",
  "anysource.config.mts",
  "anysource.config.js",
  "anysource.config.mjs",
  "anysource.yaml",
  "anysource.yml",
  "anysource.json"
]

const yamlExtensions = new Set([".yaml", ".yml"])
const moduleExtensions = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"])

/** Read, interpolate and validate the config at `path` (a file, or a directory holding one of `defaultFileNames`). */
export const load = (path: string, options: LoadOptions): Effect.Effect<LoadedConfig, ConfigError> =>
  Effect.gen(function* () {
    const file = yield* locateFile(path, defaultFileNames)
    const display = path
    const extension = Path.extname(file).toLowerCase()
    let raw: unknown
    let locator: Locator | undefined
    if (yamlExtensions.has(extension) || extension === ".json") {
      const text = yield* readText(file, display)
      raw =
        extension === ".json" ? yield* parseJson(text, file, display) : yield* parseYaml(text, file, display)
      let located: Locator | undefined
      locator = (segments) => {
        located ??= yamlLocator(text)
        const at = located(segments)
        return at === undefined ? undefined : `${display}:${at}`
      }
    } else if (moduleExtensions.has(extension)) {
      raw = yield* importModule(file, display)
    } else {
      return yield* new ConfigError({
        reason: "Unsupported",
        file,
        message: `${display}: unsupported config format "${extension || "(no extension)"}"; use .yaml, .yml, .json or anysource.config.ts`
      })
    }
    return yield* validate(raw, { ...options, baseDir: Path.dirname(file), file, display, locator })
  })

/** Validate an in-memory config object (Lambda events, worker settings): same rules as `load`. */
export const parse = (raw: unknown, options: ParseOptions): Effect.Effect<LoadedConfig, ConfigError> =>
  validate(raw, {
    env: options.env,
    sources: options.sources,
    baseDir: Path.resolve(options.baseDir),
    file: options.file ?? "<inline>",
    display: options.file ?? "config",
    locator: undefined
  })

// ---------------------------------------------------------------------------------------------------------------
// validation

interface ValidateContext extends LoadOptions {
  readonly baseDir: string
  readonly file: string
  readonly display: string
  readonly locator: Locator | undefined
}

const pipelineSchema: Schema = PipelineConfig

const validate = (raw: unknown, context: ValidateContext): Effect.Effect<LoadedConfig, ConfigError> =>
  Effect.suspend(() => {
    const interpolated = interpolate(raw, {
      env: context.env,
      readFile: (file) => Fs.readFileSync(Path.resolve(file), "utf8")
    })
    const sources = Array.isArray(context.sources) ? catalog(context.sources) : (context.sources as SourceCatalog)
    const input = interpolated.value
    const type = isPlainObject(input) && isPlainObject(input["source"]) ? input["source"]["type"] : undefined
    const adapter = typeof type === "string" ? sources.load(type) : Effect.succeed(undefined)
    return Effect.flatMap(adapter, (definition) => check(interpolated, definition, sources.ids, context))
  })

const check = (
  interpolated: Interpolated,
  adapter: SourceDefinition | undefined,
  known: ReadonlyArray<string>,
  context: ValidateContext
): Effect.Effect<LoadedConfig, ConfigError> =>
  Effect.suspend(() => {
    const schemasFor = (segments: Segments, input: unknown): Array<Schema> =>
      segments[0] === "source" && adapter !== undefined && segments[1] !== "type"
        ? schemasAt(adapter.config, segments.slice(1), isPlainObject(input) ? input["source"] : undefined)
        : schemasAt(pipelineSchema, segments, input)

    const secrets = secretValues(interpolated.substitutions, (segments) =>
      schemasFor(segments, interpolated.value)
    )
    const fail = (reason: ConfigError["reason"], problems: ReadonlyArray<Problem>, headline: string) =>
      Effect.fail(toError(reason, problems, headline, secrets, context))

    if (interpolated.problems.length > 0) {
      const reason = interpolated.problems.some((p) => p.reason === "SecretFile")
        ? "SecretFile"
        : "Interpolation"
      const problems = interpolated.problems.map((p) => ({
        segments: p.segments,
        path: formatPath(p.segments),
        message: p.message
      }))
      return fail(reason, problems, "cannot interpolate")
    }
    const value = interpolated.value
    if (!isPlainObject(value)) {
      return fail(
        "Invalid",
        [
          {
            segments: [],
            path: "(root)",
            message: `the config must be an object (keys like version, okta, source, mapping), got ${describeValue(value)}`
          }
        ],
        "invalid config"
      )
    }
    // `$schema` (editor hint in JSON/YAML files) is allowed at the top and ignored.
    if (typeof value["$schema"] === "string") delete value["$schema"]
    coerceWholeReferences(value, interpolated.wholeReferences, (segments) => schemasFor(segments, value))

    const problems: Array<Problem> = []
    const parsed = PipelineConfig.safeParse(value)
    if (!parsed.success)
      problems.push(...formatIssues(parsed.error.issues, { schema: pipelineSchema, input: value }))

    // The source block: `type` picks the adapter, the rest is the adapter's own config.
    const sourceBlock = value["source"]
    let sourceConfig: unknown
    if (isPlainObject(sourceBlock) && typeof sourceBlock["type"] === "string") {
      const { type, ...rest } = sourceBlock
      if (adapter === undefined) {
        const hint = closest(type, known)
        problems.push({
          segments: ["source", "type"],
          path: "source.type",
          message: `unknown source type ${JSON.stringify(type)}${hint ? ` — did you mean ${JSON.stringify(hint)}?` : ""}; known types: ${known.length > 0 ? known.join(", ") : "(none registered)"}`
        })
      } else {
        const result = adapter.config.safeParse(rest)
        if (result.success) sourceConfig = result.data
        else
          problems.push(
            ...formatIssues(result.error.issues, { schema: adapter.config, input: rest, prefix: ["source"] })
          )
      }
    }

    if (parsed.success) problems.push(...crossFieldProblems(parsed.data))
    if (problems.length > 0 || !parsed.success || adapter === undefined) {
      return fail("Invalid", problems, "invalid config")
    }

    const source = { type: adapter.id, ...(isPlainObject(sourceConfig) ? sourceConfig : {}) }
    const effective: PipelineConfig = { ...parsed.data, source }
    const configHash = Hash.sha256(Hash.stableStringify(hashable(effective)))
    const config: PipelineConfig =
      effective.state.type === "sqlite" && effective.state.path !== ":memory:"
        ? {
            ...effective,
            state: { ...effective.state, path: Path.resolve(context.baseDir, effective.state.path) }
          }
        : effective
    return Effect.succeed({
      config,
      sourceConfig,
      source: adapter,
      file: context.file,
      baseDir: context.baseDir,
      configHash
    })
  })

/** Rules zod cannot see from one field alone. */
const crossFieldProblems = (config: PipelineConfig): Array<Problem> => {
  const problems: Array<Problem> = []
  if (config.okta.orgUrl !== "embedded" && config.okta.auth === undefined) {
    problems.push({
      segments: ["okta", "auth"],
      path: "okta.auth",
      message:
        'is required for a real Okta org: { type: ssws, token: ${OKTA_API_TOKEN} } or { type: oauth, clientId, privateKey } (only orgUrl "embedded" needs none)'
    })
  }
  for (const attribute of config.schema.users.required) {
    if (!(attribute in config.mapping.profile)) {
      problems.push({
        segments: ["mapping", "profile", attribute],
        path: formatPath(["mapping", "profile", attribute]),
        message: `is required: every user needs ${JSON.stringify(attribute)} (schema.users.required lists it); map it from a column or an expression`
      })
    }
  }
  return problems
}

/** `requestTimeoutMs: ${TIMEOUT}` gives a string; where the schema wants a number or boolean (and no string), convert it. */
const coerceWholeReferences = (
  root: Record<string, unknown>,
  references: ReadonlyArray<Segments>,
  schemasFor: (segments: Segments) => Array<Schema>
): void => {
  for (const segments of references) {
    if (segments.length === 0) continue
    let parent: unknown = root
    for (const segment of segments.slice(0, -1))
      parent = (parent as Record<string | number, unknown>)[segment]
    const key = segments[segments.length - 1]!
    const container = parent as Record<string | number, unknown>
    const current = container[key]
    if (typeof current !== "string") continue
    const accepted = acceptedTypes(schemasFor(segments))
    if (accepted.has("string") || accepted.has("unknown") || accepted.has("any")) continue
    if (accepted.has("number") && /^-?\d+(\.\d+)?$/.test(current.trim()))
      container[key] = Number(current.trim())
    else if (accepted.has("boolean") && /^(true|false)$/i.test(current.trim()))
      container[key] = current.trim().toLowerCase() === "true"
  }
}

/** Interpolated values that must never be shown: in secret fields, from `*_FILE`, or from secret-looking variables. */
const secretValues = (
  substitutions: ReadonlyArray<Substitution>,
  schemasFor: (segments: Segments) => Array<Schema>
): Array<string> =>
  substitutions
    .filter((s) => s.fromFile || secretLikeName.test(s.variable) || isSecret(schemasFor(s.segments)))
    .map((s) => s.value)

const toError = (
  reason: ConfigError["reason"],
  problems: ReadonlyArray<Problem>,
  headline: string,
  secrets: ReadonlyArray<string>,
  context: ValidateContext
): ConfigError => {
  const issues = problems.map((p) => {
    const at = context.locator?.(p.segments)
    return { path: p.path, message: scrub(p.message, secrets) + (at ? ` (${at})` : "") }
  })
  const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")
  const first = issues[0]
  return new ConfigError({
    reason,
    file: context.file,
    ...(first ? { path: first.path } : {}),
    issues,
    message: `${headline} ${context.display} (${count}):\n${lines}`
  })
}
