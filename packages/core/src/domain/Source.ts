/**
 * The contract every source adapter implements. Adapters know bytes and rows, never Okta:
 * they emit `SourceRow`s (raw values + a readable location) and typed `SourceError`s.
 */
import type { Effect, Scope, Stream } from "effect"
import type { z } from "zod"
import type { SourceError } from "./Errors.ts"
import type { SourceRow } from "./Model.ts"

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

export interface SourceDefinition<C = any> {
  /** The `source.type` value in config, e.g. `file`, `sftp`, `sql`. */
  readonly id: string
  readonly displayName: string
  readonly description?: string
  /** zod schema of the adapter's own config (the `source` block minus `type`). Secrets use `Config.secret()`. */
  readonly config: z.ZodType<C>
  readonly limits?: SourceLimits
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
  readonly make: (config: z.output<S>, context: SourceContext) => Effect.Effect<Source, SourceError, Scope.Scope>
}): SourceDefinition<z.output<S>> => definition as SourceDefinition<z.output<S>>
