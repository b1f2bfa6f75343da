import { JsonSchema } from "@anysource/core"
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { GoogleSheetsConfig, GoogleSheetsSource } from "../src/index.ts"

const base = { spreadsheetId: "1AbCdEfGhIjKlMnOp", auth: { type: "apiKey", key: "k" } }

describe("GoogleSheetsConfig", () => {
  it("fills defaults and keeps secrets Redacted", () => {
    const config = GoogleSheetsConfig.parse({
      ...base,
      auth: { type: "oauth", clientId: "c", clientSecret: "s3cret", refreshToken: "r3fresh" }
    })
    expect(config).toMatchObject({
      valueRenderOption: "FORMATTED_VALUE",
      dateTimeRenderOption: "SERIAL_NUMBER",
      skipBlankRows: true,
      columns: {},
      pageSize: 5000,
      consistency: "full",
      requestsPerMinute: 60,
      maxRetries: 6
    })
    if (config.auth.type !== "oauth") throw new Error("expected oauth")
    expect(Redacted.isRedacted(config.auth.clientSecret)).toBe(true)
    expect(String(config.auth.refreshToken)).not.toContain("r3fresh")
    expect(JSON.stringify(config)).not.toContain("s3cret")
  })

  it("explains cross-field mistakes", () => {
    const issues = (raw: unknown) => {
      const r = GoogleSheetsConfig.safeParse(raw)
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
    }
    expect(issues({ ...base, range: "A5:F", headerRow: 3 })).toEqual([
      "headerRow: headerRow 3 is outside range A5:F: it is a sheet row number and must lie within the range"
    ])
    expect(issues({ ...base, auth: { type: "serviceAccount", key: "{}", keyFile: "k.json" } })[0]).toContain(
      "not both"
    )
    expect(issues({ ...base, tokenUrl: "https://example.com/token" })[0]).toContain(
      "an API key needs no token"
    )
    expect(issues({ ...base, rootUrl: "ftp://example.com/" })[0]).toMatch(/^rootUrl: /)
  })

  it("contributes a JSON Schema branch with descriptions and secret markers", () => {
    const schema = JSON.stringify(JsonSchema.jsonSchema([GoogleSheetsSource]))
    expect(schema).toContain('"google-sheets"')
    expect(schema).toContain("The sheet row number (1-based) holding the column names")
    expect(schema).toContain('"x-secret":true')
  })
})
