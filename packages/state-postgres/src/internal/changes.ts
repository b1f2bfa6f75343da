/**
 * One commit's changes, applied in order, reduced to their net effect so that each table is written
 * with one set-based statement (a multi-row `INSERT … ON CONFLICT` may touch a row only once).
 *
 * Per (kind, externalId) only the last upsert matters, and whether a deactivation came after it:
 * - last upsert, nothing after        → upsert ACTIVE
 * - last upsert, then a deactivation  → upsert with status DEACTIVATED (the row exists after the batch)
 * - deactivations only                → deactivate the row if it exists (unknown ids are ignored)
 * - a forget                          → the row and every membership naming the record are deleted first; what
 *                                       came before the last forget is void, what came after applies as above
 * Per (group, member) only the last add/remove after the last forget of either side matters. Applying the net effect gives exactly the state
 * that applying the changes one by one gives, and applying it twice gives the same state again.
 */
import type { StateStore } from "@anysource/core"

type Kind = "user" | "group"
type Upsert = Extract<StateStore.CommittedChange, { op: "upsert" }>

export interface NetUpsert {
  readonly kind: Kind
  readonly externalId: string
  readonly hash: string
  readonly profile: Upsert["profile"]
  readonly location: string | undefined
  readonly status: StateStore.EntityStatus
}

export interface NetChanges {
  /** Applied first: the rows go, with every membership naming them. */
  readonly forgets: ReadonlyArray<{ readonly kind: Kind; readonly externalId: string }>
  readonly upserts: ReadonlyArray<NetUpsert>
  readonly deactivations: ReadonlyArray<{ readonly kind: Kind; readonly externalId: string }>
  readonly memberAdds: ReadonlyArray<{ readonly group: string; readonly member: string }>
  readonly memberRemoves: ReadonlyArray<{ readonly group: string; readonly member: string }>
}

interface EntityState {
  upsert: Upsert | undefined
  deactivated: boolean
  forgotten: boolean
}

export const net = (changes: ReadonlyArray<StateStore.CommittedChange>): NetChanges => {
  const entities = new Map<string, EntityState & { kind: Kind; externalId: string }>()
  const members = new Map<string, Map<string, boolean>>()
  for (const c of changes) {
    if (c.kind === "membership") {
      let group = members.get(c.groupExternalId)
      if (group === undefined) members.set(c.groupExternalId, (group = new Map()))
      for (const m of c.memberExternalIds) group.set(m, c.op === "add")
      continue
    }
    const key = `${c.kind}\u0000${c.externalId}`
    let state = entities.get(key)
    if (state === undefined)
      entities.set(key, (state = { kind: c.kind, externalId: c.externalId, upsert: undefined, deactivated: false, forgotten: false }))
    if (c.op === "upsert") {
      state.upsert = c
      state.deactivated = false
    } else if (c.op === "forget") {
      state.upsert = undefined
      state.deactivated = false
      state.forgotten = true
      // membership changes naming the record so far are undone by the forget
      if (c.kind === "group") members.delete(c.externalId)
      else for (const group of members.values()) group.delete(c.externalId)
    } else state.deactivated = true
  }
  const forgets: Array<{ kind: Kind; externalId: string }> = []
  const upserts: Array<NetUpsert> = []
  const deactivations: Array<{ kind: Kind; externalId: string }> = []
  for (const s of entities.values()) {
    if (s.forgotten) forgets.push({ kind: s.kind, externalId: s.externalId })
    if (s.upsert !== undefined)
      upserts.push({
        kind: s.kind,
        externalId: s.externalId,
        hash: s.upsert.hash,
        profile: s.upsert.profile,
        location: s.upsert.location,
        status: s.deactivated ? "DEACTIVATED" : "ACTIVE"
      })
    else if (s.deactivated) deactivations.push({ kind: s.kind, externalId: s.externalId })
  }
  const memberAdds: Array<{ group: string; member: string }> = []
  const memberRemoves: Array<{ group: string; member: string }> = []
  for (const [group, pairs] of members)
    for (const [member, add] of pairs) (add ? memberAdds : memberRemoves).push({ group, member })
  return { forgets, upserts, deactivations, memberAdds, memberRemoves }
}
