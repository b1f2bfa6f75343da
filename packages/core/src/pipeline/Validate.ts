/**
 * Validation: a zod schema per entity built from Okta's base attribute limits (`okta/Limits.ts`)
 * plus the declared identity-source schema (`schema.users` / `schema.groups`: required, minLength,
 * maxLength, pattern, enum, format email). Config mistakes (an attribute that is neither a base
 * attribute nor declared, a required attribute that is not mapped, a bad pattern) are `ConfigError`s
 * found once at startup; per-record problems are returned as `{field, message}` lists.
 *
 * Patterns follow JSON Schema: unanchored (write `^…$` to match the whole value).
 */
import { Effect } from "effect"
import { z } from "zod"
import type { AttributeSpec, PipelineConfig } from "../config/Config.ts"
import { ConfigError } from "../domain/Errors.ts"
import { baseUserAttributes, OktaLimits } from "../okta/Limits.ts"

export interface FieldIssue {
  readonly field: string
  readonly message: string
}

export interface Validator {
  /** Mapped user attributes, sorted. */
  readonly userFields: ReadonlyArray<string>
  /** The zod schemas the checks are built from (the source of truth for messages). */
  readonly schemas: { readonly user: z.ZodType; readonly group: z.ZodType }
  readonly user: (profile: Readonly<Record<string, string | null>>) => ReadonlyArray<FieldIssue>
  readonly group: (profile: Readonly<Record<string, string | null>>) => ReadonlyArray<FieldIssue>
  /** `undefined` when valid, otherwise why not. */
  readonly userExternalId: (id: string) => string | undefined
  readonly groupExternalId: (id: string) => string | undefined
  /** Whether a user with this externalId can be a group member (Okta: member ids ≤ 255). */
  readonly memberExternalId: (id: string) => string | undefined
}

interface Limits {
  min?: number
  max?: number
  email?: boolean
}

const baseUserLimits: Record<string, Limits> = {
  userName: { max: OktaLimits.user.userName.max },
  email: { ...OktaLimits.user.email, email: true },
  secondEmail: { ...OktaLimits.user.secondEmail, email: true },
  firstName: { ...OktaLimits.user.firstName },
  lastName: { ...OktaLimits.user.lastName },
  mobilePhone: { ...OktaLimits.user.mobilePhone },
  homeAddress: { ...OktaLimits.user.homeAddress }
}

const baseGroupLimits: Record<string, Limits> = {
  displayName: { ...OktaLimits.group.displayName },
  description: { ...OktaLimits.group.description }
}

const configError = (path: string, message: string) =>
  new ConfigError({ reason: "Invalid", path, message: `${path}: ${message}` })

/** The email pattern (zod's), shared by the schema and the fast check so they cannot disagree. */
const emailPattern: RegExp = z.regexes.email

interface Attribute {
  /** The zod schema: the source of truth, and of the messages. */
  readonly schema: z.ZodType<string | null>
  /** The same rules as a plain predicate, for the per-row hot path (zod runs only when it says no). */
  readonly check: (value: string | null | undefined) => boolean
}

const attributeSchema = (
  name: string,
  base: Limits | undefined,
  spec: AttributeSpec | undefined,
  required: boolean,
  specPath: string
): Effect.Effect<Attribute, ConfigError> =>
  Effect.gen(function* () {
    const min = Math.max(base?.min ?? 0, spec?.minLength ?? 0)
    const max = Math.min(base?.max ?? Number.POSITIVE_INFINITY, spec?.maxLength ?? Number.POSITIVE_INFINITY)
    if (min > max)
      return yield* Effect.fail(
        configError(`${specPath}.minLength`, `minLength ${min} is greater than the maximum length ${max} of ${name}`)
      )
    const email = base?.email === true || spec?.format === "email"
    let s: z.ZodType<string> = email ? z.email({ pattern: emailPattern }) : z.string()
    if (min > 0) s = (s as z.ZodString).min(min)
    if (Number.isFinite(max)) s = (s as z.ZodString).max(max)
    let re: RegExp | undefined
    if (spec?.pattern !== undefined) {
      try {
        re = new RegExp(spec.pattern, "u")
      } catch (e) {
        return yield* Effect.fail(configError(`${specPath}.pattern`, `not a valid regular expression: ${(e as Error).message}`))
      }
      s = (s as z.ZodString).regex(re)
    }
    let out: z.ZodType<string> = s
    const allowed = spec?.enum !== undefined ? new Set(spec.enum) : undefined
    if (allowed !== undefined) out = s.refine((v) => allowed.has(v), { params: { enum: spec?.enum } })
    const check = (v: string | null | undefined): boolean => {
      if (typeof v !== "string") return v === null && !required
      if (v.length < min || v.length > max) return false
      if (email && !emailPattern.test(v)) return false
      if (re !== undefined && !re.test(v)) return false
      return allowed === undefined || allowed.has(v)
    }
    return { schema: required ? out : out.nullable(), check }
  })

const quote = (v: unknown): string => {
  const s = typeof v === "string" ? v : String(v)
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s)
}

const describeIssue = (issue: z.core.$ZodIssue, value: unknown): string => {
  const field = String(issue.path[0] ?? "")
  switch (issue.code) {
    case "invalid_type":
      return value === null || value === undefined ? `${field} is required but empty` : `${field} must be a string`
    case "too_big":
      return `${field} is ${typeof value === "string" ? value.length : "?"} characters; the limit is ${String(issue.maximum)}`
    case "too_small":
      return `${field} is ${typeof value === "string" ? value.length : "?"} characters; it must have at least ${String(issue.minimum)}`
    case "invalid_format":
      return issue.format === "email"
        ? `${field} ${quote(value)} is not a valid email address`
        : `${field} ${quote(value)} does not match the pattern ${(issue as { pattern?: string }).pattern ?? ""}`
    case "custom": {
      const allowed = (issue.params as { enum?: ReadonlyArray<string> } | undefined)?.enum ?? []
      return `${field} ${quote(value)} is not one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`
    }
    default:
      return `${field}: ${issue.message}`
  }
}

const NO_ISSUES: ReadonlyArray<FieldIssue> = []

const objectSchema = (attributes: Readonly<Record<string, Attribute>>) => {
  const shape: Record<string, z.ZodType<string | null>> = {}
  for (const [name, a] of Object.entries(attributes)) shape[name] = a.schema
  return z.object(shape)
}

const runner = (attributes: Readonly<Record<string, Attribute>>) => {
  const checks: Array<readonly [string, Attribute["check"]]> = []
  for (const [name, a] of Object.entries(attributes)) checks.push([name, a.check])
  const schema = objectSchema(attributes)
  return (profile: Readonly<Record<string, string | null>>): ReadonlyArray<FieldIssue> => {
    let ok = true
    for (let i = 0; i < checks.length; i++) {
      const [name, check] = checks[i]!
      if (!check(profile[name])) {
        ok = false
        break
      }
    }
    if (ok) return NO_ISSUES
    const r = schema.safeParse(profile)
    if (r.success) return []
    return r.error.issues.map((issue) => ({
      field: String(issue.path[0] ?? ""),
      message: describeIssue(issue, profile[String(issue.path[0] ?? "")])
    }))
  }
}

const idCheck = (kind: string, max: number) => (id: string) =>
  id.length === 0
    ? `${kind} is empty`
    : id.length > max
      ? `${kind} is ${id.length} characters; Okta allows at most ${max}`
      : undefined

export const groupFields: ReadonlyArray<string> = ["description", "displayName"]

/**
 * Build the validator for `config`. Fails with `ConfigError` when a mapped attribute is neither an Okta
 * base attribute nor declared in `schema.users.attributes`, when a required attribute is not mapped,
 * or when a declared rule is unusable.
 */
export const make = (
  config: Pick<PipelineConfig, "mapping" | "schema" | "groups">
): Effect.Effect<Validator, ConfigError> =>
  Effect.gen(function* () {
    const declared = config.schema.users.attributes
    const mapped = Object.keys(config.mapping.profile)
    const base = new Set<string>(baseUserAttributes)
    for (const key of mapped) {
      if (!base.has(key) && !Object.hasOwn(declared, key))
        return yield* Effect.fail(
          configError(
            `mapping.profile.${key}`,
            `"${key}" is not an Okta base attribute (${baseUserAttributes.join(", ")}) and is not declared under schema.users.attributes; ` +
              `add it to the Custom Identity Source's profile in Okta and declare it (schema.users.attributes.${key}: {})`
          )
        )
    }
    const mappedSet = new Set(mapped)
    const required = new Set(config.schema.users.required)
    for (const [name, spec] of Object.entries(declared)) if (spec.required) required.add(name)
    for (const name of required) {
      if (!mappedSet.has(name))
        return yield* Effect.fail(
          configError(
            config.schema.users.required.includes(name) ? "schema.users.required" : `schema.users.attributes.${name}.required`,
            `"${name}" is required but mapping.profile does not map it; add mapping.profile.${name}`
          )
        )
    }
    const userFields = [...mapped].sort()
    const userShape: Record<string, Attribute> = {}
    for (const name of userFields)
      userShape[name] = yield* attributeSchema(
        name,
        baseUserLimits[name],
        declared[name],
        required.has(name),
        `schema.users.attributes.${name}`
      )

    const groupDeclared = config.schema.groups.attributes
    for (const [name, spec] of Object.entries(groupDeclared)) {
      if (!groupFields.includes(name) && spec.required)
        return yield* Effect.fail(
          configError(
            `schema.groups.attributes.${name}.required`,
            `"${name}" is required but group rules can only set displayName and description`
          )
        )
    }
    const description = yield* attributeSchema(
      "description",
      baseGroupLimits.description,
      groupDeclared.description,
      groupDeclared.description?.required ?? false,
      "schema.groups.attributes.description"
    )
    const groupShape: Record<string, Attribute> = {
      displayName: yield* attributeSchema(
        "displayName",
        baseGroupLimits.displayName,
        groupDeclared.displayName,
        true,
        "schema.groups.attributes.displayName"
      ),
      // absent when the group rule maps no description
      description: {
        schema: description.schema.optional() as unknown as z.ZodType<string | null>,
        check: (v) => v === undefined || description.check(v)
      }
    }
    if (groupDeclared.description?.required && config.groups.some((g) => g.description === undefined)) {
      const i = config.groups.findIndex((g) => g.description === undefined)
      return yield* Effect.fail(configError(`groups[${i}].description`, "description is required by schema.groups.attributes but not mapped"))
    }

    return {
      userFields,
      schemas: { user: objectSchema(userShape), group: objectSchema(groupShape) },
      user: runner(userShape),
      group: runner(groupShape),
      userExternalId: idCheck("externalId", OktaLimits.userExternalIdMax),
      groupExternalId: idCheck("group externalId", OktaLimits.groupExternalIdMax),
      memberExternalId: (id) =>
        id.length > OktaLimits.memberExternalIdMax
          ? `externalId is ${id.length} characters; Okta group membership ids allow at most ${OktaLimits.memberExternalIdMax}, so this user cannot join groups`
          : undefined
    }
  })
