import { describe, expect, it } from "vitest"
import { entriesCsv, entriesCsvLines } from "../src/commands/State.ts"

const entry = (externalId: string, profile: Record<string, string | null>) => ({
  kind: "user" as const,
  externalId,
  hash: "h",
  status: "ACTIVE" as const,
  profile,
  location: "people.csv:2",
  firstSeen: "2026-11-28T10:00:00.000Z",
  lastSeen: "2026-11-28T11:00:00.000Z",
  lastRunId: "run-1"
})

describe("state export --format csv", () => {
  it("writes one column per attribute across all records, quoting where needed", () => {
    const csv = entriesCsv([entry("E1", { email: "a@example.com", title: "Director, Sales" }), entry("E2", { city: 'São "Paulo"', email: null })])
    const [header, first, second] = csv.trimEnd().split("\n")
    expect(header).toBe("externalId,status,firstSeen,lastSeen,location,city,email,title")
    expect(first).toBe('E1,ACTIVE,2026-11-28T10:00:00.000Z,2026-11-28T11:00:00.000Z,people.csv:2,,a@example.com,"Director, Sales"')
    expect(second).toBe('E2,ACTIVE,2026-11-28T10:00:00.000Z,2026-11-28T11:00:00.000Z,people.csv:2,"São ""Paulo""",,')
  })

  it("defuses spreadsheet formulas in values", () => {
    const csv = entriesCsv([entry("E1", { title: "=HYPERLINK(\"http://x\")", phone: "+1 555" })])
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`)
    expect(csv).toContain(",'+1 555,")
  })
})

describe("state export is produced line by line", () => {
  it("one line per record after the header, the same text as the whole export", () => {
    const entries = Array.from({ length: 1_000 }, (_, i) => entry(`E${i}`, { email: `u${i}@example.com` }))
    const lines = [...entriesCsvLines(entries)]
    expect(lines).toHaveLength(1_001)
    expect(`${lines.join("\n")}\n`).toBe(entriesCsv(entries))
  })
})
