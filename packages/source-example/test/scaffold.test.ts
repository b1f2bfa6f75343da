/**
 * `pnpm new:source <id>` (scripts/new-source.mjs): run it against a temporary copy of the repository layout
 * and check that the generated package is renamed, publishable, and green (its own tests pass).
 * This file is not copied into generated packages.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"

const packageDir = Path.resolve(import.meta.dirname, "..")
const repoRoot = Path.resolve(packageDir, "..", "..")
const script = Path.join(repoRoot, "scripts", "new-source.mjs")

const runScript = (root: string, ...args: Array<string>) =>
  spawnSync(process.execPath, [script, ...args, "--root", root], { encoding: "utf8" })

/** A temporary "repository" holding only packages/source-example (without node_modules or build output). */
const fakeRepo = (): string => {
  const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "new-source-"))
  Fs.cpSync(packageDir, Path.join(root, "packages", "source-example"), {
    recursive: true,
    filter: (source) => !/[\\/](node_modules|dist|\.turbo|test-results\.json)$/.test(source)
  })
  return root
}

const read = (file: string) => Fs.readFileSync(file, "utf8")

const listFiles = (dir: string, base = dir): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    return entry.isDirectory() ? listFiles(path, base) : [Path.relative(base, path)]
  })

describe("scripts/new-source.mjs", () => {
  let root: string
  let target: string
  let output: string

  beforeAll(() => {
    root = fakeRepo()
    const result = runScript(root, "hr-api", "--name", "HR API")
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
    output = result.stdout
    target = Path.join(root, "packages", "source-hr-api")
  })

  it("copies the template with renamed files, and leaves out build output and this test", () => {
    expect(listFiles(target).sort()).toEqual(
      [
        "README.md",
        "eslint.config.js",
        "package.json",
        "src/HrApiSource.ts",
        "src/index.ts",
        "test/HrApiSource.test.ts",
        "test/fixtures/people.json",
        "tsconfig.json",
        "tsup.config.ts",
        "vitest.config.ts"
      ].sort()
    )
    // The template itself is untouched.
    expect(Fs.existsSync(Path.join(root, "packages", "source-example", "src", "ExampleSource.ts"))).toBe(true)
  })

  it("makes a publishable package named after the id", () => {
    const manifest = JSON.parse(read(Path.join(target, "package.json")))
    expect(manifest.name).toBe("@anysource/source-hr-api")
    expect(manifest.private).toBeUndefined()
    expect(manifest.description).toBe("anysource source: HR API.")
    expect(manifest.publishConfig).toEqual({
      access: "public",
      exports: { ".": { types: "./dist/index.d.ts", import: "./dist/index.js" } }
    })
    expect(manifest.exports).toEqual({ ".": "./src/index.ts" })
    expect(manifest.peerDependencies["@anysource/core"]).toBe("workspace:^")
  })

  it("renames the adapter id, display name and exports, and nothing else", () => {
    const source = read(Path.join(target, "src", "HrApiSource.ts"))
    expect(source).toContain('const ID = "hr-api"')
    expect(source).toContain('displayName: "HR API"')
    expect(source).toContain("export const HrApiSource = defineSource(")
    expect(source).toContain("export const HrApiConfig = z")
    expect(source).not.toMatch(/ExampleSource|ExampleConfig|"example"/)
    expect(read(Path.join(target, "src", "index.ts"))).toContain(
      'export { HrApiConfig, HrApiSource } from "./HrApiSource.ts"'
    )
    const test = read(Path.join(target, "test", "HrApiSource.test.ts"))
    expect(test).toContain('import { HrApiConfig, HrApiSource } from "../src/index.ts"')
    expect(test).toContain('source: "hr-api"')
    // Example data keeps its example.com addresses.
    expect(read(Path.join(target, "test", "fixtures", "people.json"))).toContain("ada.lovelace@example.com")
    const readme = read(Path.join(target, "README.md"))
    expect(readme).toMatch(/^# @anysource\/source-hr-api/)
    expect(readme).toContain("type: hr-api")
  })

  it("prints the registry line and the dependency to add to packages/runtime", () => {
    expect(output).toContain("packages/runtime/src/Sources.ts")
    expect(output).toContain(
      '{ id: "hr-api", packageName: "@anysource/source-hr-api", pureJs: true, load: () => import("@anysource/source-hr-api").then((m) => m.HrApiSource) }'
    )
    expect(output).toContain('"@anysource/source-hr-api": "workspace:*"')
    expect(output).toContain("pnpm gen:docs")
  })

  it("the init example and docs row name the new type", () => {
    const source = read(Path.join(target, "src", "HrApiSource.ts"))
    expect(source).toContain("  type: hr-api\n")
    expect(source).toContain("anysource sources hr-api")
    expect(source).not.toMatch(/type: example|sources example/)
  })

  it("--register writes the registry line and the runtime's dependency, and nothing else outside the package", () => {
    const runtime = Path.join(repoRoot, "packages", "runtime")
    Fs.mkdirSync(Path.join(root, "packages", "runtime", "src"), { recursive: true })
    Fs.copyFileSync(Path.join(runtime, "src", "Sources.ts"), Path.join(root, "packages", "runtime", "src", "Sources.ts"))
    Fs.copyFileSync(Path.join(runtime, "package.json"), Path.join(root, "packages", "runtime", "package.json"))
    const result = runScript(root, "payroll", "--register", "--native")
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
    const registry = read(Path.join(root, "packages", "runtime", "src", "Sources.ts"))
    const before = read(Path.join(runtime, "src", "Sources.ts"))
    expect(registry.split("\n").filter((l) => !before.split("\n").includes(l))).toEqual([
      expect.stringMatching(/\.then\(\(m\) => m\.RestSource\) \},$/),
      '  { id: "payroll", packageName: "@anysource/source-payroll", pureJs: false, load: () => import("@anysource/source-payroll").then((m) => m.PayrollSource) }'
    ])
    const manifest = JSON.parse(read(Path.join(root, "packages", "runtime", "package.json")))
    expect(manifest.dependencies["@anysource/source-payroll"]).toBe("workspace:*")
    expect(Object.keys(manifest.dependencies)).toEqual(Object.keys(manifest.dependencies).sort())
    expect(result.stdout).toContain("Registered it in packages/runtime")
  })

  it("the generated package is green: its tests pass as generated", () => {
    // Reuse this package's installed dependencies (same dependency set) instead of running pnpm install.
    Fs.symlinkSync(Path.join(packageDir, "node_modules"), Path.join(target, "node_modules"), "dir")
    const vitest = Path.join(packageDir, "node_modules", "vitest", "vitest.mjs")
    const stdout = execFileSync(process.execPath, [vitest, "run"], {
      cwd: target,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }
    })
    expect(stdout).toMatch(/Tests\s+\d+ passed/)
    const results = JSON.parse(read(Path.join(target, "test-results.json")))
    expect(results.numFailedTests).toBe(0)
    expect(results.numPassedTests).toBeGreaterThanOrEqual(20)
    const suites = results.testResults.flatMap((file: any) =>
      file.assertionResults.map((a: any) => a.ancestorTitles[0])
    )
    expect(suites).toContain("SourceConformance: hr-api")
  }, 60_000)

  it("refuses bad ids, reserved ids and existing packages", () => {
    for (const [args, message] of [
      [["HR_API"], "not a valid id"],
      [["example"], "reserved"],
      [["hr-api"], "already exists"],
      [[], "missing <id>"]
    ] as const) {
      const result = runScript(root, ...args)
      expect(result.status).toBe(1)
      expect(result.stderr).toContain(message)
    }
  })
})
