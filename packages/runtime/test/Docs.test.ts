/** The README's and docs' source tables are generated from the registry: they must be current. */
import { readFileSync } from "node:fs"
import * as Path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Docs from "../src/Docs.ts"
import { registry } from "../src/Sources.ts"

const root = Path.resolve(import.meta.dirname, "..", "..", "..")

describe("generated docs", () => {
  it.effect("the source tables of README.md and docs/configuration.md are current (run `pnpm gen:docs`)", () =>
    Effect.gen(function* () {
      const rows = yield* Docs.rowsOf(registry)
      for (const target of Docs.targets) {
        const text = readFileSync(Path.join(root, target.file), "utf8")
        expect(text, target.file).toBe(Docs.regenerate(rows, target.file, text, target.packagesDir))
        for (const entry of registry.entries) expect(text, target.file).toContain(`| \`${entry.id}\` |`)
      }
    })
  )

  it("a row: type, package linked to its README, what it reads, where it runs", () => {
    const table = Docs.sourcesTable(
      [
        {
          entry: { id: "acme", packageName: "@anysource/source-acme", pureJs: false, load: () => Promise.reject(new Error("unused")) },
          definition: { id: "acme", displayName: "Acme", docs: { summary: "people | teams from Acme", example: "" } } as never
        }
      ],
      "../packages"
    )
    expect(table.split("\n")).toEqual([
      "| `type` | package | reads | runs on |",
      "| --- | --- | --- | --- |",
      "| `acme` | [`@anysource/source-acme`](../packages/source-acme/README.md) | people \\| teams from Acme | CLI, worker |"
    ])
  })

  it("refuses a page without the generated section", () => {
    expect(() => Docs.replaceSection("# no markers", "x", "README.md")).toThrow("README.md has no")
  })
})
