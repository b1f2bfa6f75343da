/**
 * Content hashes: stable JSON (object keys sorted, `undefined` members dropped, like `JSON.stringify`)
 * and sha256 (hex). Profile hashes decide "unchanged" vs "update"; plan hashes let an apply refuse a
 * plan whose inputs moved. The encoding is part of the state format: changing it re-sends every record.
 */
import { createHash, hash as oneShotHash, type Hash as CryptoHash } from "node:crypto"
import type { Profile } from "./Model.ts"

/** sha256 of a UTF-8 string, lower-case hex. */
export const sha256 = (data: string): string => oneShotHash("sha256", data, "hex")

/** `JSON.stringify` with object keys sorted (code-unit order) at every depth. */
export const stableStringify = (value: unknown): string => {
  let out = ""
  write(value, (s) => {
    out += s
  })
  return out
}

/** sha256 of `stableStringify(value)`, computed incrementally (large plans are never built as one string). */
export const stableHash = (value: unknown): string => {
  const hasher: CryptoHash = createHash("sha256")
  let buffer = ""
  write(value, (s) => {
    buffer += s
    if (buffer.length >= 65_536) {
      hasher.update(buffer)
      buffer = ""
    }
  })
  hasher.update(buffer)
  return hasher.digest("hex")
}

/** Strings JSON encodes as `"` + s + `"` (no quote, backslash, control character or surrogate). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be excluded
const plainJsonString = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/
const quotedKeys = new Map<string, string>()
const quoteKey = (k: string): string => {
  let q = quotedKeys.get(k)
  if (q === undefined) {
    q = JSON.stringify(k)
    if (quotedKeys.size < 10_000) quotedKeys.set(k, q)
  }
  return q
}

/**
 * The content hash of a profile: sha256 of its stable JSON. Fast path for flat string/null profiles whose
 * keys are already in sorted order (the planner builds them that way), which is the per-row hot path:
 * the JSON text is concatenated directly (identical to `stableStringify`, checked by tests).
 */
export const profileHash = (profile: Profile): string => {
  const keys = Object.keys(profile)
  let json = "{"
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    const v = profile[k]
    if ((i > 0 && keys[i - 1]! >= k) || (v !== null && typeof v !== "string")) return sha256(stableStringify(profile))
    json += `${i > 0 ? "," : ""}${quoteKey(k)}:${v === null ? "null" : plainJsonString.test(v) ? `"${v}"` : JSON.stringify(v)}`
  }
  return sha256(`${json}}`)
}

/**
 * A value that writes its own stable JSON (a list of changes read back from disk): `stableStringify` and
 * `stableHash` take its pieces as they are instead of walking it.
 */
export const stableJsonText: unique symbol = Symbol.for("@anysource/core/Hash/stableJsonText")

export interface StableJsonText {
  readonly [stableJsonText]: () => Iterable<string>
}

const hasStableText = (value: object): value is StableJsonText =>
  typeof (value as Partial<StableJsonText>)[stableJsonText] === "function"

const write = (value: unknown, emit: (s: string) => void): void => {
  if (value === null) return emit("null")
  switch (typeof value) {
    case "string":
      return emit(JSON.stringify(value))
    case "number":
      return emit(Number.isFinite(value) ? String(value) : "null")
    case "boolean":
      return emit(value ? "true" : "false")
    case "bigint":
      throw new TypeError("stableStringify: bigint is not JSON")
    case "undefined":
    case "function":
    case "symbol":
      return emit("null")
  }
  if (hasStableText(value as object)) {
    for (const piece of (value as StableJsonText)[stableJsonText]()) emit(piece)
    return
  }
  if (Array.isArray(value)) {
    emit("[")
    for (let i = 0; i < value.length; i++) {
      if (i > 0) emit(",")
      const item: unknown = value[i]
      write(item === undefined || typeof item === "function" || typeof item === "symbol" ? null : item, emit)
    }
    return emit("]")
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === "function") return write((toJSON as () => unknown).call(value), emit)
  if (value instanceof Map || value instanceof Set) throw new TypeError("stableStringify: Map/Set are not JSON")
  const obj = value as Record<string, unknown>
  let keys = Object.keys(obj)
  // fast path: keys already sorted and every value a JSON primitive → JSON.stringify gives the same text
  let sorted = true
  let flat = true
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && keys[i - 1]! >= keys[i]!) sorted = false
    const v = obj[keys[i]!]
    if (!(v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)))) flat = false
  }
  if (sorted && flat) return emit(JSON.stringify(obj))
  if (!sorted) keys = keys.sort()
  emit("{")
  let first = true
  for (const k of keys) {
    const v = obj[k]
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue
    if (!first) emit(",")
    first = false
    emit(JSON.stringify(k))
    emit(":")
    write(v, emit)
  }
  emit("}")
}

/**
 * An order-independent digest of many items (the state index: every `id|status|hash`): 4 × 32-bit lanes
 * (sum and xor of two FNV-style hashes) plus the count, finished with sha256. Built for change
 * detection, not for adversaries; O(n) with no sort and no allocation per item.
 */
export class MultisetDigest {
  private count = 0
  private sumA = 0
  private sumB = 0
  private xorA = 0
  private xorB = 0
  private a = 0
  private b = 0

  private mix(s: string, max: number): void {
    let a = this.a
    let b = this.b
    const n = Math.min(s.length, max)
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      a = Math.imul(a ^ c, 0x01000193)
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15)
    }
    // separator, so ("ab","c") and ("a","bc") differ
    this.a = Math.imul(a ^ 0xffff, 0x01000193)
    this.b = Math.imul(b ^ 0xffff, 0x5bd1e995) ^ (b >>> 15)
  }

  /** Add one item made of up to three parts; only the first `maxLast` chars of the last part count. */
  add(first: string, second = "", last = "", maxLast = Number.POSITIVE_INFINITY): void {
    this.a = 0x811c9dc5
    this.b = 0x01000193
    this.mix(first, Number.POSITIVE_INFINITY)
    this.mix(second, Number.POSITIVE_INFINITY)
    this.mix(last, maxLast)
    this.count++
    this.sumA = (this.sumA + (this.a >>> 0)) >>> 0
    this.sumB = (this.sumB + (this.b >>> 0)) >>> 0
    this.xorA = (this.xorA ^ this.a) >>> 0
    this.xorB = (this.xorB ^ this.b) >>> 0
  }

  digest(): string {
    return sha256(`${this.count}:${this.sumA}:${this.sumB}:${this.xorA}:${this.xorB}`)
  }
}
