/**
 * Packs a Plan into Okta sessions and bulk uploads (pure; no I/O).
 *
 * Rules (docs/okta/identity-sources-api.md §4):
 * - order: group upserts, user upserts, membership upserts, membership deletes, user deletes, group deletes;
 * - one upload holds one kind, ≤ `maxEntitiesPerUpload` items (200) and ≤ `maxUploadBytes` (200,000) bytes of the
 *   exact serialized JSON body (`Buffer.byteLength` of what the client sends);
 * - a membership item counts as one entity whatever its member count; its bytes count. A membership whose
 *   members do not fit in the room left in the current upload is split across items (and uploads);
 * - ≤ `maxUploadsPerSession` (50) uploads per session; further uploads roll over to further sessions.
 *
 * Uploads are packed next-fit in plan order, which reaches the lower bound `minimumUploads` whenever the count
 * limit dominates (the usual case: 200 typical users weigh far less than 200 KB). Sessions are the fewest
 * possible, `ceil(uploads / maxUploadsPerSession)`, with the uploads spread evenly over them: the spare upload
 * slots let the orchestrator retry an upload whose outcome is unknown (5xx, dropped connection) without
 * breaking the 50-uploads rule.
 *
 * Packing is deterministic: the same plan always yields the same sessions and bodies, which is what lets a
 * resumed apply skip exactly the uploads its journal recorded.
 */
import type { Plan, UserChange } from "../plan/Plan.ts"
import type { CommittedChange, Profile } from "../domain/Model.ts"
import { OktaLimits } from "../okta/Limits.ts"
import {
  serializeBody,
  type BulkKind,
  type BulkUpload,
  type MembershipItem
} from "../okta/Schemas.ts"

export type { BulkKind, BulkUpload } from "../okta/Schemas.ts"

export interface Limits {
  readonly maxEntitiesPerUpload: number
  readonly maxUploadBytes: number
  readonly maxUploadsPerSession: number
}

export const defaultLimits: Limits = {
  maxEntitiesPerUpload: OktaLimits.maxEntitiesPerUpload,
  maxUploadBytes: OktaLimits.maxUploadBytes,
  maxUploadsPerSession: OktaLimits.maxUploadsPerSession
}

export interface Batch {
  /** Position of this upload within its session (0-based): the journal records these. */
  readonly index: number
  readonly upload: BulkUpload
  /** Items in the body (a membership item is one entity). */
  readonly entities: number
  /** `Buffer.byteLength` of the serialized body. */
  readonly bytes: number
  /** What the state store records once the session is COMPLETED. */
  readonly changes: ReadonlyArray<CommittedChange>
}

export interface SessionBatches {
  readonly index: number
  readonly batches: ReadonlyArray<Batch>
  readonly entities: number
  readonly bytes: number
}

export const kindOrder: ReadonlyArray<BulkKind> = [
  "groupUpsert",
  "userUpsert",
  "membershipUpsert",
  "membershipDelete",
  "userDelete",
  "groupDelete"
]

const byteLength = (s: string): number => Buffer.byteLength(s, "utf8")

const sortedProfile = (profile: Profile): Profile => {
  const out: Record<string, string | null> = {}
  for (const k of Object.keys(profile).sort()) {
    const v = profile[k]
    if (v !== undefined) out[k] = v
  }
  return out
}

/** Item JSON (what goes between the commas) and its state change, per kind. */
interface Item {
  readonly json: unknown
  readonly change: CommittedChange
}

/** Byte size of an empty body of this kind, e.g. `{"entityType":"USERS","profiles":[]}`. */
const envelopeBytes = (kind: BulkKind): number => byteLength(serializeBody(buildUpload(kind, []).body))

const buildUpload = (kind: BulkKind, items: ReadonlyArray<unknown>): BulkUpload => {
  switch (kind) {
    case "groupUpsert":
      return { kind, body: { profiles: items as any } }
    case "userUpsert":
      return { kind, body: { entityType: "USERS", profiles: items as any } }
    case "membershipUpsert":
    case "membershipDelete":
      return { kind, body: { memberships: items as any } }
    case "userDelete":
      return { kind, body: { entityType: "USERS", profiles: items as any } }
    case "groupDelete":
      return { kind, body: { externalIds: items as any } }
  }
}

const upsertItem = (kind: "user" | "group", c: Exclude<UserChange, { op: "deactivate" }>): Item => ({
  json: { externalId: c.externalId, profile: sortedProfile(c.profile) },
  change: {
    kind,
    op: "upsert",
    externalId: c.externalId,
    hash: c.hash,
    profile: c.profile,
    ...(c.location !== undefined ? { location: c.location } : {})
  }
})

/** The plan's items per kind, in the run order. Memberships are split later (they may not fit whole). */
const itemsOf = (plan: Plan) => {
  const groupUpsert: Array<Item> = []
  const groupDelete: Array<Item> = []
  for (const g of plan.groups) {
    if (g.op === "deactivate")
      groupDelete.push({ json: g.externalId, change: { kind: "group", op: "deactivate", externalId: g.externalId } })
    else groupUpsert.push(upsertItem("group", g))
  }
  const userUpsert: Array<Item> = []
  const userDelete: Array<Item> = []
  for (const u of plan.users) {
    if (u.op === "deactivate")
      userDelete.push({ json: { externalId: u.externalId }, change: { kind: "user", op: "deactivate", externalId: u.externalId } })
    else userUpsert.push(upsertItem("user", u))
  }
  const membershipUpsert = plan.memberships.filter((m) => m.op === "add" && m.memberExternalIds.length > 0)
  const membershipDelete = plan.memberships.filter((m) => m.op === "remove" && m.memberExternalIds.length > 0)
  return { groupUpsert, userUpsert, membershipUpsert, membershipDelete, userDelete, groupDelete }
}

/** A batch under construction. */
class Builder {
  items: Array<unknown> = []
  changes: Array<CommittedChange> = []
  bytes: number
  constructor(
    readonly kind: BulkKind,
    readonly envelope: number
  ) {
    this.bytes = envelope
  }
  /** Bytes this item would add (with its separating comma). */
  cost(itemBytes: number): number {
    return itemBytes + (this.items.length > 0 ? 1 : 0)
  }
  add(json: unknown, itemBytes: number, change: CommittedChange) {
    this.bytes += this.cost(itemBytes)
    this.items.push(json)
    this.changes.push(change)
  }
}

/** Upload bodies for the whole plan, in order (not yet split into sessions). */
export const uploads = (plan: Plan, limits: Limits = defaultLimits): ReadonlyArray<Omit<Batch, "index">> => {
  const out: Array<Omit<Batch, "index">> = []
  const all = itemsOf(plan)
  const flush = (b: Builder) => {
    if (b.items.length === 0) return
    const upload = buildUpload(b.kind, b.items)
    out.push({ upload, entities: b.items.length, bytes: b.bytes, changes: b.changes })
  }
  for (const kind of kindOrder) {
    const envelope = envelopeBytes(kind)
    let b = new Builder(kind, envelope)
    const next = () => {
      flush(b)
      b = new Builder(kind, envelope)
    }
    const full = () => b.items.length >= limits.maxEntitiesPerUpload
    if (kind === "membershipUpsert" || kind === "membershipDelete") {
      for (const m of all[kind]) {
        let members = m.memberExternalIds
        const header = byteLength(serializeBody({ groupExternalId: m.groupExternalId, memberExternalIds: [] }))
        while (members.length > 0) {
          if (full()) next()
          const room = limits.maxUploadBytes - b.bytes - (b.items.length > 0 ? 1 : 0) - header
          // how many members fit in the room left in this upload
          let used = 0
          let k = 0
          while (k < members.length) {
            const add = byteLength(JSON.stringify(members[k])) + (k > 0 ? 1 : 0)
            if (used + add > room) break
            used += add
            k++
          }
          if (k === 0) {
            if (b.items.length > 0) {
              next()
              continue
            }
            k = 1 // a single member larger than an empty upload: send it alone (Okta will reject it)
          }
          const chunk = members.slice(0, k)
          const item: MembershipItem = { groupExternalId: m.groupExternalId, memberExternalIds: chunk }
          const change: CommittedChange = {
            kind: "membership",
            op: m.op,
            groupExternalId: m.groupExternalId,
            memberExternalIds: chunk
          }
          b.add(item, header + used, change)
          members = members.slice(k)
        }
      }
    } else {
      for (const item of all[kind]) {
        const itemBytes = byteLength(serializeBody(item.json))
        if (full() || (b.items.length > 0 && b.bytes + b.cost(itemBytes) > limits.maxUploadBytes)) next()
        b.add(item.json, itemBytes, item.change)
      }
    }
    flush(b)
  }
  return out
}

/** Split an ordered list of uploads into the fewest sessions, spreading uploads evenly. */
export const pack = (plan: Plan, limits: Limits = defaultLimits): ReadonlyArray<SessionBatches> => {
  const all = uploads(plan, limits)
  if (all.length === 0) return []
  const sessions = Math.ceil(all.length / limits.maxUploadsPerSession)
  const base = Math.floor(all.length / sessions)
  const extra = all.length % sessions
  const out: Array<SessionBatches> = []
  let at = 0
  for (let s = 0; s < sessions; s++) {
    const size = base + (s < extra ? 1 : 0)
    const batches = all.slice(at, at + size).map((b, i) => ({ ...b, index: i }))
    at += size
    out.push({
      index: s,
      batches,
      entities: batches.reduce((n, b) => n + b.entities, 0),
      bytes: batches.reduce((n, b) => n + b.bytes, 0)
    })
  }
  return out
}

export interface LowerBound {
  readonly uploads: number
  readonly sessions: number
  readonly byKind: Readonly<Record<BulkKind, number>>
}

/**
 * The fewest uploads and sessions the limits allow for this plan. Uploads hold one kind, so per kind at least
 * `max(ceil(items / maxEntities), ceil(itemBytes / (maxBytes − envelope)))` (membership items counted unsplit,
 * their bytes as a whole); sessions at least `ceil(uploads / maxUploadsPerSession)`.
 */
export const minimumUploads = (plan: Plan, limits: Limits = defaultLimits): LowerBound => {
  const all = itemsOf(plan)
  const byKind = {} as Record<BulkKind, number>
  let total = 0
  for (const kind of kindOrder) {
    const cap = limits.maxUploadBytes - envelopeBytes(kind)
    let count = 0
    let bytes = 0
    if (kind === "membershipUpsert" || kind === "membershipDelete") {
      for (const m of all[kind]) {
        count++
        bytes += byteLength(serializeBody({ groupExternalId: m.groupExternalId, memberExternalIds: m.memberExternalIds }))
      }
    } else {
      for (const item of all[kind]) {
        count++
        bytes += byteLength(serializeBody(item.json))
      }
    }
    const n = count === 0 ? 0 : Math.max(Math.ceil(count / limits.maxEntitiesPerUpload), Math.ceil(bytes / cap))
    byKind[kind] = n
    total += n
  }
  return { uploads: total, sessions: Math.ceil(total / limits.maxUploadsPerSession), byKind }
}
