/** Which local file(s) a `path` (file or glob, relative to the config's directory) selects. */
import { SourceError } from "@anysource/core"
import { Effect } from "effect"
import { promises as fs, type Dirent } from "node:fs"
import * as Path from "node:path"
import picomatch from "picomatch"

export interface SelectedFile {
  /** Absolute path. */
  readonly path: string
  /** How rows and messages name it: relative to the config's directory when inside it. */
  readonly name: string
  readonly size: number
  readonly mtimeMs: number
}

const SOURCE = "file"

export const displayName = (baseDir: string, absolute: string): string => {
  const relative = Path.relative(baseDir, absolute)
  return relative === "" || relative.startsWith("..") || Path.isAbsolute(relative) ? absolute : relative
}

const errno = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined

const statError = (pattern: string, absolute: string, error: unknown): SourceError => {
  const code = errno(error)
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new SourceError({ source: SOURCE, reason: "NotFound", message: `${pattern} not found (looked for ${absolute})`, cause: error })
  }
  if (code === "EACCES" || code === "EPERM") {
    return new SourceError({ source: SOURCE, reason: "Permission", message: `${absolute} is not readable (${code})`, cause: error })
  }
  return new SourceError({
    source: SOURCE,
    reason: "Read",
    message: `cannot read ${absolute}: ${error instanceof Error ? error.message : String(error)}`,
    retryable: true,
    cause: error
  })
}

const selectAsync = async (pattern: string, baseDir: string, pick: "newest" | "all"): Promise<ReadonlyArray<SelectedFile>> => {
  const absolute = Path.resolve(baseDir, pattern)
  const scan = picomatch.scan(absolute)
  if (!scan.isGlob) {
    const stat = await fs.stat(absolute).catch((error: unknown) => {
      throw statError(pattern, absolute, error)
    })
    if (stat.isDirectory()) {
      throw new SourceError({
        source: SOURCE,
        reason: "Config",
        message: `${pattern} is a directory: set path to a file, or to a glob such as ${Path.join(pattern, "*.csv")}`
      })
    }
    return [{ path: absolute, name: displayName(baseDir, absolute), size: stat.size, mtimeMs: stat.mtimeMs }]
  }
  const base = scan.base === "" ? "." : scan.base
  const recursive = scan.glob.includes("/") || scan.isGlobstar
  const matches = picomatch(absolute)
  let entries: Array<Dirent>
  try {
    entries = await fs.readdir(base, { withFileTypes: true, recursive })
  } catch (error) {
    throw statError(base, base, error)
  }
  const candidates = entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => Path.join(e.parentPath ?? base, e.name))
    .filter((p) => matches(p))
  const files: Array<SelectedFile> = []
  for (const path of candidates) {
    const stat = await fs.stat(path).catch(() => undefined)
    if (stat?.isFile() === true) files.push({ path, name: displayName(baseDir, path), size: stat.size, mtimeMs: stat.mtimeMs })
  }
  if (files.length === 0) {
    throw new SourceError({ source: SOURCE, reason: "NotFound", message: `no file matches ${pattern} (searched ${base})` })
  }
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  if (pick === "all") return files
  // newest by modification time; on a tie the last in name order (e.g. people-2024-06-02.csv after people-2024-06-01.csv)
  const newest = files.reduce((best, f) => (f.mtimeMs >= best.mtimeMs ? f : best))
  return [newest]
}

export const select = (pattern: string, baseDir: string, pick: "newest" | "all"): Effect.Effect<ReadonlyArray<SelectedFile>, SourceError> =>
  Effect.tryPromise({
    try: () => selectAsync(pattern, baseDir, pick),
    catch: (error) =>
      error instanceof SourceError
        ? error
        : new SourceError({ source: SOURCE, reason: "Read", message: `cannot list ${pattern}: ${String(error)}`, cause: error })
  })
