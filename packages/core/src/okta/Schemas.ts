/**
 * Wire shapes of the Identity Sources API (packages/okta-emulator/spec/openapi-identity-sources.yaml), as the
 * client sends and decodes them. Profiles are plain string/null records: custom attributes pass through untouched.
 */
import { z } from "zod"
import type { Profile } from "../domain/Model.ts"

// ---------------------------------------------------------------------------------------------
// Request bodies

export interface UserUpsertItem {
  readonly externalId: string
  readonly profile: Profile
}
export interface BulkUpsertUsersBody {
  readonly entityType: "USERS"
  readonly profiles: ReadonlyArray<UserUpsertItem>
}
export interface BulkDeleteUsersBody {
  readonly entityType: "USERS"
  readonly profiles: ReadonlyArray<{ readonly externalId: string }>
}
export interface GroupUpsertItem {
  readonly externalId: string
  readonly profile: Profile
}
export interface BulkUpsertGroupsBody {
  readonly profiles: ReadonlyArray<GroupUpsertItem>
}
export interface BulkDeleteGroupsBody {
  readonly externalIds: ReadonlyArray<string>
}
export interface MembershipItem {
  readonly groupExternalId: string
  readonly memberExternalIds: ReadonlyArray<string>
}
export interface BulkMembershipsBody {
  readonly memberships: ReadonlyArray<MembershipItem>
}

/** One bulk upload, tagged by endpoint. */
export type BulkUpload =
  | { readonly kind: "groupUpsert"; readonly body: BulkUpsertGroupsBody }
  | { readonly kind: "userUpsert"; readonly body: BulkUpsertUsersBody }
  | { readonly kind: "membershipUpsert"; readonly body: BulkMembershipsBody }
  | { readonly kind: "membershipDelete"; readonly body: BulkMembershipsBody }
  | { readonly kind: "userDelete"; readonly body: BulkDeleteUsersBody }
  | { readonly kind: "groupDelete"; readonly body: BulkDeleteGroupsBody }

export type BulkKind = BulkUpload["kind"]

export const bulkPath: Record<BulkKind, string> = {
  groupUpsert: "bulk-groups-upsert",
  userUpsert: "bulk-upsert",
  membershipUpsert: "bulk-group-memberships-upsert",
  membershipDelete: "bulk-group-memberships-delete",
  userDelete: "bulk-delete",
  groupDelete: "bulk-groups-delete"
}

export const bulkEndpoint: Record<BulkKind, string> = {
  groupUpsert: "bulkUpsertGroups",
  userUpsert: "bulkUpsertUsers",
  membershipUpsert: "bulkUpsertMemberships",
  membershipDelete: "bulkDeleteMemberships",
  userDelete: "bulkDeleteUsers",
  groupDelete: "bulkDeleteGroups"
}

/** The exact bytes the client sends for a body (Batching measures with the same function). */
export const serializeBody = (body: unknown): string => JSON.stringify(body)

export interface UserRequest {
  readonly externalId: string
  readonly profile: Profile
}
export interface GroupRequest {
  readonly externalId: string
  readonly profile: Profile
}

// ---------------------------------------------------------------------------------------------
// Responses

export const SessionStatus = z.enum(["CLOSED", "COMPLETED", "CREATED", "ERROR", "EXPIRED", "IN_PROGRESS", "TRIGGERED"])
export type SessionStatus = z.infer<typeof SessionStatus>

export const IdentitySourceSession = z.looseObject({
  id: z.string().min(1),
  identitySourceId: z.string().optional(),
  status: SessionStatus,
  importType: z.string().optional(),
  created: z.string().optional(),
  lastUpdated: z.string().optional()
})
export type IdentitySourceSession = z.infer<typeof IdentitySourceSession>

export const SessionList = z.array(IdentitySourceSession)

/**
 * Start-import's reply: one session (the schema and every recording), or the one-element array of the spec's
 * example (docs/okta/identity-sources-api.md §10.4), read as its session.
 */
export const TriggeredSession = z.union([IdentitySourceSession, z.tuple([IdentitySourceSession])]).transform((s) => (Array.isArray(s) ? s[0] : s))

const ProfileSchema = z.record(z.string(), z.union([z.string(), z.null()]))

export const IdentitySourceUser = z.looseObject({
  id: z.string().optional(),
  externalId: z.string(),
  created: z.string().optional(),
  lastUpdated: z.string().optional(),
  profile: ProfileSchema
})
export type IdentitySourceUser = z.infer<typeof IdentitySourceUser>

/** The spec nests `profile.profile`; real responses are flat (docs/okta/identity-sources-api.md §10.3): accept both, return flat. */
export const IdentitySourceGroup = z
  .looseObject({
    id: z.string().optional(),
    externalId: z.string().optional(),
    profile: z.union([z.looseObject({ profile: ProfileSchema }), ProfileSchema])
  })
  .transform((g) => {
    const p = g.profile as Record<string, unknown>
    const nested = p["profile"]
    const profile =
      nested !== null && typeof nested === "object" && !Array.isArray(nested)
        ? (nested as Record<string, string | null>)
        : (p as Record<string, string | null>)
    return { ...g, profile: profile as Profile }
  })
export type IdentitySourceGroup = z.infer<typeof IdentitySourceGroup>

export const GroupMemberships = z.looseObject({ memberExternalIds: z.array(z.string()) })

export const OktaErrorBody = z.looseObject({
  errorCode: z.string().optional(),
  errorSummary: z.string().optional(),
  errorLink: z.string().optional(),
  errorId: z.string().optional(),
  errorCauses: z.array(z.looseObject({ errorSummary: z.string() })).optional()
})

export const OAuthErrorBody = z.looseObject({ error: z.string(), error_description: z.string().optional() })

export const TokenResponse = z.looseObject({
  token_type: z.string(),
  expires_in: z.number().positive(),
  access_token: z.string().min(1),
  scope: z.string().optional()
})
export type TokenResponse = z.infer<typeof TokenResponse>

/** The body type of one bulk kind. */
export type BulkUploadFor<K extends BulkKind> = Extract<BulkUpload, { readonly kind: K }>["body"]
