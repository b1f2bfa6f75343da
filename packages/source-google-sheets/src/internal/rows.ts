/**
 * From the API's `values` arrays to `SourceRow`s: header names (trimmed; an empty header cell — e.g. the
 * right-hand part of a merged header — is named by its column letter), renames, ragged rows padded, blank rows
 * skipped, date columns converted, and each row located at its first cell (`People!A12`).
 */
import type { SourceError } from "@anysource/core"
import type { Model } from "@anysource/core"
import type { DateHandling } from "../GoogleSheetsConfig.ts"
import * as SheetDates from "../SheetDates.ts"
import { columnLetter, formatCell, quoteSheet } from "./a1.ts"
import { sourceError } from "./errors.ts"

export interface Layout {
  readonly sheet: string
  /** 0-based first column of the range. */
  readonly startColumn: number
  /** 0-based last column of the range. */
  readonly endColumn: number
  readonly headerRow: number
}

export interface Header {
  /** Final column names, one per column from `startColumn` to the last named column. */
  readonly names: ReadonlyArray<string>
  /** Index (into `names`) → date conversion applies. */
  readonly dateColumns: ReadonlySet<number>
}

const decode = (message: string, location?: string) => sourceError("Decode", message, { location })

const text = (value: unknown): string => (value === undefined || value === null ? "" : String(value)).trim()

const isBlank = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === "string" && value.trim() === "")

/**
 * Build the header from the header row's cells. `dateColumnIndexes` are 0-based offsets from `startColumn`
 * found by the format probe (`auto`), merged with the configured names.
 */
export const buildHeader = (
  cells: ReadonlyArray<unknown> | undefined,
  layout: Layout,
  renames: Readonly<Record<string, string>>,
  dates: DateHandling | undefined,
  probedDateColumns: ReadonlySet<number>
): Header | SourceError => {
  const where = `${quoteSheet(layout.sheet)}!${layout.headerRow}:${layout.headerRow}`
  const raw = (cells ?? []).map(text)
  let last = raw.length - 1
  while (last >= 0 && raw[last] === "") last--
  if (last < 0) {
    return decode(
      `the header row ${where} is empty — set headerRow to the row that holds the column names (rows above it, such as a merged title, are ignored)`,
      formatCell(layout.sheet, layout.startColumn, layout.headerRow)
    )
  }
  const original = raw
    .slice(0, last + 1)
    .map((name, i) => (name === "" ? columnLetter(layout.startColumn + i) : name))
  const width = layout.endColumn - layout.startColumn + 1
  const letters = new Set(Array.from({ length: width }, (_, i) => columnLetter(layout.startColumn + i)))
  for (const key of Object.keys(renames)) {
    if (!original.includes(key) && !letters.has(key)) {
      return sourceError(
        "Config",
        `columns renames "${key}", but the header ${where} has no such column (it has: ${original.join(", ")})`
      )
    }
  }
  const names = original.map((name) => renames[name] ?? name)
  const seen = new Map<string, number>()
  for (const [i, name] of names.entries()) {
    const first = seen.get(name)
    if (first !== undefined) {
      return decode(
        `the header ${where} names two columns "${name}" (${columnLetter(layout.startColumn + first)} and ${columnLetter(layout.startColumn + i)}) — rename one in the sheet or with columns`,
        formatCell(layout.sheet, layout.startColumn + i, layout.headerRow)
      )
    }
    seen.set(name, i)
  }
  const dateColumns = new Set<number>()
  if (dates !== undefined) {
    if (dates.columns === "auto") {
      for (const i of probedDateColumns) if (i < names.length) dateColumns.add(i)
    } else {
      for (const wanted of dates.columns) {
        const i = names.indexOf(wanted) >= 0 ? names.indexOf(wanted) : original.indexOf(wanted)
        if (i < 0) {
          return sourceError(
            "Config",
            `dateHandling.columns names "${wanted}", but the header ${where} has no such column (it has: ${names.join(", ")})`
          )
        }
        dateColumns.add(i)
      }
    }
  }
  return { names, dateColumns }
}

/** Whether a row of cells is blank (every cell empty or whitespace). */
export const blank = (cells: ReadonlyArray<unknown> | undefined): boolean => (cells ?? []).every(isBlank)

/**
 * One data row → a `SourceRow`. Missing trailing cells are `""`; a non-empty cell to the right of the last
 * named column is kept under its column letter.
 */
export const toRow = (
  cells: ReadonlyArray<unknown> | undefined,
  rowNumber: number,
  layout: Layout,
  header: Header,
  dates: DateHandling | undefined
): Model.SourceRow | SourceError => {
  const row = cells ?? []
  const data: Record<string, unknown> = {}
  for (let i = 0; i < header.names.length; i++) {
    let value: unknown = row[i] ?? ""
    if (dates !== undefined && header.dateColumns.has(i) && !isBlank(value)) {
      const iso = SheetDates.convert(value, dates.formats, dates.output)
      if (iso === undefined) {
        if (dates.onInvalid === "fail") {
          const cell = formatCell(layout.sheet, layout.startColumn + i, rowNumber)
          return decode(
            `${cell}: ${JSON.stringify(value)} in date column ${header.names[i]} is not a date (formats tried: ${dates.formats.join(", ")}; serial numbers count days from 1899-12-30)`,
            cell
          )
        }
      } else {
        value = iso
      }
    }
    data[header.names[i]!] = value
  }
  for (let i = header.names.length; i < row.length; i++) {
    if (!isBlank(row[i])) data[columnLetter(layout.startColumn + i)] = row[i]
  }
  return { data, location: formatCell(layout.sheet, layout.startColumn, rowNumber) }
}

/** Offsets (from `startColumn`) of the columns a format probe found to hold dates. */
export const dateColumnsFromProbe = (
  rowData: ReadonlyArray<{
    readonly values?: ReadonlyArray<{
      readonly effectiveFormat?: { readonly numberFormat?: { readonly type?: string | null } | null } | null
    }> | null
  }>
): ReadonlySet<number> => {
  const found = new Set<number>()
  for (const row of rowData) {
    for (const [i, cell] of (row.values ?? []).entries()) {
      const type = cell.effectiveFormat?.numberFormat?.type
      if (type === "DATE" || type === "DATE_TIME") found.add(i)
    }
  }
  return found
}
