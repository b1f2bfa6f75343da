/**
 * SIGTERM in the middle of a multi-session apply (25,000 users = 3 Okta sessions, the emulator taking
 * 1.5 s to import each): the worker stops at the next session boundary with the journal saved and
 * exits 0; the next worker process resumes the run at once and completes it. Nothing is lost or sent
 * twice: the directory equals the source, every Okta session completed, no completed session was
 * uploaded to again, and the PostgreSQL state agrees with the directory.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  dropSchema,
  emulator,
  expectDirectoryEqualsSource,
  messageOf,
  OKTA_TOKEN,
  people,
  pgUrl,
  pipelineYaml,
  readState,
  schemaName,
  startWorker,
  tempDir,
  TOKEN,
  workerYaml,
  writeCsv,
  type Emulator,
  type WorkerProcess
} from "./support/harness.ts"

const SOURCE_ID = "0oaWORKERSIGTERM0001"
const USERS = 25_000

describe("SIGTERM mid-run, then restart", () => {
  let okta: Emulator
  let tmp: ReturnType<typeof tempDir>
  const schema = schemaName("sigterm")
  const rows = people(USERS)
  const started: Array<WorkerProcess> = []
  let env: Record<string, string>

  beforeAll(async () => {
    okta = await emulator({ identitySources: [{ id: SOURCE_ID }], processingDelayMs: 1_500 })
    tmp = tempDir("sigterm")
    writeCsv(join(tmp.dir, "people.csv"), rows)
    writeFileSync(
      join(tmp.dir, "big.yaml"),
      pipelineYaml({ orgUrl: okta.emu.url, identitySourceId: SOURCE_ID, csv: "people.csv", state: { type: "postgres", schema } })
    )
    writeFileSync(join(tmp.dir, "worker.yaml"), workerYaml({ pipelines: [{ name: "big", config: "big.yaml" }] }))
    env = { ANYSOURCE_WORKER_CONFIG: join(tmp.dir, "worker.yaml"), WORKER_TOKEN: TOKEN, OKTA_API_TOKEN: OKTA_TOKEN, PG_URL: pgUrl() }
  })

  afterAll(async () => {
    for (const w of started) await w.stop("SIGKILL")
    await okta?.close()
    tmp?.remove()
    await dropSchema(schema)
  })

  it("stops at a session boundary with the journal saved, exits 0, and the next process completes the run", { timeout: 300_000 }, async () => {
    const first = await startWorker({ env: { ...env, ANYSOURCE_REPLICA_ID: "first" } })
    started.push(first)
    const post = await first.api("/runs", { method: "POST", body: { pipeline: "big" } })
    expect(post.status).toBe(202)
    const runId = post.json.runId as string

    // mid-run: the second of three sessions has just been opened
    await first.waitFor((l) => /^Okta session 2\/3 created/.test(messageOf(l)), 90_000, "session 2 of 3")
    expect(first.child.kill("SIGTERM")).toBe(true)
    const exit = await first.exited
    expect(exit).toEqual({ code: 0, signal: null })

    const messages = first.lines.filter((l) => l.annotations.runId === runId).map(messageOf)
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^run partial .*stopped at a session boundary for shutdown, journal saved/)]))
    expect(messages.some((m) => /^Okta session 3\/3 created/.test(m))).toBe(false)
    expect(first.lines.map(messageOf)).toContain("stopped")

    // what the first process left: two completed sessions, no open one, a journal for the rest
    const sessionsAfterStop = okta.emu.sessions()
    expect(sessionsAfterStop.map((s) => s.status)).toEqual(["COMPLETED", "COMPLETED"])
    const usersAfterStop = okta.emu.directory.users().length
    expect(usersAfterStop).toBeGreaterThan(0)
    expect(usersAfterStop).toBeLessThan(USERS)
    const stopped = await readState(schema, SOURCE_ID)
    expect(stopped.journal?.runId).toBe(runId)
    expect(stopped.journal?.sessions.map((s) => s.status)).toEqual(["COMPLETED", "COMPLETED", "PENDING"])
    expect(stopped.users).toHaveLength(usersAfterStop)
    expect(stopped.history.find((r) => r.runId === runId)).toMatchObject({ outcome: "partial", mode: "apply" })

    // the next process resumes at once (no trigger, no schedule)
    const second = await startWorker({ env: { ...env, ANYSOURCE_REPLICA_ID: "second" } })
    started.push(second)
    await second.waitFor((l) => /^unfinished apply .* found in state: resuming now/.test(messageOf(l)), 10_000, "the resume on start")
    const done = await second.waitFor((l) => /^run (applied|no-changes)/.test(messageOf(l)), 90_000, "the resumed run to finish")
    expect(done.annotations).toMatchObject({ pipeline: "big", resumed: true })
    const resumedRunId = String(done.annotations.runId)
    expect(second.lines.filter((l) => l.annotations.runId === resumedRunId).map(messageOf)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^run started \(resume, apply\)/), expect.stringMatching(/^resuming the unfinished apply of .* from session 3/)])
    )

    // nothing lost: the directory equals the source
    expect(expectDirectoryEqualsSource(okta.emu, rows)).toEqual([])
    // nothing sent twice: three sessions, each COMPLETED; the two completed before the stop got no upload since
    const sessions = okta.emu.sessions()
    expect(sessions.map((s) => s.status)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED"])
    expect(sessions.slice(0, 2).map((s) => [s.id, s.uploads])).toEqual(sessionsAfterStop.map((s) => [s.id, s.uploads]))
    expect(sessions[2]!.uploads).toBeGreaterThan(0)
    expect(okta.emu.requests.filter((r) => r.path.includes("/bulk-") && r.status !== 202)).toEqual([])

    // the state agrees with the directory
    const state = await readState(schema, SOURCE_ID)
    expect(state.journal).toBeUndefined()
    expect(state.users).toHaveLength(USERS)
    const directory = new Map(okta.emu.directory.users().map((u) => [u.externalId, u]))
    for (const entry of state.users) {
      const user = directory.get(entry.externalId)
      expect(user, entry.externalId).toBeDefined()
      expect(entry.status).toBe("ACTIVE")
      expect(entry.profile.title).toBe(user!.profile.title)
      expect(entry.profile.email).toBe(user!.profile.email)
    }
    const status = await second.api(`/runs/${resumedRunId}`)
    expect(status.json).toMatchObject({ trigger: "resume", replica: "second", status: "finished" })
    expect(status.json.report.sessions).toHaveLength(1)
    expect(await second.stop()).toEqual({ code: 0, signal: null })
  })
})
