/**
 * Trouble inside an org that answers every request correctly: what `anysource verify` and `anysource drift` exist
 * to catch (the emulator's `simulate` option and `anysource emulator --simulate reject=…,admin-edit=…,
 * second-writer=…,seed=…`).
 *
 * - reject: a share of the users and groups upserted by an import is refused one by one while the session still
 *   ends COMPLETED; each refusal is a per-record warning in `sessions()` and counted in its result. A created
 *   record then does not exist (a read answers 404), an updated one keeps its old values.
 * - admin edits: after each completed import, an admin edits a share of the identity source's active users: the
 *   first attribute (by name) that is not a login or an email gets the value `Edited by an admin`.
 * - second writer: after each completed import, another client writing to the same identity source sets that
 *   attribute to `Written by another client` on a share of the users, and in a share of the groups removes the
 *   first member and adds the first active user that is not one.
 *
 * Records are chosen by a hash of (seed, mode, externalId) below the share, so the same seed always picks the
 * same records and a share of 0.1 picks about one in ten. Every action is logged (`simulations()`).
 */
import type { SimulationEntry } from "../Directory.ts"
import { oktaTime } from "./Ids.ts"
import type { Org, SessionRecord } from "./Org.ts"

export interface SimulateOptions {
  /** Share (0–1) of upserted users and groups each import rejects one by one. */
  readonly rejectShare?: number
  /** Share (0–1) of active users an admin edits after each completed import. */
  readonly adminEditShare?: number
  /** Share (0–1) of users and groups a second writer changes after each completed import. */
  readonly secondWriterShare?: number
  /** Chooses the records (default `anysource`): the same seed picks the same ones. */
  readonly seed?: string
}

export const ADMIN_VALUE = "Edited by an admin"
export const WRITER_VALUE = "Written by another client"
const NOT_EDITED = new Set(["userName", "email", "secondEmail", "login"])

/** FNV-1a over (seed, mode, externalId) with murmur3's finalizer (so every character moves the top bits), in [0, 1). */
export const chosenBelow = (seed: string, mode: string, externalId: string, share: number): boolean => {
  if (!(share > 0)) return false
  let h = 0x811c9dc5
  for (const s of [seed, "\u0000", mode, "\u0000", externalId])
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) / 2 ** 32 < share
}

const check = (name: string, share: number | undefined) => {
  if (share !== undefined && !(share >= 0 && share <= 1))
    throw new RangeError(`simulate.${name} must be between 0 and 1, got ${share}`)
}

export class Simulator {
  readonly #options: SimulateOptions
  readonly #seed: string
  readonly log: Array<SimulationEntry> = []
  #org: Org | undefined

  constructor(options: SimulateOptions) {
    check("rejectShare", options.rejectShare)
    check("adminEditShare", options.adminEditShare)
    check("secondWriterShare", options.secondWriterShare)
    this.#options = options
    this.#seed = options.seed ?? "anysource"
  }

  attach(org: Org): void {
    this.#org = org
  }

  #record(
    at: number,
    kind: SimulationEntry["kind"],
    entity: SimulationEntry["entity"],
    externalId: string,
    detail: string
  ): void {
    if (this.log.length >= 100_000) this.log.shift()
    this.log.push({ at: oktaTime(at), kind, entity, externalId, detail })
  }

  /** Org hook: is this upsert refused? */
  readonly rejects = (session: SessionRecord, entity: "user" | "group", externalId: string): boolean => {
    const share = this.#options.rejectShare ?? 0
    if (!chosenBelow(this.#seed, "reject", `${entity}:${externalId}`, share)) return false
    this.#record(this.#org?.now ?? 0, "reject", entity, externalId, `rejected inside session ${session.id}`)
    return true
  }

  /** Org hook: after a completed import, the admin and the second writer act. */
  readonly afterImport = (session: SessionRecord, at: number): void => {
    if ((this.#options.adminEditShare ?? 0) > 0)
      this.adminEdit(session.identitySourceId, this.#options.adminEditShare ?? 0, at)
    if ((this.#options.secondWriterShare ?? 0) > 0)
      this.secondWriter(session.identitySourceId, this.#options.secondWriterShare ?? 0, at)
  }

  #org_(): Org {
    if (this.#org === undefined) throw new Error("the simulator is not attached to an org")
    return this.#org
  }

  #edit(
    isId: string,
    mode: "adminEdit" | "secondWriter",
    share: number,
    value: string,
    at: number
  ): Array<string> {
    const org = this.#org_()
    const edited: Array<string> = []
    for (const u of org.allUsers(isId)) {
      if (u.status !== "ACTIVE" || !chosenBelow(this.#seed, mode, u.externalId, share)) continue
      const attribute =
        Object.keys(u.profile)
          .sort()
          .find((a) => !NOT_EDITED.has(a)) ?? "title"
      if (u.profile[attribute] === value) continue
      org.upsertUser(isId, u.externalId, { [attribute]: value }, at, "merge")
      this.#record(at, mode, "user", u.externalId, `${attribute} = ${value}`)
      edited.push(u.externalId)
    }
    return edited
  }

  /** An admin edits `share` of the active users now; returns their externalIds. */
  adminEdit(identitySourceId: string, share: number, at = this.#org_().now): Array<string> {
    return this.#edit(identitySourceId, "adminEdit", share, ADMIN_VALUE, at)
  }

  /** A second client writes to `share` of the users and groups now; returns the users and groups it changed. */
  secondWriter(
    identitySourceId: string,
    share: number,
    at = this.#org_().now
  ): { users: Array<string>; groups: Array<string> } {
    const org = this.#org_()
    const users = this.#edit(identitySourceId, "secondWriter", share, WRITER_VALUE, at)
    const active = org
      .allUsers(identitySourceId)
      .filter((u) => u.status === "ACTIVE")
      .map((u) => u.externalId)
      .sort()
    const groups: Array<string> = []
    for (const g of org.allGroups(identitySourceId)) {
      if (!chosenBelow(this.#seed, "secondWriter", `group:${g.externalId}`, share)) continue
      const removed = [...g.members].sort()[0]
      const added = active.find((id) => !g.members.has(id))
      if (removed !== undefined) org.removeMember(identitySourceId, g.externalId, removed)
      if (added !== undefined) org.addMember(identitySourceId, g.externalId, added)
      if (removed === undefined && added === undefined) continue
      this.#record(
        at,
        "secondWriter",
        "group",
        g.externalId,
        `members: ${removed !== undefined ? `-${removed}` : ""} ${added !== undefined ? `+${added}` : ""}`.trim()
      )
      groups.push(g.externalId)
    }
    return { users, groups }
  }
}
