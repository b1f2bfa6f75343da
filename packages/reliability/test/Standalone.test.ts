/**
 * A clone stands alone: no tracked file (outside prose) refers to a path above the repository root, such as the
 * folder beside the checkout where the maintainers keep their design notes. Samples are built from parts so that
 * this file passes its own check.
 */
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { depthOf, findEscapes, isChecked, lockfileDepths } from "../src/Standalone.ts"

const up = (levels: number) => Array.from({ length: levels }, () => "..").join("/")
const beside = [up(1), "shared"].join("/")
const notes = ["shared", "okta"].join("/")

describe("the escape detector", () => {
  it("finds the folder beside the checkout, citations of its Okta notes, and paths that climb above the root", () => {
    const text = [
      `const spec = resolve(repoRoot, "${beside}/okta/openapi.yaml")`,
      ` * Rules (${notes}/identity-sources-api.md §4)`,
      `import x from "${up(4)}/elsewhere/x.ts"`,
      `const fine = "${up(3)}/tooling/tsconfig/base.json"`,
      `const spread = { ...options, ...rest }`
    ].join("\n")
    const found = findEscapes("packages/core/test/example.ts", text)
    expect(found.map((e) => [e.line, e.text])).toEqual([
      [1, beside],
      [1, notes],
      [2, notes],
      [3, up(4)]
    ])
    expect(found[0]?.reason).toMatch(/beside the checkout/)
    expect(found[2]?.reason).toMatch(/docs\/okta\/identity-sources-api\.md/)
    expect(found[3]).toMatchObject({
      column: 16,
      reason: "climbs 4 level(s) from a file 3 level(s) deep, above the repository root"
    })
  })

  it("measures the climb against the file's own depth, in both separators and at the end of a path", () => {
    expect(depthOf("README.md")).toBe(0)
    expect(depthOf("apps/cli/tsup.config.ts")).toBe(2)
    expect(
      findEscapes("apps/cli/tsup.config.ts", `cpSync("${up(2)}/packages/okta-emulator/spec", "dist/spec")`)
    ).toEqual([])
    expect(findEscapes("apps/cli/tsup.config.ts", `cpSync("${up(3)}/other", "dist")`)).toHaveLength(1)
    expect(findEscapes("scripts/x.sh", `cd "$(dirname "$0")/${up(1)}"`)).toEqual([])
    expect(findEscapes("scripts/x.sh", `cd ${up(2)}`)).toHaveLength(1)
    expect(findEscapes("x.ps1", ["..", "..", "y"].join("\\"))).toHaveLength(1)
    // a word that merely ends in the folder's name is not a citation
    expect(findEscapes("a/b.ts", `const preshared = "pre${notes}"`)).toEqual([])
  })

  it("reads pnpm-lock.yaml's link: paths relative to their importer", () => {
    const lock = [
      "lockfileVersion: '9.0'",
      "importers:",
      "",
      "  .:",
      "    devDependencies: {}",
      "",
      "  apps/cli:",
      "    dependencies:",
      "      '@anysource/core':",
      "        specifier: workspace:*",
      `        version: link:${up(2)}/packages/core`,
      "  packages/core:",
      "    dependencies:",
      `      x: { version: link:${up(3)}/outside }`,
      "packages:",
      `  y: { resolution: { directory: ${up(1)}/z } }`
    ].join("\n")
    const found = findEscapes("pnpm-lock.yaml", lock, lockfileDepths(lock))
    expect(found.map((e) => [e.line, e.text])).toEqual([
      [14, up(3)],
      [16, up(1)]
    ])
    // without the importer depths every link: would look like an escape
    expect(findEscapes("pnpm-lock.yaml", lock)).toHaveLength(3)
  })

  it("leaves prose alone: Markdown, docs/ and changelogs", () => {
    expect(isChecked("packages/core/src/Batching.ts")).toBe(true)
    expect(isChecked("pnpm-lock.yaml")).toBe(true)
    expect(isChecked("README.md")).toBe(false)
    expect(isChecked("docs/runtimes.md")).toBe(false)
    expect(isChecked("docs/okta/notes.txt")).toBe(false)
    expect(isChecked("packages/core/CHANGELOG.md")).toBe(false)
  })
})

describe("the repository", () => {
  it("has no tracked file outside prose that refers to a path above its root", () => {
    const top = spawnSync("git", ["rev-parse", "--show-toplevel"], { encoding: "utf8" })
    expect(top.status, `this check needs a git checkout: ${top.stderr}`).toBe(0)
    const root = top.stdout.trim()
    const files = spawnSync("git", ["ls-files", "-z"], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024
    })
    expect(files.status, files.stderr).toBe(0)
    const tracked = files.stdout.split("\0").filter((f) => f !== "")
    expect(tracked.length).toBeGreaterThan(100)
    const problems: Array<string> = []
    for (const file of tracked.filter(isChecked)) {
      let bytes: Buffer
      try {
        bytes = readFileSync(join(root, file))
      } catch {
        continue // deleted in the working tree but still in the index
      }
      if (bytes.subarray(0, 8000).includes(0)) continue // binary
      const text = bytes.toString("utf8")
      const depths = file === "pnpm-lock.yaml" ? lockfileDepths(text) : undefined
      for (const e of findEscapes(file, text, depths))
        problems.push(`${file}:${e.line}:${e.column} ${e.text}: ${e.reason}`)
    }
    expect(problems, problems.join("\n")).toEqual([])
  })
})
