import { Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSheetsSource } from "../src/index.ts"
import type { FakeSheetsServer } from "../src/testing.ts"
import { errorOf, parse, rawConfig, readAll, rowsOf, SPREADSHEET_ID, startFake } from "./helpers.ts"

const BIG = "1BigSheet_0123456789abcdef"
const SMALL = SPREADSHEET_ID
const BIG_ROWS = 50_000

const person = (i: number) => [`E${i}`, `Person ${i}`, `p${i}@example.com`, i % 7 === 0 ? "Sales" : "Ops"]
const header = ["id", "name", "email", "department"]

let fake: FakeSheetsServer.FakeSheetsServer

const resetSmall = () => {
  fake.removeSpreadsheet(SMALL)
  fake.addSpreadsheet({
    id: SMALL,
    title: "HR",
    sheets: [
      {
        title: "People",
        rows: [header, ...Array.from({ length: 1000 }, (_, i) => person(i))],
        rowCount: 1001,
        columnCount: 4
      }
    ]
  })
}

beforeAll(async () => {
  fake = await startFake({
    spreadsheets: [
      {
        id: BIG,
        title: "Everyone",
        sheets: [
          {
            title: "People",
            rows: [header, ...Array.from({ length: BIG_ROWS }, (_, i) => person(i))],
            columnCount: 4
          }
        ]
      }
    ]
  })
  resetSmall()
})
afterAll(() => fake.close())

const read = (over: Record<string, unknown>) => Effect.runPromise(readAll(rawConfig(fake, over)))
const sheetRequests = () => fake.requests.filter((r) => r.kind !== "token")

describe("paging", () => {
  it(`reads ${BIG_ROWS.toLocaleString("en")} rows in pages of pageSize, then re-reads every page to verify them`, async () => {
    fake.clearLog()
    const result = await read({ spreadsheetId: BIG, pageSize: 5000 })
    const rows = rowsOf(result.exit)
    expect(rows).toHaveLength(BIG_ROWS)
    expect(rows[0]).toEqual({
      data: { id: "E0", name: "Person 0", email: "p0@example.com", department: "Sales" },
      location: "People!A2"
    })
    expect(rows[BIG_ROWS - 1]!.location).toBe(`People!A${BIG_ROWS + 1}`)
    expect(new Set(rows.map((r) => r.data["id"])).size).toBe(BIG_ROWS)

    const values = sheetRequests().filter((r) => r.kind === "values")
    expect(values).toHaveLength(22) // 11 pages, read twice
    expect(values.slice(0, 3).map((r) => r.ranges[0])).toEqual([
      "People!A1:D5000",
      "People!A5001:D10000",
      "People!A10001:D15000"
    ])
    expect(values[10]!.ranges[0]).toBe("People!A50001:D50001")
    expect(values.every((r) => (r.rows ?? 0) <= 5000)).toBe(true)
    expect(sheetRequests().filter((r) => r.kind === "metadata")).toHaveLength(2)
    expect(result.stats).toMatchObject({ requests: 24, retries: 0 })
    expect(result.fingerprint).toMatch(/ A1:D50001 rows=50000 sha256=/)
  })

  it("consistency: edges verifies with one batchGet of the first and last pages", async () => {
    fake.clearLog()
    const result = await read({ spreadsheetId: BIG, pageSize: 10_000, consistency: "edges" })
    expect(rowsOf(result.exit)).toHaveLength(BIG_ROWS)
    const kinds = sheetRequests().map((r) => r.kind)
    expect(kinds).toEqual(["metadata", ...Array(6).fill("values"), "batchGet", "metadata"])
    expect(sheetRequests()[7]!.ranges).toEqual(["People!A1:D10000", "People!A50001:D50001"])
  })

  it("streams: taking the first rows of a paged tab requests only the first page", async () => {
    fake.clearLog()
    const taken = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const source = yield* makeSheetsSource(
            parse(rawConfig(fake, { spreadsheetId: BIG, pageSize: 5000 })),
            { baseDir: "." }
          )
          return yield* Stream.runCollect(source.read.pipe(Stream.take(10)))
        })
      )
    )
    expect(taken.length).toBe(10)
    expect(sheetRequests().map((r) => r.kind)).toEqual(["metadata", "values"])
  })
})

describe("a sheet edited during the read", () => {
  /** Run `edit` once, right after the `n`th values request has been answered. */
  const editAfterValues = (n: number, edit: () => void) => {
    let seen = 0
    const off = fake.onRequest((entry) => {
      if (entry.kind === "values" && ++seen === n) edit()
    })
    return off
  }

  it("an edit to a page already read is detected (consistency: full) and the read fails with Consistency", async () => {
    resetSmall()
    const off = editAfterValues(3, () => fake.setCell(SMALL, "People", "C5", "new-address@example.com"))
    try {
      const result = await read({ sheet: "People", pageSize: 100 })
      const error = errorOf(result.exit)
      expect(error.reason).toBe("Consistency")
      expect(error.retryable).toBe(true)
      expect(error.message).toBe(
        'tab People of spreadsheet "HR" changed while it was being read (rows 1–100 differ on a second read): nothing from this read may be synced — run again once nobody is editing it'
      )
    } finally {
      off()
    }
  })

  it("an edit to the last page after it was read is detected by consistency: edges too", async () => {
    resetSmall()
    // 1001 rows in pages of 100: the 11th values request reads the last page; the edit lands before the batchGet.
    const off = editAfterValues(11, () => fake.setCell(SMALL, "People", "B1001", "Renamed Person"))
    try {
      const error = errorOf((await read({ sheet: "People", pageSize: 100, consistency: "edges" })).exit)
      expect(error.reason).toBe("Consistency")
      expect(error.message).toContain("rows 1001–1001 differ")
    } finally {
      off()
    }
  })

  it("consistency: edges does not see an edit to a middle page made after that page was read (documented trade-off)", async () => {
    resetSmall()
    const off = editAfterValues(6, () => fake.setCell(SMALL, "People", "B250", "Edited Later"))
    try {
      const rows = rowsOf((await read({ sheet: "People", pageSize: 100, consistency: "edges" })).exit)
      expect(rows[248]!.data["name"]).toBe("Person 248") // the old value: read before the edit
      resetSmall()
      const off2 = editAfterValues(6, () => fake.setCell(SMALL, "People", "B250", "Edited Later"))
      try {
        expect(
          errorOf((await read({ sheet: "People", pageSize: 100, consistency: "full" })).exit).reason
        ).toBe("Consistency")
      } finally {
        off2()
      }
    } finally {
      off()
    }
  })

  it("rows inserted mid-read are detected (the grid grew), even with consistency: edges", async () => {
    resetSmall()
    const off = editAfterValues(4, () => fake.insertRows(SMALL, "People", 50, 1))
    try {
      const error = errorOf((await read({ sheet: "People", pageSize: 100, consistency: "edges" })).exit)
      expect(error.reason).toBe("Consistency")
      expect(error.message).toMatch(/changed while it was being read/)
    } finally {
      off()
    }
  })

  it("a tab renamed mid-read is a Consistency error, not NotFound", async () => {
    resetSmall()
    const off = editAfterValues(2, () => fake.renameSheet(SMALL, "People", "People (old)"))
    try {
      const error = errorOf((await read({ sheet: "People", pageSize: 100 })).exit)
      expect(error.reason).toBe("Consistency")
      expect(error.message).toContain("the tab was renamed or deleted")
    } finally {
      off()
    }
  })

  it("a tab that fits in one page is read atomically: an edit right after its one request is not an inconsistency", async () => {
    resetSmall()
    const off = editAfterValues(1, () => fake.setCell(SMALL, "People", "B2", "After the read"))
    try {
      const rows = rowsOf((await read({ sheet: "People", pageSize: 5000 })).exit)
      expect(rows).toHaveLength(1000)
      expect(rows[0]!.data["name"]).toBe("Person 0")
    } finally {
      off()
    }
  })

  it("a row appended past the grid during a one-request read is detected by the metadata check", async () => {
    resetSmall()
    const off = editAfterValues(1, () => fake.setRows(SMALL, "People", 1002, [person(1001)]))
    try {
      const error = errorOf((await read({ sheet: "People", pageSize: 5000 })).exit)
      expect(error.reason).toBe("Consistency")
      expect(error.message).toContain("the grid went from 1001×4 to 1002×4")
    } finally {
      off()
    }
  })
})
