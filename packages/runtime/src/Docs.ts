/**
 * The source tables of the README and the docs, generated from the registry (`pnpm gen:docs`; a test fails when a
 * committed table is stale): one row per adapter with its `source.type`, its package, what it reads (its
 * `docs.summary`) and the runtimes that offer it (the Lambda bundle offers the pure-JavaScript ones).
 */
import type { Source } from "@anysource/core"
import { Effect } from "effect"
import type { Registry, SourceEntry } from "./Registry.ts"

export interface SourceRow {
  readonly entry: SourceEntry
  readonly definition: Source.SourceDefinition
}

/** `packages/<folder>` of a workspace package: `@anysource/source-file` → `source-file`. */
export const folderOf = (packageName: string): string => packageName.replace(/^@[^/]+\//, "")

/** Where each adapter runs: every app offers it, the Lambda only when it is pure JavaScript. */
export const runtimesOf = (entry: SourceEntry): string => (entry.pureJs ? "CLI, worker, Lambda" : "CLI, worker")

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ")

/**
 * The table, with package links relative to the page: `packages/` from the repository root (README), `../packages/`
 * from `docs/`.
 */
export const sourcesTable = (rows: ReadonlyArray<SourceRow>, packagesDir: string): string =>
  [
    "| `type` | package | reads | runs on |",
    "| --- | --- | --- | --- |",
    ...rows.map(
      ({ entry, definition }) =>
        `| \`${entry.id}\` | [\`${entry.packageName}\`](${packagesDir}/${folderOf(entry.packageName)}/README.md) | ${cell(definition.docs?.summary ?? definition.description ?? definition.displayName)} | ${runtimesOf(entry)} |`
    )
  ].join("\n")

export const START = "<!-- sources:start (generated from packages/runtime/src/Sources.ts by `pnpm gen:docs`) -->"
export const END = "<!-- sources:end -->"

/** `text` with the generated section between `START` and `END` replaced by `section`. */
export const replaceSection = (text: string, section: string, file: string): string => {
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  if (start < 0 || end < start) throw new Error(`${file} has no ${START} … ${END} section`)
  return `${text.slice(0, start + START.length)}\n\n${section.trim()}\n\n${text.slice(end)}`
}

/** The generated files, relative to the repository root, and the link prefix each page needs. */
export const targets: ReadonlyArray<{ readonly file: string; readonly packagesDir: string }> = [
  { file: "README.md", packagesDir: "packages" },
  { file: "docs/configuration.md", packagesDir: "../packages" }
]

/** Every entry of `registry` with its loaded definition (loads every adapter). */
export const rowsOf = (registry: Registry): Effect.Effect<ReadonlyArray<SourceRow>> =>
  Effect.map(registry.loadAll, (definitions) => registry.entries.map((entry, i) => ({ entry, definition: definitions[i]! })))

/** Each generated file's text as it should be, given its current text. */
export const regenerate = (rows: ReadonlyArray<SourceRow>, file: string, text: string, packagesDir: string): string =>
  replaceSection(text, sourcesTable(rows, packagesDir), file)
