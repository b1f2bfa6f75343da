/**
 * The planner's per-user bookkeeping: one Map lookup per source row. Every user has a slot: the users in state
 * first (loaded from the index, with their content hash and status), then every id new to the state, in the order
 * rows claim them. Per slot: where a row with the id was seen, and whether that row was invalid. The content
 * hashes of state users are kept as 32 bytes each, not as 64-character strings.
 */
import * as Hash from "../../domain/Hash.ts"
import type { EntityStatus, IndexEntry } from "../../state/StateStore.ts"
import type { LocationCodec } from "./locations.ts"

/** `claim`'s result when another row already claimed the id. */
export const DUPLICATE = -2

/** Value of a lowercase hex digit, or -1. */
const nibble = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1)

/** Content hashes are sha256 hex (64 lowercase hex chars): kept as 32 bytes each; anything else as a string. */
const HASH_BYTES = 32

/** `a` copied into a typed array of at least `size` elements (doubling), or `a` when it is large enough. */
const grown = (a: Uint8Array, size: number): Uint8Array => {
  if (size <= a.length) return a
  const b = new Uint8Array(Math.max(size, a.length * 2))
  b.set(a)
  return b
}

export class UserTable {
  private readonly slot = new Map<string, number>()
  // filled by push: `new Array(n)` of the final size would start out as a slow dictionary-mode array
  private readonly ids: Array<string> = []
  /** 32 bytes per state slot (see HASH_BYTES); slots whose hash is not 64 lowercase hex chars are in `otherHashes`. */
  private hashBytes: Uint8Array
  private readonly otherHashes = new Map<number, string>()
  private active: Uint8Array
  /** Slots below this are users in state; the others are new. Set by `seal`. */
  private stateSlots = 0
  private readonly seenAt: Array<string | number | undefined> = []
  private invalid: Uint8Array = new Uint8Array(16)
  /** Order-independent digest of the index (for `plan.inputs.stateHash`); set by `seal`. */
  digest = ""
  /** After `claim` returned DUPLICATE: where the id was first seen. */
  previousLocation = ""
  /** After `claim` returned a slot: the claimed location, compacted (see LocationCodec). */
  locationKey: string | number = 0
  private readonly multiset = new Hash.MultisetDigest()

  /** An empty table: `load` every state index entry, then `seal` before the first `claim`. */
  constructor(
    private readonly codec: LocationCodec,
    sizeHint = 0
  ) {
    const cap = Math.max(16, sizeHint)
    this.active = new Uint8Array(cap)
    this.hashBytes = new Uint8Array(cap * HASH_BYTES)
  }

  /** Add one state index entry (grows the slot arrays by doubling). */
  readonly load = (id: string, hash: string, status: EntityStatus): void => {
    const i = this.ids.length
    if (i === this.active.length) {
      this.active = grown(this.active, i + 1)
      this.hashBytes = grown(this.hashBytes, this.active.length * HASH_BYTES)
    }
    this.slot.set(id, i)
    this.ids.push(id)
    if (!writeHex(hash, this.hashBytes, i * HASH_BYTES)) this.otherHashes.set(i, hash)
    this.seenAt.push(undefined)
    this.active[i] = status === "ACTIVE" ? 1 : 0
    // content hashes are sha256 hex: their first 24 chars (96 bits) identify the content well enough here
    this.multiset.add(id, status, hash, 24)
  }

  /** Done loading: fixes the digest. */
  seal(): this {
    this.stateSlots = this.ids.length
    this.invalid = new Uint8Array(Math.max(16, this.ids.length))
    this.digest = this.multiset.digest()
    return this
  }

  /** A sealed table over an index Map (stores without `forEachIndex`). */
  static fromMap(index: ReadonlyMap<string, IndexEntry>, codec: LocationCodec): UserTable {
    const t = new UserTable(codec, index.size)
    index.forEach((e, id) => t.load(id, e.hash, e.status))
    return t.seal()
  }

  /** Slots in use (state users plus the new ids claimed so far). */
  get size(): number {
    return this.ids.length
  }

  /** Record that a row has `id`: its slot (a new one for an id not in state), or DUPLICATE (see `previousLocation`). */
  claim(id: string, location: string): number {
    const s = this.slot.get(id)
    if (s !== undefined) {
      const prev = this.seenAt[s]
      if (prev !== undefined) {
        this.previousLocation = this.codec.decode(prev)
        return DUPLICATE
      }
      this.seenAt[s] = this.locationKey = this.codec.encode(location)
      return s
    }
    const n = this.ids.length
    this.slot.set(id, n)
    this.ids.push(id)
    this.seenAt.push((this.locationKey = this.codec.encode(location)))
    if (n >= this.invalid.length) this.invalid = grown(this.invalid, n + 1)
    return n
  }

  /** The slot of `id`, if it is in state or a row claimed it. */
  slotOf(id: string): number | undefined {
    return this.slot.get(id)
  }

  idOf(slot: number): string {
    return this.ids[slot]!
  }

  /** Not in state: claimed by a row of this run. */
  isNew(slot: number): boolean {
    return slot >= this.stateSlots
  }

  /** Where a row with `id` was claimed this run, if one was. */
  seenLocation(id: string): string | undefined {
    const s = this.slot.get(id)
    const at = s === undefined ? undefined : this.seenAt[s]
    return at === undefined ? undefined : this.codec.decode(at)
  }

  markInvalid(slot: number): void {
    this.invalid[slot] = 1
  }

  /** ACTIVE in state with exactly this content. */
  isUnchanged(slot: number, hash: string): boolean {
    if (slot >= this.stateSlots || this.active[slot] !== 1) return false
    if (this.otherHashes.size > 0) {
      const o = this.otherHashes.get(slot)
      if (o !== undefined) return o === hash
    }
    return equalsHex(hash, this.hashBytes, slot * HASH_BYTES)
  }

  /** The status in state (undefined for ids not in state). */
  status(id: string): EntityStatus | undefined {
    const s = this.slot.get(id)
    return s === undefined || s >= this.stateSlots ? undefined : this.active[s] === 1 ? "ACTIVE" : "DEACTIVATED"
  }

  /** A row with this slot's id was read, mapped and validated this run. */
  isValidSlot(slot: number): boolean {
    return this.seenAt[slot] !== undefined && this.invalid[slot] === 0
  }

  /** A row with this id was read, mapped and validated this run. */
  isValid(id: string): boolean {
    const s = this.slot.get(id)
    return s !== undefined && this.isValidSlot(s)
  }

  /** Visit every ACTIVE state record: seen (valid or invalid) or absent. */
  forEachActive(f: (id: string, seen: boolean, invalid: boolean) => void): void {
    for (let i = 0; i < this.stateSlots; i++) {
      if (this.active[i] !== 1) continue
      f(this.ids[i]!, this.seenAt[i] !== undefined, this.invalid[i] === 1)
    }
  }
}

/** Write `hex` (64 lowercase hex chars) as 32 bytes at `at`; false (nothing written) for any other string. */
const writeHex = (hex: string, out: Uint8Array, at: number): boolean => {
  if (hex.length !== HASH_BYTES * 2) return false
  for (let i = 0; i < HASH_BYTES * 2; i++) if (nibble(hex.charCodeAt(i)) < 0) return false
  for (let i = 0; i < HASH_BYTES; i++) out[at + i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1))
  return true
}

/** `hex` is 64 lowercase hex chars spelling the 32 bytes at `at`. */
const equalsHex = (hex: string, bytes: Uint8Array, at: number): boolean => {
  if (hex.length !== HASH_BYTES * 2) return false
  for (let i = 0; i < HASH_BYTES; i++) {
    const hi = nibble(hex.charCodeAt(2 * i))
    const lo = nibble(hex.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0 || ((hi << 4) | lo) !== bytes[at + i]) return false
  }
  return true
}
