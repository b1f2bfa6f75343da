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

/** One record change as committed to state after Okta reported its session COMPLETED (see `StateStore.commit`). */
export type CommittedChange =
  | {
      readonly kind: EntityKind
      readonly op: "upsert"
      readonly externalId: string
      readonly hash: string
      readonly profile: Profile
      readonly location?: SourceLocation
    }
  | { readonly kind: EntityKind; readonly op: "deactivate"; readonly externalId: string }
  /**
   * Okta does not hold the record (a verification, drift check or refresh read it back and got 404): state drops it
   * and every membership naming it, so the next plan creates it again instead of trusting a stale entry.
   */
  | { readonly kind: EntityKind; readonly op: "forget"; readonly externalId: string }
  | {
      readonly kind: "membership"
      readonly op: "add" | "remove"
      readonly groupExternalId: string
      readonly memberExternalIds: ReadonlyArray<string>
    }
