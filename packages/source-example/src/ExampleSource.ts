/**
 * The copy-me source adapter. It reads people from a JSON array (a local file, or inline in the config) and
 * emits one `SourceRow` per person. Small, but it does everything a real adapter must:
 *
 *   1. a zod config schema      → what users write under `source:` in anysource.yaml (minus `type`)
 *   2. `make(config, context)`  → builds the source; resources live in the Effect `Scope`
 *   3. `check`                  → a cheap probe (reachable, readable) that reads no rows
 *   4. `read`                   → a lazy `Stream` of rows; nothing happens until it runs, and every
 *                                 resource it opens is released when it ends, fails or is interrupted
 *   5. typed `SourceError`s     → every expected failure has a `reason`; bugs stay defects
 *
 * To write your own adapter: run `pnpm new:source <id>` (or copy this package), then replace the parts
 * marked "YOUR UPSTREAM" below. Adapters know bytes and rows, never Okta: no mapping, no identity logic.
 */
import { createHash } from "node:crypto"
import { constants, promises as Fs } from "node:fs"
import * as Path from "node:path"
import { defineSource, Source, type Model, type SourceError } from "@anysource/core"
import { Effect, Ref, Stream } from "effect"
import { z } from "zod"

/** The `source.type` users write in their config. Lower-case kebab-case, unique among adapters. */
const ID = "example"

// -------------------------------------------------------------------------------------------------------------
// 1. Config. Every field gets a `.meta({ description })`: it ends up in the JSON Schema editors use for
//    autocompletion and in `anysource sources`. Use `.default()` for optional settings. Secrets (tokens,
//    passwords, private keys) use `Config.secret()` from @anysource/core: users write `${ENV_VAR}` and the
//    value arrives here as `Redacted` (read it with `Redacted.value` only where it is sent upstream), e.g.
//    `token: Config.secret().meta({ description: "API token" })`.

/** A person as it comes from the upstream: any JSON object; the pipeline's `mapping` picks the fields. */
const Person = z.record(z.string(), z.unknown())

export const ExampleConfig = z
  .strictObject({
    file: z.string().min(1).optional().meta({
      description: "A JSON file holding an array of people, relative to the config file's directory."
    }),
    people: z
      .array(Person)
      .optional()
      .meta({ description: "People written inline in the config, instead of a file." }),
    encoding: z.enum(["utf8", "latin1"]).default("utf8").meta({ description: "Text encoding of the file." })
  })
  .superRefine((config, context) => {
    // Cross-field rules go here; the message is shown as is, so write it for a person (and never echo secrets).
    if ((config.file === undefined) === (config.people === undefined)) {
      context.addIssue({ code: "custom", message: "set exactly one of `file` or `people`" })
    }
  })
export type ExampleConfig = z.output<typeof ExampleConfig>

// -------------------------------------------------------------------------------------------------------------
// 5. Errors. Every expected failure is a `SourceError` built with core's one constructor, bound to this
//    adapter's id: a reason core understands (NotFound, Permission, Auth, Connect, Timeout, RateLimited, Read,
//    Decode, …), `retryable` when trying again can help (default false), and a message that names the
//    file/URL/table and never contains credentials.

const sourceError = Source.errorFactory(ID)

const ioError = (file: string, error: unknown): SourceError => {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "EIO"
  const reason =
    code === "ENOENT" || code === "ENOTDIR"
      ? "NotFound"
      : code === "EACCES" || code === "EPERM"
        ? "Permission"
        : "Read"
  const what =
    reason === "NotFound"
      ? "not found"
      : reason === "Permission"
        ? `not readable (${code})`
        : `unreadable (${code})`
  return sourceError(reason, `${file}: ${what}`, { retryable: reason === "Read", cause: error })
}

const decodeError = (message: string, location: Model.SourceLocation): SourceError =>
  sourceError("Decode", `${location}: ${message}`, { location })

/** Parse the text into people; every row gets a location a person can find: `people.json[3]`. */
const decode = (text: string, origin: string): Effect.Effect<ReadonlyArray<Model.SourceRow>, SourceError> =>
  Effect.gen(function* () {
    const parsed = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (error) => decodeError(`not valid JSON (${(error as Error).message})`, origin)
    })
    if (!Array.isArray(parsed)) return yield* decodeError("expected a JSON array of people", origin)
    return yield* Effect.forEach(parsed, (person, index) => {
      const location = `${origin}[${index}]`
      return typeof person === "object" && person !== null && !Array.isArray(person)
        ? Effect.succeed({ data: person as Record<string, unknown>, location })
        : Effect.fail(decodeError("expected an object", location))
    })
  })

// -------------------------------------------------------------------------------------------------------------
// 2–4. The definition. `defineSource` keeps the config type flowing from the schema into `make`.

export const ExampleSource = defineSource({
  id: ID,
  displayName: "Example",
  description: "People from a JSON array: a local file or inline in the config (the copy-me adapter).",
  // What the README and docs tables say about the adapter, and the block `anysource init --source <id>` writes
  // (the tables are generated from the registry by `pnpm gen:docs`). Secrets in the example are ${ENV_VAR} references.
  docs: {
    summary: "a JSON array of people, from a local file or inline (the adapter to copy when writing a new one)",
    example: `source:
  type: example
  # A JSON array of people, relative to this config. See \`anysource sources example\` for every setting.
  file: people.json`
  },
  config: ExampleConfig,
  make: (config, context) =>
    Effect.gen(function* () {
      // `make` may open long-lived resources (a connection pool, an SFTP session) with
      // `Effect.acquireRelease`; they are released when the run's scope closes. It must not read rows.
      const fingerprint = yield* Ref.make<string | undefined>(undefined)

      if (config.people !== undefined) {
        const rows = config.people.map((data, index) => ({ data, location: `source.people[${index}]` }))
        const source: Source.Source = {
          check: Effect.void,
          read: Stream.fromIterable(rows),
          fingerprint: Effect.succeed(`inline:${rows.length} people`)
        }
        return source
      }

      // YOUR UPSTREAM: resolve relative paths against the config file's directory, never the process's.
      const file = Path.resolve(context.baseDir, config.file!)
      const name = Path.basename(file)

      const check = Effect.tryPromise({
        try: () => Fs.access(file, constants.R_OK),
        catch: (error) => ioError(file, error)
      })

      // YOUR UPSTREAM: the stream is built with `Stream.unwrapScoped`, so the file is opened only when the
      // stream runs, and the `acquireRelease` finalizer closes it when the stream ends, fails or is
      // interrupted (a consumer that takes one row and stops). For paged APIs use `Stream.paginateEffect`;
      // for row-by-row drivers `Stream.fromAsyncIterable`; keep memory constant either way.
      const read = Stream.unwrapScoped(
        Effect.gen(function* () {
          const handle = yield* Effect.acquireRelease(
            Effect.tryPromise({ try: () => Fs.open(file, "r"), catch: (error) => ioError(file, error) }),
            (handle) => Effect.promise(() => handle.close())
          )
          const bytes = yield* Effect.tryPromise({
            try: () => handle.readFile(),
            catch: (error) => ioError(file, error)
          })
          const rows = yield* decode(bytes.toString(config.encoding), name)
          // Record what was read, for the plan and the run report.
          const sha256 = createHash("sha256").update(bytes).digest("hex")
          yield* Ref.set(fingerprint, `${name} size=${bytes.length} sha256=${sha256}`)
          return Stream.fromIterable(rows)
        })
      )

      const source: Source.Source = { check, read, fingerprint: Ref.get(fingerprint) }
      return source
    })
})
