/**
 * Exact value conversions shared by the drivers. The rule: never go through a lossy JavaScript type.
 * Integers that fit 2^53 become numbers, bigger ones and every decimal/numeric become their exact decimal string;
 * dates become ISO 8601 strings (date-only `YYYY-MM-DD`, naive timestamps `YYYY-MM-DDTHH:MM:SS[.ffffff]`,
 * zoned timestamps in UTC with `Z`); booleans stay booleans; binary becomes base64; NULL stays null.
 */
import { parse as parseArray } from "postgres-array"

/** A bigint as a number when exact, else its decimal string. */
export const exactInteger = (value: bigint): number | string =>
  value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()

/** Fallback for values a driver hands over untyped. */
export const plain = (value: unknown): unknown => {
  if (value === undefined) return null
  if (typeof value === "bigint") return exactInteger(value)
  if (Buffer.isBuffer(value)) return value.toString("base64")
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64")
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
  return value
}

/** `+05`, `+0530`, `+05:30`, `+05:30:15` → `+05:30`, `+05:30:15`; `+00` → `Z`. */
const isoOffset = (offset: string): string => {
  const m = /^([+-])(\d\d):?(\d\d)?(?::?(\d\d))?$/.exec(offset)
  if (!m) return offset
  const [, sign, hh, mm = "00", ss] = m
  if (hh === "00" && mm === "00" && (ss === undefined || ss === "00")) return "Z"
  return `${sign}${hh}:${mm}${ss && ss !== "00" ? `:${ss}` : ""}`
}

const timestampPattern = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::?\d\d){0,2})?$/

/**
 * `2024-01-31 12:00:00.5+00` → `2024-01-31T12:00:00.5Z`; without an offset, `zone` (`"Z"` for a value known to
 * be UTC, `""` for a naive timestamp) is appended. Anything else (`infinity`, BC dates) is returned unchanged.
 */
export const isoTimestamp = (text: string, zone: "" | "Z"): string => {
  const m = timestampPattern.exec(text)
  if (!m) return text
  const [, date, time, offset] = m
  return `${date}T${time}${offset === undefined ? zone : isoOffset(offset)}`
}

/** `12:00:00+05:30` / `12:00:00+00` → ISO offsets. */
export const isoTimeWithZone = (text: string): string => {
  const m = /^(\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::?\d\d){0,2})$/.exec(text)
  return m ? `${m[1]}${isoOffset(m[2]!)}` : text
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL: text-format values by type OID (the session runs with TimeZone=UTC, DateStyle=ISO,
// IntervalStyle=iso_8601, extra_float_digits=3).

const pgScalar = (oid: number): ((text: string) => unknown) | undefined => {
  switch (oid) {
    case 16: // bool
      return (t) => t === "t" || t === "true"
    case 21: // int2
    case 23: // int4
    case 26: // oid
      return (t) => Number(t)
    case 700: // float4
    case 701: // float8
      return (t) => {
        const n = Number(t)
        return Number.isFinite(n) ? n : t
      }
    case 1114: // timestamp without time zone
      return (t) => isoTimestamp(t, "")
    case 1184: // timestamptz (session TimeZone is UTC)
      return (t) => isoTimestamp(t, "Z")
    case 1266: // timetz
      return isoTimeWithZone
    case 114: // json
    case 3802: // jsonb
      return (t) => {
        try {
          return JSON.parse(t)
        } catch {
          return t
        }
      }
    case 17: // bytea, hex output: \x0a0b…
      return (t) => (t.startsWith("\\x") ? Buffer.from(t.slice(2), "hex").toString("base64") : t)
    default:
      // int8, numeric, money, date, time, interval, uuid, text, varchar, enums, … : the exact text
      return undefined
  }
}

const pgArrayElement: Record<number, number> = {
  1000: 16,
  1005: 21,
  1007: 23,
  1016: 20,
  1028: 26,
  1021: 700,
  1022: 701,
  1231: 1700,
  1009: 25,
  1015: 1043,
  1014: 1042,
  1182: 1082,
  1183: 1083,
  1270: 1266,
  1115: 1114,
  1185: 1184,
  1187: 1186,
  2951: 2950,
  199: 114,
  3807: 3802,
  1001: 17
}

const identity = (text: string): string => text

/** pg's `types.getTypeParser` replacement for one client: exact values, never throws. */
export const pgTypeParser = (oid: number, format?: string): ((text: string) => unknown) => {
  if (format === "binary") return identity
  const element = pgArrayElement[oid]
  if (element !== undefined) {
    const inner = pgScalar(element) ?? identity
    return (text) => {
      try {
        return parseArray(text, (value) => (value === null ? null : inner(value)))
      } catch {
        return text
      }
    }
  }
  return pgScalar(oid) ?? identity
}
