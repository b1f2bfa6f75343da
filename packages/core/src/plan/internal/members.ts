/**
 * The desired memberships of a run, by user slot (see `UserTable`) rather than as a set of ids per group: most users
 * are in one group per rule, so a slot holds its first group in a typed array and only further groups in a side map.
 * The membership diff marks the pairs the state already has ("matched"); the rest are adds.
 */

/** Slot → first group (index + 1; 0 = none), grown by doubling. */
const grown = (a: Int32Array, size: number): Int32Array => {
  if (size <= a.length) return a
  const b = new Int32Array(Math.max(size, a.length * 2))
  b.set(a)
  return b
}

export class DesiredMembers {
  /** Group externalId → its index; `groupIds[index]` is the externalId. */
  private readonly index = new Map<string, number>()
  readonly groupIds: Array<string> = []
  private first: Int32Array = new Int32Array(16)
  /** Slots in more than one group: the further groups' indexes. */
  private readonly more = new Map<number, Array<number>>()
  /** Pairs the state already has (and that need not be re-sent): the first group's by slot, the others by key. */
  private matchedFirst: Uint8Array = new Uint8Array(16)
  private readonly matchedMore = new Map<number, Set<number>>()
  private lastGroup = ""
  private lastIndex = -1

  /** The index of a group id (created on first use). */
  private indexOf(groupExternalId: string): number {
    if (groupExternalId === this.lastGroup) return this.lastIndex
    let gi = this.index.get(groupExternalId)
    if (gi === undefined) {
      gi = this.groupIds.length
      this.index.set(groupExternalId, gi)
      this.groupIds.push(groupExternalId)
    }
    this.lastGroup = groupExternalId
    this.lastIndex = gi
    return gi
  }

  /** The user in `slot` should be a member of `groupExternalId`. */
  add(slot: number, groupExternalId: string): void {
    const gi = this.indexOf(groupExternalId)
    if (slot >= this.first.length) {
      this.first = grown(this.first, slot + 1)
      const m = new Uint8Array(this.first.length)
      m.set(this.matchedFirst)
      this.matchedFirst = m
    }
    const f = this.first[slot]!
    if (f === 0) this.first[slot] = gi + 1
    else if (f !== gi + 1) {
      const list = this.more.get(slot)
      if (list === undefined) this.more.set(slot, [gi])
      else if (!list.includes(gi)) list.push(gi)
    }
  }

  /** The group's index, if any user should be in it. */
  groupIndex(groupExternalId: string): number | undefined {
    return groupExternalId === this.lastGroup ? this.lastIndex : this.index.get(groupExternalId)
  }

  has(slot: number, gi: number): boolean {
    if (slot >= this.first.length) return false
    if (this.first[slot] === gi + 1) return true
    return this.more.get(slot)?.includes(gi) === true
  }

  /** The state already has this desired pair (it is not an add). */
  match(slot: number, gi: number): void {
    if (this.first[slot] === gi + 1) this.matchedFirst[slot] = 1
    else {
      let set = this.matchedMore.get(slot)
      if (set === undefined) this.matchedMore.set(slot, (set = new Set()))
      set.add(gi)
    }
  }

  /** The desired pairs not matched, by group index: the slots to add (in slot order). */
  unmatched(): ReadonlyArray<Array<number>> {
    const out: Array<Array<number>> = this.groupIds.map(() => [])
    const first = this.first
    for (let slot = 0; slot < first.length; slot++) {
      const f = first[slot]!
      if (f !== 0 && this.matchedFirst[slot] === 0) out[f - 1]!.push(slot)
    }
    for (const [slot, list] of this.more) {
      const matched = this.matchedMore.get(slot)
      for (const gi of list) if (matched === undefined || !matched.has(gi)) out[gi]!.push(slot)
    }
    return out
  }
}
