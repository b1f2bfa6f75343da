/**
 * Shared setup of the worker's integration tests: an Okta emulator on loopback (in the test process),
 * pipeline configs and worker.yaml in a temp directory, and real worker processes started with the
 * command the Dockerfile uses (`node dist/main.mjs`), whose JSON log lines are collected.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { PostgresStateStore } from "@anysource/state-postgres"
import { Effect, Option, Redacted } from "effect"
import pg from "pg"
import { DEFAULT_API_TOKEN, DEFAULT_IDENTITY_SOURCE_ID, startEmulator, type EmulatorOptions, type Exchange, type RunningEmulator } from "@anysource/okta-emulator"

export const workerDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
export const bundlePath = join(workerDir, "dist/main.mjs")
export const TOKEN = "test-worker-token-0123456789abcdef"
export const OKTA_TOKEN = DEFAULT_API_TOKEN

/** PG_URL from scripts/services-up.sh; under CI a missing PG_URL fails the test instead of skipping it. */
export const pgUrl = (): string => {
  const url = process.env.PG_URL
  if (!url) throw new Error("PG_URL is not set: run `source scripts/services-up.sh` (PostgreSQL on loopback) before the worker's integration tests")
  return url
}

export interface Emulator {
  readonly emu: RunningEmulator
  readonly exchanges: Array<Exchange>
  readonly close: () => Promise<void>
}

export const emulator = async (options: EmulatorOptions = {}): Promise<Emulator> => {
  const exchanges: Array<Exchange> = []
  const emu = await startEmulator({
    strict: true,
    processingDelayMs: 50,
    ...options,
    // the attributes pipelineYaml sends beyond the base ones, declared as `anysource setup apply` would
    identitySources: (options.identitySources ?? [{ id: DEFAULT_IDENTITY_SOURCE_ID }]).map((s) => ({ customAttributes: ["title", "department"], ...s })),
    onExchange: (exchange) => {
      exchanges.push(exchange)
      options.onExchange?.(exchange)
    }
  })
  return { emu, exchanges, close: () => emu.close() }
}

export const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `anysource-worker-${prefix}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface Person {
  readonly id: string
  readonly first: string
  readonly last: string
  readonly department: string
  readonly title: string
}

export const people = (count: number, title = (i: number) => `Engineer ${i % 7}`): Array<Person> =>
  Array.from({ length: count }, (_, i) => ({
    id: `E${String(i + 1).padStart(6, "0")}`,
    first: `First${i + 1}`,
    last: `Last${i + 1}`,
    department: ["Sales", "Engineering", "Support", "Finance"][i % 4]!,
    title: title(i)
  }))

export const writeCsv = (file: string, rows: ReadonlyArray<Person>) => {
  const lines = ["employee_id,first_name,last_name,email,department,title"]
  for (const p of rows) lines.push(`${p.id},${p.first},${p.last},${p.id.toLowerCase()}@example.com,${p.department},${p.title}`)
  writeFileSync(file, `${lines.join("\n")}\n`)
}

export interface PipelineOptions {
  readonly orgUrl: string
  readonly identitySourceId: string
  readonly csv: string
  readonly state: { readonly type: "postgres"; readonly schema: string } | { readonly type: "sqlite"; readonly path: string }
  readonly groups?: boolean
  /** `false`: no read-back after an apply (`verify.after: never`), for tests about scheduling rather than results. */
  readonly verify?: boolean
}

/** A pipeline config (core's schema); the Okta token and the database URL come from the environment. */
export const pipelineYaml = (o: PipelineOptions) => `version: 1
name: test
okta:
  orgUrl: ${o.orgUrl}
  identitySourceId: ${o.identitySourceId}
  auth:
    type: ssws
    token: \${OKTA_API_TOKEN}
  requestTimeoutMs: 10000
  maxRetries: 3
source:
  type: file
  path: ${o.csv}
mapping:
  externalId: employee_id
  profile:
    userName: email
    email: email
    firstName: first_name
    lastName: last_name
    title: title
    department: department
${
  o.groups
    ? `groups:
  - externalId: "'dept-' & $lowercase(department)"
    displayName: department
`
    : ""
}schema:
  users:
    attributes:
      title: {}
      department: {}
safeguards:
  users: { maxDeactivationPercent: 100, minRecordsPercent: 0 }
${o.verify === false ? "verify: { after: never }\n" : ""}state:
${o.state.type === "postgres" ? `  type: postgres\n  url: \${PG_URL}\n  schema: ${o.state.schema}` : `  type: sqlite\n  path: ${o.state.path}`}
`

export interface WorkerLine {
  readonly message: string | ReadonlyArray<unknown>
  readonly logLevel: string
  readonly timestamp: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly [key: string]: unknown
}

export interface WorkerProcess {
  readonly child: ChildProcess
  readonly lines: Array<WorkerLine>
  /** Raw stdout and stderr, for failure messages and secret checks. */
  readonly output: () => string
  readonly port: number
  readonly url: string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly waitFor: (predicate: (line: WorkerLine) => boolean, timeoutMs?: number, what?: string) => Promise<WorkerLine>
  readonly api: (path: string, init?: { method?: string; body?: unknown; token?: string | null }) => Promise<{ status: number; json: any; text: string }>
  /** SIGTERM (or another signal) and wait for the exit. */
  readonly stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export const messageOf = (line: WorkerLine): string => (typeof line.message === "string" ? line.message : line.message.map(String).join(" "))

/**
 * Start `node dist/main.mjs` (the Dockerfile's CMD) in `cwd` with the given environment and wait
 * for its "listening" line. `command` defaults to the Dockerfile's; tests of the image pass it parsed.
 */
export const startWorker = async (options: {
  readonly env: Readonly<Record<string, string>>
  readonly cwd?: string
  readonly command?: ReadonlyArray<string>
  readonly startTimeoutMs?: number
}): Promise<WorkerProcess> => {
  const [cmd, ...args] = options.command ?? ["node", "dist/main.mjs"]
  const child = spawn(cmd === "node" ? process.execPath : cmd!, args, {
    cwd: options.cwd ?? workerDir,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<WorkerLine> = []
  let raw = ""
  let buffer = ""
  const waiters: Array<{ predicate: (line: WorkerLine) => boolean; resolve: (line: WorkerLine) => void }> = []
  child.stdout!.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8")
    if (process.env.ANYSOURCE_TEST_DEBUG) process.stderr.write(text)
    raw += text
    buffer += text
    let nl: number
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const lineText = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (lineText.trim() === "") continue
      let line: WorkerLine
      try {
        line = JSON.parse(lineText) as WorkerLine
      } catch {
        throw new Error(`worker wrote a line that is not JSON: ${lineText}`)
      }
      lines.push(line)
      for (const w of [...waiters]) {
        if (w.predicate(line)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(line)
        }
      }
    }
  })
  child.stderr!.on("data", (chunk: Buffer) => {
    if (process.env.ANYSOURCE_TEST_DEBUG) process.stderr.write(chunk)
    raw += chunk.toString("utf8")
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on("exit", (code, signal) => res({ code, signal })))
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
  void exited.then((e) => {
    exitInfo = e
  })

  const waitFor = (predicate: (line: WorkerLine) => boolean, timeoutMs = 30_000, what = "a log line") =>
    new Promise<WorkerLine>((res, rej) => {
      const found = lines.find(predicate)
      if (found) return res(found)
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1)
        rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; exit ${JSON.stringify(exitInfo)}; last output:\n${raw.slice(-3000)}`))
      }, timeoutMs)
      const waiter = {
        predicate,
        resolve: (line: WorkerLine) => {
          clearTimeout(timer)
          res(line)
        }
      }
      waiters.push(waiter)
      void exited.then(() =>
        setTimeout(() => {
          if (waiters.includes(waiter)) {
            clearTimeout(timer)
            waiters.splice(waiters.indexOf(waiter), 1)
            rej(new Error(`worker exited (${JSON.stringify(exitInfo)}) while waiting for ${what}; output:\n${raw.slice(-3000)}`))
          }
        }, 50)
      )
    })

  const listening = await waitFor((l) => messageOf(l).startsWith("listening on"), options.startTimeoutMs ?? 90_000, "the worker to listen")
  const port = Number(listening.annotations.port)
  const url = `http://127.0.0.1:${port}`
  const api: WorkerProcess["api"] = async (path, init = {}) => {
    const token = init.token === undefined ? TOKEN : init.token
    const res = await fetch(`${url}${path}`, {
      method: init.method ?? "GET",
      headers: {
        ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body !== undefined ? { "content-type": "application/json" } : {})
      },
      ...(init.body !== undefined ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) } : {})
    })
    const text = await res.text()
    let json: any
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, json, text }
  }
  const stop: WorkerProcess["stop"] = async (signal = "SIGTERM", timeoutMs = 60_000) => {
    if (exitInfo) return exitInfo
    child.kill(signal)
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    const result = await exited
    clearTimeout(timer)
    return result
  }
  return { child, lines, output: () => raw, port, url, exited, waitFor, api, stop }
}

/** worker.yaml text. */
export const workerYaml = (o: {
  readonly pipelines: ReadonlyArray<{ name: string; config: string; schedule?: string; extra?: string }>
  readonly extra?: string
}) => `http:
  port: 0
  host: 127.0.0.1
token: \${WORKER_TOKEN}
shutdownGrace: 60s
pipelines:
${o.pipelines
  .map((p) => `  - name: ${p.name}\n    config: ${p.config}\n${p.schedule ? `    schedule: "${p.schedule}"\n` : ""}${p.extra ?? ""}`)
  .join("")}${o.extra ?? ""}`

/** Poll `fn` until it returns a value (not undefined) or time runs out. */
export const eventually = async <A>(fn: () => Promise<A | undefined> | A | undefined, timeoutMs = 30_000, what = "a condition", intervalMs = 100): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await fn()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`)
}

/** Prometheus text → value of one series (labels given as an exact subset). */
export const metricValue = (text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined => {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4])
  }
  return undefined
}

/** A fresh PostgreSQL schema name for one test (dropped by `dropSchema`). */
export const schemaName = (prefix: string) => `worker_${prefix}_${process.pid}_${Date.now().toString(36)}`

export const dropSchema = async (schema: string) => {
  const client = new pg.Client({ connectionString: pgUrl() })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** Read the pipeline's state (as the worker left it) through the PostgreSQL store. */
export const readState = (schema: string, identitySourceId: string) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* PostgresStateStore.make({ url: Redacted.make(pgUrl()), schema, identitySourceId })
        const users = yield* store.list("user")
        const groups = yield* store.list("group")
        const journal = yield* store.journal
        const history = yield* store.history(10_000)
        return { users, groups, journal: Option.getOrUndefined(journal), history }
      })
    )
  )

/** The directory holds exactly the source's people, active, with their profiles. */
export const expectDirectoryEqualsSource = (emu: RunningEmulator, rows: ReadonlyArray<Person>) => {
  const users = emu.directory.users()
  const byId = new Map(users.map((u) => [u.externalId, u]))
  const problems: Array<string> = []
  if (users.length !== rows.length) problems.push(`directory has ${users.length} users, source ${rows.length}`)
  for (const p of rows) {
    const u = byId.get(p.id)
    if (!u) {
      problems.push(`${p.id} missing`)
      continue
    }
    const want = { userName: `${p.id.toLowerCase()}@example.com`, email: `${p.id.toLowerCase()}@example.com`, firstName: p.first, lastName: p.last, title: p.title, department: p.department }
    if (u.status !== "ACTIVE") problems.push(`${p.id} is ${u.status}`)
    for (const [k, v] of Object.entries(want)) if (u.profile[k] !== v) problems.push(`${p.id}.${k}: ${String(u.profile[k])} != ${v}`)
    if (problems.length > 10) break
  }
  return problems
}
