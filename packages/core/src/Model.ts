/**
 * The identity model anysource works with: what Okta's Identity Sources API accepts, nothing more.
 * Every profile attribute is a string or null (Okta's rule); records are keyed by `externalId`.
 */

/** A profile as sent to Okta: string-only attributes, `null` clears a value. */
export type Profile = Readonly<Record<string, string | null>>

/** Where a record came from, readable by a person: `people.csv:12`, `Sheet1!A12`, `employees id=42`, `https://hr/api?page=2#3`. */
export type SourceLocation = string

export type EntityKind = "user" | "group"

export interface UserRecord {
  readonly externalId: string
  readonly profile: Profile
}

/** Groups carry `displayName` (required, 1–255) and optional `description` (≤1024) plus schema-declared strings. */
export interface GroupRecord {
  readonly externalId: string
  readonly profile: Profile
}

/** All members of one group, by user externalId. */
export interface Membership {
  readonly groupExternalId: string
  readonly memberExternalIds: ReadonlyArray<string>
}

/** A row straight from a source adapter: raw values and where they came from. No identity logic. */
export interface SourceRow {
  readonly data: Readonly<Record<string, unknown>>
  readonly location: SourceLocation
}

/** A user the source wants in Okta, after map → filter → normalize → validate. */
export interface DesiredUser extends UserRecord {
  readonly location: SourceLocation
  /** Content hash of the profile (see `Hash.profileHash`). */
  readonly hash: string
  /** Group externalIds this user belongs to, derived by the `groups` config. */
  readonly groups: ReadonlyArray<string>
}

export interface DesiredGroup extends GroupRecord {
  readonly location: SourceLocation
  readonly hash: string
}

/** Okta's limits for Identity Sources (see docs/okta/identity-sources-api.md §3–§4). */
export const OktaLimits = {
  maxEntitiesPerUpload: 200,
  /** 200 KB. Whether Okta means 1000 or 1024 is unconfirmed: the client packs to the stricter 200,000 bytes. */
  maxUploadBytes: 200_000,
  maxUploadsPerSession: 50,
  sessionCreateGapMillis: 5 * 60 * 1000,
  sessionExpiryMillis: 24 * 60 * 60 * 1000,
  userExternalIdMax: 512,
  groupExternalIdMax: 255,
  memberExternalIdMax: 255,
  user: {
    userName: { max: 100 },
    email: { min: 5, max: 100 },
    secondEmail: { min: 5, max: 100 },
    firstName: { min: 1, max: 50 },
    lastName: { min: 1, max: 50 },
    mobilePhone: { max: 100 },
    homeAddress: { max: 4096 }
  },
  group: {
    displayName: { min: 1, max: 255 },
    description: { max: 1024 }
  }
} as const

/** The seven base user attributes Okta models; anything else must be declared in the identity source schema. */
export const baseUserAttributes = [
  "userName",
  "email",
  "secondEmail",
  "firstName",
  "lastName",
  "mobilePhone",
  "homeAddress"
] as const
