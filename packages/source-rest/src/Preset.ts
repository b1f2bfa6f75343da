/**
 * HR system presets for the `rest` source. A preset is a REST config someone already worked out for one HR
 * system (its URL, auth, paging, rate limits, which fields to ask for) plus a default mapping of its rows to
 * Okta attributes. In a pipeline config:
 *
 *   source:
 *     type: rest
 *     preset: bamboohr                  # the preset
 *     companyDomain: acme               # the preset's own keys
 *     apiKey: ${BAMBOOHR_API_KEY}
 *     requestsPerSecond: 2              # any REST key overrides the preset's value
 *
 * A preset only ever **expands into an ordinary REST config**, so every REST feature, check and error applies
 * unchanged. The user's REST keys are merged over the expansion (objects key by key, `null` removes a preset's
 * value, anything else replaces it) and the result is validated like a plain config.
 *
 * Every preset reads its people into the same columns (`PRESET_COLUMNS`), so its default mapping, filter and
 * declared attributes (`defaults`) look alike across HR systems; `starterYaml` renders them as the commented
 * config `anysource init` writes, and `env` lists the variables to set.
 */
import { Config } from "@anysource/core"
import { z } from "zod"

/** A raw (not yet validated) REST config: what a preset expands into. Secrets may already be `Redacted`. */
export type RawRestConfig = Record<string, unknown>

/** A vendor page the preset was written from. */
export interface PresetReference {
  readonly title: string
  readonly url: string
  /** The date the page was read (ISO `YYYY-MM-DD`). */
  readonly read: string
  /** Said instead of "read <date>" when the page could not be read itself (e.g. only quoted elsewhere). */
  readonly note?: string
}

export interface PresetEnvVar {
  readonly name: string
  readonly description: string
  readonly secret: boolean
}

/** The pipeline parts a preset suggests: written by `init`, used as is by the preset's end-to-end test. */
export interface PresetDefaults {
  readonly mapping: {
    readonly externalId: string
    readonly profile: Readonly<Record<string, string>>
  }
  readonly filter: ReadonlyArray<{ readonly name: string; readonly include: string }>
  /** Custom attributes the mapping writes (declare them on the identity source and under `schema.users.attributes`). */
  readonly attributes: Readonly<Record<string, { readonly maxLength: number }>>
}

export interface RestPreset<Shape extends z.ZodRawShape = z.ZodRawShape> {
  /** What users write as `source.preset`. */
  readonly id: string
  readonly displayName: string
  /** One sentence: which endpoint, which auth, which paging. */
  readonly description: string
  /** The preset's own keys (never a REST key). Secrets with `Config.secret()`. */
  readonly params: Shape
  /** Cross-field rules of the preset's keys (e.g. one of two credentials). */
  readonly check?: (params: z.output<z.ZodObject<Shape>>, context: z.RefinementCtx) => void
  /** The REST config the preset stands for. */
  readonly expand: (params: z.output<z.ZodObject<Shape>>) => RawRestConfig
  /** Runs after the user's REST keys are merged in (e.g. ask the API for the fields the final `fields` reads). */
  readonly finish?: (config: RawRestConfig, params: z.output<z.ZodObject<Shape>>) => RawRestConfig
  /** The environment variables the starter config references. */
  readonly env: ReadonlyArray<PresetEnvVar>
  /** The commented YAML `source:` block `anysource init --source <preset>` writes. */
  readonly source: string
  readonly defaults: PresetDefaults
  /** Vendor documentation it was written from, with the date each page was read. */
  readonly references: ReadonlyArray<PresetReference>
  /** README bullets: auth, records and paging, rate limits, caveats, follow-ups. */
  readonly notes: ReadonlyArray<string>
}

/** Keeps the params' types flowing into `check`, `expand` and `finish`; the registry holds the erased type. */
export const definePreset = <Shape extends z.ZodRawShape>(preset: RestPreset<Shape>): RestPreset =>
  preset as unknown as RestPreset

/**
 * The columns every preset reads people into (a preset's `fields`). A value the HR system does not have is
 * `null`; add columns with `fields: { column: selector }` next to the preset.
 */
export const PRESET_COLUMNS = {
  employee_id: "the HR system's immutable employee id (the externalId)",
  first_name: "legal first name",
  last_name: "legal last name",
  preferred_name: "preferred / display first name",
  email: "work email",
  title: "job title",
  department: "department name",
  manager_id: "the manager's employee_id",
  start_date: "hire / start date",
  end_date: "termination / end date",
  status: "employment status as the HR system spells it"
} as const

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype

/**
 * The user's REST keys over a preset's expansion: plain objects merge key by key (unless both carry a different
 * `type`, e.g. another `auth` or `pagination` style, which replaces the preset's), `null` removes the preset's
 * value, anything else (strings, numbers, lists, secrets) replaces it.
 */
export const mergeOverrides = (base: RawRestConfig, overrides: RawRestConfig): RawRestConfig => {
  const out: RawRestConfig = { ...base }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    if (value === null) {
      delete out[key]
      continue
    }
    const current = out[key]
    if (
      isPlainObject(current) &&
      isPlainObject(value) &&
      (value["type"] === undefined || value["type"] === current["type"])
    ) {
      out[key] = mergeOverrides(current, value)
    } else out[key] = value
  }
  return out
}

/**
 * The zod branch of `preset: <id>`: the preset's keys and the REST keys (as overrides), expanded and merged,
 * then piped into the plain REST schema, so a problem in the result is reported at the key the user wrote.
 */
export const presetSchema = <Out>(
  preset: RestPreset,
  restKeys: ReadonlyArray<string>,
  plain: z.ZodType<Out, any>
) => {
  const overrides: Record<string, z.ZodType> = {}
  for (const key of restKeys) {
    if (key in preset.params) throw new Error(`preset ${preset.id}: its key ${key} collides with a REST key`)
    overrides[key] = z
      .unknown()
      .optional()
      .meta({
        description: `Overrides the preset's \`${key}\` (a REST setting; null removes the preset's value).`
      })
  }
  const input = z.strictObject({
    preset: z.literal(preset.id).meta({ description: `${preset.displayName}: ${preset.description}` }),
    ...preset.params,
    ...overrides
  })
  const checked =
    preset.check === undefined ? input : input.superRefine((value, context) => preset.check!(value, context))
  return checked
    .transform((value) => {
      const params: Record<string, unknown> = {}
      const user: RawRestConfig = {}
      for (const [key, v] of Object.entries(value)) {
        if (key === "preset") continue
        if (key in preset.params) params[key] = v
        else user[key] = v
      }
      const merged = mergeOverrides(preset.expand(params), user)
      return preset.finish === undefined ? merged : preset.finish(merged, params)
    })
    .pipe(plain)
}

/** A secret key of a preset (`${ENV_VAR}` or `ENV_VAR_FILE`), described for the JSON Schema. */
export const presetSecret = (description: string) => Config.secret().meta({ description, "x-secret": true })

// ---------------------------------------------------------------------------------------------------------------
// Starter config and documentation, rendered from the presets' data

const scalar = (value: string): string =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(value) ? value : JSON.stringify(value)

/** The mapping, filter and schema blocks of a preset's defaults, as YAML. */
export const defaultsYaml = (preset: RestPreset): string => {
  const d = preset.defaults
  const lines = [
    `# ${preset.displayName} rows arrive as the columns ${Object.keys(PRESET_COLUMNS).join(", ")}.`,
    "# A plain column name copies it; anything else is JSONata. Change freely.",
    "mapping:",
    `  externalId: ${scalar(d.mapping.externalId)}`,
    "  profile:",
    ...Object.entries(d.mapping.profile).map(([attribute, expr]) => `    ${attribute}: ${scalar(expr)}`)
  ]
  if (d.filter.length > 0) {
    lines.push(
      "",
      "# Rows a rule excludes are counted in the plan; a person excluded after being synced is deactivated.",
      "filter:",
      ...d.filter.flatMap((rule) => [
        `  - name: ${scalar(rule.name)}`,
        `    include: ${JSON.stringify(rule.include)}`
      ])
    )
  }
  lines.push(
    "",
    "# Attributes beyond Okta's base ones: declare them on the identity source's profile too.",
    "schema:",
    "  users:",
    "    attributes:",
    ...Object.entries(d.attributes).map(
      ([attribute, spec]) => `      ${attribute}: { maxLength: ${spec.maxLength} }`
    )
  )
  return lines.join("\n")
}

/** The environment variables a preset's starter config reads, as YAML comments. */
export const envComment = (preset: RestPreset): string =>
  [
    `# Set before running (or VAR_FILE=/run/secrets/… for a secret):`,
    ...preset.env.map((v) => `#   ${v.name}${v.secret ? " (secret)" : ""}: ${v.description}`)
  ].join("\n")

/** The commented `source`, `mapping`, `filter` and `schema` blocks `anysource init --source <preset>` writes. */
export const starterYaml = (preset: RestPreset): string =>
  `${envComment(preset)}\n${preset.source.trimEnd()}\n\n${defaultsYaml(preset)}\n`

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ")

/** The presets section of the package README (regenerated by `pnpm --filter @anysource/source-rest gen:presets`). */
export const presetsMarkdown = (presets: ReadonlyArray<RestPreset>): string => {
  const out: Array<string> = [
    "| preset | HR system | what it reads |",
    "| --- | --- | --- |",
    ...presets.map((p) => `| [\`${p.id}\`](#preset-${p.id}) | ${p.displayName} | ${cell(p.description)} |`),
    "",
    `Every preset reads people into the same columns: ${Object.entries(PRESET_COLUMNS)
      .map(([column, meaning]) => `\`${column}\` (${meaning})`)
      .join(", ")}.`
  ]
  for (const p of presets) {
    const keys = Object.entries(p.params).map(([key, schema]) => {
      const meta = (schema as z.ZodType).meta() as { description?: string; "x-secret"?: boolean } | undefined
      const optional = (schema as z.ZodType).safeParse(undefined).success
      return `| \`${key}\` | ${optional ? "no" : "yes"} | ${meta?.["x-secret"] === true ? "yes" : "no"} | ${cell(meta?.description ?? "")} |`
    })
    out.push(
      "",
      `<a id="preset-${p.id}"></a>`,
      "",
      `### \`preset: ${p.id}\` — ${p.displayName}`,
      "",
      p.description,
      "",
      "| key | required | secret | meaning |",
      "| --- | --- | --- | --- |",
      ...keys,
      "",
      ...p.notes.map((note) => `- ${note}`),
      "",
      "Starter config (`anysource init --source " + p.id + "` will write it):",
      "",
      "```yaml",
      starterYaml(p).trimEnd(),
      "```",
      "",
      "Written from the vendor's public documentation:",
      "",
      ...p.references.map((r) => `- [${r.title}](${r.url}) (${r.note ?? `read ${r.read}`})`)
    )
  }
  return out.join("\n")
}

/** The short list of presets for the repository README. */
export const presetsList = (presets: ReadonlyArray<RestPreset>): string =>
  presets
    .map(
      (p) =>
        `- **${p.displayName}** — \`preset: ${p.id}\`: ${p.description} ([details](packages/source-rest/README.md#preset-${p.id}))`
    )
    .join("\n")

export const README_START =
  "<!-- presets:start (generated by `pnpm --filter @anysource/source-rest gen:presets`) -->"
export const README_END = "<!-- presets:end -->"

/** The text of `readme` with the part between the markers replaced by `section`. */
export const replaceSection = (readme: string, section: string): string => {
  const start = readme.indexOf(README_START)
  const end = readme.indexOf(README_END)
  if (start < 0 || end < start) throw new Error(`the README has no ${README_START} … ${README_END} section`)
  return `${readme.slice(0, start + README_START.length)}\n\n${section.trim()}\n\n${readme.slice(end)}`
}
