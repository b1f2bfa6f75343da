import { describe, expect, it } from "vitest"
import {
  columnIndex,
  columnLetter,
  formatCell,
  formatRange,
  parseRange,
  quoteSheet,
  splitSheet
} from "../src/internal/a1.ts"
import { parseSpreadsheetRef } from "../src/GoogleSheetsConfig.ts"

describe("A1 notation", () => {
  it("converts column letters both ways, past Z and ZZ", () => {
    const cases: Array<[number, string]> = [
      [0, "A"],
      [25, "Z"],
      [26, "AA"],
      [51, "AZ"],
      [52, "BA"],
      [701, "ZZ"],
      [702, "AAA"],
      [16383, "XFD"]
    ]
    for (const [index, letters] of cases) {
      expect(columnLetter(index)).toBe(letters)
      expect(columnIndex(letters)).toBe(index)
      expect(columnIndex(letters.toLowerCase())).toBe(index)
    }
  })

  it("quotes sheet titles only when A1 needs it, doubling quotes", () => {
    expect(quoteSheet("People")).toBe("People")
    expect(quoteSheet("My people")).toBe("'My people'")
    expect(quoteSheet("It's")).toBe("'It''s'")
    expect(quoteSheet("A1")).toBe("'A1'") // would read as a cell
    expect(quoteSheet("Équipe")).toBe("'Équipe'")
    expect(quoteSheet("2024")).toBe("'2024'")
  })

  it("splits quoted and unquoted sheet names from the cell part", () => {
    expect(splitSheet("'It''s here'!A1:B2")).toEqual({ sheet: "It's here", cells: "A1:B2" })
    expect(splitSheet("People!A:C")).toEqual({ sheet: "People", cells: "A:C" })
    expect(splitSheet("'People'")).toEqual({ sheet: "People" })
    expect(splitSheet("B3:F")).toEqual({ cells: "B3:F" })
  })

  it("parses closed, open-ended, column-only, row-only and single-cell ranges", () => {
    expect(parseRange("People!A3:F120")).toEqual({
      sheet: "People",
      startColumn: 0,
      startRow: 3,
      endColumn: 5,
      endRow: 120
    })
    expect(parseRange("A3:F")).toEqual({ startColumn: 0, startRow: 3, endColumn: 5 })
    expect(parseRange("'My sheet'!B:D")).toEqual({ sheet: "My sheet", startColumn: 1, endColumn: 3 })
    expect(parseRange("3:100")).toEqual({ startRow: 3, endRow: 100 })
    expect(parseRange("C7")).toEqual({ startColumn: 2, startRow: 7, endColumn: 2, endRow: 7 })
    expect(parseRange("$A$1:$B$2")).toEqual({ startColumn: 0, startRow: 1, endColumn: 1, endRow: 2 })
    expect(parseRange("F10:A1")).toEqual({ startColumn: 0, startRow: 1, endColumn: 5, endRow: 10 })
    expect(parseRange("People", (n) => n === "People")).toEqual({ sheet: "People" })
  })

  it("rejects what is not A1", () => {
    for (const bad of ["A1:B2:C3", "A0", "B:3", "3:B", "", "hello world", "ABCD1"])
      expect(parseRange(bad), bad).toBeUndefined()
  })

  it("formats ranges and cells with quoting", () => {
    expect(formatRange("My people", 1, 3, 5, 5002)).toBe("'My people'!B3:F5002")
    expect(formatCell("People", 0, 12)).toBe("People!A12")
  })
})

describe("parseSpreadsheetRef", () => {
  it("takes a bare ID or any Google Sheets URL, with its gid", () => {
    const id = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd"
    expect(parseSpreadsheetRef(id)).toEqual({ id })
    expect(parseSpreadsheetRef(`https://docs.google.com/spreadsheets/d/${id}/edit#gid=1234`)).toEqual({
      id,
      gid: 1234
    })
    expect(parseSpreadsheetRef(`https://docs.google.com/spreadsheets/u/1/d/${id}/edit?usp=sharing`)).toEqual({
      id
    })
    expect(parseSpreadsheetRef(`https://docs.google.com/spreadsheets/d/${id}/edit?gid=7#gid=7`)).toEqual({
      id,
      gid: 7
    })
    expect(parseSpreadsheetRef("https://example.com/not/a/sheet")).toBeUndefined()
    expect(parseSpreadsheetRef("short")).toBeUndefined()
  })
})
