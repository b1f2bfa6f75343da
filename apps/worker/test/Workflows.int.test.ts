/**
 * docs/okta-workflows.md, run: the HTTP requests the page shows an Okta Workflows flow sending (its ```http blocks,
 * read from the page itself) go to a real worker process (the bundle, SQLite state, the Okta emulator), with the
 * same method, path, headers and body; the answers have the status and the fields the page shows.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  emulator,
  eventually,
  OKTA_TOKEN,
  people,
  pipelineYaml,
  startWorker,
  tempDir,
  TOKEN,
  workerDir,
  workerYaml,
  writeCsv,
  type Emulator,
  type WorkerProcess
} from "./support/harness.ts"

const SOURCE_ID = "0oaWORKFLOWS00000001"
const page = readFileSync(resolve(workerDir, "../../docs/okta-workflows.md"), "utf8")

interface HttpBlock {
  readonly start: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: string
}

/** The page's ```http blocks, in order: the start line, the headers and the body. */
const blocks: ReadonlyArray<HttpBlock> = [...page.matchAll(/```http\n([\s\S]*?)```/g)].map((m) => {
  const [head, ...rest] = m[1]!.split("\n\n")
  const [start, ...headerLines] = head!.split("\n").filter((l) => l.trim() !== "")
  return {
    start: start!,
    headers: headerLines.map(
      (l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()] as const
    ),
    body: rest.join("\n\n").trim()
  }
})

/** Send a request block as the page shows it (the Host header is the worker's own; placeholders filled in). */
const send = async (worker: WorkerProcess, block: HttpBlock, values: Readonly<Record<string, string>>) => {
  const fill = (s: string) => s.replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k] ?? `{{${k}}}`)
  const [method, path, version] = block.start.split(" ")
  expect(version).toBe("HTTP/1.1")
  const headers = Object.fromEntries(
    block.headers.filter(([k]) => k.toLowerCase() !== "host").map(([k, v]) => [k, fill(v)])
  )
  expect(block.headers.find(([k]) => k === "Host")?.[1]).toBe("anysource-worker.example.com")
  const res = await fetch(`${worker.url}${fill(path!)}`, {
    method: method!,
    headers,
    ...(block.body !== "" ? { body: fill(block.body) } : {})
  })
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    json: (await res.json()) as Record<string, unknown>
  }
}

/** A response block: its status and its JSON. */
const shown = (block: HttpBlock) => ({
  status: Number(block.start.split(" ")[1]),
  contentType: block.headers.find(([k]) => k === "Content-Type")?.[1],
  json: JSON.parse(block.body) as Record<string, unknown>
})

describe("docs/okta-workflows.md against a real worker", () => {
  let okta: Emulator
  let tmp: ReturnType<typeof tempDir>
  let worker: WorkerProcess

  beforeAll(async () => {
    okta = await emulator({ identitySources: [{ id: SOURCE_ID }] })
    tmp = tempDir("workflows")
    writeCsv(join(tmp.dir, "people.csv"), people(12))
    writeFileSync(
      join(tmp.dir, "hr.yaml"),
      pipelineYaml({
        orgUrl: okta.emu.url,
        identitySourceId: SOURCE_ID,
        csv: "people.csv",
        state: { type: "sqlite", path: "state.db" }
      })
    )
    writeFileSync(
      join(tmp.dir, "worker.yaml"),
      workerYaml({ pipelines: [{ name: "hr", config: "hr.yaml" }] })
    )
    worker = await startWorker({
      env: {
        ANYSOURCE_WORKER_CONFIG: join(tmp.dir, "worker.yaml"),
        WORKER_TOKEN: TOKEN,
        OKTA_API_TOKEN: OKTA_TOKEN
      }
    })
  })

  afterAll(async () => {
    await worker?.stop("SIGKILL")
    await okta?.close()
    tmp?.remove()
  })

  it("the page shows a trigger, its answer, a poll and its answer", () => {
    expect(blocks.map((b) => b.start)).toEqual([
      "POST /runs HTTP/1.1",
      "HTTP/1.1 202 Accepted",
      "GET /runs/{{runId}} HTTP/1.1",
      "HTTP/1.1 200 OK"
    ])
  })

  it("POST /runs as the API Connector sends it starts the run; polling GET /runs/{runId} sees it finish as the page says", async () => {
    const [trigger, started, poll, finished] = blocks as [HttpBlock, HttpBlock, HttpBlock, HttpBlock]
    const values = { workerToken: TOKEN }
    const answer = await send(worker, trigger, values)
    const expected = shown(started)
    expect(answer.status).toBe(expected.status)
    expect(answer.contentType).toContain(expected.contentType!)
    expect(Object.keys(answer.json).sort()).toEqual(Object.keys(expected.json).sort())
    expect(answer.json).toMatchObject({
      status: expected.json["status"],
      pipeline: expected.json["pipeline"],
      mode: expected.json["mode"]
    })
    const runId = String(answer.json["runId"])
    expect(runId).toMatch(/^run-\d{8}-\d{6}-[a-z0-9]+$/)

    // the helper flow: GET until status is finished
    const done = await eventually(
      async () => {
        const r = await send(worker, poll, { ...values, runId })
        expect(r.status).toBe(200)
        return r.json["status"] === "finished" ? r : undefined
      },
      60_000,
      "the run to finish",
      250
    )
    const page200 = shown(finished)
    expect(done.status).toBe(page200.status)
    for (const key of Object.keys(page200.json)) expect(done.json, key).toHaveProperty(key)
    expect(done.json).toMatchObject({
      runId,
      pipeline: page200.json["pipeline"],
      trigger: page200.json["trigger"],
      status: page200.json["status"],
      mode: page200.json["mode"],
      outcome: page200.json["outcome"]
    })
    expect(done.json).toHaveProperty("report.summary.users.create", 12)
    expect(okta.emu.directory.users(SOURCE_ID).filter((u) => u.status === "ACTIVE")).toHaveLength(12)
  }, 90_000)

  it("the page's other answers: a dry run, no token, an unknown pipeline", async () => {
    const [trigger] = blocks as [HttpBlock]
    const dry = await send(
      worker,
      { ...trigger, body: '{"pipeline": "hr", "dryRun": true}' },
      { workerToken: TOKEN }
    )
    expect(dry).toMatchObject({ status: 202, json: { status: "started", mode: "plan" } })
    expect((await send(worker, trigger, { workerToken: "not-the-token-at-all" })).status).toBe(401)
    expect(
      (await send(worker, { ...trigger, body: '{"pipeline": "payroll"}' }, { workerToken: TOKEN })).status
    ).toBe(404)
  })
})
