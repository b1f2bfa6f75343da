/**
 * Okta's limits for Identity Sources (see docs/okta/identity-sources-api.md §3–§4): what one upload and one
 * session may hold, the 5-minute rule, and the base attributes' lengths. Validation (pipeline/), packing (apply/)
 * and the session rules read them from here. Also published as `Model.OktaLimits` / `Model.baseUserAttributes`.
 */

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
