/**
 * The handler, invoked directly as Lambda would, against the Okta emulator and a real PostgreSQL.
 *
 * The fake context's remaining time is driven by the emulator: each invocation "has time" for ONE new Okta
 * session (after it the remaining time drops below the safety margin). A 25,000-user plan needs 3 sessions,
 * so invocations 1 and 2 stop at a session boundary and return `continue`, invocation 3 finishes the journal
 * (`ok`), and invocation 4 finds nothing to do (`no-changes`). The directory then equals the source.
 */
import { randomBytes, randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { handler, type HandlerResult, type LambdaContext } from "../src/handler.ts"
import { people, pgUrl, pipelineYaml, schemas, tempDir, withPg, writeCsv } from "./helpers.ts"

const SOURCE = "0oaLAMBDA00000000001"
const TOKEN = `okta-token-${randomBytes(12).toString("hex")}`
const USERS = 25_000
const MARGIN = 60_000

const dir = tempDir()
const freshSchema = schemas("handler")
const schema = freshSchema()
const rows = people(USERS)
let emu: RunningEmulator

const saved = { ...process.env }
beforeAll(async () => {
  emu = await startEmulator({ strict: true, tokens: [{ token: TOKEN }], identitySources: [{ id: SOURCE, name: "lambda test", customAttributes: ["department", "title"] }], processingDelayMs: 20, requestLog: false })
  writeCsv(Path.join(dir, "people.csv"), rows)
  Fs.writeFileSync(Path.join(dir, "anysource.yaml"), pipelineYaml({ orgUrl: emu.url, identitySourceId: SOURCE, schema, csv: "people.csv" }))
  Fs.writeFileSync(Path.join(dir, "okta-token"), `${TOKEN}\n`)
  Object.assign(process.env, {
    ANYSOURCE_CONFIG: Path.join(dir, "anysource.yaml"),
    // each test calls pgUrl() itself: without PG_URL every test FAILS (a failing beforeAll would count them as skipped)
    ANYSOURCE_PG_URL: process.env["PG_URL"] ?? "",
    OKTA_API_TOKEN_FILE: Path.join(dir, "okta-token"),
    ANYSOURCE_SAFETY_MARGIN_MS: String(MARGIN)
  })
})
afterAll(async () => {
  process.env = saved
  await emu?.close()
})

/** Lambda's context for one invocation: time for `sessions` new Okta sessions, then less than the margin. */
const contextFor = (sessions: number): LambdaContext => {
  const before = emu.sessions(SOURCE).length
  return {
    awsRequestId: randomUUID(),
    functionName: "anysource-sync",
    getRemainingTimeInMillis: () => (emu.sessions(SOURCE).length - before >= sessions ? MARGIN / 2 : 14 * 60 * 1000)
  }
}

/** Invoke the real `handler`, capturing its stdout log lines. */
const invoke = async (event: unknown, context: LambdaContext) => {
  const lines: Array<string> = []
  const original = process.stdout.write.bind(process.stdout)
  const spy = vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString()
    if (text.startsWith("{")) {
      lines.push(...text.split("\n").filter((l) => l !== ""))
      return true
    }
    return original(chunk, ...(rest as []))
  }) as typeof process.stdout.write)
  try {
    const result: HandlerResult = await handler(event, context)
    return { result, logs: lines.map((l) => JSON.parse(l) as { message: unknown; logLevel: string; annotations: Record<string, unknown> }), raw: lines.join("\n") }
  } finally {
    spy.mockRestore()
  }
}

const stateCounts = () =>
  withPg(async (c) => ({
    users: Number((await c.query(`SELECT count(*) AS n FROM "${schema}".entities WHERE kind = 'user'`)).rows[0].n),
    journals: Number((await c.query(`SELECT count(*) AS n FROM "${schema}".journal`)).rows[0].n),
    locks: Number((await c.query(`SELECT count(*) AS n FROM "${schema}".locks`)).rows[0].n)
  }))

const scheduledEvent = {
  version: "0",
  id: randomUUID(),
  "detail-type": "Scheduled Event",
  source: "aws.scheduler",
  account: "123456789012",
  time: "2026-11-28T06:00:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:scheduler:eu-west-1:123456789012:schedule/default/anysource-sync"],
  detail: {}
}

describe("the Lambda handler", () => {
  it(
    "stops at a session boundary when time runs out (continue), resumes on the next invocations, and ends with the directory equal to the source",
    async () => {
      pgUrl()
      // 1: plans 25,000 creates in 3 sessions, runs session 1, stops before session 2
      const first = await invoke(scheduledEvent, contextFor(1))
      expect(first.result.status).toBe("continue")
      expect(first.result.report?.outcome).toBe("partial")
      expect(first.result.report?.summary?.users.create).toBe(USERS)
      expect(first.result.report?.sessions.map((s) => s.status)).toEqual(["COMPLETED"])
      expect(first.result.report).not.toHaveProperty("plan")
      expect(emu.sessions(SOURCE)).toHaveLength(1)
      const afterFirst = await stateCounts()
      expect(afterFirst.users).toBe(first.result.report!.sessions[0]!.entities)
      expect(afterFirst).toMatchObject({ journals: 1, locks: 0 })
      expect(emu.directory.users(SOURCE)).toHaveLength(afterFirst.users)

      // logs: one JSON object per line, each with this invocation's runId; the stop is explained; no secret
      expect(first.logs.length).toBeGreaterThan(3)
      for (const line of first.logs) expect(line.annotations["runId"]).toBe(first.result.runId)
      expect(first.logs.some((l) => String(l.message).includes("stopping at a session boundary"))).toBe(true)
      expect(first.raw).not.toContain(TOKEN)
      expect(first.raw).not.toContain(pgUrl())

      // 2: resumes the journal (no new plan), runs session 2, stops again
      const second = await invoke({}, contextFor(1))
      expect(second.result.status).toBe("continue")
      expect(second.result.report?.resumedRunId).toBeDefined()
      expect(second.result.report?.sessions).toHaveLength(1)
      expect(emu.sessions(SOURCE)).toHaveLength(2)
      expect((await stateCounts()).journals).toBe(1)

      // 3: finishes session 3; the fresh plan then finds the state equal to the source
      const third = await invoke({ pipeline: undefined }, contextFor(1))
      expect(third.result.status).toBe("ok")
      expect(third.result.report?.sessions).toHaveLength(1)
      expect(emu.sessions(SOURCE)).toHaveLength(3)
      expect(emu.sessions(SOURCE).every((s) => s.status === "COMPLETED")).toBe(true)
      expect(await stateCounts()).toEqual({ users: USERS, journals: 0, locks: 0 })

      // the directory equals the source, record for record
      const directory = new Map(emu.directory.users(SOURCE).map((u) => [u.externalId, u]))
      expect(directory.size).toBe(USERS)
      for (const p of rows) {
        const u = directory.get(p.employee_id)
        expect(u?.status).toBe("ACTIVE")
        expect(u?.profile).toEqual({ userName: p.email, email: p.email, firstName: p.first_name, lastName: p.last_name, department: p.department, title: p.title })
      }

      // 4: nothing left to do, no Okta session opened
      const fourth = await invoke(scheduledEvent, contextFor(1))
      expect(fourth.result.status).toBe("no-changes")
      expect(emu.sessions(SOURCE)).toHaveLength(3)
      const runIds = new Set([first, second, third, fourth].map((i) => i.result.runId))
      expect(runIds.size).toBe(4)
    },
    240_000
  )

  it("a dry run plans and reports without touching Okta", async () => {
    pgUrl()
    const before = emu.sessions(SOURCE).length
    const { result } = await invoke({ dryRun: true }, contextFor(1))
    expect(result, JSON.stringify(result.error)).toMatchObject({ status: "no-changes", dryRun: true })
    expect(result.report?.mode).toBe("plan")
    expect(emu.sessions(SOURCE)).toHaveLength(before)
  }, 120_000)

  it("refuses a mistyped event instead of applying", async () => {
    pgUrl()
    const before = emu.sessions(SOURCE).length
    const { result, logs } = await invoke({ dryrun: true }, contextFor(1))
    expect(result.status).toBe("failed")
    expect(result.error?.tag).toBe("EventError")
    expect(result.error?.message).toContain('"dryrun"')
    expect(logs.some((l) => l.logLevel === "ERROR")).toBe(true)
    expect(emu.sessions(SOURCE)).toHaveLength(before)
  })
})
