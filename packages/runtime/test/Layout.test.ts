/**
 * The repository's layout rule (docs/architecture.md, "Packages and apps"): which workspace package may import
 * which, checked over every `src/` file. Core depends on nothing of ours; adapters and stores depend on core; the
 * runtime gathers them; the apps reach adapters and stores only through the runtime, so the registry in
 * packages/runtime/src/Sources.ts stays the one place sources are listed. Also: every published package is in the
 * changesets `fixed` group, including a source added later (the group is a glob), and no app module grows past
 * 250 lines (core's own limit, 400, is its Architecture test's).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import * as Path from "node:path"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const root = Path.resolve(import.meta.dirname, "..", "..", "..")

interface Workspace {
  readonly name: string
  readonly dir: string
  readonly private: boolean
}

const workspaces: ReadonlyArray<Workspace> = ["packages", "apps"].flatMap((group) =>
  readdirSync(Path.join(root, group)).flatMap((entry) => {
    const file = Path.join(root, group, entry, "package.json")
    if (!existsSync(file)) return []
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name: string; private?: boolean }
    return [{ name: pkg.name, dir: Path.join(group, entry), private: pkg.private === true }]
  })
)

/** Package name → the workspace packages its `src/` may import (by pattern; `source-*` = every adapter). */
const rules: ReadonlyArray<readonly [RegExp, ReadonlyArray<RegExp>]> = [
  [/^@anysource\/core$/, []],
  [/^@anysource\/okta-emulator$/, []],
  [/^@anysource\/source-/, [/^@anysource\/core$/, /^@anysource\/source-file$/]],
  [/^@anysource\/state-/, [/^@anysource\/core$/]],
  [/^@anysource\/runtime$/, [/^@anysource\/core$/, /^@anysource\/source-/, /^@anysource\/state-/]],
  [/^@anysource\/cli$/, [/^@anysource\/core$/, /^@anysource\/runtime$/, /^@anysource\/okta-emulator$/]],
  [/^@anysource\/(lambda|worker)$/, [/^@anysource\/core$/, /^@anysource\/runtime$/]]
]

const sourceFiles = (dir: string): ReadonlyArray<string> =>
  existsSync(dir)
    ? readdirSync(dir).flatMap((name) => {
        const path = Path.join(dir, name)
        return statSync(path).isDirectory() ? sourceFiles(path) : /\.(ts|mts|mjs|js)$/.test(name) ? [path] : []
      })
    : []

/** `@scope/name` of every import (static, dynamic, re-export) of `@anysource/*` packages in a file. */
const workspaceImports = (text: string): ReadonlyArray<string> =>
  ts
    .preProcessFile(text, true, true)
    .importedFiles.map((i) => i.fileName)
    .filter((s) => s.startsWith("@anysource/"))
    .map((s) => s.split("/").slice(0, 2).join("/"))

describe("layout", () => {
  it("every package under packages/ and apps/ that ships code has a rule (or is test tooling)", () => {
    const tooling = ["@anysource/reliability", "@anysource/release-check"]
    const unruled = workspaces.filter((w) => !tooling.includes(w.name) && !rules.some(([p]) => p.test(w.name)))
    expect(unruled.map((w) => w.name)).toEqual([])
  })

  it("src/ imports only the workspace packages its rule allows", () => {
    const violations: Array<string> = []
    for (const workspace of workspaces) {
      const rule = rules.find(([p]) => p.test(workspace.name))
      if (rule === undefined) continue
      for (const file of sourceFiles(Path.join(root, workspace.dir, "src"))) {
        for (const imported of workspaceImports(readFileSync(file, "utf8"))) {
          if (imported === workspace.name || rule[1].some((p) => p.test(imported))) continue
          violations.push(`${Path.relative(root, file)} imports ${imported}`)
        }
      }
    }
    expect(violations).toEqual([])
  })

  it("the apps depend on no adapter or state store directly (only through the runtime)", () => {
    for (const app of workspaces.filter((w) => w.dir.startsWith("apps/"))) {
      const pkg = JSON.parse(readFileSync(Path.join(root, app.dir, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>
      const direct = Object.keys({ ...pkg.dependencies }).filter((d) => /^@anysource\/(source|state)-/.test(d))
      expect(direct, app.name).toEqual([])
    }
  })

  it("the changesets fixed group is every published package, by patterns a new source matches", () => {
    const config = JSON.parse(readFileSync(Path.join(root, ".changeset", "config.json"), "utf8")) as { fixed: ReadonlyArray<ReadonlyArray<string>> }
    expect(config.fixed).toHaveLength(1)
    const patterns = config.fixed[0]!
    // micromatch's syntax, as far as these patterns use it: `*`, `{a,b}`, a leading `!`
    const regex = (glob: string) =>
      new RegExp(`^${glob.replace(/[.+?^$()|[\]\\/]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\{([^}]*)\}/g, (_, alts: string) => `(${alts.split(",").join("|")})`)}$`)
    const positive = patterns.filter((p) => !p.startsWith("!")).map(regex)
    const negative = patterns.filter((p) => p.startsWith("!")).map((p) => regex(p.slice(1)))
    const inGroup = (name: string) => positive.some((r) => r.test(name)) && !negative.some((r) => r.test(name))
    expect(workspaces.filter((w) => !w.private && !inGroup(w.name)).map((w) => w.name)).toEqual([])
    expect(workspaces.filter((w) => w.private && inGroup(w.name)).map((w) => w.name)).toEqual([])
    expect(inGroup("@anysource/source-bamboo-hr")).toBe(true)
  })

  it("no app module is longer than 250 lines: an app is a composition root, what grows goes to a package", () => {
    const long = workspaces
      .filter((w) => w.dir.startsWith("apps/"))
      .flatMap((app) => sourceFiles(Path.join(root, app.dir, "src")))
      .map((file) => [Path.relative(root, file), readFileSync(file, "utf8").split("\n").length - 1] as const)
      .filter(([, lines]) => lines > 250)
    expect(long).toEqual([])
  })
})
