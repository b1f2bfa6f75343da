/**
 * The CLI ships as one bundle. What stays outside it (native better-sqlite3, jiti) must be a runtime
 * dependency at the version the bundled packages use, and the built files may import nothing else
 * but Node's built-ins, or the published CLI would fail at run time.
 */
import { builtinModules } from "node:module"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { external } from "../tsup.config.ts"
import { appDir, ensureBuilt } from "./support/cli.ts"

const read = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, string> | undefined>
const cli = read(path.join(appDir, "package.json"))
const workspacePackage = (name: string) => {
  const file = path.join(appDir, "../../packages", name.slice("@anysource/".length), "package.json")
  return fs.existsSync(file) ? read(file) : undefined
}

beforeAll(ensureBuilt, 120_000)

describe("packaging", () => {
  it("keeps only native/self-loading modules external, at the versions the bundled packages use", () => {
    // the workspace packages the bundle holds: the CLI's own and, through @anysource/runtime, the adapters and stores
    const bundled = new Set<string>()
    const visit = (names: ReadonlyArray<string>) => {
      for (const name of names.filter((d) => d.startsWith("@anysource/") && !bundled.has(d) && workspacePackage(d))) {
        bundled.add(name)
        visit(Object.keys(workspacePackage(name)?.dependencies ?? {}))
      }
    }
    visit(Object.keys({ ...cli.dependencies, ...cli.devDependencies }))
    for (const dep of external) {
      const wanted = [...bundled].map((b) => workspacePackage(b)?.dependencies?.[dep]).filter((v): v is string => v !== undefined)
      expect(wanted.length, `${dep} is used by a bundled package`).toBeGreaterThan(0)
      for (const version of wanted) expect(cli.dependencies?.[dep], dep).toBe(version)
    }
  })

  it("ships the emulator's OpenAPI files beside the bundle (dist/spec), as the emulator package has them", () => {
    // `anysource emulator --strict` validates against them; the bundled emulator looks for spec/ beside its chunk
    const source = path.join(appDir, "../../packages/okta-emulator/spec")
    const files = fs.readdirSync(source).filter((f) => f.endsWith(".yaml"))
    expect(files).toEqual(expect.arrayContaining(["openapi-identity-sources.yaml", "openapi-schemas-mappings.yaml"]))
    for (const file of files) {
      expect(fs.readFileSync(path.join(appDir, "dist", "spec", file), "utf8"), file).toBe(fs.readFileSync(path.join(source, file), "utf8"))
    }
  })

  it("the built files statically import only Node built-ins and the declared dependencies", () => {
    // Static imports run at start-up, so each must resolve. (Bundled libraries also hold lazy optional
    // requires, e.g. pg-native or undici's node:sqlite cache, reached only when their feature is used.)
    const dist = path.join(appDir, "dist")
    const specifiers = new Set<string>()
    for (const file of fs.readdirSync(dist).filter((f) => f.endsWith(".js"))) {
      const text = fs.readFileSync(path.join(dist, file), "utf8")
      for (const m of text.matchAll(/^(?:import|export)\s(?:[^;]*?\sfrom\s)?["']([^"'.][^"']*)["'];?$/gm)) specifiers.add(m[1]!)
    }
    const builtins = new Set(builtinModules)
    const packageOf = (s: string) => (s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0]!)
    const undeclared = [...specifiers].filter((s) => !s.startsWith("node:") && !builtins.has(s) && !builtins.has(packageOf(s)) && cli.dependencies?.[packageOf(s)] === undefined)
    expect([...specifiers]).toEqual(expect.arrayContaining(["better-sqlite3"]))
    expect(undeclared).toEqual([])
  })
})
