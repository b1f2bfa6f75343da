/**
 * Adding a source, end to end, in a temporary copy of the repository (the checkout is never touched):
 * `pnpm new:source throwaway --register` and `pnpm install` change three files outside the new package
 * (the registry line, the runtime's dependency, the lockfile; counted with git), and then the throwaway adapter
 * works in all three apps, each run from its sources: a CLI plan, a Lambda handler invocation (PostgreSQL state,
 * PG_URL), a worker run through its HTTP API. The Lambda bundle keeps it (it is pure JavaScript), and
 * `pnpm gen:docs` adds its row to the generated tables.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const repo = Path.resolve(import.meta.dirname, "..", "..", "..")
const copied = [".gitignore", ".npmrc", "package.json", "pnpm-workspace.yaml", "pnpm-lock.yaml", "turbo.json", "README.md", "docs", "tooling", "packages", "apps", "bench", "scripts"]
const skipped = new Set(["node_modules", "dist", ".turbo", ".anysource", ".data", "test-results.json", "coverage"])

const pgUrl = (): string => {
  const value = process.env["PG_URL"]
  if (value === undefined || value === "")
    throw new Error("PG_URL is not set: this test runs the Lambda handler on PostgreSQL state. Run `source scripts/services-up.sh` at the repository root first.")
  return value
}

let root = ""
const work = () => Path.join(root, "work")
const tsx = () => Path.join(root, "packages", "runtime", "node_modules", "tsx", "dist", "cli.mjs")

const run = (command: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): SpawnSyncReturns<string> =>
  spawnSync(command, args, { cwd: root, encoding: "utf8", env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", ...env } })

const ok = (result: SpawnSyncReturns<string>, what: string): string => {
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

const git = (...args: Array<string>) => ok(run("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args]), `git ${args[0]}`)

/** Files changed or added outside the new package, by git. */
const touched = () =>
  git("status", "--porcelain", "--untracked-files=all")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => l.slice(3))
    .filter((f) => !f.startsWith("packages/source-throwaway/"))
    .sort()

const pipeline = (okta: string, state: string) => `version: 1
okta: ${okta}
source: { type: throwaway, file: people.json }
mapping: { externalId: id, profile: { userName: email, email: email, firstName: first, lastName: last } }
state: ${state}
`
// nothing listens there: the plans never reach Okta (the schema check, which would, is off)
const realOkta =
  '{ orgUrl: "http://127.0.0.1:9", identitySourceId: 0oaTHROWAWAY0000001, auth: { type: ssws, token: "${OKTA_API_TOKEN}" }, schemaCheck: false }'

beforeAll(() => {
  root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-new-source-"))
  for (const entry of copied)
    Fs.cpSync(Path.join(repo, entry), Path.join(root, entry), { recursive: true, filter: (source) => !skipped.has(Path.basename(source)) })
  ok(run("pnpm", ["install", "--frozen-lockfile", "--prefer-offline"]), "pnpm install (the copy as it is)")
  git("init", "-q")
  git("add", "-A")
  git("commit", "-qm", "the repository before the new source")
}, 240_000)

afterAll(() => {
  if (root !== "") Fs.rmSync(root, { recursive: true, force: true })
})

describe("pnpm new:source throwaway --register", () => {
  it("touches three files outside the package: the registry line, the runtime's dependency, the lockfile", () => {
    const output = ok(run(process.execPath, ["scripts/new-source.mjs", "throwaway", "--name", "Throwaway", "--register"]), "new-source")
    expect(output).toContain("Registered it in packages/runtime")
    expect(touched()).toEqual(["packages/runtime/package.json", "packages/runtime/src/Sources.ts"])
    ok(run("pnpm", ["install", "--no-frozen-lockfile", "--prefer-offline"]), "pnpm install")
    expect(touched()).toEqual(["packages/runtime/package.json", "packages/runtime/src/Sources.ts", "pnpm-lock.yaml"])
    expect(git("diff", "--", "packages/runtime/src/Sources.ts").split("\n").filter((l) => /^[+-] /.test(l))).toEqual([
      expect.stringMatching(/^- .*m\.RestSource\) \}$/),
      expect.stringMatching(/^\+ .*m\.RestSource\) \},$/),
      '+  { id: "throwaway", packageName: "@anysource/source-throwaway", pureJs: true, load: () => import("@anysource/source-throwaway").then((m) => m.ThrowawaySource) }'
    ])

    // the people the apps read
    Fs.mkdirSync(work())
    Fs.writeFileSync(
      Path.join(work(), "people.json"),
      JSON.stringify(["Ada", "Bo", "Cy"].map((first, i) => ({ id: `E${i + 1}`, email: `e${i + 1}@example.com`, first, last: "Example" })))
    )
  }, 120_000)

  it("the CLI plans from it", () => {
    Fs.writeFileSync(Path.join(work(), "anysource.yaml"), pipeline("{ orgUrl: embedded, identitySourceId: 0oaTHROWAWAY0000001 }", "{ type: memory }"))
    const result = run(process.execPath, [tsx(), "apps/cli/src/bin.ts", "plan", "-c", "work/anysource.yaml", "--json"])
    expect(result.status, result.stderr).toBe(2) // changes pending
    const plan = JSON.parse(result.stdout) as { summary: { users: { create: number } }; users: ReadonlyArray<{ location: string }> }
    expect(plan.summary.users.create).toBe(3)
    expect(result.stdout).toContain("people.json")
  }, 120_000)

  it("the Lambda handler plans from it (a dry run, on PostgreSQL state)", () => {
    const schema = `t_new_source_${process.pid}_${randomBytes(3).toString("hex")}`
    Fs.writeFileSync(Path.join(work(), "lambda.yaml"), pipeline(realOkta, `{ type: postgres, url: "\${PG_URL}", schema: ${schema} }`))
    // inside apps/lambda, so it resolves the app's packages (and pg, to drop the test's schema)
    Fs.writeFileSync(
      Path.join(root, "apps", "lambda", "new-source-driver.mts"),
      `import pg from "pg"
import { handler } from "./src/handler.ts"
const result = await handler({ dryRun: true }, { getRemainingTimeInMillis: () => 900_000, awsRequestId: "new-source" })
process.stdout.write(\`RESULT \${JSON.stringify(result)}\\n\`)
const client = new pg.Client({ connectionString: process.env["PG_URL"] })
await client.connect()
await client.query('DROP SCHEMA IF EXISTS "${schema}" CASCADE')
await client.end()
`
    )
    const result = run(process.execPath, [tsx(), "apps/lambda/new-source-driver.mts"], {
      ANYSOURCE_CONFIG: Path.join(work(), "lambda.yaml"),
      OKTA_API_TOKEN: "okta-token-0123456789",
      PG_URL: pgUrl()
    })
    const line = result.stdout.split("\n").find((l) => l.startsWith("RESULT "))
    expect(line, `${result.stdout}\n${result.stderr}`).toBeDefined()
    const handled = JSON.parse(line!.slice("RESULT ".length))
    expect(handled).toMatchObject({ status: "ok", dryRun: true, report: { outcome: "planned", summary: { users: { create: 3 } } } })
    expect(result.status).toBe(0)
  }, 120_000)

  it("the worker runs it through its HTTP API", async () => {
    Fs.writeFileSync(Path.join(work(), "hr.yaml"), pipeline(realOkta, "{ type: memory }"))
    Fs.writeFileSync(Path.join(work(), "worker.yaml"), "http: { port: 0, host: 127.0.0.1 }\ntoken: ${WORKER_TOKEN}\npipelines:\n  - name: hr\n    config: hr.yaml\n")
    const token = "worker-token-0123456789"
    const child = spawn(process.execPath, [tsx(), "apps/worker/src/main.ts"], {
      cwd: root,
      env: { ...process.env, ANYSOURCE_WORKER_CONFIG: Path.join(work(), "worker.yaml"), WORKER_TOKEN: token, OKTA_API_TOKEN: "okta-token-0123456789" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (d: Buffer) => (output += d.toString()))
    child.stderr.on("data", (d: Buffer) => (output += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    try {
      const eventually = async <A>(f: () => Promise<A | undefined> | A | undefined, what: string): Promise<A> => {
        for (let i = 0; i < 300; i++) {
          const value = await f()
          if (value !== undefined) return value
          await new Promise((r) => setTimeout(r, 100))
        }
        throw new Error(`timed out waiting for ${what}:\n${output}`)
      }
      const port = await eventually(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1], "the worker to listen")
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<any>)
      const started = await api("/runs", { method: "POST", body: JSON.stringify({ pipeline: "hr", dryRun: true }) })
      expect(started).toMatchObject({ status: "started", mode: "plan" })
      const finished = await eventually(async () => {
        const one = await api(`/runs/${started.runId}`)
        return one.status === "finished" ? one : undefined
      }, "the run to finish")
      expect(finished).toMatchObject({ outcome: "planned", report: { summary: { users: { create: 3 } } } })
    } finally {
      child.kill("SIGTERM")
    }
    expect(await exited).toBe(0)
  }, 120_000)

  it("the Lambda bundle keeps it (pure JavaScript), and `pnpm gen:docs` adds it to the source tables", () => {
    Fs.writeFileSync(Path.join(root, "apps", "lambda", "new-source-external.mts"), 'import { external } from "./tsup.config.ts"\nprocess.stdout.write(JSON.stringify(external))\n')
    const external = JSON.parse(ok(run(process.execPath, [tsx(), "apps/lambda/new-source-external.mts"]), "the Lambda's bundle settings")) as Array<string>
    expect(external).toContain("@anysource/source-sftp")
    expect(external).not.toContain("@anysource/source-throwaway")

    ok(run("pnpm", ["gen:docs"]), "pnpm gen:docs")
    for (const file of ["README.md", "docs/configuration.md"])
      expect(Fs.readFileSync(Path.join(root, file), "utf8")).toMatch(/\| `throwaway` \| \[`@anysource\/source-throwaway`\]\(.*packages\/source-throwaway\/README\.md\) \| a JSON array of people.* \| CLI, worker, Lambda \|/)
  }, 120_000)
})
