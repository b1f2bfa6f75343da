/**
 * The source registry's machinery: an entry per adapter that names it (`id`, its package, whether it is pure
 * JavaScript) and loads it on demand, and a `Registry` over entries that core's `ConfigLoader` takes as its
 * `SourceCatalog`. Only the adapter a config names is imported, so a 10-row plan or `--help` loads none of the others,
 * and a bundle can leave out what an app never offers (the Lambda takes the pure-JavaScript subset).
 */
import type { Source } from "@anysource/core"
import { Effect } from "effect"

export interface SourceEntry {
  /** The `source.type` users write; must equal the loaded definition's `id`. */
  readonly id: string
  /** The npm package the adapter ships in (docs tables, bundler settings). */
  readonly packageName: string
  /**
   * Runs from a one-file bundle with no native module and no file beside it (Lambda-safe). `false` for adapters that
   * need a compiled addon (better-sqlite3) or an optional native accelerator to be packaged for the target.
   */
  readonly pureJs: boolean
  /** The adapter's definition, imported on first use: write it as `() => import("<package>").then((m) => m.XSource)`. */
  readonly load: () => Promise<Source.SourceDefinition>
}

export interface Registry extends Source.SourceCatalog {
  readonly entries: ReadonlyArray<SourceEntry>
  readonly entry: (id: string) => SourceEntry | undefined
  /** A registry of the entries that pass `keep` (e.g. `registry.filter((e) => e.pureJs)` for a Lambda bundle). */
  readonly filter: (keep: (entry: SourceEntry) => boolean) => Registry
  /** A registry of these ids only, in this order; an id the registry lacks is a defect (a typo in an app). */
  readonly only: (ids: ReadonlyArray<string>) => Registry
  /** Every definition, in registry order (for the JSON Schema and `anysource sources`: loads every adapter). */
  readonly loadAll: Effect.Effect<ReadonlyArray<Source.SourceDefinition>>
}

/** Loads each entry at most once per process, and checks that it is what the entry says. */
const memoized = (entry: SourceEntry): Effect.Effect<Source.SourceDefinition> => {
  let loading: Promise<Source.SourceDefinition> | undefined
  return Effect.promise(() => {
    loading ??= entry.load().then(
      (definition) => {
        if (definition?.id !== entry.id)
          throw new Error(`the registry entry "${entry.id}" loaded an adapter with id ${JSON.stringify(definition?.id)} from ${entry.packageName}`)
        return definition
      },
      (cause: unknown) => {
        loading = undefined
        throw new Error(`the "${entry.id}" source adapter (${entry.packageName}) could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
      }
    )
    return loading
  })
}

const build = (entries: ReadonlyArray<SourceEntry>, loaders: ReadonlyMap<string, Effect.Effect<Source.SourceDefinition>>): Registry => {
  const registry: Registry = {
    entries,
    ids: entries.map((e) => e.id),
    entry: (id) => entries.find((e) => e.id === id),
    load: (id) => {
      const loader = entries.some((e) => e.id === id) ? loaders.get(id) : undefined
      return loader ?? Effect.succeed(undefined)
    },
    filter: (keep) => build(entries.filter(keep), loaders),
    only: (ids) =>
      build(
        ids.map((id) => {
          const found = entries.find((e) => e.id === id)
          if (found === undefined) throw new Error(`no source "${id}" in the registry (it has ${entries.map((e) => e.id).join(", ")})`)
          return found
        }),
        loaders
      ),
    loadAll: Effect.forEach(entries, (e) => loaders.get(e.id)!)
  }
  return registry
}

/** A registry over `entries` (ids must be unique). */
export const make = (entries: ReadonlyArray<SourceEntry>): Registry => {
  const seen = new Set<string>()
  for (const e of entries) {
    if (seen.has(e.id)) throw new Error(`source "${e.id}" is registered twice`)
    seen.add(e.id)
  }
  return build(entries, new Map(entries.map((e) => [e.id, memoized(e)])))
}

/** A registry over definitions already loaded (tests, an app embedding its own adapter). */
export const fromDefinitions = (definitions: ReadonlyArray<Source.SourceDefinition>, options: { readonly pureJs?: boolean } = {}): Registry =>
  make(definitions.map((d) => ({ id: d.id, packageName: "(in-process)", pureJs: options.pureJs ?? true, load: () => Promise.resolve(d) })))
