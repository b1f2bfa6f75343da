/**
 * A1 notation: column letters, sheet-name quoting, and ranges (`Sheet!A3:F`, `'My sheet'!B:D`, `3:100`, `C7`).
 * Shared by the adapter and the fake server, so both read ranges the same way Google does.
 */

/** 0-based column index → letters (0 → A, 25 → Z, 26 → AA). */
export const columnLetter = (index: number): string => {
  let n = index + 1
  let out = ""
  while (n > 0) {
    const rem = (n - 1) % 26
    out = String.fromCharCode(65 + rem) + out
    n = Math.floor((n - 1) / 26)
  }
  return out
}

/** Letters → 0-based column index (A → 0, AA → 26); case-insensitive. */
export const columnIndex = (letters: string): number => {
  let n = 0
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64)
  return n - 1
}

/** Quote a sheet title for A1 notation when it needs it (`My sheet` → `'My sheet'`, `It's` → `'It''s'`). */
export const quoteSheet = (title: string): string =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(title) &&
  !/^[A-Za-z]{1,3}[0-9]+$/.test(title) &&
  !/^R[0-9]*C[0-9]*$/i.test(title)
    ? title
    : `'${title.replaceAll("'", "''")}'`

/** A parsed A1 range. Absent bounds are open (whole column / whole row). Rows 1-based, columns 0-based. */
export interface A1Range {
  readonly sheet?: string
  readonly startColumn?: number
  readonly startRow?: number
  readonly endColumn?: number
  readonly endRow?: number
}

const cellPattern = /^([A-Za-z]{1,3})?([0-9]+)?$/

const parseCell = (text: string): { column?: number; row?: number } | undefined => {
  const m = cellPattern.exec(text.trim().replaceAll("$", ""))
  if (!m || (m[1] === undefined && m[2] === undefined)) return undefined
  const row = m[2] === undefined ? undefined : Number(m[2])
  if (row !== undefined && row < 1) return undefined
  return {
    ...(m[1] !== undefined ? { column: columnIndex(m[1]) } : {}),
    ...(row !== undefined ? { row } : {})
  }
}

/** Split `Sheet!A1:B2` into the sheet title (unquoted) and the cell part; a bare title has no cell part. */
export const splitSheet = (text: string): { readonly sheet?: string; readonly cells?: string } => {
  const trimmed = text.trim()
  if (trimmed.startsWith("'")) {
    let i = 1
    let title = ""
    while (i < trimmed.length) {
      const ch = trimmed[i]!
      if (ch === "'") {
        if (trimmed[i + 1] === "'") {
          title += "'"
          i += 2
          continue
        }
        break
      }
      title += ch
      i++
    }
    const rest = trimmed.slice(i + 1)
    if (rest === "") return { sheet: title }
    if (!rest.startsWith("!")) return { cells: trimmed }
    return { sheet: title, cells: rest.slice(1) }
  }
  const bang = trimmed.lastIndexOf("!")
  if (bang >= 0) return { sheet: trimmed.slice(0, bang), cells: trimmed.slice(bang + 1) }
  return { cells: trimmed }
}

/**
 * Parse an A1 range. `knownSheet` tells whether a bare word is a sheet title (Google reads `People` as the
 * whole sheet when such a sheet exists). Returns undefined when the text is not A1 notation.
 */
export const parseRange = (
  text: string,
  isSheet: (name: string) => boolean = () => false
): A1Range | undefined => {
  const { sheet, cells } = splitSheet(text)
  if (cells === undefined) return sheet === undefined ? undefined : { sheet }
  if (sheet === undefined && isSheet(cells.trim())) return { sheet: cells.trim() }
  const [from, to, extra] = cells.split(":")
  if (from === undefined || extra !== undefined) return undefined
  const a = parseCell(from)
  if (!a) return undefined
  const b = to === undefined ? a : parseCell(to)
  if (!b) return undefined
  // `A:C` (columns) and `3:7` (rows) must be of the same kind on both sides; `A3:C` is open-ended downwards.
  if (to !== undefined && a.column === undefined && b.column !== undefined) return undefined
  if (to !== undefined && a.row === undefined && b.row !== undefined) return undefined
  const range: A1Range = {
    ...(sheet !== undefined ? { sheet } : {}),
    ...(a.column !== undefined ? { startColumn: Math.min(a.column, b.column ?? a.column) } : {}),
    ...(a.row !== undefined ? { startRow: Math.min(a.row, b.row ?? a.row) } : {}),
    ...(b.column !== undefined ? { endColumn: Math.max(b.column, a.column ?? b.column) } : {}),
    ...(b.row !== undefined ? { endRow: Math.max(b.row, a.row ?? b.row) } : {})
  }
  return range
}

/** `'My sheet'!B3:F120` from a title and closed bounds (rows 1-based, columns 0-based). */
export const formatRange = (
  sheet: string,
  startColumn: number,
  startRow: number,
  endColumn: number,
  endRow: number
): string =>
  `${quoteSheet(sheet)}!${columnLetter(startColumn)}${startRow}:${columnLetter(endColumn)}${endRow}`

/** `'My sheet'!B12`: the location of one cell. */
export const formatCell = (sheet: string, column: number, row: number): string =>
  `${quoteSheet(sheet)}!${columnLetter(column)}${row}`
