/**
 * A clone must build and pass its tests with nothing beside it. This finds references that leave the
 * repository: the design folder that sits beside the checkout on the maintainers' machines, citations of its
 * Okta notes, and relative paths that climb more levels than the file is deep. `test/Standalone.test.ts` runs
 * it over every tracked file (Markdown, `docs/` and changelogs are prose and may cite anything).
 */

export interface Escape {
  /** 1-based. */
  readonly line: number
  readonly column: number
  readonly text: string
  readonly reason: string
}

// Built from parts, so that this file does not itself contain what it looks for.
const besideFolder = ["..", "shared"].join("/")
const oktaNotes = ["shared", "okta"].join("/")

/** A run of `..` segments: `../..`, `..\..\`, ending at a separator or at the end of the path. */
const climb = /(?<![\w.-])\.\.(?:[/\\]\.\.)*(?=[/\\]|["'`\s),;:]|$)/g

/** Directories between the repository root and the file (`a/b/c.ts` is 2 deep). */
export const depthOf = (path: string): number => path.split("/").length - 1

/**
 * Every place in `text` (the content of the tracked file `path`) that refers to something outside the repository.
 * Relative paths count from the file's directory unless `depthAt` (1-based line → depth) says otherwise.
 */
export const findEscapes = (
  path: string,
  text: string,
  depthAt?: (line: number) => number
): ReadonlyArray<Escape> => {
  const found: Array<Escape> = []
  const lines = text.split("\n")
  lines.forEach((line, i) => {
    const depth = depthAt?.(i + 1) ?? depthOf(path)
    const at = (index: number, match: string, reason: string) =>
      found.push({ line: i + 1, column: index + 1, text: match, reason })
    for (let index = line.indexOf(besideFolder); index >= 0; index = line.indexOf(besideFolder, index + 1)) {
      at(index, besideFolder, "refers to the folder beside the checkout, which a clone does not have")
    }
    for (let index = line.indexOf(oktaNotes); index >= 0; index = line.indexOf(oktaNotes, index + 1)) {
      if (index > 0 && /[a-z]/i.test(line[index - 1]!)) continue
      at(
        index,
        oktaNotes,
        "cites the maintainers' Okta notes; cite docs/okta/identity-sources-api.md or the emulator's spec/ instead"
      )
    }
    for (const m of line.matchAll(climb)) {
      const levels = m[0].split(/[/\\]/).length
      if (levels > depth) {
        at(
          m.index,
          m[0],
          `climbs ${levels} level(s) from a file ${depth} level(s) deep, above the repository root`
        )
      }
    }
  })
  return found
}

/** Whether a tracked file is checked: prose (Markdown, `docs/`, changelogs) may cite anything. */
export const isChecked = (path: string): boolean =>
  !path.endsWith(".md") && !path.startsWith("docs/") && !/(^|\/)CHANGELOG[^/]*$/.test(path)

/**
 * pnpm-lock.yaml writes `link:` paths relative to each importer (`apps/cli` → `link:../../packages/core`): the
 * depth for a line is that of the importer section it is in (the root's everywhere else).
 */
export const lockfileDepths = (text: string): ((line: number) => number) => {
  const depths: Array<number> = []
  let inImporters = false
  let depth = 0
  for (const line of text.split("\n")) {
    if (/^\S/.test(line)) {
      inImporters = line.startsWith("importers:")
      depth = 0
    } else if (inImporters) {
      const importer = /^ {2}(['"]?)([^\s'"]+)\1:\s*$/.exec(line)?.[2]
      if (importer !== undefined) depth = importer === "." ? 0 : importer.split("/").length
    }
    depths.push(depth)
  }
  return (line) => depths[line - 1] ?? 0
}
