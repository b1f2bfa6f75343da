/**
 * Normalization: turn mapped values into Okta attribute values (string or null), deterministically.
 *
 * - strings: trimmed (`normalize.trim`), Unicode NFC, `""` → null (`normalize.emptyAsNull`);
 * - lower-cased: `email`, `secondEmail`, `userName` when it looks like an email, schema attributes with
 *   `format: email`, and every attribute in `normalize.lowercase`;
 * - numbers: integers without exponent (`1e21` → `"1000000000000000000000"`), other numbers as JavaScript
 *   prints them; bigint exactly; NaN/Infinity are errors;
 * - booleans: `"true"` / `"false"`; Dates: ISO 8601 (`2024-01-31T00:00:00.000Z`); invalid Dates are errors;
 * - null/undefined → null;
 * - arrays and objects are errors: Okta attributes are strings only.
 */
import type { PipelineConfig } from "../config/Config.ts"

export interface Options {
  readonly trim: boolean
  readonly emptyAsNull: boolean
  /** Attributes always lower-cased. */
  readonly lowercase: ReadonlySet<string>
  /** Lower-case `userName` when it looks like an email address. */
  readonly lowercaseEmailLikeUserName: boolean
}

export const defaultEmailAttributes: ReadonlyArray<string> = ["email", "secondEmail"]

/** Options for user profiles from the config. */
export const userOptions = (config: Pick<PipelineConfig, "normalize" | "schema">): Options => {
  const lowercase = new Set<string>(defaultEmailAttributes)
  for (const a of config.normalize.lowercase ?? []) lowercase.add(a)
  for (const [name, spec] of Object.entries(config.schema.users.attributes)) if (spec.format === "email") lowercase.add(name)
  return { trim: config.normalize.trim, emptyAsNull: config.normalize.emptyAsNull, lowercase, lowercaseEmailLikeUserName: true }
}

/** Options for group profiles: no default lower-casing, except schema attributes with `format: email`. */
export const groupOptions = (config: Pick<PipelineConfig, "normalize" | "schema">): Options => {
  const lowercase = new Set<string>()
  for (const [name, spec] of Object.entries(config.schema.groups.attributes)) if (spec.format === "email") lowercase.add(name)
  return { trim: config.normalize.trim, emptyAsNull: config.normalize.emptyAsNull, lowercase, lowercaseEmailLikeUserName: false }
}

/** Options for ids: trim + NFC, never lower-cased (Okta external ids are case-sensitive). */
export const idOptions: Options = { trim: true, emptyAsNull: true, lowercase: new Set(), lowercaseEmailLikeUserName: false }

/** Why a value cannot become an Okta attribute (returned, not thrown, to keep the hot path allocation-free). */
export class Failure {
  readonly _tag = "NormalizeFailure"
  constructor(readonly message: string) {}
}

/** A normalized value (`string` or `null`), or a `Failure`. */
export type Result = string | null | Failure

export const isFailure = (r: Result): r is Failure => r instanceof Failure

const emailLike = /^[^\s@]+@[^\s@]+$/

/** Deterministic string for a number: integers never use an exponent. `undefined` for NaN/±Infinity. */
export const numberToString = (n: number): string | undefined => {
  if (!Number.isFinite(n)) return undefined
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? String(n === 0 ? 0 : n) : BigInt(n).toString()
  return String(n)
}

const ascii = /^[\x20-\x7e]*$/

/** Normalize a string: trim, NFC (skipped for printable ASCII, which NFC never changes). */
export const string = (s: string, trim: boolean): string => {
  const t = trim ? s.trim() : s
  return ascii.test(t) ? t : t.normalize("NFC")
}

/**
 * Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): invisible, and they make
 * the text around them display in another order than it is stored ("Trojan Source"). A name or login carrying one
 * can show as someone else's. Marks (U+200E/U+200F) and joiners (U+200C/U+200D, needed by Persian, Indic scripts
 * and emoji) are left alone.
 */
const bidiControl = /[\u202a-\u202e\u2066-\u2069]/
const bidiNames: Readonly<Record<string, string>> = {
  "\u202a": "LEFT-TO-RIGHT EMBEDDING",
  "\u202b": "RIGHT-TO-LEFT EMBEDDING",
  "\u202c": "POP DIRECTIONAL FORMATTING",
  "\u202d": "LEFT-TO-RIGHT OVERRIDE",
  "\u202e": "RIGHT-TO-LEFT OVERRIDE",
  "\u2066": "LEFT-TO-RIGHT ISOLATE",
  "\u2067": "RIGHT-TO-LEFT ISOLATE",
  "\u2068": "FIRST STRONG ISOLATE",
  "\u2069": "POP DIRECTIONAL ISOLATE"
}

/** Normalize one raw value for attribute `field`. */
export const value = (raw: unknown, field: string, options: Options): Result => {
  let s: string
  switch (typeof raw) {
    case "string": {
      const t = options.trim ? raw.trim() : raw
      // printable ASCII (most values) needs neither the check nor NFC
      if (ascii.test(t)) s = t
      else {
        const bidi = bidiControl.exec(t)
        if (bidi !== null) {
          const code = bidi[0].charCodeAt(0).toString(16).toUpperCase()
          return new Failure(
            `contains the invisible control character U+${code} ${bidiNames[bidi[0]] ?? ""} at character ${bidi.index + 1}: it makes the text display in another order than it is stored, so the value could pass for another; remove it from the source`
          )
        }
        s = t.normalize("NFC")
      }
      break
    }
    case "undefined":
      return null
    case "number": {
      const n = numberToString(raw)
      if (n === undefined) return new Failure(`is ${String(raw)}, which is not a value Okta can store`)
      s = n
      break
    }
    case "bigint":
      s = raw.toString()
      break
    case "boolean":
      s = raw ? "true" : "false"
      break
    case "object": {
      if (raw === null) return null
      if (raw instanceof Date) {
        if (Number.isNaN(raw.getTime())) return new Failure("is an invalid date")
        s = raw.toISOString()
        break
      }
      return new Failure(
        Array.isArray(raw)
          ? "is a list; Okta attributes are strings: pick one value or join them (e.g. $join(x, ', '))"
          : "is an object; Okta attributes are strings: pick one field (e.g. address.city) or $string(x)"
      )
    }
    default:
      return new Failure(`is a ${typeof raw}; Okta attributes are strings`)
  }
  if (s.length === 0 && options.emptyAsNull) return null
  if (options.lowercase.has(field) || (options.lowercaseEmailLikeUserName && field === "userName" && emailLike.test(s)))
    s = s.toLowerCase()
  return s
}

const NO_ERRORS: ReadonlyArray<never> = []

export interface ProfileResult {
  /** Attributes in sorted key order (so `Hash.profileHash` takes its fast path). */
  readonly profile: Record<string, string | null>
  readonly errors: ReadonlyArray<{ readonly field: string; readonly message: string }>
}

/** Normalize a mapped profile. `fields` must be sorted; values are read positionally from `raw`. */
export const profile = (fields: ReadonlyArray<string>, raw: ReadonlyArray<unknown>, options: Options): ProfileResult => {
  const out: Record<string, string | null> = {}
  let errors: Array<{ field: string; message: string }> | undefined
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    const r = value(raw[i], field, options)
    if (r instanceof Failure) (errors ??= []).push({ field, message: r.message })
    else out[field] = r
  }
  return errors ? { profile: out, errors } : { profile: out, errors: NO_ERRORS }
}
