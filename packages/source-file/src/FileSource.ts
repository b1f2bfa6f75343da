/**
 * The `file` source: local CSV / NDJSON / JSON files, one file or a glob (`pick: newest | all`),
 * read lazily with the shared `Formats` decoders. Each row keeps its own `file:line` location.
 */
import { defineSource, SourceError } from "@anysource/core"
import type { Model, Source } from "@anysource/core"
import { Chunk, Effect, Option, Ref, Stream } from "effect"
import { createHash } from "node:crypto"
import { constants, promises as fs } from "node:fs"
import * as Path from "node:path"
import { z } from "zod"
import * as Formats from "./Formats.ts"
import { select, type SelectedFile } from "./internal/files.ts"
import { stableRead, type ReadHooks } from "./internal/stableRead.ts"

const SOURCE = "file"
const CHECKSUM_FILE_LIMIT = 1024 * 1024

export const FileSourceConfig = z.strictObject({
  path: z.string().min(1).meta({ description: "A file or a glob (people-*.csv, exports/**/*.csv.gz), relative to the config file's directory." }),
  pick: z
    .enum(["newest", "all"])
    .default("newest")
    .meta({ description: "When the glob matches several files: the newest by modification time, or all in name order." }),
  ...Formats.formatOptionsShape,
  checksum: Formats.ChecksumOptions.optional().meta({
    description: 'Verify each file\'s sha256 while reading: { file: "{name}.sha256" } or { sha256: "<hex>" }.'
  })
})
export type FileSourceConfig = z.output<typeof FileSourceConfig>

/** What was read: name, size, mtime and sha256 of each file. */
interface FileFacts {
  readonly name: string
  readonly size: number
  readonly mtime: string
  readonly sha256: string
}

const describeFacts = (facts: ReadonlyArray<FileFacts>): string =>
  facts.map((f) => `${f.name} size=${f.size} mtime=${f.mtime} sha256=${f.sha256}`).join("; ")

const ioError = (file: string, error: unknown): SourceError => {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined
  const reason = code === "ENOENT" || code === "ENOTDIR" ? "NotFound" : code === "EACCES" || code === "EPERM" ? "Permission" : "Read"
  return new SourceError({
    source: SOURCE,
    reason,
    message:
      reason === "NotFound"
        ? `${file} not found`
        : reason === "Permission"
          ? `${file} is not readable (${code})`
          : `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
    retryable: reason === "Read",
    cause: error
  })
}

const expectedSha256 = (
  config: FileSourceConfig,
  baseDir: string,
  file: SelectedFile,
  fileCount: number
): Effect.Effect<string | undefined, SourceError> => {
  const checksum = config.checksum
  if (checksum === undefined) return Effect.succeed(undefined)
  if ("sha256" in checksum) {
    if (fileCount > 1) {
      return Effect.fail(
        new SourceError({
          source: SOURCE,
          reason: "Config",
          message: `checksum.sha256 can verify one file but ${config.path} selects ${fileCount}: use checksum.file with "{name}", e.g. "{name}.sha256"`
        })
      )
    }
    return Effect.succeed(checksum.sha256.toLowerCase())
  }
  const base = Path.basename(file.path)
  const checksumPath = Path.resolve(baseDir, checksum.file.replaceAll("{name}", base))
  return Effect.tryPromise({
    try: async () => {
      const handle = await fs.open(checksumPath, "r")
      try {
        const buffer = Buffer.alloc(CHECKSUM_FILE_LIMIT)
        const { bytesRead } = await handle.read(buffer, 0, CHECKSUM_FILE_LIMIT, 0)
        return buffer.subarray(0, bytesRead).toString("utf8")
      } finally {
        await handle.close()
      }
    },
    catch: (error) => ioError(`checksum file ${checksumPath}`, error)
  }).pipe(
    Effect.flatMap((text) => {
      const sha = Formats.parseChecksumFile(text, base)
      return sha === undefined
        ? Effect.fail(
            new SourceError({
              source: SOURCE,
              reason: "Consistency",
              message: `checksum file ${checksumPath} has no sha256 for ${base} — expected "<64 hex digits>  ${base}"`
            })
          )
        : Effect.succeed(sha)
    })
  )
}

/** Open the file in the stream's scope; the handle closes when the stream ends, fails or is interrupted. */
const openFile = (file: SelectedFile) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const handle = await fs.open(file.path, "r")
        const stat = await handle.stat().catch(async (error: unknown) => {
          await handle.close()
          throw error
        })
        return { handle, stat }
      },
      catch: (error) => ioError(file.name, error)
    }),
    ({ handle }) => Effect.promise(() => handle.close().catch(() => undefined))
  )

const hashFile = (file: SelectedFile): Effect.Effect<FileFacts, SourceError> =>
  Effect.tryPromise({
    try: async () => {
      const handle = await fs.open(file.path, "r")
      try {
        const stat = await handle.stat()
        const hash = createHash("sha256")
        for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer)
        return { name: file.name, size: stat.size, mtime: stat.mtime.toISOString(), sha256: hash.digest("hex") }
      } finally {
        await handle.close()
      }
    },
    catch: (error) => ioError(file.name, error)
  })

/**
 * The source behind `FileSource.make`. `hooks` is a test seam (not exported from the package): it runs while a file
 * is read, so a test can change the file mid-read deterministically.
 */
export const makeFileSource = (
  config: FileSourceConfig,
  { baseDir }: { readonly baseDir: string },
  hooks: ReadHooks = {}
): Effect.Effect<Source.Source, SourceError> =>
  Effect.gen(function* () {
    const selectFiles = select(config.path, baseDir, config.pick)
    const lastRead = yield* Ref.make<Option.Option<ReadonlyArray<FileFacts>>>(Option.none())

    const check: Effect.Effect<void, SourceError> = Effect.gen(function* () {
      const files = yield* selectFiles
      for (const file of files) {
        yield* Effect.tryPromise({ try: () => fs.access(file.path, constants.R_OK), catch: (error) => ioError(file.name, error) })
      }
      if (config.checksum !== undefined && "sha256" in config.checksum && files.length > 1) {
        yield* expectedSha256(config, baseDir, files[0]!, files.length)
      }
      if (config.checksum !== undefined && "file" in config.checksum) {
        for (const file of files) yield* expectedSha256(config, baseDir, file, files.length)
      }
    }).pipe(Effect.withSpan("source-file.check"))

    const readOne = (file: SelectedFile, fileCount: number, facts: Array<FileFacts>): Stream.Stream<Model.SourceRow, SourceError> =>
      Stream.unwrap(
        Effect.map(expectedSha256(config, baseDir, file, fileCount), (sha256) => {
          let mtime = new Date(file.mtimeMs).toISOString()
          // the bytes as of the open (size and mtime from its fstat): a file written to meanwhile fails the read
          const bytes = openFile(file).pipe(
            Effect.map(({ handle, stat }) => {
              mtime = stat.mtime.toISOString()
              return stableRead(SOURCE, file.name, handle, stat, hooks)
            })
          )
          return Formats.decode(bytes, {
            ...config,
            name: file.name,
            source: SOURCE,
            sizeHint: file.size,
            ...(sha256 !== undefined ? { sha256 } : {}),
            onDigest: (d) => facts.push({ name: file.name, size: d.bytes, mtime, sha256: d.sha256 })
          })
        })
      )

    const read: Stream.Stream<Model.SourceRow, SourceError> = Stream.unwrap(
      Effect.map(selectFiles, (files) => {
        const facts: Array<FileFacts> = []
        return Stream.concat(
          Stream.concatAll(Chunk.fromIterable(files.map((file) => readOne(file, files.length, facts)))),
          Stream.fromEffect(Ref.set(lastRead, Option.some(facts))).pipe(Stream.drain)
        )
      })
    )

    const fingerprint: Effect.Effect<string | undefined> = Ref.get(lastRead).pipe(
      Effect.flatMap(
        Option.match({
          onSome: (facts) => Effect.succeed(describeFacts(facts)),
          onNone: () => selectFiles.pipe(Effect.flatMap((files) => Effect.forEach(files, hashFile)), Effect.map(describeFacts))
        })
      ),
      Effect.orElseSucceed(() => undefined)
    )

    const source: Source.Source = { check, read, fingerprint }
    return source
  })

export const FileSource = defineSource({
  id: "file",
  displayName: "Local file",
  description: "CSV, NDJSON or JSON files on local disk: one file or a glob (newest or all), gzip, encodings, checksums.",
  docs: {
    summary: "local CSV, NDJSON or JSON files (one file or a glob; gzip, encodings, checksums)",
    example: `source:
  type: file
  # A CSV, NDJSON or JSON file, relative to this config. See \`anysource sources file\` for every setting
  # (format, delimiter, encoding, globs picking the newest file).
  path: people.csv`
  },
  config: FileSourceConfig,
  make: (config, context) => makeFileSource(config, context)
})
