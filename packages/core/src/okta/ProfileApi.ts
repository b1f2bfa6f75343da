/**
 * Wire shapes of Okta's profile schema and mapping APIs (packages/okta-emulator/spec/openapi-schemas-mappings.yaml):
 * the app user schema of an identity source (`/api/v1/meta/schemas/apps/{appId}/default`, the identity source id is
 * the app id), the Okta user schema (`/api/v1/meta/schemas/user/{schemaId}`) and profile mappings
 * (`/api/v1/mappings`). Responses are decoded loosely (Okta adds fields); request bodies are exactly what is sent.
 */
import type { Effect } from "effect"
import { z } from "zod"
import type { OktaApiError } from "../domain/Errors.ts"

/** The scopes each part needs (an admin grants them on the service app's "Okta API Scopes" tab). */
export const ProfileScopes = {
  schemasRead: "okta.schemas.read",
  schemasManage: "okta.schemas.manage",
  mappingsRead: "okta.profileMappings.read",
  mappingsManage: "okta.profileMappings.manage"
} as const

export const SchemaAttribute = z.looseObject({
  title: z.string().optional(),
  type: z.string().optional(),
  description: z.string().optional(),
  required: z.boolean().nullable().optional(),
  minLength: z.number().nullable().optional(),
  maxLength: z.number().nullable().optional()
})
export type SchemaAttribute = z.infer<typeof SchemaAttribute>

const Properties = z.record(z.string(), SchemaAttribute)
const Part = z.looseObject({ properties: Properties.optional() })

/** A user schema (app user or Okta user) as its base and custom attributes. */
export const UserSchema = z
  .looseObject({
    id: z.string().optional(),
    definitions: z.looseObject({ base: Part.optional(), custom: Part.optional() }).optional()
  })
  .transform((s) => ({
    ...(s.id !== undefined ? { id: s.id } : {}),
    base: s.definitions?.base?.properties ?? {},
    custom: s.definitions?.custom?.properties ?? {}
  }))
export type UserSchema = z.output<typeof UserSchema>

const MappingEnd = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  type: z.string().optional()
})

export const ProfileMappingSummary = z.looseObject({
  id: z.string().min(1),
  source: MappingEnd,
  target: MappingEnd
})
export type ProfileMappingSummary = z.infer<typeof ProfileMappingSummary>
export const ProfileMappingList = z.array(ProfileMappingSummary)

export const MappingProperty = z.looseObject({ expression: z.string(), pushStatus: z.string().optional() })
export type MappingProperty = z.infer<typeof MappingProperty>

export const ProfileMapping = z.looseObject({
  id: z.string().min(1),
  source: MappingEnd,
  target: MappingEnd,
  properties: z.record(z.string(), MappingProperty).optional().default({})
})
export type ProfileMapping = z.output<typeof ProfileMapping>

/** A custom attribute as `setup` declares it: identity sources take strings only. */
export interface SchemaAttributeInput {
  readonly title: string
  readonly type: "string"
  readonly description?: string
  readonly required?: boolean
  readonly minLength?: number
  readonly maxLength?: number
}

/** A partial schema update: the named custom attributes are added or changed; `null` removes one. */
export interface UserSchemaUpdate {
  readonly definitions: {
    readonly custom: {
      readonly id: "#custom"
      readonly type: "object"
      readonly properties: Readonly<Record<string, SchemaAttributeInput | null>>
      readonly required: ReadonlyArray<string>
    }
  }
}

/** The body of a schema update adding, changing or (null) removing custom attributes. */
export const schemaUpdate = (
  properties: Readonly<Record<string, SchemaAttributeInput | null>>
): UserSchemaUpdate => ({
  definitions: { custom: { id: "#custom", type: "object", properties, required: [] } }
})

export type PushStatus = "PUSH" | "DONT_PUSH"

/** A partial mapping update: each target attribute gets an expression, or `null`s to remove its mapping. */
export interface ProfileMappingUpdate {
  readonly properties: Readonly<
    Record<
      string,
      | { readonly expression: string; readonly pushStatus: PushStatus }
      | { readonly expression: null; readonly pushStatus: null }
    >
  >
}

/** The profile schema and mapping operations of `OktaClient`. */
export interface ProfileOperations {
  /** The identity source's app user schema (its base and custom attributes). Scope okta.schemas.read. */
  readonly getAppUserSchema: Effect.Effect<UserSchema, OktaApiError>
  /** Add, change or remove the identity source's custom attributes. Scope okta.schemas.manage. */
  readonly updateAppUserSchema: (body: UserSchemaUpdate) => Effect.Effect<UserSchema, OktaApiError>
  /** An Okta user schema (`default`: the default user type). Scope okta.schemas.read. */
  readonly getUserSchema: (schemaId?: string) => Effect.Effect<UserSchema, OktaApiError>
  /** Add or change custom Okta user attributes. Scope okta.schemas.manage. */
  readonly updateUserSchema: (
    body: UserSchemaUpdate,
    schemaId?: string
  ) => Effect.Effect<UserSchema, OktaApiError>
  /** Every mapping matching the filters, following the `Link` header's next pages. Scope okta.profileMappings.read. */
  readonly listProfileMappings: (filter: {
    readonly sourceId?: string
    readonly targetId?: string
  }) => Effect.Effect<ReadonlyArray<ProfileMappingSummary>, OktaApiError>
  /** One mapping with its property mappings. Scope okta.profileMappings.read. */
  readonly getProfileMapping: (mappingId: string) => Effect.Effect<ProfileMapping, OktaApiError>
  /** Add, change or remove property mappings. Scope okta.profileMappings.manage. */
  readonly updateProfileMapping: (
    mappingId: string,
    body: ProfileMappingUpdate
  ) => Effect.Effect<ProfileMapping, OktaApiError>
}
