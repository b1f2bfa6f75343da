/**
 * The rooms of `src/` and what each may import (each folder's README says the same; this test keeps them honest):
 *
 * - a module may import its own room, and the rooms (or single modules) listed for it in `allowed`;
 * - a room's `internal/` modules are private to that room;
 * - no import cycles between modules;
 * - nothing `index.ts` loads imports vitest (the conformance suites are reached through `testing.ts` only);
 * - every room has a README whose "May import" line matches `allowed`;
 * - no module in `src/` is longer than 400 lines, no function in plan/ or apply/ longer than 80.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, posix, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src")

/** Room → the rooms (or `room/Module.ts` files) its modules may import. `*` = every room. */
const allowed: Readonly<Record<string, ReadonlyArray<string>>> = {
  domain: [],
  config: ["domain"],
  pipeline: ["domain", "config", "okta/Limits.ts"],
  state: ["domain"],
  okta: ["domain", "config"],
  plan: ["domain", "config", "pipeline", "state"],
  apply: ["domain", "okta", "plan", "state"],
  verify: ["domain", "config", "okta", "plan", "state"],
  setup: ["domain", "config", "okta"],
  run: ["domain", "config", "pipeline", "plan", "okta", "apply", "state", "verify", "setup"],
  testing: ["domain", "config"],
  namespaces: ["*"],
  // index.ts and testing.ts: the package's entry points
  ".": ["*"]
}

type Files = ReadonlyMap<string, string>

interface Violation {
  readonly file: string
  readonly rule: string
  readonly message: string
}

const roomOf = (file: string): string => (file.includes("/") ? file.slice(0, file.indexOf("/")) : ".")

/** Relative imports and re-exports of one module (static and dynamic), as paths relative to `src/`. */
const importsOf = (file: string, text: string): ReadonlyArray<string> =>
  ts
    .preProcessFile(text, true, true)
    .importedFiles.map((i) => i.fileName)
    .filter((s) => s.startsWith("."))
    .map((s) => posix.normalize(posix.join(posix.dirname(file), s)))

const packagesOf = (text: string): ReadonlyArray<string> =>
  ts
    .preProcessFile(text, true, true)
    .importedFiles.map((i) => i.fileName)
    .filter((s) => !s.startsWith("."))

const cycles = (graph: ReadonlyMap<string, ReadonlyArray<string>>): ReadonlyArray<ReadonlyArray<string>> => {
  const found: Array<ReadonlyArray<string>> = []
  const state = new Map<string, "open" | "done">()
  const stack: Array<string> = []
  const visit = (node: string): void => {
    state.set(node, "open")
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next])
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(node, "done")
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node)
  return found
}

/** Every rule above, over `files` (path relative to `src/` → text). Pure, so the self-test can feed it a fixture. */
const check = (files: Files): ReadonlyArray<Violation> => {
  const out: Array<Violation> = []
  const graph = new Map<string, ReadonlyArray<string>>()
  for (const [file, text] of files) {
    const room = roomOf(file)
    const rules = allowed[room]
    if (rules === undefined) {
      out.push({
        file,
        rule: "room",
        message: `${room}/ is not a known room: add it to the table in Architecture.test.ts and give it a README`
      })
      continue
    }
    const targets = importsOf(file, text)
    graph.set(file, targets)
    for (const target of targets) {
      const where = `${file} imports ${target}`
      if (!files.has(target)) {
        out.push({ file, rule: "resolve", message: `${where}, which does not exist` })
        continue
      }
      const to = roomOf(target)
      if (to !== room && target.split("/").includes("internal"))
        out.push({ file, rule: "internal", message: `${where}: ${to}/internal/ is private to ${to}/` })
      else if (to !== room && !rules.includes("*") && !rules.includes(to) && !rules.includes(target))
        out.push({
          file,
          rule: "room",
          message: `${where}: ${room}/ may import ${rules.length === 0 ? "no other room" : rules.join(", ")}, not ${to}/`
        })
    }
  }
  for (const cycle of cycles(graph))
    out.push({ file: cycle[0]!, rule: "cycle", message: `import cycle: ${cycle.join(" → ")}` })
  // what index.ts loads must not need vitest (an optional peer dependency)
  const loaded = new Set<string>()
  const load = (file: string): void => {
    if (loaded.has(file) || !files.has(file)) return
    loaded.add(file)
    for (const next of graph.get(file) ?? []) load(next)
  }
  load("index.ts")
  for (const file of [...loaded].sort())
    if (packagesOf(files.get(file)!).some((p) => p === "vitest" || p === "@effect/vitest"))
      out.push({
        file,
        rule: "vitest",
        message: `${file} imports vitest but index.ts loads it: reach it through testing.ts only`
      })
  return out
}

const walk = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : []
  })

const maxLines = 400
const maxStepLines = 80

const sources: Files = new Map(
  walk(src).map((path) => [relative(src, path).split("\\").join("/"), readFileSync(path, "utf8")] as const)
)

describe("architecture of src/", () => {
  it("every import follows the rooms' table, no room reaches into another's internal/, and there are no cycles", () => {
    expect(check(sources).map((v) => v.message)).toEqual([])
  })

  it("every room has a README whose 'May import' line matches the table", () => {
    for (const [room, rules] of Object.entries(allowed)) {
      if (room === ".") continue
      const readme = readFileSync(join(src, room, "README.md"), "utf8")
      const line = /^\*\*May import:\*\*(.*)$/m.exec(readme)?.[1]
      expect(line, `${room}/README.md has no "**May import:**" line`).toBeDefined()
      const listed = [...line!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\/$/, ""))
      expect(listed.sort(), `${room}/README.md`).toEqual([...(rules.includes("*") ? ["*"] : rules)].sort())
    }
  })

  it(`no module in src/ is longer than ${maxLines} lines`, () => {
    const long = [...sources].flatMap(([file, text]) => {
      const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0)
      return lines > maxLines ? [`${file}: ${lines} lines`] : []
    })
    expect(long).toEqual([])
  })

  it(`no function in plan/ or apply/ (the planner's and the orchestrator's steps) is longer than ${maxStepLines} lines`, () => {
    const long: Array<string> = []
    for (const [file, text] of sources) {
      if (!file.startsWith("plan/") && !file.startsWith("apply/")) continue
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
      const visit = (node: ts.Node): void => {
        if (
          ts.isArrowFunction(node) ||
          ts.isFunctionExpression(node) ||
          ts.isFunctionDeclaration(node) ||
          ts.isMethodDeclaration(node)
        ) {
          const first = source.getLineAndCharacterOfPosition(node.getStart()).line
          const last = source.getLineAndCharacterOfPosition(node.getEnd()).line
          if (last - first + 1 > maxStepLines) long.push(`${file}:${first + 1}: ${last - first + 1} lines`)
        }
        ts.forEachChild(node, visit)
      }
      visit(source)
    }
    expect(long).toEqual([])
  })

  describe("the checker finds what it is meant to find", () => {
    const fixture = (extra: Record<string, string>): Files =>
      new Map(
        Object.entries({
          "index.ts": `export * as Model from "./domain/Model.ts"\nexport * as Planner from "./plan/Planner.ts"`,
          "testing.ts": `export * as Suite from "./state/Suite.ts"`,
          "domain/Model.ts": `export type Profile = Record<string, string>`,
          "state/Store.ts": `import type { Profile } from "../domain/Model.ts"`,
          "state/Suite.ts": `import { it } from "@effect/vitest"\nimport type * as Store from "./Store.ts"`,
          "plan/Planner.ts": `import type { Profile } from "../domain/Model.ts"\nimport "./internal/table.ts"`,
          "plan/internal/table.ts": `export const table = 1`,
          "okta/Limits.ts": `export const max = 200`,
          "pipeline/Validate.ts": `import { max } from "../okta/Limits.ts"`,
          ...extra
        })
      )

    it("a fixture that keeps the rules passes", () => {
      expect(check(fixture({}))).toEqual([])
    })

    it("an import from a room the table does not allow", () => {
      const found = check(
        fixture({
          "domain/Extra.ts": `import "../state/Store.ts"`,
          "okta/Client.ts": `import "../plan/Planner.ts"`
        })
      )
      expect(found.map((v) => v.message)).toEqual([
        "domain/Extra.ts imports state/Store.ts: domain/ may import no other room, not state/",
        "okta/Client.ts imports plan/Planner.ts: okta/ may import domain, config, not plan/"
      ])
    })

    it("only the listed module of a room, not the rest of it", () => {
      const found = check(
        fixture({ "okta/Client.ts": `export const x = 1`, "pipeline/Map.ts": `import "../okta/Client.ts"` })
      )
      expect(found.map((v) => v.message)).toEqual([
        "pipeline/Map.ts imports okta/Client.ts: pipeline/ may import domain, config, okta/Limits.ts, not okta/"
      ])
    })

    it("another room's internal/, dynamic imports and re-exports included", () => {
      const found = check(
        fixture({
          "apply/Orchestrator.ts": `export { table } from "../plan/internal/table.ts"\nconst m = () => import("../plan/Planner.ts")`
        })
      )
      expect(found.map((v) => v.rule)).toEqual(["internal"])
    })

    it("a cycle, an unknown room, a missing module and vitest behind index.ts", () => {
      const found = check(
        fixture({
          "plan/A.ts": `import "./B.ts"`,
          "plan/B.ts": `import "./A.ts"`,
          "misc/Thing.ts": `export {}`,
          "state/Store.ts": `import "./Gone.ts"`,
          "index.ts": `export * from "./state/Suite.ts"`
        })
      )
      expect(found.map((v) => v.rule).sort()).toEqual(["cycle", "resolve", "room", "vitest"])
      expect(found.find((v) => v.rule === "cycle")!.message).toBe(
        "import cycle: plan/A.ts → plan/B.ts → plan/A.ts"
      )
    })
  })
})
