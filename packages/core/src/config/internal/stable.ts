/**
 * The effective config as plain JSON values with every `Redacted` secret replaced by a marker: what `configHash`
 * hashes (with `Hash.stableStringify`, the one stable JSON). Values JSON has no form for get a stable one
 * (bigint and non-finite numbers as strings, dates as ISO-8601, Map as an object, Set as an array).
 */
import { Redacted } from "effect"

export const secretMarker = "<secret>"

export const hashable = (value: unknown): unknown => {
  if (Redacted.isRedacted(value)) return secretMarker
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined
  if (typeof value === "bigint") return value.toString()
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value)
  if (value instanceof Date) return value.toISOString()
  if (value instanceof RegExp) return value.toString()
  if (Array.isArray(value)) return value.map((v) => hashable(v) ?? null)
  if (value instanceof Map) return hashable(Object.fromEntries(value))
  if (value instanceof Set) return [...value].map(hashable)
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) {
      const item = hashable((value as Record<string, unknown>)[key])
      if (item !== undefined) out[key] = item
    }
    return out
  }
  return value
}
