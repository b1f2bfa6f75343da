/**
 * Start-up loads only what the command uses (issue 17): the built CLI's `--help` must not load the emulator
 * (openapi-backend, Ajv), JSONata, a database or HTTP client, or a native driver. The bundle keeps esbuild's
 * `// <path>` comment above each module it holds, so each chunk the process loads says which packages are in it.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ExitCode } from "../src/ExitCodes.ts"
import { appDir, copyQuickstart, ensureBuilt, removeTempDirs, run, show, tempDir } from "./support/cli.ts"

const hook = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "recordLoads.mjs")

/** What must wait for a command that uses it: a name, how a loaded chunk or external module shows it. */
const heavy: ReadonlyArray<readonly [string, RegExp]> = [
  ["the Okta emulator", /^\/\/ \.\.\/\.\.\/packages\/okta-emulator\/src\//m],
  ["openapi-backend", /^\/\/ .*node_modules\/openapi-backend\//m],
  ["JSONata", /^\/\/ .*node_modules\/jsonata\//m],
  ["pg", /^\/\/ .*node_modules\/pg\//m],
  ["mysql2", /^\/\/ .*node_modules\/mysql2\//m],
  ["undici", /^\/\/ .*node_modules\/undici\//m],
  ["the Google API client", /^\/\/ .*node_modules\/(googleapis|google-auth-library)\//m],
  ["the HTML report", /^\/\/ src\/HtmlReport\.ts$/m]
]
const externals = ["better-sqlite3", "ssh2"]

/** Runs the built CLI with the load recorder; returns the heavy parts it loaded. */
const loadedBy = async (cwd: string, args: ReadonlyArray<string>) => {
  const out = path.join(tempDir(), "loads.txt")
  const r = await run(cwd, args, { NODE_OPTIONS: `--import=${hook}`, ANYSOURCE_TEST_LOADS_OUT: out })
  const urls = fs.existsSync(out)
    ? fs
        .readFileSync(out, "utf8")
        .split("\n")
        .filter((u) => u.startsWith("file:"))
    : []
  const files = [...new Set(urls.map((u) => fileURLToPath(u)))]
  const dist = path.join(appDir, "dist") + path.sep
  const chunks = files
    .filter((f) => f.startsWith(dist) && f.endsWith(".js"))
    .map((f) => fs.readFileSync(f, "utf8"))
  const found = heavy.filter(([, marker]) => chunks.some((text) => marker.test(text))).map(([name]) => name)
  const native = externals.filter((name) =>
    files.some((f) => f.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`))
  )
  return { r, chunks: chunks.length, loaded: [...found, ...native] }
}

beforeAll(() => ensureBuilt())
afterAll(() => removeTempDirs())

describe("start-up", () => {
  it("--help loads none of the emulator, JSONata, the database and HTTP clients, the native drivers or the HTML report", async () => {
    const { r, chunks, loaded } = await loadedBy(tempDir(), ["--help"])
    expect(r.code, show(r)).toBe(0)
    expect(chunks).toBeGreaterThan(0) // the recorder saw the bundle load
    expect(loaded).toEqual([])
  })

  it("a plan against the embedded emulator does load it (the check above sees what a command uses)", async () => {
    const { r, loaded } = await loadedBy(copyQuickstart(), ["plan"])
    expect(r.code, show(r)).toBe(ExitCode.Changes) // a first plan of the quickstart has users to create
    expect(loaded).toContain("the Okta emulator")
    expect(loaded).toContain("better-sqlite3")
    expect(loaded).not.toContain("the HTML report")
  })
})
