import { SourceConformance } from "@anysource/core/testing"
import { GoogleSheetsSource } from "../src/index.ts"
import type { FakeSheetsServer } from "../src/testing.ts"
import { rawConfig, SPREADSHEET_ID, startFake } from "./helpers.ts"

let fake: FakeSheetsServer.FakeSheetsServer
const people = Array.from({ length: 120 }, (_, i) => [`E${i}`, `Person ${i}`, `p${i}@example.com`])

SourceConformance.run({
  definition: GoogleSheetsSource,
  // 120 rows in pages of 50: the paged path (and its verification) runs, not just the one-request path.
  validConfig: () => rawConfig(fake, { sheet: "People", pageSize: 50 }),
  invalidConfigs: [
    {},
    { spreadsheetId: "not a sheet", auth: { type: "apiKey", key: "k" } },
    { spreadsheetId: SPREADSHEET_ID },
    { spreadsheetId: SPREADSHEET_ID, auth: { type: "serviceAccount" } },
    { spreadsheetId: SPREADSHEET_ID, auth: { type: "apiKey", key: "k" }, range: "A1:B2:C3" },
    { spreadsheetId: SPREADSHEET_ID, auth: { type: "apiKey", key: "k" }, headerRow: 0 },
    { spreadsheetId: SPREADSHEET_ID, auth: { type: "apiKey", key: "k" }, sheet: "A", range: "B!A1:C" },
    { spreadsheetId: SPREADSHEET_ID, auth: { type: "apiKey", key: "k" }, valueRenderOption: "FORMULA" },
    {
      spreadsheetId: SPREADSHEET_ID,
      auth: { type: "apiKey", key: "k" },
      dateHandling: { formats: ["yyyy-MM-dd", "nonsense Q"] }
    },
    { spreadsheetId: SPREADSHEET_ID, auth: { type: "oauth", clientId: "c" } }
  ],
  expectedRows: 120,
  failingConfig: () => rawConfig(fake, { spreadsheetId: "1MissingSheet_0123456789" }),
  setup: async () => {
    fake = await startFake({
      spreadsheets: [
        {
          id: SPREADSHEET_ID,
          title: "HR",
          sheets: [{ title: "People", rows: [["id", "name", "email"], ...people] }]
        }
      ]
    })
  },
  teardown: () => fake.close(),
  upstreamReads: () => fake.count()
})
