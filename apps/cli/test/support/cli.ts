/** Helpers for the end-to-end tests: run the BUILT binary in temporary copies of the quickstart. */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
export const appDir = path.resolve(here, "../..")
export const bin = path.join(appDir, "dist", "bin.js")
export const quickstart = path.resolve(appDir, "../../examples/quickstart")

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** turbo builds before testing; a bare `vitest run` builds here when dist is missing. */
export const ensureBuilt = (): void => {
  if (fs.existsSync(bin)) return
  const built = spawnSync("npx", ["tsup"], { cwd: appDir, stdio: "inherit" })
  if (built.status !== 0) throw new Error("could not build the CLI (pnpm --filter @anysource/cli build)")
}

const cleanEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("ANYSOURCE_") && k !== "FORCE_COLOR") env[k] = v
  return { ...env, NO_COLOR: "1", CI: "true" }
}

export const run = (cwd: string, args: ReadonlyArray<string>, extraEnv: NodeJS.ProcessEnv = {}): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...cleanEnv(), ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

export const show = (r: Result): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`

export interface EmulatorFile {
  readonly sessions: ReadonlyArray<{ readonly id: string; readonly status: string }>
  readonly users: ReadonlyArray<{ readonly externalId: string; readonly status: string; readonly profile: Record<string, string> }>
  readonly groups: ReadonlyArray<{ readonly externalId: string; readonly members: ReadonlyArray<string> }>
}

/** The embedded emulator's persisted org: what really reached "Okta". */
export const emulatorOf = (dir: string): EmulatorFile =>
  JSON.parse(fs.readFileSync(path.join(dir, ".anysource", "emulator.json"), "utf8")) as EmulatorFile

const dirs: Array<string> = []

export const tempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anysource-cli-"))
  dirs.push(dir)
  return dir
}

let setUpOrg: string | undefined

/**
 * The embedded org after `anysource setup apply --yes` on the quickstart (made once per test file): the identity
 * source declares the quickstart's attributes and maps them, as the quickstart's README has the user do first.
 */
const quickstartOrg = (): string => {
  if (setUpOrg !== undefined) return setUpOrg
  ensureBuilt()
  const dir = tempDir()
  for (const f of ["anysource.yaml", "people.csv"]) fs.copyFileSync(path.join(quickstart, f), path.join(dir, f))
  const r = spawnSync(process.execPath, [bin, "setup", "apply", "--yes"], { cwd: dir, env: cleanEnv(), encoding: "utf8" })
  if (r.status !== 0) throw new Error(`setup apply on the quickstart failed (exit ${r.status}):\n${r.stderr}`)
  setUpOrg = path.join(dir, ".anysource", "emulator.json")
  return setUpOrg
}

/**
 * A temporary copy of the quickstart. `setup` (default true): its embedded org already set up (`setup apply`), so
 * `plan` and `apply` pass the schema guard; false: a fresh identity source, as a new user has it.
 */
export const copyQuickstart = (options: { readonly setup?: boolean } = {}): string => {
  const dir = tempDir()
  for (const f of ["anysource.yaml", "people.csv"]) fs.copyFileSync(path.join(quickstart, f), path.join(dir, f))
  if (options.setup ?? true) withSetUpOrg(dir)
  return dir
}

/** Give `dir` (holding a quickstart-like config) the set-up embedded org. */
export const withSetUpOrg = (dir: string): void => {
  fs.mkdirSync(path.join(dir, ".anysource"), { recursive: true })
  fs.copyFileSync(quickstartOrg(), path.join(dir, ".anysource", "emulator.json"))
}

export const removeTempDirs = (): void => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
}
