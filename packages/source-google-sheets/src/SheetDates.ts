/**
 * Dates in Google Sheets.
 *
 * Sheets stores a date as a **serial number**: days since the epoch **1899-12-30** (so 1 is 1899-12-31,
 * 45352 is 2024-03-01), with the time of day as the fraction (0.5 is noon). The value has no time zone: it is
 * the wall-clock time of the spreadsheet's `timeZone`. The API returns serial numbers with
 * `valueRenderOption: UNFORMATTED_VALUE` + `dateTimeRenderOption: SERIAL_NUMBER`; otherwise it returns the
 * text as displayed, whose format depends on each cell (`3/1/2024`, `2024-03-01`, `1 Mar 2024`).
 *
 * `convert` turns either into ISO 8601: `2024-03-01` (`output: "date"`) or `2024-03-01T13:30:00`
 * (`output: "datetime"`, wall-clock time in the spreadsheet's zone, no offset).
 */
import { isValid, parse } from "date-fns"

/** The Sheets (and Lotus 1-2-3 / Excel 1900-system) epoch: serial 0. */
export const EPOCH_UTC_MILLIS = Date.UTC(1899, 11, 30)
const DAY_MILLIS = 86_400_000
/** Serial of 9999-12-31, the last date Sheets shows. */
export const MAX_SERIAL = 2_958_465

export type Output = "date" | "datetime"

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

const isoFromUtcParts = (d: Date, output: Output): string => {
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
  return output === "date"
    ? date
    : `${date}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}

/** A serial number → ISO (`45352` → `2024-03-01`). Undefined outside 0..9999-12-31 or not finite. */
export const fromSerial = (serial: number, output: Output = "date"): string | undefined => {
  if (!Number.isFinite(serial) || serial < 0 || serial >= MAX_SERIAL + 1) return undefined
  // Round to the second: serials carry binary fractions (0.1 days is not exact).
  const millis = Math.round((serial * DAY_MILLIS) / 1000) * 1000
  return isoFromUtcParts(new Date(EPOCH_UTC_MILLIS + millis), output)
}

/** ISO date (`2024-03-01`, optionally with `THH:mm[:ss]`) → serial number, for tests and fixtures. */
export const toSerial = (iso: string): number => {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(iso)
  if (!m) throw new Error(`not an ISO date: ${iso}`)
  const utc = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0)
  )
  return (utc - EPOCH_UTC_MILLIS) / DAY_MILLIS
}

/** A reference date for date-fns `parse` (fields the pattern lacks come from it: midnight, Jan 1 2000). */
const REFERENCE = new Date(2000, 0, 1, 0, 0, 0, 0)

/** Parse text with one date-fns pattern (`yyyy-MM-dd`, `M/d/yyyy`, `d MMM yyyy`); whole-string, strict. */
export const parseWith = (text: string, pattern: string, output: Output = "date"): string | undefined => {
  const d = parse(text, pattern, REFERENCE)
  // A two-digit year typed into a four-digit pattern parses as year 24: no sheet means that.
  if (!isValid(d) || d.getFullYear() < 1900) return undefined
  const date = `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
  return output === "date"
    ? date
    : `${date}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

const numeric = /^\s*\d+(\.\d+)?\s*$/

/**
 * Convert one cell of a date column. Numbers are serials; strings are tried against `formats` in order, then,
 * when all digits, as a serial. Empty cells stay as they are. `undefined` means "not a date we understand".
 */
export const convert = (value: unknown, formats: ReadonlyArray<string>, output: Output = "date"): unknown => {
  if (value === "" || value === null || value === undefined) return value
  if (typeof value === "number") return fromSerial(value, output)
  if (typeof value !== "string") return undefined
  const text = value.trim()
  for (const pattern of formats) {
    const iso = parseWith(text, pattern, output)
    if (iso !== undefined) return iso
  }
  return numeric.test(text) ? fromSerial(Number(text), output) : undefined
}
