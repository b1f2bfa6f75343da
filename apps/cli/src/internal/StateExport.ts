/**
 * What `state export` writes besides plain JSON: users and groups as CSV (spreadsheet-safe cells) and the
 * memberships as sorted lists.
 */
import type { StateStore } from "@anysource/core"

type Entry = StateStore.StateEntry

const csvCell = (v: string | null | undefined): string => {
  const s = v ?? ""
  // Cells starting with a formula character are prefixed so spreadsheets do not evaluate them.
  const guarded = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded
}

/** Users (or groups) as CSV lines: externalId, status, firstSeen, lastSeen, location, then every profile attribute. */
export function* entriesCsvLines(entries: ReadonlyArray<Entry>): Generator<string, void, undefined> {
  const attributeSet = new Set<string>()
  for (const e of entries) for (const k of Object.keys(e.profile)) attributeSet.add(k)
  const attributes = [...attributeSet].sort()
  yield ["externalId", "status", "firstSeen", "lastSeen", "location", ...attributes].map(csvCell).join(",")
  for (const e of entries)
    yield [
      e.externalId,
      e.status,
      e.firstSeen,
      e.lastSeen,
      e.location ?? "",
      ...attributes.map((a) => e.profile[a] ?? "")
    ]
      .map(csvCell)
      .join(",")
}

/** The CSV as one string (tests, small states); the CLI writes `entriesCsvLines`. */
export const entriesCsv = (entries: ReadonlyArray<Entry>): string =>
  `${[...entriesCsvLines(entries)].join("\n")}\n`

/** group → sorted member ids, as a plain object for JSON (a getter per group: no copy of every list up front). */
export const sortedMemberships = (
  memberships: ReadonlyMap<string, ReadonlySet<string>>
): Record<string, ReadonlyArray<string>> => {
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const [g, m] of memberships)
    Object.defineProperty(out, g, { enumerable: true, get: () => [...m].sort() })
  return out
}
