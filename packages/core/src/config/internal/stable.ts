/** Deterministic JSON (sorted keys) with every `Redacted` secret replaced by a marker: the basis of `configHash`. */
import { createHash } from "node:crypto"
import { Redacted } from "effect"

export const secretMarker = "<secret>"

const normalise = (value: unknown): unknown => {
  if (Redacted.isRedacted(value)) return secretMarker
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined
  if (typeof value === "bigint") return value.toString()
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value)
  if (value instanceof Date) return value.toISOString()
  if (value instanceof RegExp) return value.toString()
  if (Array.isArray(value)) return value.map((v) => normalise(v) ?? null)
  if (value instanceof Map) return normalise(Object.fromEntries(value))
  if (value instanceof Set) return [...value].map(normalise)
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const item = normalise((value as Record<string, unknown>)[key])
      if (item !== undefined) out[key] = item
    }
    return out
  }
  return value
}

export const stableStringify = (value: unknown): string => JSON.stringify(normalise(value)) ?? "null"

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex")
