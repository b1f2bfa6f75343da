import type {
  EmulatedGroup,
  EmulatedUser,
  ImportResult,
  SessionStatus,
  SessionView,
  StagedCounts,
  UserStatus
} from "../Directory.ts"
import { oktaId, oktaTime } from "./Ids.ts"
import { notFound, OktaHttpError, validationFailed } from "./OktaError.ts"
import type {
  BulkGroupsDelete,
  BulkGroupsUpsert,
  BulkMemberships,
  BulkUsersDelete,
  BulkUsersUpsert,
  Profile
} from "./Payloads.ts"
import {
  Profiles,
  type CustomAttributesOption,
  type ProfilesSnapshot,
  type UnknownAttributes
} from "./Profiles.ts"

export const MINUTE = 60_000
/** No new session within 5 minutes of a session that is still TRIGGERED. */
export const TRIGGER_COOLDOWN_MS = 5 * MINUTE
/** CREATED / IN_PROGRESS sessions expire after 24 hours without API calls. */
export const SESSION_IDLE_MS = 24 * 60 * MINUTE
export const MAX_UPLOADS = 50
const MAX_WARNINGS = 1000

export const CONFLICT_CAUSE =
  "Only one active import session per identity source is allowed to be created every 5 minutes"
export const CANCEL_CAUSE = "Only a session that is in CREATED or IN_PROGRESS status can be canceled."
export const TRIGGER_CAUSE = "Only a session that is in IN_PROGRESS status can be triggered."
export const UPLOAD_STATE_CAUSE =
  "Data can be uploaded only to a session that is in CREATED or IN_PROGRESS status."
export const UPLOAD_LIMIT_CAUSE = `A session accepts at most ${MAX_UPLOADS} bulk upload requests.`

export type UploadKind =
  | "usersUpsert"
  | "usersDelete"
  | "groupsUpsert"
  | "groupsDelete"
  | "membershipsUpsert"
  | "membershipsDelete"

/** Processing order inside one session (Okta does not document it; this order never references what is not yet there). */
export const PROCESSING_ORDER: ReadonlyArray<UploadKind> = [
  "groupsUpsert",
  "usersUpsert",
  "membershipsUpsert",
  "membershipsDelete",
  "usersDelete",
  "groupsDelete"
]

export type StagedUpload =
  | { readonly kind: "usersUpsert"; readonly items: BulkUsersUpsert["profiles"] }
  | { readonly kind: "usersDelete"; readonly items: BulkUsersDelete["profiles"] }
  | { readonly kind: "groupsUpsert"; readonly items: BulkGroupsUpsert["profiles"] }
  | { readonly kind: "groupsDelete"; readonly items: BulkGroupsDelete["externalIds"] }
  | { readonly kind: "membershipsUpsert"; readonly items: BulkMemberships["memberships"] }
  | { readonly kind: "membershipsDelete"; readonly items: BulkMemberships["memberships"] }

type MutableResult = { -readonly [K in keyof ImportResult]: number }

export interface SessionRecord {
  id: string
  identitySourceId: string
  status: SessionStatus
  created: number
  lastUpdated: number
  lastActivity: number
  uploadCount: number
  staged: { -readonly [K in keyof StagedCounts]: number }
  uploads: Array<StagedUpload>
  triggeredAt?: number
  dueAt?: number
  finishedAt?: number
  failOnProcessing?: boolean
  result?: MutableResult
  warnings: Array<string>
}

export interface UserRecord {
  /** The Okta user's id, `00u…` (Users API). */
  id: string
  /** The identity-source user's id, `0ua…` (what a real org's Identity Sources API answers; docs/okta §10.2). */
  sourceUserId: string
  identitySourceId: string
  externalId: string
  status: UserStatus
  profile: Record<string, string>
  created: number
  lastUpdated: number
  statusChanged: number
  /** The Okta user's profile: the identity-source profile through the identity source's mapping (when last written). */
  oktaProfile?: Record<string, string>
}

export interface GroupRecord {
  id: string
  identitySourceId: string
  externalId: string
  profile: Record<string, string>
  created: number
  lastUpdated: number
  lastMembershipUpdated: number
  members: Set<string>
}

export interface IdentitySourceRecord {
  id: string
  name: string
}

export interface OrgOptions {
  readonly now: () => number
  readonly processingDelayMs: number
  readonly listSessions: "active" | "all"
  /** Simulated per-record rejection inside a completed import: true = this upsert is refused (Simulate.ts). */
  readonly rejects?: (session: SessionRecord, entity: "user" | "group", externalId: string) => boolean
  /** Called after each import COMPLETED (admin edits and a second writer happen here, Simulate.ts). */
  readonly afterImport?: (session: SessionRecord, at: number) => void
  /** A user attribute the identity source's schema lacks: a 400 naming it (default) or dropped with a session warning. */
  readonly unknownAttributes?: UnknownAttributes
}

/** The persisted form of the whole org. */
export interface OrgSnapshot {
  readonly version: 1
  readonly identitySources: ReadonlyArray<IdentitySourceRecord>
  readonly sessions: ReadonlyArray<Omit<SessionRecord, never>>
  /** `sourceUserId` is absent in snapshots written by earlier versions. */
  readonly users: ReadonlyArray<Omit<UserRecord, "sourceUserId"> & { readonly sourceUserId?: string }>
  readonly groups: ReadonlyArray<Omit<GroupRecord, "members"> & { readonly members: ReadonlyArray<string> }>
  /** App user schemas, the Okta user schema and the mappings (absent in files written before they were modelled). */
  readonly profiles?: ProfilesSnapshot
}

const emptyStaged = (): SessionRecord["staged"] => ({
  usersUpsert: 0,
  usersDelete: 0,
  groupsUpsert: 0,
  groupsDelete: 0,
  membershipsUpsert: 0,
  membershipsDelete: 0
})

const emptyResult = (): MutableResult => ({
  usersCreated: 0,
  usersUpdated: 0,
  usersUnchanged: 0,
  usersReactivated: 0,
  usersDeactivated: 0,
  usersSkipped: 0,
  usersRejected: 0,
  groupsCreated: 0,
  groupsUpdated: 0,
  groupsDeleted: 0,
  groupsRejected: 0,
  membershipsAdded: 0,
  membershipsRemoved: 0,
  ignored: 0
})

const isOpen = (s: SessionRecord): boolean => s.status === "CREATED" || s.status === "IN_PROGRESS"

/** Applies a partial profile: strings set, `null` clears, absent attributes are kept. */
const mergeProfile = (base: Readonly<Record<string, string>>, patch: Profile): Record<string, string> => {
  const out: Record<string, string> = { ...base }
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = v
  }
  return out
}

const sameProfile = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const ak = Object.keys(a)
  if (ak.length !== Object.keys(b).length) return false
  return ak.every((k) => a[k] === b[k])
}

/**
 * The emulated org: identity sources, their sessions, and the directory that imports write into.
 * All time comes from `options.now()`; `tick()` expires idle sessions and processes due imports.
 */
export class Org {
  readonly #options: OrgOptions
  readonly sources = new Map<string, IdentitySourceRecord>()
  readonly sessions = new Map<string, SessionRecord>()
  /** identitySourceId → externalId → user */
  readonly #users = new Map<string, Map<string, UserRecord>>()
  readonly #usersById = new Map<string, UserRecord>()
  /** lower-cased login → user id (Okta logins are unique in the org) */
  readonly #logins = new Map<string, string>()
  readonly #groups = new Map<string, Map<string, GroupRecord>>()
  readonly #groupsById = new Map<string, GroupRecord>()
  /** Per identity source: triggered sessions waiting for processing, in trigger order. */
  readonly #queues = new Map<string, Array<SessionRecord>>()
  /** Set whenever anything persistent changed. */
  dirty = false
  /** Profile schemas and mappings (Profiles.ts). */
  readonly profiles: Profiles

  constructor(options: OrgOptions) {
    this.#options = options
    this.profiles = new Profiles(options.now, () => {
      this.dirty = true
    })
  }

  get now(): number {
    return this.#options.now()
  }

  // ---------------------------------------------------------------- identity sources

  addSource(id: string, name: string, customAttributes?: CustomAttributesOption): void {
    if (!this.sources.has(id)) {
      this.sources.set(id, { id, name })
      this.dirty = true
    }
    this.profiles.addSource(id, name, customAttributes)
  }

  source(id: string): IdentitySourceRecord {
    const found = this.sources.get(id)
    if (found === undefined) throw notFound(id, "App")
    return found
  }

  // ---------------------------------------------------------------- time

  /** Expires idle sessions and processes every import that is due. Returns true if anything changed. */
  tick(): boolean {
    const now = this.now
    let changed = false
    for (const s of this.sessions.values()) {
      if (isOpen(s) && s.lastActivity + SESSION_IDLE_MS <= now) {
        s.status = "EXPIRED"
        s.lastUpdated = s.lastActivity + SESSION_IDLE_MS
        s.uploads = []
        changed = true
      }
    }
    for (const queue of this.#queues.values()) {
      while (queue.length > 0) {
        const head = queue[0]!
        const at = head.dueAt
        if (at === undefined || at > now) break
        queue.shift()
        this.#process(head, at)
        const next = queue[0]
        if (next !== undefined)
          next.dueAt = Math.max(next.triggeredAt ?? at, at) + this.#options.processingDelayMs
        changed = true
      }
    }
    if (changed) this.dirty = true
    return changed
  }

  /** Earliest future time at which `tick()` has something to do (for timers). */
  nextDue(): number | undefined {
    let next: number | undefined
    const consider = (t: number) => {
      if (next === undefined || t < next) next = t
    }
    for (const queue of this.#queues.values()) {
      const due = queue[0]?.dueAt
      if (due !== undefined) consider(due)
    }
    for (const s of this.sessions.values()) if (isOpen(s)) consider(s.lastActivity + SESSION_IDLE_MS)
    return next
  }

  // ---------------------------------------------------------------- sessions

  createSession(identitySourceId: string): SessionRecord {
    this.source(identitySourceId)
    const now = this.now
    for (const s of this.sessions.values()) {
      if (s.identitySourceId !== identitySourceId) continue
      const blocking =
        isOpen(s) || (s.status === "TRIGGERED" && now - (s.triggeredAt ?? 0) < TRIGGER_COOLDOWN_MS)
      if (blocking) throw validationFailed("identitySourceSession", [CONFLICT_CAUSE])
    }
    const session: SessionRecord = {
      id: oktaId("aps"),
      identitySourceId,
      status: "CREATED",
      created: now,
      lastUpdated: now,
      lastActivity: now,
      uploadCount: 0,
      staged: emptyStaged(),
      uploads: [],
      warnings: []
    }
    this.sessions.set(session.id, session)
    this.dirty = true
    return session
  }

  listSessions(identitySourceId: string): Array<SessionRecord> {
    this.source(identitySourceId)
    const all = [...this.sessions.values()].filter((s) => s.identitySourceId === identitySourceId)
    const shown =
      this.#options.listSessions === "all" ? all : all.filter((s) => isOpen(s) || s.status === "TRIGGERED")
    return shown.sort((a, b) => a.created - b.created)
  }

  /** Looks a session up (404 E0000007 when unknown or owned by another identity source) and records API activity on it. */
  session(identitySourceId: string, sessionId: string): SessionRecord {
    this.source(identitySourceId)
    const s = this.sessions.get(sessionId)
    if (s === undefined || s.identitySourceId !== identitySourceId)
      throw notFound(sessionId, "IdentitySourceSession")
    // API activity keeps a CREATED/IN_PROGRESS session from expiring. (Not worth a save on its own.)
    if (isOpen(s)) s.lastActivity = this.now
    return s
  }

  cancelSession(identitySourceId: string, sessionId: string): void {
    const s = this.session(identitySourceId, sessionId)
    if (!isOpen(s)) throw validationFailed("importSessionId", [CANCEL_CAUSE])
    s.status = "CLOSED"
    s.lastUpdated = this.now
    s.uploads = []
    this.dirty = true
  }

  /** Checks that one more upload may go into the session (state and the 50-upload cap). */
  assertUploadable(s: SessionRecord): void {
    if (!isOpen(s)) throw validationFailed("importSessionId", [UPLOAD_STATE_CAUSE])
    if (s.uploadCount >= MAX_UPLOADS) throw validationFailed("importSessionId", [UPLOAD_LIMIT_CAUSE])
  }

  /** Stages an accepted upload. Returns the session's new status. */
  stage(s: SessionRecord, staged: StagedUpload): SessionStatus {
    this.assertUploadable(s)
    const upload =
      staged.kind === "usersUpsert" ? { kind: staged.kind, items: this.#declared(s, staged.items) } : staged
    const now = this.now
    s.uploads.push(upload)
    s.uploadCount += 1
    s.staged[upload.kind] += upload.items.length
    s.lastUpdated = now
    s.lastActivity = now
    // Deletes that match nothing do not move a session to IN_PROGRESS (guide); everything else does.
    if (s.status === "CREATED" && this.#advances(s, upload)) s.status = "IN_PROGRESS"
    this.dirty = true
    return s.status
  }

  /**
   * The users of an upsert with only declared attributes: an attribute the identity source's schema lacks is a 400
   * naming it (`unknownAttributes: "reject"`, nothing is staged) or dropped with a session warning (`"ignore"`).
   */
  #declared(s: SessionRecord, items: BulkUsersUpsert["profiles"]): BulkUsersUpsert["profiles"] {
    const causes = this.profiles.unknownCauses(
      s.identitySourceId,
      items.map((item, i) => ({ at: `profiles[${i}].profile`, profile: item.profile }))
    )
    if (causes.length === 0) return items
    if ((this.#options.unknownAttributes ?? "reject") === "reject")
      throw validationFailed("profiles", causes.slice(0, 20))
    const known = this.profiles.attributeNames(s.identitySourceId)
    return items.map((item) => {
      const dropped = Object.keys(item.profile).filter((k) => !known.has(k))
      if (dropped.length === 0) return item
      this.#warn(
        s,
        `user ${item.externalId}: ${dropped.join(", ")} not in the identity source's schema; ignored`
      )
      return {
        ...item,
        profile: Object.fromEntries(Object.entries(item.profile).filter(([k]) => known.has(k)))
      }
    })
  }

  /** A single-entity profile with the same rule as bulk upserts (ignore: the unknown attributes are dropped). */
  #declaredProfile(isId: string, profile: Profile): Profile {
    const causes = this.profiles.unknownCauses(isId, [{ at: "profile", profile }])
    if (causes.length === 0) return profile
    if ((this.#options.unknownAttributes ?? "reject") === "reject")
      throw validationFailed("profile", causes.slice(0, 20))
    const known = this.profiles.attributeNames(isId)
    return Object.fromEntries(Object.entries(profile).filter(([k]) => known.has(k)))
  }

  #advances(s: SessionRecord, upload: StagedUpload): boolean {
    const stagedUpserts = (kind: "usersUpsert" | "groupsUpsert") => {
      const ids = new Set<string>()
      for (const u of s.uploads) if (u.kind === kind) for (const item of u.items) ids.add(item.externalId)
      return ids
    }
    switch (upload.kind) {
      case "usersDelete": {
        const staged = stagedUpserts("usersUpsert")
        return upload.items.some(
          (i) => staged.has(i.externalId) || this.#user(s.identitySourceId, i.externalId) !== undefined
        )
      }
      case "groupsDelete": {
        const staged = stagedUpserts("groupsUpsert")
        return upload.items.some((id) => staged.has(id) || this.#group(s.identitySourceId, id) !== undefined)
      }
      case "membershipsDelete": {
        const staged = stagedUpserts("groupsUpsert")
        return upload.items.some(
          (m) =>
            staged.has(m.groupExternalId) || this.#group(s.identitySourceId, m.groupExternalId) !== undefined
        )
      }
      default:
        return true
    }
  }

  startImport(identitySourceId: string, sessionId: string, failOnProcessing: boolean): SessionRecord {
    const s = this.session(identitySourceId, sessionId)
    if (s.status !== "IN_PROGRESS") throw validationFailed("importSessionId", [TRIGGER_CAUSE])
    const now = this.now
    s.status = "TRIGGERED"
    s.triggeredAt = now
    s.lastUpdated = now
    if (failOnProcessing) s.failOnProcessing = true
    const queue = this.#queue(identitySourceId)
    queue.push(s)
    if (queue.length === 1) s.dueAt = now + this.#options.processingDelayMs
    this.dirty = true
    return s
  }

  #queue(identitySourceId: string): Array<SessionRecord> {
    let q = this.#queues.get(identitySourceId)
    if (q === undefined) {
      q = []
      this.#queues.set(identitySourceId, q)
    }
    return q
  }

  // ---------------------------------------------------------------- processing

  #warn(s: SessionRecord, message: string): void {
    if (s.warnings.length < MAX_WARNINGS) s.warnings.push(message)
    else if (s.warnings.length === MAX_WARNINGS) s.warnings.push("… further warnings omitted")
  }

  #process(s: SessionRecord, at: number): void {
    const result = emptyResult()
    s.result = result
    s.finishedAt = at
    s.lastUpdated = at
    delete s.dueAt
    if (s.failOnProcessing === true) {
      s.status = "ERROR"
      this.#warn(s, "processing failed (injected sessionError fault); no change was applied")
      s.uploads = []
      return
    }
    for (const kind of PROCESSING_ORDER) {
      for (const upload of s.uploads) {
        if (upload.kind !== kind) continue
        this.#apply(s, upload, at, result)
      }
    }
    s.status = "COMPLETED"
    s.uploads = []
    this.#options.afterImport?.(s, at)
  }

  #apply(s: SessionRecord, upload: StagedUpload, at: number, r: MutableResult): void {
    const isId = s.identitySourceId
    switch (upload.kind) {
      case "usersUpsert":
        for (const { externalId, profile } of upload.items) {
          if (this.#options.rejects?.(s, "user", externalId) === true) {
            r.usersRejected += 1
            this.#warn(
              s,
              `user ${externalId}: rejected (simulated per-record error: the record was not imported)`
            )
            continue
          }
          const outcome = this.upsertUser(isId, externalId, profile, at, "merge")
          if (outcome.startsWith("skipped")) {
            r.usersSkipped += 1
            this.#warn(s, `user ${externalId}: ${outcome}`)
          } else if (outcome === "created") r.usersCreated += 1
          else if (outcome === "reactivated") r.usersReactivated += 1
          else if (outcome === "updated") r.usersUpdated += 1
          else r.usersUnchanged += 1
        }
        return
      case "usersDelete":
        for (const { externalId } of upload.items) {
          const u = this.#user(isId, externalId)
          if (u === undefined) r.ignored += 1
          else if (this.deactivateUser(u, at)) r.usersDeactivated += 1
        }
        return
      case "groupsUpsert":
        for (const { externalId, profile } of upload.items) {
          if (this.#options.rejects?.(s, "group", externalId) === true) {
            r.groupsRejected += 1
            this.#warn(
              s,
              `group ${externalId}: rejected (simulated per-record error: the record was not imported)`
            )
            continue
          }
          if (this.upsertGroup(isId, externalId, profile, at) === "created") r.groupsCreated += 1
          else r.groupsUpdated += 1
        }
        return
      case "groupsDelete":
        for (const externalId of upload.items) {
          if (this.deleteGroup(isId, externalId)) r.groupsDeleted += 1
          else r.ignored += 1
        }
        return
      case "membershipsUpsert":
      case "membershipsDelete": {
        const adding = upload.kind === "membershipsUpsert"
        for (const { groupExternalId, memberExternalIds } of upload.items) {
          const g = this.#group(isId, groupExternalId)
          if (g === undefined) {
            this.#warn(
              s,
              `membership: group ${groupExternalId} is unknown; ${memberExternalIds.length} member(s) ignored`
            )
            continue
          }
          for (const member of memberExternalIds) {
            if (this.#user(isId, member) === undefined) {
              this.#warn(
                s,
                `membership: user ${member} is unknown; not ${adding ? "added to" : "removed from"} group ${groupExternalId}`
              )
              continue
            }
            if (adding && !g.members.has(member)) {
              g.members.add(member)
              g.lastMembershipUpdated = at
              r.membershipsAdded += 1
            } else if (!adding && g.members.delete(member)) {
              g.lastMembershipUpdated = at
              r.membershipsRemoved += 1
            }
          }
        }
        return
      }
    }
  }

  // ---------------------------------------------------------------- directory mutations

  #user(isId: string, externalId: string): UserRecord | undefined {
    return this.#users.get(isId)?.get(externalId)
  }

  #group(isId: string, groupOrExternalId: string): GroupRecord | undefined {
    const byId = this.#groupsById.get(groupOrExternalId)
    if (byId !== undefined && byId.identitySourceId === isId) return byId
    return this.#groups.get(isId)?.get(groupOrExternalId)
  }

  #loginOwner(login: string): string | undefined {
    return this.#logins.get(login.toLowerCase())
  }

  /**
   * Creates or updates a user. `merge` keeps attributes that are not sent (bulk upsert, PATCH); `replace`
   * drops them (PUT). A DEPROVISIONED user is reactivated. Returns what happened, or a reason it was skipped.
   */
  upsertUser(
    isId: string,
    externalId: string,
    profile: Profile,
    at: number,
    mode: "merge" | "replace"
  ): "created" | "updated" | "reactivated" | "unchanged" | `skipped: ${string}` {
    const existing = this.#user(isId, externalId)
    const next = mergeProfile(mode === "merge" && existing !== undefined ? existing.profile : {}, profile)
    const login = next["userName"]
    if (login === undefined || next["email"] === undefined) {
      return "skipped: userName and email are required to create a user"
    }
    const owner = this.#loginOwner(login)
    if (owner !== undefined && owner !== existing?.id) {
      return `skipped: login ${login} already belongs to another user`
    }
    this.dirty = true
    if (existing === undefined) {
      const user: UserRecord = {
        id: oktaId("00u"),
        sourceUserId: oktaId("0ua"),
        identitySourceId: isId,
        externalId,
        status: "ACTIVE",
        profile: next,
        created: at,
        lastUpdated: at,
        statusChanged: at,
        oktaProfile: this.profiles.oktaProfile(isId, next)
      }
      let bySource = this.#users.get(isId)
      if (bySource === undefined) {
        bySource = new Map()
        this.#users.set(isId, bySource)
      }
      bySource.set(externalId, user)
      this.#usersById.set(user.id, user)
      this.#logins.set(login.toLowerCase(), user.id)
      return "created"
    }
    const oldLogin = existing.profile["userName"]
    const changed = !sameProfile(existing.profile, next)
    // the import applies the identity source's mapping again (it may have changed since the user was last written)
    existing.oktaProfile = this.profiles.oktaProfile(isId, next, existing.oktaProfile ?? {})
    if (changed) {
      if (oldLogin !== undefined) this.#logins.delete(oldLogin.toLowerCase())
      this.#logins.set(login.toLowerCase(), existing.id)
      existing.profile = next
      existing.lastUpdated = at
    }
    if (existing.status === "DEPROVISIONED") {
      existing.status = "ACTIVE"
      existing.statusChanged = at
      existing.lastUpdated = at
      return "reactivated"
    }
    return changed ? "updated" : "unchanged"
  }

  /** Bulk-delete semantics: the user is deactivated (DEPROVISIONED), never removed. Returns true if it changed. */
  deactivateUser(u: UserRecord, at: number): boolean {
    if (u.status === "DEPROVISIONED") return false
    u.status = "DEPROVISIONED"
    u.statusChanged = at
    u.lastUpdated = at
    this.dirty = true
    return true
  }

  upsertGroup(isId: string, externalId: string, profile: Profile, at: number): "created" | "updated" {
    const existing = this.#groups.get(isId)?.get(externalId)
    this.dirty = true
    if (existing === undefined) {
      const group: GroupRecord = {
        id: oktaId("00g"),
        identitySourceId: isId,
        externalId,
        profile: mergeProfile({}, profile),
        created: at,
        lastUpdated: at,
        lastMembershipUpdated: at,
        members: new Set()
      }
      let bySource = this.#groups.get(isId)
      if (bySource === undefined) {
        bySource = new Map()
        this.#groups.set(isId, bySource)
      }
      bySource.set(externalId, group)
      this.#groupsById.set(group.id, group)
      return "created"
    }
    const next = mergeProfile(existing.profile, profile)
    if (!sameProfile(existing.profile, next)) {
      existing.profile = next
      existing.lastUpdated = at
    }
    return "updated"
  }

  /** bulk-groups-delete / DELETE group: the Okta group is removed together with its memberships. */
  deleteGroup(isId: string, groupOrExternalId: string): boolean {
    const g = this.#group(isId, groupOrExternalId)
    if (g === undefined) return false
    this.#groups.get(isId)?.delete(g.externalId)
    this.#groupsById.delete(g.id)
    this.dirty = true
    return true
  }

  // ---------------------------------------------------------------- single-entity API (synchronous)

  userByExternalId(isId: string, externalId: string): UserRecord {
    this.source(isId)
    const u = this.#user(isId, externalId)
    if (u === undefined) throw notFound(externalId, "User")
    return u
  }

  createUser(isId: string, externalId: string, profile: Profile): UserRecord {
    this.source(isId)
    if (this.#user(isId, externalId) !== undefined) {
      throw validationFailed("externalId", [
        `externalId: A user with externalId ${externalId} already exists.`
      ])
    }
    const outcome = this.upsertUser(
      isId,
      externalId,
      this.#declaredProfile(isId, profile),
      this.now,
      "replace"
    )
    if (outcome.startsWith("skipped")) throw validationFailed("userName", [`userName: ${outcome.slice(9)}`])
    return this.#user(isId, externalId)!
  }

  writeUser(isId: string, externalId: string, profile: Profile, mode: "merge" | "replace"): UserRecord {
    this.userByExternalId(isId, externalId)
    const outcome = this.upsertUser(isId, externalId, this.#declaredProfile(isId, profile), this.now, mode)
    if (outcome.startsWith("skipped")) throw validationFailed("userName", [`userName: ${outcome.slice(9)}`])
    return this.#user(isId, externalId)!
  }

  groupByIdOrExternalId(isId: string, groupOrExternalId: string): GroupRecord {
    this.source(isId)
    const g = this.#group(isId, groupOrExternalId)
    if (g === undefined) throw notFound(groupOrExternalId, "Group")
    return g
  }

  createGroup(isId: string, externalId: string, profile: Profile): GroupRecord {
    this.source(isId)
    if (this.#group(isId, externalId) !== undefined) {
      throw validationFailed("externalId", [
        `externalId: A group with externalId ${externalId} already exists.`
      ])
    }
    this.upsertGroup(isId, externalId, profile, this.now)
    return this.#group(isId, externalId)!
  }

  addMember(isId: string, groupOrExternalId: string, memberExternalId: string): void {
    const g = this.groupByIdOrExternalId(isId, groupOrExternalId)
    if (this.#user(isId, memberExternalId) === undefined) {
      throw validationFailed("memberExternalId", [
        `memberExternalId: No user with externalId ${memberExternalId} exists in this identity source.`
      ])
    }
    if (!g.members.has(memberExternalId)) {
      g.members.add(memberExternalId)
      g.lastMembershipUpdated = this.now
      this.dirty = true
    }
  }

  removeMember(isId: string, groupOrExternalId: string, memberExternalId: string): void {
    const g = this.groupByIdOrExternalId(isId, groupOrExternalId)
    if (!g.members.delete(memberExternalId)) throw notFound(memberExternalId, "GroupMembership")
    g.lastMembershipUpdated = this.now
    this.dirty = true
  }

  // ---------------------------------------------------------------- reads

  allUsers(isId?: string): Array<UserRecord> {
    const out: Array<UserRecord> = []
    for (const [source, users] of this.#users)
      if (isId === undefined || isId === source) out.push(...users.values())
    return out
  }

  allGroups(isId?: string): Array<GroupRecord> {
    const out: Array<GroupRecord> = []
    for (const [source, groups] of this.#groups)
      if (isId === undefined || isId === source) out.push(...groups.values())
    return out
  }

  userByIdOrLogin(idOrLogin: string): UserRecord | undefined {
    const byId = this.#usersById.get(idOrLogin)
    if (byId !== undefined) return byId
    const id = this.#loginOwner(idOrLogin)
    return id === undefined ? undefined : this.#usersById.get(id)
  }

  groupById(id: string): GroupRecord | undefined {
    return this.#groupsById.get(id)
  }

  /** Users (any status) that are members of the group. */
  groupMembers(g: GroupRecord): Array<UserRecord> {
    const out: Array<UserRecord> = []
    for (const externalId of g.members) {
      const u = this.#user(g.identitySourceId, externalId)
      if (u !== undefined) out.push(u)
    }
    return out
  }

  // ---------------------------------------------------------------- views

  userView(u: UserRecord): EmulatedUser {
    return {
      id: u.id,
      sourceUserId: u.sourceUserId,
      externalId: u.externalId,
      identitySourceId: u.identitySourceId,
      status: u.status,
      login: u.profile["userName"] ?? "",
      profile: { ...u.profile },
      oktaProfile: this.oktaProfileOf(u),
      created: oktaTime(u.created),
      lastUpdated: oktaTime(u.lastUpdated),
      statusChanged: oktaTime(u.statusChanged)
    }
  }

  /** The Okta user's profile (computed now for users written before mappings were modelled). */
  oktaProfileOf(u: UserRecord): Record<string, string> {
    return { ...(u.oktaProfile ?? this.profiles.oktaProfile(u.identitySourceId, u.profile)) }
  }

  groupView(g: GroupRecord): EmulatedGroup {
    return {
      id: g.id,
      externalId: g.externalId,
      identitySourceId: g.identitySourceId,
      profile: { ...g.profile },
      created: oktaTime(g.created),
      lastUpdated: oktaTime(g.lastUpdated),
      memberCount: g.members.size
    }
  }

  sessionView(s: SessionRecord): SessionView {
    return {
      id: s.id,
      identitySourceId: s.identitySourceId,
      status: s.status,
      created: oktaTime(s.created),
      lastUpdated: oktaTime(s.lastUpdated),
      uploads: s.uploadCount,
      staged: { ...s.staged },
      ...(s.triggeredAt === undefined ? {} : { triggeredAt: oktaTime(s.triggeredAt) }),
      ...(s.finishedAt === undefined ? {} : { finishedAt: oktaTime(s.finishedAt) }),
      // results saved by earlier versions lack the newer counters
      ...(s.result === undefined ? {} : { result: { ...emptyResult(), ...s.result } }),
      warnings: [...s.warnings]
    }
  }

  // ---------------------------------------------------------------- persistence

  snapshot(): OrgSnapshot {
    return {
      version: 1,
      identitySources: [...this.sources.values()],
      sessions: [...this.sessions.values()],
      users: this.allUsers(),
      groups: this.allGroups().map((g) => ({ ...g, members: [...g.members] })),
      profiles: this.profiles.snapshot()
    }
  }

  restore(snapshot: OrgSnapshot): void {
    if (snapshot.version !== 1)
      throw new Error(`Unsupported emulator state version ${String(snapshot.version)}`)
    for (const src of snapshot.identitySources) this.sources.set(src.id, { ...src })
    if (snapshot.profiles !== undefined) this.profiles.restore(snapshot.profiles)
    for (const src of snapshot.identitySources) this.profiles.addSource(src.id, src.name)
    for (const s of snapshot.sessions)
      this.sessions.set(s.id, {
        ...s,
        staged: { ...s.staged },
        uploads: [...s.uploads],
        warnings: [...s.warnings]
      })
    for (const u of snapshot.users) {
      // Snapshots written before identity-source user ids existed get one now.
      const user: UserRecord = {
        ...u,
        sourceUserId: u.sourceUserId ?? oktaId("0ua"),
        profile: { ...u.profile }
      }
      let bySource = this.#users.get(user.identitySourceId)
      if (bySource === undefined) {
        bySource = new Map()
        this.#users.set(user.identitySourceId, bySource)
      }
      bySource.set(user.externalId, user)
      this.#usersById.set(user.id, user)
      const login = user.profile["userName"]
      if (login !== undefined) this.#logins.set(login.toLowerCase(), user.id)
    }
    for (const g of snapshot.groups) {
      const group: GroupRecord = { ...g, profile: { ...g.profile }, members: new Set(g.members) }
      let bySource = this.#groups.get(group.identitySourceId)
      if (bySource === undefined) {
        bySource = new Map()
        this.#groups.set(group.identitySourceId, bySource)
      }
      bySource.set(group.externalId, group)
      this.#groupsById.set(group.id, group)
    }
    // Rebuild the processing queues in trigger order.
    const triggered = [...this.sessions.values()]
      .filter((s) => s.status === "TRIGGERED")
      .sort((a, b) => (a.triggeredAt ?? 0) - (b.triggeredAt ?? 0))
    for (const s of triggered) this.#queue(s.identitySourceId).push(s)
    for (const q of this.#queues.values()) {
      const head = q[0]
      if (head !== undefined && head.dueAt === undefined)
        head.dueAt = (head.triggeredAt ?? this.now) + this.#options.processingDelayMs
    }
  }
}

export const isOktaHttpError = (e: unknown): e is OktaHttpError => e instanceof OktaHttpError
