import { z } from "zod"
import { malformedBody, validationFailed } from "./OktaError.ts"

/** A profile as stored: string values; `null` clears an attribute. */
export type Profile = Record<string, string | null>

/** Length (and format) rules of the modelled attributes, from the OpenAPI subset (docs/okta/identity-sources-api.md §3). */
interface FieldRule {
  readonly min?: number
  readonly max?: number
  readonly email?: boolean
  /** May the attribute be sent as `null`? */
  readonly nullable: boolean
}

export const USER_FIELDS: Readonly<Record<string, FieldRule>> = {
  email: { min: 5, max: 100, email: true, nullable: false },
  // The spec does not mark secondEmail nullable, but its own UserReplaceResponse example returns `null`;
  // clearing a second email is a normal HR change, so the emulator accepts it (see the OpenAPI allowances).
  secondEmail: { min: 5, max: 100, email: true, nullable: true },
  firstName: { min: 1, max: 50, nullable: true },
  lastName: { min: 1, max: 50, nullable: true },
  mobilePhone: { max: 100, nullable: true },
  homeAddress: { max: 4096, nullable: true },
  userName: { max: 100, nullable: false }
}

export const GROUP_FIELDS: Readonly<Record<string, FieldRule>> = {
  displayName: { min: 1, max: 255, nullable: false },
  description: { max: 1024, nullable: true }
}

/** Entities per upload: the guide's 200 (the spec also says maxItems 200 for groups and memberships). */
export const MAX_ENTITIES = 200

// Deliberately simple: one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/

const checkProfile =
  (fields: Readonly<Record<string, FieldRule>>, required: ReadonlyArray<string>) =>
  (profile: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const keys = Object.keys(profile)
    if (keys.length === 0) {
      ctx.addIssue({ code: "custom", message: "The profile must contain at least one attribute." })
      return
    }
    for (const name of required) {
      if (profile[name] === undefined || profile[name] === null) {
        ctx.addIssue({ code: "custom", path: [name], message: `The attribute ${name} is required.` })
      }
    }
    for (const name of keys) {
      const value = profile[name]
      const rule = fields[name]
      if (value === null) {
        if (rule !== undefined && !rule.nullable) {
          ctx.addIssue({ code: "custom", path: [name], message: `The attribute ${name} cannot be null.` })
        }
        continue
      }
      if (typeof value !== "string") {
        const got = Array.isArray(value) ? "array" : typeof value
        ctx.addIssue({ code: "custom", path: [name], message: `The attribute ${name} must be a string, got ${got}.` })
        continue
      }
      if (rule === undefined) continue
      if (rule.min !== undefined && value.length < rule.min) {
        ctx.addIssue({ code: "custom", path: [name], message: `The attribute ${name} must be at least ${rule.min} characters.` })
      }
      if (rule.max !== undefined && value.length > rule.max) {
        ctx.addIssue({ code: "custom", path: [name], message: `The attribute ${name} cannot exceed ${rule.max} characters.` })
      }
      if (rule.email === true && !EMAIL.test(value)) {
        ctx.addIssue({ code: "custom", path: [name], message: `The attribute ${name} must be a valid email address.` })
      }
    }
  }

const profileObject = (fields: Readonly<Record<string, FieldRule>>, required: ReadonlyArray<string> = []) =>
  z
    .record(z.string(), z.unknown(), { error: "The profile must be a JSON object." })
    .superRefine(checkProfile(fields, required))
    .transform((p) => p as Profile)

const requiredString = (field: string, max: number) =>
  z
    .string({ error: (i) => (i.input === undefined ? `The field ${field} is required.` : `The field ${field} must be a string.`) })
    .min(1, { error: `The field ${field} cannot be empty.` })
    .max(max, { error: `The field ${field} cannot exceed ${max} characters.` })

const entityArray = <T extends z.ZodType>(field: string, item: T) =>
  z
    .array(item, { error: (i) => (i.input === undefined ? `The field ${field} is required.` : `The field ${field} must be an array.`) })
    .min(1, { error: `The field ${field} must contain at least one item.` })
    .max(MAX_ENTITIES, { error: `The field ${field} cannot contain more than ${MAX_ENTITIES} items.` })

const entityType = z.literal("USERS", { error: "The field entityType is not valid." })

const userProfile = profileObject(USER_FIELDS)
const userProfileRequired = profileObject(USER_FIELDS, ["email", "userName"])
const groupProfile = profileObject(GROUP_FIELDS, ["displayName"])

const membershipItems = entityArray(
  "memberships",
  z.object({
    groupExternalId: requiredString("groupExternalId", 255),
    memberExternalIds: z
      .array(requiredString("memberExternalIds", 255), { error: "The field memberExternalIds must be an array." })
      .min(1, { error: "The field memberExternalIds must contain at least one item." })
  })
)

export const BulkUsersUpsert = z.object({
  entityType,
  profiles: entityArray("profiles", z.object({ externalId: requiredString("externalId", 512), profile: userProfile }))
})
export const BulkUsersDelete = z.object({
  entityType,
  profiles: entityArray("profiles", z.object({ externalId: requiredString("externalId", 512) }))
})
export const BulkGroupsUpsert = z.object({
  profiles: entityArray("profiles", z.object({ externalId: requiredString("externalId", 255), profile: groupProfile }))
})
export const BulkGroupsDelete = z.object({
  externalIds: entityArray("externalIds", requiredString("externalIds", 255))
})
export const BulkMemberships = z.object({ memberships: membershipItems })

export const UserCreate = z.object({ externalId: requiredString("externalId", 512), profile: userProfileRequired })
export const UserReplace = z.object({ profile: userProfileRequired })
export const GroupCreate = z.object({ externalId: requiredString("externalId", 255), profile: groupProfile })
export const GroupUpdate = z.object({ externalId: requiredString("externalId", 255).optional(), profile: groupProfile })
export const MembershipCreate = z.object({ memberExternalId: requiredString("memberExternalId", 255) })

export type BulkUsersUpsert = z.infer<typeof BulkUsersUpsert>
export type BulkUsersDelete = z.infer<typeof BulkUsersDelete>
export type BulkGroupsUpsert = z.infer<typeof BulkGroupsUpsert>
export type BulkGroupsDelete = z.infer<typeof BulkGroupsDelete>
export type BulkMemberships = z.infer<typeof BulkMemberships>

const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`
    else out += out === "" ? String(part) : `.${String(part)}`
  }
  return out
}

/** Parses a JSON body (E0000003 when absent or malformed). */
export const parseJson = (raw: Buffer): unknown => {
  const text = raw.toString("utf8")
  if (text.trim() === "") throw malformedBody()
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw malformedBody()
  }
}

/** Validates a parsed body; failures become 400 E0000001 `Api validation failed: <first field>` with one cause per problem. */
export const decode = <T extends z.ZodType>(schema: T, body: unknown): z.infer<T> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw malformedBody()
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const issues = result.error.issues
  const first = issues[0]?.path[0]
  const field = typeof first === "string" ? first : "body"
  throw validationFailed(
    field,
    issues.slice(0, 20).map((issue) => {
      const path = formatPath(issue.path)
      return path === "" ? issue.message : `${path}: ${issue.message}`
    })
  )
}
