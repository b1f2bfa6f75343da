/**
 * Which remote file(s) a run reads, and whether they are ready: an exact path or a directory + file-name glob,
 * `pick: newest | all`, `minAge`, and one readiness rule — `stable` (size and mtime unchanged over a window),
 * `marker` (a companion file such as `<name>.done` exists) or `finalPattern` (only names an upload-then-rename
 * ends with). Time goes through Effect's Clock, so tests drive the stability window with `TestClock`.
 */
import type { SourceError } from "@anysource/core"
import { Clock, Duration, Effect } from "effect"
import * as Posix from "node:path/posix"
import picomatch from "picomatch"
import { formatDuration } from "./duration.ts"
import { sourceError } from "./errors.ts"

export interface RemoteFile {
  /** Absolute remote path. */
  readonly path: string
  readonly size: number
  readonly mtimeMs: number
}

/** What selection needs from the server (a connection in the adapter, a fake in unit tests). */
export interface Remote {
  /** Undefined when nothing is there; fails when the path is not a regular file. */
  readonly stat: (path: string) => Effect.Effect<RemoteFile | undefined, SourceError>
  /** The regular files directly inside `dir`. */
  readonly list: (dir: string) => Effect.Effect<ReadonlyArray<RemoteFile>, SourceError>
}

export type Readiness =
  | { readonly _tag: "Stable"; readonly windowMillis: number }
  | { readonly _tag: "Marker"; readonly template: string }
  | { readonly _tag: "FinalPattern"; readonly pattern: string }

export interface Spec {
  /** Absolute path: a file, or a directory followed by a file-name glob. */
  readonly path: string
  readonly pick: "newest" | "all"
  readonly minAgeMillis?: number | undefined
  readonly ready?: Readiness | undefined
  /** Companion-file templates (checksum file, …) whose files are never data files themselves. */
  readonly companions?: ReadonlyArray<string>
  /** How messages name a remote path (e.g. `sftp://host/path`). */
  readonly display: (path: string) => string
}

/** Expand `{name}` (the data file's name) and `{stem}` (the name without `.gz` and its last extension). */
export const expandTemplate = (template: string, dataPath: string): string => {
  const name = Posix.basename(dataPath)
  const withoutGz = name.replace(/\.gz$/i, "")
  const dot = withoutGz.lastIndexOf(".")
  const stem = dot > 0 ? withoutGz.slice(0, dot) : withoutGz
  const expanded = template.replaceAll("{name}", name).replaceAll("{stem}", stem)
  return Posix.resolve(Posix.dirname(dataPath), expanded)
}

export const isGlob = (path: string): boolean => picomatch.scan(path).isGlob

const byName = (a: RemoteFile, b: RemoteFile): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

const matcher = (pattern: string) => picomatch(pattern, { dot: false })

/** The candidate files (before the readiness checks), newest or all in name order. */
export const select = (remote: Remote, spec: Spec): Effect.Effect<ReadonlyArray<RemoteFile>, SourceError> =>
  Effect.gen(function* () {
    const ready = spec.ready
    const final = ready?._tag === "FinalPattern" ? matcher(ready.pattern) : undefined
    if (!isGlob(spec.path)) {
      const file = yield* remote.stat(spec.path)
      if (file === undefined) return yield* sourceError("NotFound", `${spec.display(spec.path)} does not exist`)
      if (final !== undefined && !final(Posix.basename(spec.path))) {
        return yield* sourceError(
          "NotReady",
          `${spec.display(spec.path)} does not match ready.finalPattern "${(ready as { pattern: string }).pattern}": it is not in its final name yet`,
          { retryable: true }
        )
      }
      return [file]
    }
    const dir = Posix.dirname(spec.path)
    const glob = matcher(Posix.basename(spec.path))
    const listed = yield* remote.list(dir)
    const matching = listed.filter((f) => glob(Posix.basename(f.path)))
    // Companion files (markers, checksum files) of another match are not data files, even when the glob matches them.
    const templates = [...(spec.companions ?? []), ...(ready?._tag === "Marker" ? [ready.template] : [])]
    const companions = new Set(matching.flatMap((f) => templates.map((t) => expandTemplate(t, f.path))))
    const data = matching.filter((f) => !companions.has(f.path))
    const candidates = final === undefined ? data : data.filter((f) => final(Posix.basename(f.path)))
    if (candidates.length === 0) {
      if (data.length > 0) {
        return yield* sourceError(
          "NotReady",
          `no file in ${spec.display(dir)} matching ${Posix.basename(spec.path)} has its final name yet (ready.finalPattern "${(ready as { pattern: string }).pattern}"; in flight: ${data
            .slice(0, 5)
            .map((f) => Posix.basename(f.path))
            .join(", ")})`,
          { retryable: true }
        )
      }
      return yield* sourceError("NotFound", `no file in ${spec.display(dir)} matches ${Posix.basename(spec.path)}`)
    }
    const sorted = [...candidates].sort(byName)
    if (spec.pick === "all") return sorted
    // Newest by modification time; on a tie the last in name order (people-2024-06-02.csv after people-2024-06-01.csv).
    return [sorted.reduce((best, f) => (f.mtimeMs >= best.mtimeMs ? f : best))]
  })

export interface ReadyOptions {
  /** `check` skips the stability window (it must stay cheap); `read` waits it out. */
  readonly waitForStable: boolean
}

/** Fail with `NotReady` unless every selected file passes `minAge` and the readiness rule. Returns the files as last seen. */
export const ensureReady = (
  remote: Remote,
  spec: Spec,
  files: ReadonlyArray<RemoteFile>,
  options: ReadyOptions
): Effect.Effect<ReadonlyArray<RemoteFile>, SourceError> =>
  Effect.gen(function* () {
    if (spec.minAgeMillis !== undefined && spec.minAgeMillis > 0) {
      const now = yield* Clock.currentTimeMillis
      for (const file of files) {
        const age = now - file.mtimeMs
        if (age < spec.minAgeMillis) {
          return yield* sourceError(
            "NotReady",
            `${spec.display(file.path)} was modified ${formatDuration(Math.max(0, age))} ago; minAge is ${formatDuration(spec.minAgeMillis)} — it may still be being written, so it will be read on a later run`,
            { retryable: true }
          )
        }
      }
    }
    const ready = spec.ready
    if (ready?._tag === "Marker") {
      for (const file of files) {
        const marker = expandTemplate(ready.template, file.path)
        const found = yield* remote.stat(marker)
        if (found === undefined) {
          return yield* sourceError(
            "NotReady",
            `${spec.display(file.path)} has no marker file yet (waiting for ${spec.display(marker)}): the upload is not finished`,
            { retryable: true }
          )
        }
      }
    }
    if (ready?._tag === "Stable" && options.waitForStable && ready.windowMillis > 0) {
      yield* Effect.sleep(Duration.millis(ready.windowMillis))
      const again: Array<RemoteFile> = []
      for (const file of files) {
        const now = yield* remote.stat(file.path)
        if (now === undefined) {
          return yield* sourceError("NotFound", `${spec.display(file.path)} disappeared during the ${formatDuration(ready.windowMillis)} stability window`)
        }
        if (now.size !== file.size || now.mtimeMs !== file.mtimeMs) {
          return yield* sourceError(
            "NotReady",
            `${spec.display(file.path)} changed during the ${formatDuration(ready.windowMillis)} stability window (size ${file.size} → ${now.size}` +
              `${now.mtimeMs !== file.mtimeMs ? ", modified again" : ""}): it is still being uploaded, so it will be read on a later run`,
            { retryable: true }
          )
        }
        again.push(now)
      }
      return again
    }
    return files
  })
