/** What a Lambda refuses before touching anything, through the handler (no database or Okta needed). */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { describe, expect, it } from "vitest"
import * as Env from "../src/Env.ts"
import { makeHandler, statusOf, type LambdaContext } from "../src/handler.ts"
import type * as Logging from "../src/Logging.ts"
import * as Runtime from "../src/Runtime.ts"
import { tempDir } from "./helpers.ts"

const dir = tempDir()
const context: LambdaContext = { getRemainingTimeInMillis: () => 900_000, awsRequestId: "req-1" }

const config = (state: string, orgUrl = "https://example.okta.com") => `version: 1
okta:
  orgUrl: ${orgUrl}
  identitySourceId: 0oaRUNTIME
  auth:
    type: ssws
    token: \${OKTA_API_TOKEN}
source:
  type: file
  path: people.csv
mapping:
  externalId: id
  profile: { userName: email, email: email }
state: ${state}
`

const run = async (vars: Record<string, string>, event: unknown = {}) => {
  const lines: Array<string> = []
  const sink: Logging.LogSink = { write: (l) => lines.push(l) }
  const handler = makeHandler({ env: () => Env.parse({ OKTA_API_TOKEN: "tok-1234567890", ...vars }, dir), sink: () => sink })
  return { result: await handler(event, context), lines }
}

describe("refusals", () => {
  it("refuses SQLite and memory state with an explanation: Lambda has no durable disk", async () => {
    Fs.writeFileSync(Path.join(dir, "sqlite.yaml"), config("{ type: sqlite, path: /tmp/state.db }"))
    Fs.writeFileSync(Path.join(dir, "memory.yaml"), config("{ type: memory }"))
    for (const file of ["sqlite.yaml", "memory.yaml"]) {
      const { result, lines } = await run({ ANYSOURCE_CONFIG: file })
      expect(result.status).toBe("failed")
      expect(result.error).toMatchObject({ tag: "ConfigError", reason: "Unsupported" })
      expect(result.error?.message).toContain("no durable disk")
      expect(result.error?.message).toContain("type: postgres")
      expect(lines.some((l) => l.includes('"logLevel":"ERROR"'))).toBe(true)
      expect(lines.join("\n")).not.toContain("tok-1234567890")
    }
  })

  it("refuses the embedded emulator", async () => {
    Fs.writeFileSync(Path.join(dir, "embedded.yaml"), config("{ type: postgres, url: postgres://db/x }", "embedded"))
    const { result } = await run({ ANYSOURCE_CONFIG: "embedded.yaml" })
    expect(result.error).toMatchObject({ tag: "ConfigError", reason: "Unsupported" })
    expect(result.error?.message).toContain("embedded")
  })

  it("finds a named pipeline in the pipelines folder, and names the files it looked for when it is missing", async () => {
    Fs.mkdirSync(Path.join(dir, "pipelines"), { recursive: true })
    Fs.writeFileSync(Path.join(dir, "pipelines", "contractors.yml"), config("{ type: sqlite }"))
    const found = await run({}, { pipeline: "contractors" })
    expect(found.result).toMatchObject({ status: "failed", pipeline: "contractors" })
    expect(found.result.error?.message).toContain("contractors.yml: state.type sqlite")
    const missing = await run({}, { pipeline: "nope" })
    expect(missing.result.error).toMatchObject({ tag: "ConfigError", reason: "NotFound" })
    expect(missing.result.error?.message).toContain("nope.yaml, nope.yml, nope.json")
    for (const line of missing.lines) expect(JSON.parse(line)).toMatchObject({ annotations: { pipeline: "nope", runId: missing.result.runId } })
  })

  it("reports an invalid environment instead of guessing", async () => {
    const { result } = await run({ ANYSOURCE_SAFETY_MARGIN_MS: "soon" })
    expect(result.status).toBe("failed")
    expect(result.error?.message).toContain("ANYSOURCE_SAFETY_MARGIN_MS")
  })
})

describe("sources", () => {
  it("offers the registry's pure-JavaScript adapters, and names them when a config asks for another", async () => {
    expect(Runtime.sources.ids).toEqual(["file", "google-sheets", "rest"])
    Fs.writeFileSync(Path.join(dir, "sftp.yaml"), config("{ type: postgres, url: postgres://db/x }").replace("type: file\n  path: people.csv", "type: sftp\n  host: sftp.example.com"))
    const { result } = await run({ ANYSOURCE_CONFIG: "sftp.yaml" })
    expect(result.error).toMatchObject({ tag: "ConfigError", reason: "Invalid" })
    expect(result.error?.message).toContain('unknown source type "sftp"')
    expect(result.error?.message).toContain("known types: file, google-sheets, rest")
  })
})

describe("status of a report", () => {
  const report = (outcome: string, sessions = 0) => ({ outcome, sessions: Array.from({ length: sessions }) }) as never
  it("maps outcomes to Lambda statuses", () => {
    expect(statusOf(report("partial", 1))).toBe("continue")
    expect(statusOf(report("applied", 2))).toBe("ok")
    expect(statusOf(report("planned"))).toBe("ok")
    expect(statusOf(report("no-changes"))).toBe("no-changes")
    expect(statusOf(report("no-changes", 1))).toBe("ok")
    expect(statusOf(report("safeguard"))).toBe("failed")
    expect(statusOf(report("failed", 1))).toBe("failed")
  })
})
