/**
 * Two worker processes, one pipeline, one identity source, one PostgreSQL state, both ticking every
 * second while the source keeps changing: they never run it at the same time. Checked three ways:
 * - the emulator's request log, attributed to the replicas by User-Agent, splits into exactly one
 *   uninterrupted block of requests per applied run (two runs at once would interleave);
 * - the Okta import sessions never overlap in time and all COMPLETED;
 * - the run history holds every applied run and no run that failed on the lock; the replicas
 *   recorded the ticks they skipped because the other held the identity source.
 * Afterwards the directory equals the source and the state agrees.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  dropSchema,
  emulator,
  eventually,
  expectDirectoryEqualsSource,
  messageOf,
  metricValue,
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

const SOURCE_ID = "0oaWORKERREPLICAS001"
const USERS = 600

describe("two replicas on one identity source", () => {
  let okta: Emulator
  let tmp: ReturnType<typeof tempDir>
  const schema = schemaName("replicas")
  const workers: Array<WorkerProcess> = []

  beforeAll(async () => {
    okta = await emulator({ identitySources: [{ id: SOURCE_ID }], processingDelayMs: 700 })
    tmp = tempDir("replicas")
    writeCsv(join(tmp.dir, "people.csv"), people(USERS))
    writeFileSync(
      join(tmp.dir, "hr.yaml"),
      pipelineYaml({ orgUrl: okta.emu.url, identitySourceId: SOURCE_ID, csv: "people.csv", state: { type: "postgres", schema }, groups: true, verify: false })
    )
    writeFileSync(join(tmp.dir, "worker.yaml"), workerYaml({ pipelines: [{ name: "hr", config: "hr.yaml", schedule: "* * * * * *" }] }))
  })

  afterAll(async () => {
    for (const w of workers) await w.stop("SIGKILL")
    await okta?.close()
    tmp?.remove()
    await dropSchema(schema)
  })

  it("never run the pipeline at the same time", { timeout: 300_000 }, async () => {
    const env = { ANYSOURCE_WORKER_CONFIG: join(tmp.dir, "worker.yaml"), WORKER_TOKEN: TOKEN, OKTA_API_TOKEN: OKTA_TOKEN, PG_URL: pgUrl() }
    const [a, b] = await Promise.all([
      startWorker({ env: { ...env, ANYSOURCE_REPLICA_ID: "replica-a" } }),
      startWorker({ env: { ...env, ANYSOURCE_REPLICA_ID: "replica-b" } })
    ])
    workers.push(a!, b!)

    // keep the source changing for a while so that most ticks have something to send
    let rows = people(USERS)
    for (let round = 1; round <= 12; round++) {
      await new Promise((r) => setTimeout(r, 700))
      rows = people(USERS, (i) => (i % 12 === round % 12 ? `Role ${round}` : rows[i]!.title))
      writeCsv(join(tmp.dir, "people.csv"), rows)
    }
    // then let them settle: a tick that finds nothing to change
    const settled = (w: WorkerProcess) => w.lines.some((l) => messageOf(l).startsWith("run no-changes") && Date.parse(l.timestamp) > Date.now() - 1500)
    await eventually(() => (settled(a!) || settled(b!) ? true : undefined), 90_000, "a no-changes run after the last edit")
    expect(await a!.stop()).toEqual({ code: 0, signal: null })
    expect(await b!.stop()).toEqual({ code: 0, signal: null })

    const appliedLines = (w: WorkerProcess) =>
      w.lines.filter((l) => /^run (applied|partial|failed)/.test(messageOf(l)) && Number(l.annotations.oktaRequests ?? 0) > 0)
    const applied = { "replica-a": appliedLines(a!), "replica-b": appliedLines(b!) }
    const appliedCount = applied["replica-a"].length + applied["replica-b"].length
    expect(appliedCount).toBeGreaterThanOrEqual(3)
    for (const line of [...applied["replica-a"], ...applied["replica-b"]]) expect(messageOf(line)).toMatch(/^run applied/)

    // 1. the request log: one uninterrupted block of identity-source requests per applied run
    const replicaOf = (ua: unknown) => /\((replica-[ab])\)/.exec(String(ua))?.[1]
    const sequence = okta.exchanges.filter((e) => e.url.startsWith("/api/v1/identity-sources/")).map((e) => replicaOf(e.requestHeaders["user-agent"]))
    expect(sequence.every((r) => r === "replica-a" || r === "replica-b")).toBe(true)
    const blocks: Array<string> = []
    for (const r of sequence) if (blocks.at(-1) !== r) blocks.push(r!)
    // consecutive runs of the same replica merge into one block, so blocks ≤ runs; interleaving would make more
    expect(blocks.length).toBeLessThanOrEqual(appliedCount)
    const blocksOf = (r: string) => blocks.filter((x) => x === r).length
    expect(blocksOf("replica-a")).toBeLessThanOrEqual(applied["replica-a"].length)
    expect(blocksOf("replica-b")).toBeLessThanOrEqual(applied["replica-b"].length)

    // ... and inside every Okta session's life (its create to its last request) only its owner talks to Okta
    const isExchanges = okta.exchanges.filter((e) => e.url.startsWith("/api/v1/identity-sources/"))
    for (const session of okta.emu.sessions()) {
      const created = isExchanges.findIndex((e) => e.method === "POST" && /\/sessions$/.test(e.url) && e.responseBody.includes(session.id))
      const last = isExchanges.findLastIndex((e) => e.url.includes(`/sessions/${session.id}`))
      expect(created).toBeGreaterThanOrEqual(0)
      expect(last).toBeGreaterThan(created)
      const owners = new Set(sequence.slice(created, last + 1))
      expect(owners.size, `requests of other replicas during session ${session.id}`).toBe(1)
    }

    // 2. the import sessions never overlap and all completed
    const sessions = okta.emu.sessions().slice().sort((x, y) => Date.parse(x.created) - Date.parse(y.created))
    expect(sessions.length).toBe(appliedCount)
    for (const s of sessions) expect(s.status).toBe("COMPLETED")
    for (let i = 1; i < sessions.length; i++) expect(Date.parse(sessions[i]!.created)).toBeGreaterThanOrEqual(Date.parse(sessions[i - 1]!.finishedAt!))

    // 3. the run history: every applied run, none failed (no lock race reached Sync); skips were recorded
    const state = await readState(schema, SOURCE_ID)
    const succeeded = state.history.filter((r) => r.outcome === "applied")
    expect(succeeded).toHaveLength(appliedCount)
    expect(state.history.filter((r) => r.outcome === "failed")).toEqual([])
    expect(state.history.every((r) => r.finishedAt !== undefined)).toBe(true)
    const ordered = succeeded.slice().sort((x, y) => Date.parse(x.startedAt) - Date.parse(y.startedAt))
    for (let i = 1; i < ordered.length; i++) expect(Date.parse(ordered[i]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(ordered[i - 1]!.finishedAt!) - 50)
    const lockedSkips = [a!, b!].flatMap((w) => w.lines.filter((l) => l.annotations.skipReason === "locked"))
    expect(lockedSkips.length).toBeGreaterThanOrEqual(1)
    expect(messageOf(lockedSkips[0]!)).toMatch(/run skipped \(locked\): Identity source 0oaWORKERREPLICAS001 is locked by run-/)

    // and the result: the directory equals the source, the state agrees
    expect(expectDirectoryEqualsSource(okta.emu, rows)).toEqual([])
    expect(state.journal).toBeUndefined()
    expect(state.users).toHaveLength(USERS)
    const byId = new Map(rows.map((r) => [r.id, r]))
    for (const u of state.users) expect(u.profile.title).toBe(byId.get(u.externalId)!.title)
  })

  it("count the skipped ticks in /metrics", { timeout: 180_000 }, async () => {
    // a fresh pair on the same (now settled) identity source: one holds the lock for a long first run
    writeCsv(join(tmp.dir, "people.csv"), people(USERS, () => "Final"))
    const env = { ANYSOURCE_WORKER_CONFIG: join(tmp.dir, "worker.yaml"), WORKER_TOKEN: TOKEN, OKTA_API_TOKEN: OKTA_TOKEN, PG_URL: pgUrl() }
    const [a, b] = await Promise.all([
      startWorker({ env: { ...env, ANYSOURCE_REPLICA_ID: "replica-a" } }),
      startWorker({ env: { ...env, ANYSOURCE_REPLICA_ID: "replica-b" } })
    ])
    workers.push(a!, b!)
    const skipped = await eventually(async () => {
      let total = 0
      for (const w of [a!, b!]) total += metricValue((await w.api("/metrics", { token: null })).text, "anysource_runs_skipped_total", { pipeline: "hr", reason: "locked" }) ?? 0
      return total >= 1 ? total : undefined
    }, 30_000, "a locked skip in /metrics")
    expect(skipped).toBeGreaterThanOrEqual(1)
    const listed = await eventually(async () => {
      for (const w of [a!, b!]) {
        const runs: Array<any> = (await w.api("/runs?limit=200")).json.runs
        const skip = runs.find((r) => r.status === "skipped" && r.skipReason === "locked")
        if (skip) return skip
      }
      return undefined
    }, 10_000, "a skipped run in GET /runs")
    expect(listed).toMatchObject({ pipeline: "hr", outcome: "skipped", trigger: "schedule" })
    expect(await a!.stop()).toEqual({ code: 0, signal: null })
    expect(await b!.stop()).toEqual({ code: 0, signal: null })
  })
})
