import { describe, expect, it } from "vitest"
import * as SheetDates from "../src/SheetDates.ts"

describe("SheetDates", () => {
  it("counts serial numbers from the 1899-12-30 epoch", () => {
    expect(SheetDates.fromSerial(0)).toBe("1899-12-30")
    expect(SheetDates.fromSerial(1)).toBe("1899-12-31")
    expect(SheetDates.fromSerial(61)).toBe("1900-03-01") // Sheets has no fictitious 1900-02-29 (unlike Excel)
    expect(SheetDates.fromSerial(45352)).toBe("2024-03-01")
    expect(SheetDates.fromSerial(45352.75, "datetime")).toBe("2024-03-01T18:00:00")
    expect(SheetDates.fromSerial(45352 + 86399 / 86400, "datetime")).toBe("2024-03-01T23:59:59") // binary fractions round to the second
    expect(SheetDates.fromSerial(-1)).toBeUndefined()
    expect(SheetDates.fromSerial(Number.NaN)).toBeUndefined()
    expect(SheetDates.fromSerial(SheetDates.MAX_SERIAL)).toBe("9999-12-31")
  })

  it("round-trips ISO dates through serials", () => {
    for (const iso of ["1900-01-01", "1970-01-01", "2000-02-29", "2024-03-01", "2038-01-19"]) {
      expect(SheetDates.fromSerial(SheetDates.toSerial(iso))).toBe(iso)
    }
    expect(SheetDates.toSerial("2024-03-01T12:00")).toBe(45352.5)
  })

  it("parses text with date-fns patterns, strictly and whole-string", () => {
    expect(SheetDates.parseWith("3/1/2024", "M/d/yyyy")).toBe("2024-03-01")
    expect(SheetDates.parseWith("01.03.2024", "dd.MM.yyyy")).toBe("2024-03-01")
    expect(SheetDates.parseWith("1 Mar 2024", "d MMM yyyy")).toBe("2024-03-01")
    expect(SheetDates.parseWith("2024-02-30", "yyyy-MM-dd")).toBeUndefined()
    expect(SheetDates.parseWith("2024-03-01 extra", "yyyy-MM-dd")).toBeUndefined()
    expect(SheetDates.parseWith("24-03-01", "yyyy-MM-dd")).toBeUndefined()
  })

  it("converts a cell: numbers as serials, text by formats in order, digits as serials, blanks untouched", () => {
    const formats = ["yyyy-MM-dd", "M/d/yyyy", "d MMM yyyy"]
    expect(SheetDates.convert(45352, formats)).toBe("2024-03-01")
    expect(SheetDates.convert("2024-03-01", formats)).toBe("2024-03-01")
    expect(SheetDates.convert(" 3/1/2024 ", formats)).toBe("2024-03-01")
    expect(SheetDates.convert("1 Mar 2024", formats)).toBe("2024-03-01")
    expect(SheetDates.convert("45352", formats)).toBe("2024-03-01")
    expect(SheetDates.convert("", formats)).toBe("")
    expect(SheetDates.convert("next Tuesday", formats)).toBeUndefined()
    expect(SheetDates.convert(true, formats)).toBeUndefined()
  })
})
