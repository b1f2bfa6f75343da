/**
 * The deployable artifact: the ONE bundled file `dist/handler.mjs` (built by `turbo run build`, which the
 * test task depends on; built here if missing) runs under `lambda-local` (a Lambda runtime emulation) and
 * syncs a small export into the emulator with PostgreSQL state. lambda-local runs in a child process, so it
 * uses nothing from this workspace but the bundle.
 */
import { spawn, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { HandlerResult } from "../src/handler.ts"
import { people, pgUrl, pipelineYaml, schemas, tempDir, writeCsv } from "./helpers.ts"

const appDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
const bundle = Path.join(appDir, "dist", "handler.mjs")
const lambdaLocal = Path.join(appDir, "node_modules", "lambda-local", "build", "cli.js")
const SOURCE = "0oaBUNDLE0000000001"
const TOKEN = `bundle-token-${randomBytes(12).toString("hex")}`

const dir = tempDir()
const schema = schemas("bundle")()
let emu: RunningEmulator

beforeAll(() => {
  if (!Fs.existsSync(bundle)) {
    const built = spawnSync("npx", ["tsup"], { cwd: appDir, encoding: "utf8" })
    if (built.status !== 0) throw new Error(`building the bundle failed:\n${built.stdout}\n${built.stderr}`)
  }
}, 180_000)

beforeAll(async () => {
  emu = await startEmulator({ strict: true, tokens: [{ token: TOKEN }], identitySources: [{ id: SOURCE, customAttributes: ["department", "title"] }], processingDelayMs: 20, requestLog: false })
  writeCsv(Path.join(dir, "people.csv"), people(40))
  Fs.writeFileSync(Path.join(dir, "anysource.yaml"), pipelineYaml({ orgUrl: emu.url, identitySourceId: SOURCE, schema, csv: "people.csv" }))
  Fs.writeFileSync(Path.join(dir, "okta-token"), TOKEN)
  Fs.writeFileSync(Path.join(dir, "event.json"), JSON.stringify({ dryRun: false }))
})
afterAll(() => emu?.close())

interface Run {
  readonly result: HandlerResult
  readonly logs: ReadonlyArray<{ readonly message: unknown; readonly annotations: Record<string, unknown> }>
  readonly output: string
}

/** `lambda-local -l dist/handler.mjs -h handler -e event.json -t <timeout>` with extra environment. */
const lambdaLocalRun = (timeoutSeconds: number, env: Record<string, string>): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [lambdaLocal, "-l", bundle, "-h", "handler", "-e", Path.join(dir, "event.json"), "-t", String(timeoutSeconds)], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (d: Buffer) => (output += d.toString()))
    child.stderr.on("data", (d: Buffer) => (output += d.toString()))
    child.on("error", reject)
    child.on("close", () => {
      // eslint-disable-next-line no-control-regex
      const plain = output.replace(/\u001b\[[0-9;]*m/g, "")
      const start = plain.indexOf("End - Result:")
      const end = plain.indexOf("Lambda successfully executed")
      if (start < 0 || end < 0) return reject(new Error(`no result in lambda-local's output:\n${plain}`))
      const text = plain.slice(start + "End - Result:".length, end).replace(/^\s*info:\s*/, "").replace(/\s*info:\s*$/, "")
      const logs = plain
        .split("\n")
        .filter((l) => l.startsWith('{"message"'))
        .map((l) => JSON.parse(l) as Run["logs"][number])
      resolve({ result: JSON.parse(text) as HandlerResult, logs, output: plain })
    })
  })

describe("the bundle", () => {
  it("is packaged with the example pipelines into the directory template.yaml deploys", () => {
    const out = Path.join(dir, "package")
    const result = spawnSync(process.execPath, [Path.join(appDir, "scripts", "package.mjs"), "--out", out], { encoding: "utf8" })
    expect(result.status, result.stderr).toBe(0)
    expect(Fs.readdirSync(out, { recursive: true }).map(String).sort()).toEqual([
      "anysource.yaml",
      "handler.mjs",
      "handler.mjs.map",
      "pipelines",
      Path.join("pipelines", "contractors.yaml")
    ])
    expect(Fs.readFileSync(Path.join(out, "handler.mjs")).equals(Fs.readFileSync(bundle))).toBe(true)
  })

  it("is one self-contained file", () => {
    const code = Fs.readdirSync(Path.dirname(bundle), { withFileTypes: true }).filter((f) => f.isFile() && /\.(m|c)?js$/.test(f.name))
    expect(code.map((f) => f.name)).toEqual(["handler.mjs"])
    const text = Fs.readFileSync(bundle, "utf8")
    // nothing left to resolve from node_modules at run time (node: built-ins only)
    const bare = [...text.matchAll(/^import\s.*?from\s+"([^"]+)"/gm)].map((m) => m[1]).filter((s) => !s!.startsWith("node:"))
    expect(bare).toEqual([])
  })

  it(
    "runs under lambda-local and syncs into the emulator with PostgreSQL state",
    async () => {
      const run = await lambdaLocalRun(120, {
        ANYSOURCE_CONFIG: Path.join(dir, "anysource.yaml"),
        ANYSOURCE_PG_URL: pgUrl(),
        OKTA_API_TOKEN_FILE: Path.join(dir, "okta-token"),
        ANYSOURCE_SAFETY_MARGIN_MS: "10000"
      })
      expect(run.result.status, run.output).toBe("ok")
      expect(run.result.report?.outcome).toBe("applied")
      expect(run.result.report?.summary?.users.create).toBe(40)
      expect(emu.directory.users(SOURCE)).toHaveLength(40)
      expect(run.logs.length).toBeGreaterThan(2)
      for (const line of run.logs) expect(line.annotations["runId"]).toBe(run.result.runId)
      expect(run.output).not.toContain(TOKEN)
    },
    120_000
  )

  it(
    "refuses to start when the function's timeout is shorter than the safety margin",
    async () => {
      const run = await lambdaLocalRun(60, {
        ANYSOURCE_CONFIG: Path.join(dir, "anysource.yaml"),
        ANYSOURCE_PG_URL: pgUrl(),
        OKTA_API_TOKEN_FILE: Path.join(dir, "okta-token")
      })
      expect(run.result.status).toBe("failed")
      expect(run.result.error?.message).toContain("safety margin (ANYSOURCE_SAFETY_MARGIN_MS) is 360 s")
    },
    60_000
  )
})
