/**
 * The contract every source adapter implements. Adapters know bytes and rows, never Okta:
 * they emit `SourceRow`s (raw values + a readable location) and typed `SourceError`s.
 */
import { Effect, type Scope, type Stream } from "effect"
import type { z } from "zod"
import { SourceError, type SourceErrorReason } from "./Errors.ts"
import type { SourceLocation, SourceRow } from "./Model.ts"

export interface Source {
  /** Probe the source (reachable, authorised, the file/table/sheet exists). Reads no rows. */
  readonly check: Effect.Effect<void, SourceError>
  /** Every row, lazily, with constant memory. Interrupting the stream releases every resource. */
  readonly read: Stream.Stream<SourceRow, SourceError>
  /**
   * A short, stable description of what was read (file name + size + mtime, a sheet revision, a query hash),
   * recorded in the plan and the run report. Available after `read` has completed.
   */
  readonly fingerprint?: Effect.Effect<string | undefined>
  /** Called once after every session of the run reached COMPLETED and state was committed (e.g. archive the file). */
  readonly afterApply?: Effect.Effect<void, SourceError>
}

export interface SourceLimits {
  /** Requests per second the upstream tolerates (core paces retries with it). */
  readonly requestsPerSecond?: number
}

/** What the docs and `anysource init` say about an adapter (the README and docs tables are generated from it). */
export interface SourceDocs {
  /** One line for the source tables: what it reads, lower-case, no final period ("local CSV, NDJSON or JSON files"). */
  readonly summary: string
  /**
   * The commented `source:` block `anysource init --source <id>` writes: YAML starting with `source:` and
   * `type: <id>`, secrets as `${ENV_VAR}`, a comment saying where to read more.
   */
  readonly example: string
}

export interface SourceDefinition<C = any> {
  /** The `source.type` value in config, e.g. `file`, `sftp`, `sql`. */
  readonly id: string
  readonly displayName: string
  readonly description?: string
  /** zod schema of the adapter's own config (the `source` block minus `type`). Secrets use `Config.secret()`. */
  readonly config: z.ZodType<C>
  readonly limits?: SourceLimits
  readonly docs?: SourceDocs
  /** Build the source. Resources (connections, file handles) live in the scope. */
  readonly make: (config: C, context: SourceContext) => Effect.Effect<Source, SourceError, Scope.Scope>
}

export interface SourceContext {
  /** Directory the config file lives in: relative paths in source config resolve against it. */
  readonly baseDir: string
}

/** Helper that keeps the config type flowing from the schema into `make`. */
export const defineSource = <S extends z.ZodType>(definition: {
  readonly id: string
  readonly displayName: string
  readonly description?: string
  readonly config: S
  readonly limits?: SourceLimits
  readonly docs?: SourceDocs
  readonly make: (config: z.output<S>, context: SourceContext) => Effect.Effect<Source, SourceError, Scope.Scope>
}): SourceDefinition<z.output<S>> => definition as SourceDefinition<z.output<S>>

/**
 * The adapters an app offers, loaded on demand: `ConfigLoader` asks only for the one a config names, so an app that
 * offers many adapters loads one per run (`@anysource/runtime`'s registry is one). A plain array of definitions
 * works wherever a catalog does (`catalog(definitions)`).
 */
export interface SourceCatalog {
  /** Every `source.type` offered, in the order to list them (messages, help). Known without loading any adapter. */
  readonly ids: ReadonlyArray<string>
  /** The adapter for `id` (loaded on first use), or undefined when this catalog has no such type. */
  readonly load: (id: string) => Effect.Effect<SourceDefinition | undefined>
}

/** A catalog over definitions already loaded. */
export const catalog = (definitions: ReadonlyArray<SourceDefinition>): SourceCatalog => ({
  ids: definitions.map((d) => d.id),
  load: (id) => Effect.sync(() => definitions.find((d) => d.id === id))
})

export interface SourceErrorOptions {
  /** Where in the source: `people.csv:12`, `Sheet1!A12`, `https://hr/api?page=2`. */
  readonly location?: SourceLocation | undefined
  /** Whether trying again can help (core then reads the source again, `sourceRetries` times). Default `false`. */
  readonly retryable?: boolean | undefined
  /** The underlying error, for logs. Never a credential or a request that carries one. */
  readonly cause?: unknown
}

/** Builds one adapter's `SourceError`s (see `errorFactory`). */
export type SourceErrorFactory = (
  reason: SourceErrorReason,
  message: string,
  options?: SourceErrorOptions
) => SourceError

/**
 * The one `SourceError` constructor for adapters, bound to the adapter's id: `retryable` is `false` unless said
 * otherwise, and options that are `undefined` are left out (so they can be passed straight through).
 *
 * ```ts
 * const sourceError = Source.errorFactory("rest")
 * sourceError("Http", "GET https://hr/api answered 503", { retryable: true, location: "https://hr/api?page=2" })
 * ```
 */
export const errorFactory =
  (source: string): SourceErrorFactory =>
  (reason, message, options = {}) =>
    new SourceError({
      source,
      reason,
      message,
      retryable: options.retryable ?? false,
      ...(options.location !== undefined ? { location: options.location } : {}),
      ...(options.cause !== undefined ? { cause: options.cause } : {})
    })
