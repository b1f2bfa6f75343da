/**
 * A plan: exactly what an apply would send to Okta, why, and a content hash.
 * Types here are the contract between the planner, the safeguards, the orchestrator, the CLI
 * (`plan --json`, `apply --plan`) and the future PR integration. The JSON form is stable.
 */
import type { RecordIssue } from "../domain/Errors.ts"
import type { Profile, SourceLocation } from "../domain/Model.ts"

export interface FieldChange {
  readonly field: string
  /** `undefined` = attribute absent before/after; `null` = explicitly cleared. */
  readonly before?: string | null
  readonly after?: string | null
}

export type UserChange =
  | {
      readonly op: "create"
      readonly externalId: string
      readonly profile: Profile
      readonly hash: string
      readonly location: SourceLocation
    }
  | {
      readonly op: "update" | "reactivate"
      readonly externalId: string
      readonly profile: Profile
      readonly hash: string
      readonly location: SourceLocation
      readonly fields: ReadonlyArray<FieldChange>
    }
  | {
      readonly op: "deactivate"
      readonly externalId: string
      /** Why the record is leaving: absent from the source, or excluded by a filter rule (named). */
      readonly reason: "missing" | "filtered"
      readonly filterRule?: string
      readonly lastSeen?: string
      readonly lastLocation?: SourceLocation
    }

/** Groups use the same shapes (create/update/reactivate/deactivate = bulk-groups-delete). */
export type GroupChange = UserChange

export interface MembershipChange {
  readonly op: "add" | "remove"
  readonly groupExternalId: string
  readonly memberExternalIds: ReadonlyArray<string>
}

export interface EntityCounts {
  readonly create: number
  readonly update: number
  readonly reactivate: number
  readonly deactivate: number
  readonly unchanged: number
  /**
   * Records ACTIVE in state whose source row was invalid or could not be mapped this run: left as they
   * are (never deactivated). Optional for plans from older versions.
   */
  readonly held?: number
}

/** What the state held before this plan (currently ACTIVE users/groups, membership pairs): the safeguards' denominators. */
export interface Baseline {
  readonly users: number
  readonly groups: number
  readonly memberships: number
}

export interface PlanSummary {
  readonly users: EntityCounts
  readonly groups: EntityCounts
  readonly memberships: { readonly add: number; readonly remove: number }
  /** Rows read from the source. */
  readonly rowsRead: number
  /** Rows excluded by filter rules, by rule name. */
  readonly excluded: Readonly<Record<string, number>>
  /** Rows reported invalid and left out (their Okta records, if any, are held unchanged, never deactivated). */
  readonly invalid: number
  /** Set by the planner (optional for plans from older versions; the safeguards then estimate it from the counts). */
  readonly baseline?: Baseline
  /** All issues by kind (the `issues` list keeps only the first 1,000). */
  readonly issueCounts?: Readonly<Partial<Record<RecordIssue["kind"], number>>>
}

export interface PlanInputs {
  /** sha256 of the effective config (secrets excluded). */
  readonly configHash: string
  /** sha256 of the state index the plan was computed against. */
  readonly stateHash: string
  readonly sourceFingerprint?: string
}

/**
 * The changes of one kind, in plan order. A plan of ordinary size holds an array; a large one (a first run of a
 * million people) holds a list that reads its changes back from a temporary file as it is iterated, so it is never
 * in memory whole: read it with `for … of` (or `[...list]` for a small one), never by index.
 */
export interface Changes<A> extends Iterable<A> {
  readonly length: number
}

export interface Plan {
  readonly version: 1
  readonly identitySourceId: string
  readonly createdAt: string
  readonly inputs: PlanInputs
  readonly users: Changes<UserChange>
  readonly groups: ReadonlyArray<GroupChange>
  readonly memberships: ReadonlyArray<MembershipChange>
  readonly summary: PlanSummary
  /** Invalid rows, mapping failures, excluded rows (first N with locations; counts in the summary). */
  readonly issues: ReadonlyArray<RecordIssue>
  /**
   * sha256 over the stable JSON of everything above except `createdAt` and `hash`.
   * `apply --plan` recomputes the plan and refuses when the hashes differ.
   */
  readonly hash: string
}

export const isEmpty = (plan: Plan): boolean =>
  plan.users.length === 0 && plan.groups.length === 0 && plan.memberships.length === 0
