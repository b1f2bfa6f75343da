import { auth, sheets } from "@googleapis/sheets"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { FakeSheetsServer } from "../src/testing.ts"

const ID = "1FakeSelfTest_0123456789"
let fake: FakeSheetsServer.FakeSheetsServer
let now = Date.UTC(2026, 0, 1, 12, 0, 0)

beforeAll(async () => {
  fake = await FakeSheetsServer.start({
    apiKeys: ["key-1"],
    accessTokens: [
      { token: "static-ok", principal: "reader@acme.example" },
      { token: "static-expired", principal: "reader@acme.example", expiresAt: 0 }
    ],
    oauthClients: [
      { clientId: "cid", clientSecret: "csecret", refreshToken: "rt", principal: "reader@acme.example" }
    ],
    now: () => now,
    spreadsheets: [
      {
        id: ID,
        title: "Self test",
        public: true,
        sheets: [
          {
            title: "My tab",
            rows: [
              ["name", "born", "n", "ok"],
              ["Ann", FakeSheetsServer.dateCell("1990-05-17", "5/17/1990"), 1234.5, true],
              [],
              ["Bob", "", "", "", "", ""]
            ],
            rowCount: 10,
            columnCount: 6,
            merges: ["A1:B1"]
          }
        ]
      }
    ]
  })
})
afterAll(() => fake.close())

const client = (authValue: unknown = "key-1") =>
  sheets({ version: "v4", auth: authValue as string, rootUrl: fake.url, retry: false })
const failure = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    const err = e as { status?: number; response?: { data?: unknown; headers?: Headers } }
    return { status: err.status, body: err.response?.data, headers: err.response?.headers }
  }
  throw new Error("expected the call to fail")
}

describe("FakeSheetsServer with the real googleapis client", () => {
  it("values.get: A1 ranges, quoting, trailing empty cells and rows left out, clipped to the grid", async () => {
    const r = await client().spreadsheets.values.get({ spreadsheetId: ID, range: "'My tab'!A1:Z100" })
    expect(r.data).toEqual({
      range: "'My tab'!A1:F10",
      majorDimension: "ROWS",
      values: [["name", "born", "n", "ok"], ["Ann", "5/17/1990", "1234.5", "TRUE"], [], ["Bob"]]
    })
    const cols = await client().spreadsheets.values.get({ spreadsheetId: ID, range: "'My tab'!B:C" })
    expect(cols.data.values).toEqual([
      ["born", "n"],
      ["5/17/1990", "1234.5"]
    ])
    const rows = await client().spreadsheets.values.get({ spreadsheetId: ID, range: "'My tab'!4:4" })
    expect(rows.data).toMatchObject({ range: "'My tab'!A4:F4", values: [["Bob"]] })
    const empty = await client().spreadsheets.values.get({ spreadsheetId: ID, range: "'My tab'!A5:F10" })
    expect(empty.data.values).toBeUndefined()
  })

  it("valueRenderOption and dateTimeRenderOption", async () => {
    const get = (valueRenderOption: string, dateTimeRenderOption?: string) =>
      client()
        .spreadsheets.values.get({
          spreadsheetId: ID,
          range: "'My tab'!A2:D2",
          valueRenderOption,
          ...(dateTimeRenderOption ? { dateTimeRenderOption } : {})
        })
        .then((r) => r.data.values?.[0])
    expect(await get("FORMATTED_VALUE")).toEqual(["Ann", "5/17/1990", "1234.5", "TRUE"])
    expect(await get("UNFORMATTED_VALUE")).toEqual(["Ann", 33010, 1234.5, true]) // SERIAL_NUMBER is Google's default
    expect(await get("UNFORMATTED_VALUE", "FORMATTED_STRING")).toEqual(["Ann", "5/17/1990", 1234.5, true])
  })

  it("values:batchGet answers several ranges from one snapshot", async () => {
    const r = await client().spreadsheets.values.batchGet({
      spreadsheetId: ID,
      ranges: ["'My tab'!A1:A2", "'My tab'!D2"]
    })
    expect(r.data).toEqual({
      spreadsheetId: ID,
      valueRanges: [
        { range: "'My tab'!A1:A2", majorDimension: "ROWS", values: [["name"], ["Ann"]] },
        { range: "'My tab'!D2:D2", majorDimension: "ROWS", values: [["TRUE"]] }
      ]
    })
  })

  it("spreadsheets.get: metadata with grid properties and merges; grid data with number formats for ranges", async () => {
    const meta = await client().spreadsheets.get({ spreadsheetId: ID })
    expect(meta.data.properties).toMatchObject({ title: "Self test", timeZone: "Etc/GMT" })
    expect(meta.data.sheets?.[0]).toEqual({
      properties: {
        sheetId: 0,
        title: "My tab",
        index: 0,
        sheetType: "GRID",
        gridProperties: { rowCount: 10, columnCount: 6 }
      },
      merges: [{ sheetId: 0, startRowIndex: 0, endRowIndex: 1, startColumnIndex: 0, endColumnIndex: 2 }]
    })
    const grid = await client().spreadsheets.get({
      spreadsheetId: ID,
      ranges: ["'My tab'!B2:C2"],
      fields: "sheets(data(rowData(values(effectiveFormat))))"
    })
    expect(grid.data.sheets?.[0]?.data?.[0]?.rowData?.[0]?.values).toEqual([
      {
        effectiveValue: { numberValue: 33010 },
        formattedValue: "5/17/1990",
        effectiveFormat: { numberFormat: { type: "DATE" } }
      },
      { effectiveValue: { numberValue: 1234.5 }, formattedValue: "1234.5" }
    ])
  })

  it("auth: Bearer tokens (static, expired), refresh-token grant, and Google's error shapes", async () => {
    const bearer = (token: string) => {
      const o = new auth.OAuth2()
      o.setCredentials({ access_token: token })
      return o
    }
    fake.setPublic(ID, false)
    try {
      expect(
        (await client(bearer("static-ok")).spreadsheets.values.get({ spreadsheetId: ID, range: "A1" })).data
          .values
      ).toEqual([["name"]])
      expect(
        await failure(
          client(bearer("static-expired")).spreadsheets.values.get({ spreadsheetId: ID, range: "A1" })
        )
      ).toMatchObject({
        status: 401,
        body: { error: { code: 401, status: "UNAUTHENTICATED" } }
      })
      expect(
        await failure(client().spreadsheets.values.get({ spreadsheetId: ID, range: "A1" }))
      ).toMatchObject({
        status: 403,
        body: {
          error: { code: 403, message: "The caller does not have permission", status: "PERMISSION_DENIED" }
        }
      })
      expect(
        await failure(client("nope").spreadsheets.values.get({ spreadsheetId: ID, range: "A1" }))
      ).toMatchObject({
        status: 400,
        body: {
          error: {
            status: "INVALID_ARGUMENT",
            details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }]
          }
        }
      })
      const o = new auth.OAuth2({
        clientId: "cid",
        clientSecret: "csecret",
        endpoints: { oauth2TokenUrl: fake.tokenUrl }
      })
      o.setCredentials({ refresh_token: "rt" })
      expect((await client(o).spreadsheets.get({ spreadsheetId: ID })).status).toBe(200)
      fake.revokeRefreshToken("rt")
      const revoked = new auth.OAuth2({
        clientId: "cid",
        clientSecret: "csecret",
        endpoints: { oauth2TokenUrl: fake.tokenUrl }
      })
      revoked.setCredentials({ refresh_token: "rt" })
      expect(await failure(client(revoked).spreadsheets.get({ spreadsheetId: ID }))).toMatchObject({
        status: 400,
        body: { error: "invalid_grant", error_description: "Token has been expired or revoked." }
      })
    } finally {
      fake.setPublic(ID, true)
    }
    expect(await failure(client().spreadsheets.get({ spreadsheetId: "1Missing_0123456789" }))).toMatchObject({
      status: 404,
      body: { error: { code: 404, message: "Requested entity was not found.", status: "NOT_FOUND" } }
    })
    expect(
      await failure(client().spreadsheets.values.get({ spreadsheetId: ID, range: "Nope!A1" }))
    ).toMatchObject({
      status: 400,
      body: { error: { message: "Unable to parse range: Nope!A1" } }
    })
  })

  it("a per-minute quota answers 429 RESOURCE_EXHAUSTED until the next minute", async () => {
    fake.clearLog()
    fake.setQuota(3)
    now = Date.UTC(2026, 0, 1, 12, 5, 0)
    try {
      for (let i = 0; i < 3; i++) await client().spreadsheets.get({ spreadsheetId: ID })
      const limited = await failure(client().spreadsheets.get({ spreadsheetId: ID }))
      expect(limited).toMatchObject({
        status: 429,
        body: {
          error: {
            code: 429,
            status: "RESOURCE_EXHAUSTED",
            details: [{ reason: "RATE_LIMIT_EXCEEDED", metadata: { quota_limit_value: "3" } }]
          }
        }
      })
      now += 60_000
      expect((await client().spreadsheets.get({ spreadsheetId: ID })).status).toBe(200)
      expect(fake.countStatus(429)).toBe(1)
      expect(fake.count("metadata")).toBe(5)
    } finally {
      fake.setQuota(undefined)
    }
  })

  it("edits between calls: cells, inserted and deleted rows, renamed tabs; injected faults with headers", async () => {
    fake.setCell(ID, "My tab", "B4", "again")
    expect(
      (await client().spreadsheets.values.get({ spreadsheetId: ID, range: "'My tab'!A4:B4" })).data.values
    ).toEqual([["Bob", "again"]])
    fake.insertRows(ID, "My tab", 2, 2)
    const grown = await client().spreadsheets.get({ spreadsheetId: ID })
    expect(grown.data.sheets?.[0]?.properties?.gridProperties?.rowCount).toBe(12)
    expect(
      (await client().spreadsheets.values.get({ spreadsheetId: ID, range: "'My tab'!A1:A4" })).data.values
    ).toEqual([["name"], [], [], ["Ann"]])
    fake.deleteRows(ID, "My tab", 2, 2)
    fake.renameSheet(ID, "My tab", "Renamed")
    expect(
      (await client().spreadsheets.values.get({ spreadsheetId: ID, range: "Renamed!A2" })).data.values
    ).toEqual([["Ann"]])
    fake.renameSheet(ID, "Renamed", "My tab")
    fake.failNext(1, { status: 503, headers: { "retry-after": "2" } })
    const f = await failure(client().spreadsheets.values.get({ spreadsheetId: ID, range: "A1" }))
    expect(f.status).toBe(503)
    expect(f.headers?.get("retry-after")).toBe("2")
  })
})
