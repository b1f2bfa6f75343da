import { Effect, Exit, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSheetsSource } from "../src/index.ts"
import { FakeSheetsServer } from "../src/testing.ts"
import { errorOf, parse, rawConfig, readAll, rowsOf, SPREADSHEET_ID, startFake } from "./helpers.ts"

const { dateCell } = FakeSheetsServer

/** A hand-kept staff list: a merged title, a blank row, a header on row 3 with a merged "Name" over B:C. */
const staffRows: ReadonlyArray<ReadonlyArray<FakeSheetsServer.CellInput>> = [
  ["ACME staff list — updated weekly"],
  [],
  ["Employee ID", " Name ", "", "Work e-mail ", "Hire date", "Department", "Active"],
  ["E1", "Ann", "Lee", "ann@acme.example", dateCell("2021-04-12", "2021-04-12"), "Sales", { value: true }],
  [],
  ["E2", "Bob"],
  ["  ", "", "   "],
  [
    "E3",
    "Zoë",
    "Ångström",
    "zoe@例え.jp",
    dateCell("2022-11-03", "11/3/2022"),
    "Forschung & Entwicklung 👩‍🔬",
    { value: false }
  ],
  [
    "E4",
    "Maria",
    "  Smith  ",
    "maria@acme.example",
    dateCell("2024-03-01", "1 Mar 2024"),
    "Ops",
    { value: 1.5 },
    "",
    "scratch note"
  ],
  ["E5", "Sam", "Wu", "sam@acme.example", "2023-07-15", "Ops"]
]

let fake: FakeSheetsServer.FakeSheetsServer

beforeAll(async () => {
  fake = await startFake({
    spreadsheets: [
      {
        id: SPREADSHEET_ID,
        title: "HR",
        sheets: [
          { title: "Readme", rows: [["This spreadsheet feeds Okta"]] },
          { title: "Staff", sheetId: 777, rows: staffRows, merges: ["A1:G1", "B3:C3"] },
          {
            title: "Équipe 2024",
            sheetId: 42,
            rows: [
              ["id", "nom"],
              ["F1", "Éloïse"],
              ["F2", "Þórr"]
            ]
          }
        ]
      }
    ]
  })
})
afterAll(() => fake.close())

const read = (over: Record<string, unknown>) => Effect.runPromise(readAll(rawConfig(fake, over)))
const dataOf = async (over: Record<string, unknown>) => rowsOf((await read(over)).exit).map((r) => r.data)

describe("header handling", () => {
  it("reads a header on row 3 under a merged title; rows above it are ignored", async () => {
    const rows = rowsOf((await read({ sheet: "Staff", headerRow: 3 })).exit)
    expect(rows.map((r) => r.location)).toEqual(["Staff!A4", "Staff!A6", "Staff!A8", "Staff!A9", "Staff!A10"])
    expect(Object.keys(rows[0]!.data)).toEqual([
      "Employee ID",
      "Name",
      "C",
      "Work e-mail",
      "Hire date",
      "Department",
      "Active"
    ])
    expect(rows[0]!.data).toMatchObject({
      "Employee ID": "E1",
      Name: "Ann",
      C: "Lee",
      "Work e-mail": "ann@acme.example"
    })
  })

  it("names an empty header cell (the right part of a merged header) by its column letter, which columns can rename", async () => {
    const data = await dataOf({
      sheet: "Staff",
      headerRow: 3,
      columns: { "Employee ID": "id", Name: "firstName", C: "lastName", "Work e-mail": "email" }
    })
    expect(data[0]).toMatchObject({ id: "E1", firstName: "Ann", lastName: "Lee", email: "ann@acme.example" })
    expect(Object.keys(data[0]!)).toEqual([
      "id",
      "firstName",
      "lastName",
      "email",
      "Hire date",
      "Department",
      "Active"
    ])
  })

  it("defaults the header to the first row of the tab or of the range", async () => {
    const firstRow = rowsOf((await read({ sheet: "Staff" })).exit)
    expect(Object.keys(firstRow[0]!.data)[0]).toBe("ACME staff list — updated weekly")
    const ranged = rowsOf((await read({ range: "Staff!A3:G" })).exit)
    expect(ranged[0]!.data["Employee ID"]).toBe("E1")
  })

  it("fails with a readable Decode error when the header row is empty", async () => {
    const error = errorOf((await read({ sheet: "Staff", headerRow: 2 })).exit)
    expect(error.reason).toBe("Decode")
    expect(error.message).toContain("header row Staff!2:2 is empty")
    expect(error.location).toBe("Staff!A2")
  })

  it("refuses duplicate column names and renames of columns that do not exist", async () => {
    const duplicate = errorOf((await read({ sheet: "Staff", headerRow: 3, columns: { C: "Name" } })).exit)
    expect(duplicate.reason).toBe("Decode")
    expect(duplicate.message).toMatch(/two columns "Name" \(B and C\)/)
    const unknown = errorOf(
      (await read({ sheet: "Staff", headerRow: 3, columns: { "E-mail": "email" } })).exit
    )
    expect(unknown.reason).toBe("Config")
    expect(unknown.message).toContain('columns renames "E-mail"')
    expect(unknown.message).toContain("Work e-mail")
  })
})

describe("blank and ragged rows", () => {
  it("skips blank and whitespace-only rows, pads ragged rows, keeps cells right of the header under their letter", async () => {
    const data = await dataOf({ sheet: "Staff", headerRow: 3 })
    expect(data.map((d) => d["Employee ID"])).toEqual(["E1", "E2", "E3", "E4", "E5"])
    expect(data[1]).toEqual({
      "Employee ID": "E2",
      Name: "Bob",
      C: "",
      "Work e-mail": "",
      "Hire date": "",
      Department: "",
      Active: ""
    })
    expect(data[3]!["I"]).toBe("scratch note")
    expect(data[3]!["H"]).toBeUndefined()
    expect(data[3]!["C"]).toBe("  Smith  ") // trimming is core's normalize step
  })

  it("keeps blank rows, each with its own location, when skipBlankRows is false", async () => {
    const rows = rowsOf(
      (await read({ sheet: "Staff", headerRow: 3, skipBlankRows: false, range: "A3:G10" })).exit
    )
    expect(rows.map((r) => r.location)).toEqual([
      "Staff!A4",
      "Staff!A5",
      "Staff!A6",
      "Staff!A7",
      "Staff!A8",
      "Staff!A9",
      "Staff!A10"
    ])
    expect(Object.values(rows[1]!.data).every((v) => v === "")).toBe(true)
  })
})

describe("dates", () => {
  const formats = ["yyyy-MM-dd", "M/d/yyyy", "d MMM yyyy"]

  it("parses dates displayed in three formats (FORMATTED_VALUE) into ISO dates", async () => {
    const data = await dataOf({
      sheet: "Staff",
      headerRow: 3,
      dateHandling: { columns: ["Hire date"], formats }
    })
    expect(data.map((d) => d["Hire date"])).toEqual([
      "2021-04-12",
      "",
      "2022-11-03",
      "2024-03-01",
      "2023-07-15"
    ])
  })

  it("without dateHandling, FORMATTED_VALUE gives the text as shown", async () => {
    const data = await dataOf({ sheet: "Staff", headerRow: 3 })
    expect(data.map((d) => d["Hire date"])).toEqual([
      "2021-04-12",
      "",
      "11/3/2022",
      "1 Mar 2024",
      "2023-07-15"
    ])
    expect(data[0]!["Active"]).toBe("TRUE")
  })

  it("converts serial numbers (UNFORMATTED_VALUE + SERIAL_NUMBER) in auto-detected date columns only", async () => {
    const data = await dataOf({ sheet: "Staff", headerRow: 3, valueRenderOption: "UNFORMATTED_VALUE" })
    expect(data.map((d) => d["Hire date"])).toEqual([
      "2021-04-12",
      "",
      "2022-11-03",
      "2024-03-01",
      "2023-07-15"
    ])
    expect(data[0]!["Active"]).toBe(true) // booleans and numbers stay typed; only date-formatted columns convert
    expect(data[3]!["Active"]).toBe(1.5)
    expect(fake.requests.some((r) => r.kind === "metadata" && r.ranges[0] === "Staff!A4:Z53")).toBe(true) // formats of the first 50 data rows
  })

  it("gives date and time with output: datetime", async () => {
    fake.setCell(SPREADSHEET_ID, "Staff", "E4", dateCell("2021-04-12T09:30", "2021-04-12 9:30"))
    try {
      const data = await dataOf({
        sheet: "Staff",
        headerRow: 3,
        valueRenderOption: "UNFORMATTED_VALUE",
        dateHandling: { output: "datetime" }
      })
      expect(data[0]!["Hire date"]).toBe("2021-04-12T09:30:00")
    } finally {
      fake.setCell(SPREADSHEET_ID, "Staff", "E4", dateCell("2021-04-12", "2021-04-12"))
    }
  })

  it("keeps an unparseable date by default, or fails at that cell with onInvalid: fail", async () => {
    const kept = await dataOf({ sheet: "Staff", headerRow: 3, dateHandling: { columns: ["Hire date"] } })
    expect(kept[2]!["Hire date"]).toBe("11/3/2022")
    const error = errorOf(
      (
        await read({
          sheet: "Staff",
          headerRow: 3,
          dateHandling: { columns: ["Hire date"], onInvalid: "fail" }
        })
      ).exit
    )
    expect(error.reason).toBe("Decode")
    expect(error.location).toBe("Staff!E8")
    expect(error.message).toContain('"11/3/2022" in date column Hire date is not a date')
  })

  it("rejects date columns that are not in the header", async () => {
    const error = errorOf(
      (await read({ sheet: "Staff", headerRow: 3, dateHandling: { columns: ["Start"] } })).exit
    )
    expect(error.reason).toBe("Config")
    expect(error.message).toContain('dateHandling.columns names "Start"')
  })
})

describe("Unicode", () => {
  it("keeps non-ASCII text, sheet titles and emoji intact, and quotes titles in locations", async () => {
    const data = await dataOf({ sheet: "Staff", headerRow: 3 })
    expect(data[2]).toMatchObject({
      Name: "Zoë",
      C: "Ångström",
      "Work e-mail": "zoe@例え.jp",
      Department: "Forschung & Entwicklung 👩‍🔬"
    })
    const rows = rowsOf((await read({ sheet: "Équipe 2024" })).exit)
    expect(rows).toEqual([
      { data: { id: "F1", nom: "Éloïse" }, location: "'Équipe 2024'!A2" },
      { data: { id: "F2", nom: "Þórr" }, location: "'Équipe 2024'!A3" }
    ])
  })
})

describe("choosing the tab and range", () => {
  it("reads the first tab by default, or the tab of a URL's gid", async () => {
    const first = rowsOf((await read({})).exit)
    expect(first).toEqual([])
    const url = `https://docs.google.com/spreadsheets/d/${SPREADSHEET_ID}/edit#gid=42`
    const byGid = rowsOf((await read({ spreadsheetId: url })).exit)
    expect(byGid.map((r) => r.data["nom"])).toEqual(["Éloïse", "Þórr"])
  })

  it("reads only the columns of a range and locates rows at the range's first column", async () => {
    const rows = rowsOf((await read({ sheet: "Staff", range: "B3:D" })).exit)
    expect(rows[0]).toEqual({
      data: { Name: "Ann", C: "Lee", "Work e-mail": "ann@acme.example" },
      location: "Staff!B4"
    })
  })

  it("check succeeds for an existing tab and fails NotFound (listing the tabs) for a missing one", async () => {
    const ok = await Effect.runPromiseExit(
      Effect.scoped(
        Effect.flatMap(
          makeSheetsSource(parse(rawConfig(fake, { sheet: "Staff" })), { baseDir: "." }),
          (s) => s.check
        )
      )
    )
    expect(Exit.isSuccess(ok)).toBe(true)
    const missing = await Effect.runPromiseExit(
      Effect.scoped(
        Effect.flatMap(
          makeSheetsSource(parse(rawConfig(fake, { sheet: "Staf" })), { baseDir: "." }),
          (s) => s.check
        )
      )
    )
    const error = errorOf(missing)
    expect(error.reason).toBe("NotFound")
    expect(error.message).toBe('spreadsheet "HR" has no tab "Staf" (tabs: Readme, Staff, Équipe 2024)')
  })

  it("fails with Config when the range starts outside the grid", async () => {
    const error = errorOf((await read({ sheet: "Staff", range: "A2000:C" })).exit)
    expect(error.reason).toBe("Config")
    expect(error.message).toContain("has 1000 rows and 26 columns")
  })

  it("reads nothing until the stream runs, and reports what it read in the fingerprint", async () => {
    fake.clearLog()
    const result = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const source = yield* makeSheetsSource(parse(rawConfig(fake, { sheet: "Staff", headerRow: 3 })), {
            baseDir: "."
          })
          const stream = source.read.pipe(Stream.map((r) => r.location))
          const before = fake.count()
          const rows = yield* Stream.runCollect(stream)
          return {
            before,
            rows: rows.length,
            fingerprint: yield* source.fingerprint!,
            stats: yield* source.stats
          }
        })
      )
    )
    expect(result.before).toBe(0)
    expect(result.rows).toBe(5)
    expect(result.fingerprint).toMatch(
      /^google-sheets 1PeopleSheet_0123456789abcdef Staff gid=777 A3:Z1000 rows=5 sha256=[0-9a-f]{64}$/
    )
    // metadata, one page (the tab fits), metadata again
    expect(fake.requests.filter((r) => r.kind !== "token").map((r) => r.kind)).toEqual([
      "metadata",
      "values",
      "metadata"
    ])
    expect(result.stats).toMatchObject({ requests: 3, retries: 0, rateLimited: 0 })
  })
})
