/**
 * The pipeline config (version 1), as zod schemas. Loaded from YAML, JSON or `anysource.config.ts`
 * by `ConfigLoader`; its JSON Schema (for editor autocompletion) is generated from these schemas.
 *
 * Expressions are JSONata, compiled once per run. A string that is a plain identifier
 * (`email`, `first_name`) copies that column (fast path); anything else is an expression;
 * `{ column: "Employee ID" }` copies a column whose name is not an identifier; `{ const: "x" }` is a literal.
 */
import { Redacted } from "effect"
import { z } from "zod"

/** A secret value: kept `Redacted` from the moment it is read. Write `${ENV_VAR}` in config (or set `ENV_VAR_FILE` to a file holding it). */
export const secret = () =>
  z
    .union([z.string().min(1), z.custom<Redacted.Redacted<string>>((v) => Redacted.isRedacted(v))])
    .transform((v) => (typeof v === "string" ? Redacted.make(v) : v))
    .meta({
      description:
        "A secret. Write `${ENV_VAR}` (or set ENV_VAR_FILE to a file holding it); never a literal.",
      "x-secret": true
    })

export const ValueExpr = z
  .union([
    z.string().min(1),
    z.strictObject({ column: z.string().min(1) }),
    z.strictObject({ expr: z.string().min(1) }),
    z.strictObject({ const: z.union([z.string(), z.null()]) })
  ])
  .meta({ description: "A column name, a JSONata expression, {column}, {expr} or {const}." })
export type ValueExpr = z.infer<typeof ValueExpr>

export const MappingConfig = z.strictObject({
  externalId: ValueExpr.meta({ description: "The immutable HR key (≤512 chars). Decides create vs update." }),
  profile: z
    .record(z.string(), ValueExpr)
    .meta({ description: "Okta profile attribute → value. Must include userName and email." })
})
export type MappingConfig = z.infer<typeof MappingConfig>

export const FilterRule = z.strictObject({
  name: z.string().min(1).meta({ description: "Reason reported for rows this rule excludes." }),
  include: z
    .string()
    .min(1)
    .meta({ description: "JSONata expression; rows where it is not true are excluded." })
})
export const FilterConfig = z.union([z.string().min(1), z.array(FilterRule).min(1)])
export type FilterConfig = z.infer<typeof FilterConfig>

export const GroupRule = z.strictObject({
  name: z.string().min(1).optional(),
  externalId: ValueExpr.meta({
    description: "Group externalId per row (≤255), e.g. \"'dept-' & $lowercase(department)\"."
  }),
  displayName: ValueExpr,
  description: ValueExpr.optional(),
  when: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "JSONata: the row joins the group only where this is true." })
})
export type GroupRule = z.infer<typeof GroupRule>

export const AttributeSpec = z.strictObject({
  type: z
    .enum(["string", "boolean", "integer", "number", "array"])
    .optional()
    .meta({ description: "Okta's attribute type. Identity sources accept string only (`anysource setup plan` refuses others)." }),
  title: z.string().min(1).optional().meta({ description: "Display name in Okta's Profile Editor (default: the attribute's name)." }),
  description: z.string().optional().meta({ description: "Description in Okta's Profile Editor." }),
  required: z.boolean().default(false),
  minLength: z.number().int().min(0).optional(),
  maxLength: z.number().int().min(1).optional(),
  pattern: z.string().optional(),
  enum: z.array(z.string()).min(1).optional(),
  format: z.enum(["email"]).optional()
})
export type AttributeSpec = z.infer<typeof AttributeSpec>

export const SchemaConfig = z.strictObject({
  users: z
    .strictObject({
      /** Custom attributes declared on the Custom Identity Source (Profile Editor) plus rules for base attributes. */
      attributes: z.record(z.string(), AttributeSpec).default({}),
      required: z.array(z.string()).default(["userName", "email"])
    })
    .default({ attributes: {}, required: ["userName", "email"] }),
  groups: z
    .strictObject({ attributes: z.record(z.string(), AttributeSpec).default({}) })
    .default({ attributes: {} })
})
export type SchemaConfig = z.infer<typeof SchemaConfig>

/** A limit that has a default: set a number to change it, `null` to turn the rule off. Absent = the default. */
const limit = (schema: z.ZodNumber, fallback: number | undefined, description: string) =>
  (fallback === undefined ? schema.nullable().optional() : schema.nullable().default(fallback))
    .transform((v) => v ?? undefined)
    .meta({
      description:
        fallback === undefined ? description : `${description} Default ${fallback}; null turns it off.`
    })

const count = () => z.number().int().min(0)
const percent = () => z.number().min(0).max(100)

/**
 * Safeguards for one entity type. Defaults apply per key: writing `users: { maxDeactivations: 50 }` keeps
 * the default percentage rules (a safety rule never disappears because a neighbour was set).
 */
const entitySafeguards = (defaults: {
  readonly maxDeactivationPercent?: number
  readonly minRecordsPercent?: number
}) =>
  z.strictObject({
    maxDeactivations: limit(count(), undefined, "Most deactivations one run may send."),
    maxDeactivationPercent: limit(
      percent(),
      defaults.maxDeactivationPercent,
      "Most deactivations as % of currently active records."
    ),
    minRecords: limit(count(), undefined, "Fewest valid source records for a run to go ahead."),
    minRecordsPercent: limit(
      percent(),
      defaults.minRecordsPercent,
      "Fewest valid source records as % of currently active records (truncated-file guard)."
    ),
    allowEmptySource: z
      .boolean()
      .default(false)
      .meta({ description: "An empty source deactivates everyone only when true." })
  })

export const UserSafeguards = entitySafeguards({ maxDeactivationPercent: 10, minRecordsPercent: 50 })
export const GroupSafeguards = entitySafeguards({ maxDeactivationPercent: 25 })
/** The per-entity rules as the safeguards see them (after defaults). */
export type EntitySafeguards = z.output<typeof UserSafeguards>

export const MembershipSafeguards = z.strictObject({
  maxRemovals: limit(count(), undefined, "Most membership removals one run may send."),
  maxRemovalPercent: limit(percent(), 25, "Most membership removals as % of current memberships.")
})

export const SafeguardsConfig = z
  .strictObject({
    users: UserSafeguards.prefault({}),
    groups: GroupSafeguards.prefault({}),
    memberships: MembershipSafeguards.prefault({})
  })
  .prefault({})
export type SafeguardsConfig = z.infer<typeof SafeguardsConfig>

export const OktaAuthConfig = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("ssws"), token: secret() }),
  z.strictObject({
    type: z.literal("oauth"),
    clientId: z.string().min(1),
    privateKey: secret().meta({ description: "PEM (PKCS#8) or JWK JSON of the service app's private key." }),
    keyId: z.string().optional(),
    algorithm: z.enum(["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]).default("RS256"),
    scopes: z.array(z.string()).default(["okta.identitySources.manage", "okta.identitySources.read"]),
    dpop: z.boolean().default(false)
  })
])
export type OktaAuthConfig = z.infer<typeof OktaAuthConfig>

export const OktaConfig = z.strictObject({
  orgUrl: z
    .union([z.literal("embedded"), z.url()])
    .meta({
      description:
        "https://your-org.okta.com, or `embedded` for the local emulator persisted under .anysource/."
    }),
  identitySourceId: z.string().min(1).meta({ description: "The Custom Identity Source app id (0oa…)." }),
  auth: OktaAuthConfig.optional().meta({ description: "Required unless orgUrl is `embedded`." }),
  foreignSessionPolicy: z.enum(["wait", "cancel"]).default("wait"),
  requestTimeoutMs: z.number().int().positive().default(30_000),
  sessionTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(2 * 60 * 60 * 1000),
  maxRetries: z.number().int().min(0).default(6),
  schemaCheck: z
    .boolean()
    .optional()
    .meta({
      description:
        "Before each plan and apply, read the identity source's schema and refuse a mapping that sends an attribute it lacks (default true; needs okta.schemas.read). false skips the check, like --skip-schema-check."
    })
})
export type OktaConfig = z.infer<typeof OktaConfig>

export const SetupConfig = z
  .strictObject({
    userMappings: z
      .record(z.string(), z.union([z.string().min(1), z.null()]))
      .optional()
      .meta({
        description:
          "Identity-source attribute → Okta user attribute it maps onto (default: the same name where the Okta user profile has it; userName → login). null leaves that attribute's mapping alone."
      }),
    oktaUserAttributes: z
      .enum(["skip", "create"])
      .optional()
      .meta({
        description:
          "create: add a mapping target the Okta user profile lacks as a custom string attribute (changes the org-wide user profile). Default skip: report it."
      })
  })
  .meta({ description: "What `anysource setup plan|apply` manages in Okta: the identity source's schema and its profile mapping." })
export type SetupConfig = z.infer<typeof SetupConfig>

export const StateConfig = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("sqlite"), path: z.string().default(".anysource/state.db") }),
    z.strictObject({ type: z.literal("postgres"), url: secret(), schema: z.string().default("anysource") }),
    z.strictObject({ type: z.literal("memory") })
  ])
  .default({ type: "sqlite", path: ".anysource/state.db" })
export type StateConfig = z.infer<typeof StateConfig>

/** `100%`, a count of records (`100`) or a share of them (`10%`). */
export const SampleSize = z
  .union([z.number().int().min(0), z.string().regex(/^(100|[0-9]{1,2}(\.[0-9]+)?)%$/, "a count (100) or a percentage from 0% to 100% (10%)")])
  .meta({ description: "A count of records (100), a share of them (10%), or all of them (100%)." })
export type SampleSize = z.infer<typeof SampleSize>

/**
 * Reading back what an apply sent (`verify.after: apply`, `anysource verify`), and the reads of `drift`,
 * `plan --refresh` and `state rebuild`: how much, and how much of Okta's rate limit they may use. Not part of
 * `configHash`: it changes no plan.
 */
export const VerifyConfig = z
  .strictObject({
    after: z
      .enum(["apply", "never"])
      .default("apply")
      .meta({ description: "Read the changed records back from Okta after every completed apply (`apply`), or not." }),
    sample: SampleSize.default(100).meta({
      description: "Which of the changed records to read back: a count (100, the default), a share (10%) or all (100%)."
    }),
    maxRequests: z
      .number()
      .int()
      .min(1)
      .default(1_000)
      .meta({ description: "Most Okta requests one verification sends; it stops cleanly there and reports what it did not check." }),
    rateLimitShare: z
      .number()
      .min(1)
      .max(90)
      .default(50)
      .meta({
        description:
          "Most of each rate-limit window (% of X-Rate-Limit-Limit) these reads may use: below that many requests left they pause until the window resets."
      }),
    concurrency: z.number().int().min(1).max(32).default(4).meta({ description: "Reads in flight at once." })
  })
  .prefault({})
export type VerifyConfig = z.infer<typeof VerifyConfig>

export const SourceConfig = z
  .looseObject({
    type: z.string().min(1).meta({ description: "Adapter id: file, sftp, sql, google-sheets, rest, …" })
  })
  .meta({ description: "The source adapter and its own settings (see `anysource sources`)." })
export type SourceConfig = z.infer<typeof SourceConfig>

export const PipelineConfig = z.strictObject({
  version: z.literal(1),
  name: z.string().optional(),
  okta: OktaConfig,
  source: SourceConfig,
  mapping: MappingConfig,
  filter: FilterConfig.optional(),
  groups: z.array(GroupRule).default([]),
  schema: SchemaConfig.default({
    users: { attributes: {}, required: ["userName", "email"] },
    groups: { attributes: {} }
  }),
  normalize: z
    .strictObject({
      trim: z.boolean().default(true),
      emptyAsNull: z.boolean().default(true),
      lowercase: z
        .array(z.string())
        .optional()
        .meta({
          description: "More attributes to lower-case, besides the email-like ones (always lower-cased)."
        })
    })
    .default({ trim: true, emptyAsNull: true }),
  validation: z.strictObject({ strict: z.boolean().default(false) }).default({ strict: false }),
  safeguards: SafeguardsConfig,
  verify: VerifyConfig,
  state: StateConfig,
  setup: SetupConfig.optional()
})
export type PipelineConfig = z.infer<typeof PipelineConfig>
export type PipelineConfigInput = z.input<typeof PipelineConfig>

/** Identity helper for `anysource.config.ts`: `export default defineConfig({ version: 1, ... })`. */
export const defineConfig = (config: PipelineConfigInput): PipelineConfigInput => config
