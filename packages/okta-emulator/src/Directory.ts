/**
 * Read-only views of the emulated org, returned by `RunningEmulator.directory` and `sessions()`.
 * Timestamps are Okta-style ISO strings (`…:05.000Z`).
 */

export type SessionStatus = "CREATED" | "IN_PROGRESS" | "TRIGGERED" | "COMPLETED" | "ERROR" | "CLOSED" | "EXPIRED"

export type UserStatus = "ACTIVE" | "DEPROVISIONED"

export interface EmulatedUser {
  /** Okta user id, `00u…` (the Users API's id). */
  readonly id: string
  /** Identity-source user id, `0ua…`: what the Identity Sources API answers in `responses: "recorded"` mode. */
  readonly sourceUserId: string
  readonly externalId: string
  readonly identitySourceId: string
  readonly status: UserStatus
  /** `profile.userName`, which becomes the Okta login. */
  readonly login: string
  /** The identity-source profile as last imported (cleared attributes are absent). */
  readonly profile: Readonly<Record<string, string>>
  /**
   * The Okta user's profile: `profile` through the identity source's profile mapping, applied when the user was last
   * imported (what `GET /api/v1/users/{id}` shows, without the `externalId` it adds).
   */
  readonly oktaProfile: Readonly<Record<string, string>>
  readonly created: string
  readonly lastUpdated: string
  readonly statusChanged: string
}

export interface EmulatedGroup {
  /** Okta group id, `00g…`. */
  readonly id: string
  readonly externalId: string
  readonly identitySourceId: string
  /** Flat identity-source group profile: `displayName`, `description` and any custom string attributes. */
  readonly profile: Readonly<Record<string, string>>
  readonly created: string
  readonly lastUpdated: string
  readonly memberCount: number
}

/** Entity counts staged in a session, per upload kind. */
export interface StagedCounts {
  readonly usersUpsert: number
  readonly usersDelete: number
  readonly groupsUpsert: number
  readonly groupsDelete: number
  readonly membershipsUpsert: number
  readonly membershipsDelete: number
}

/** What processing a session did to the directory. */
export interface ImportResult {
  readonly usersCreated: number
  readonly usersUpdated: number
  readonly usersUnchanged: number
  readonly usersReactivated: number
  readonly usersDeactivated: number
  readonly usersSkipped: number
  /** Users the org rejected one by one inside a completed import (the `simulate.rejectShare` mode). */
  readonly usersRejected: number
  readonly groupsCreated: number
  readonly groupsUpdated: number
  readonly groupsDeleted: number
  /** Groups the org rejected one by one inside a completed import (the `simulate.rejectShare` mode). */
  readonly groupsRejected: number
  readonly membershipsAdded: number
  readonly membershipsRemoved: number
  /** Deletes naming an externalId that matched nothing (silently skipped, as Okta does). */
  readonly ignored: number
}

export interface SessionView {
  readonly id: string
  readonly identitySourceId: string
  readonly status: SessionStatus
  readonly created: string
  readonly lastUpdated: string
  /** Accepted bulk uploads (at most 50). */
  readonly uploads: number
  readonly staged: StagedCounts
  readonly triggeredAt?: string
  /** When processing finished (COMPLETED or ERROR). */
  readonly finishedAt?: string
  readonly result?: ImportResult
  /** Records Okta would have failed on silently: unknown users/groups in memberships, missing login, login conflicts. */
  readonly warnings: ReadonlyArray<string>
}

/** What a simulation mode did to the directory (`RunningEmulator.simulations()`). */
export interface SimulationEntry {
  /** Emulator time, Okta-style ISO string. */
  readonly at: string
  readonly kind: "reject" | "adminEdit" | "secondWriter"
  readonly entity: "user" | "group"
  readonly externalId: string
  /** What happened: the attribute edited, the member removed or added, the session that rejected it. */
  readonly detail: string
}
