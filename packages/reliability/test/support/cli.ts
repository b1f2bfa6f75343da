/** Run the BUILT CLI (apps/cli/dist/bin.js) as a child process. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot = resolve(here, "../../../..")
export const bin = join(repoRoot, "apps", "cli", "dist", "bin.js")
export const skewClock = join(here, "skew-clock.mjs")

/** turbo builds the CLI before this suite (turbo.json); a bare `vitest run` builds it when dist is missing. */
export const ensureBuilt = (): void => {
  if (existsSync(bin)) return
  const built = spawnSync("pnpm", ["--filter", "@anysource/cli", "build"], { cwd: repoRoot, stdio: "inherit" })
  if (built.status !== 0 || !existsSync(bin)) throw new Error("could not build the CLI (pnpm --filter @anysource/cli build)")
}

/** The environment of a CLI run: no ANYSOURCE_* leaking in from the test's shell, no colours, CI mode. */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("ANYSOURCE_") && k !== "FORCE_COLOR" && k !== "NODE_OPTIONS") env[k] = v
  return { ...env, NO_COLOR: "1", CI: "true", ...extra }
}

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliRun {
  readonly child: ChildProcess
  readonly done: Promise<CliResult>
}

export const start = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): CliRun => {
  const child = spawn(process.execPath, ["--import", skewClock, bin, ...args], { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")))
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.on("error", reject)
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }))
  })
  return { child, done }
}

export const run = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<CliResult> => start(cwd, args, env).done

export const show = (r: CliResult): string => `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`
