/**
 * The registry loads an adapter only when asked, once, and checks it is what the entry says; core's ConfigLoader
 * takes it as a catalog and loads only the adapter a config names. The real registry's entries all load.
 */
import { ConfigLoader } from "@anysource/core"
import { TestSource } from "@anysource/core/testing"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as Registry from "../src/Registry.ts"
import { registry } from "../src/Sources.ts"

/** Entries over test sources whose imports are counted. */
const counted = () => {
  const imports: Array<string> = []
  const entry = (id: string, pureJs = true): Registry.SourceEntry => ({
    id,
    packageName: `@test/source-${id}`,
    pureJs,
    load: async () => {
      imports.push(id)
      return TestSource.fromRows([{ id: "E1", email: "e1@example.com" }], { id })
    }
  })
  return { imports, registry: Registry.make([entry("alpha"), entry("beta", false), entry("gamma")]) }
}

const config = (type: string) => ({
  version: 1,
  okta: { orgUrl: "embedded", identitySourceId: "0oaREGISTRY" },
  source: { type },
  mapping: { externalId: "id", profile: { userName: "email", email: "email" } },
  state: { type: "memory" }
})

describe("Registry", () => {
  it.effect("loads an adapter on first use only, once", () =>
    Effect.gen(function* () {
      const { imports, registry } = counted()
      expect(registry.ids).toEqual(["alpha", "beta", "gamma"])
      expect(imports).toEqual([])
      const beta = yield* registry.load("beta")
      yield* registry.load("beta")
      expect(beta?.id).toBe("beta")
      expect(imports).toEqual(["beta"])
      expect(yield* registry.load("delta")).toBeUndefined()
      expect(imports).toEqual(["beta"])
    })
  )

  it.effect("is the catalog ConfigLoader loads the named adapter from, and nothing else", () =>
    Effect.gen(function* () {
      const { imports, registry } = counted()
      const loaded = yield* ConfigLoader.parse(config("gamma"), { env: {}, sources: registry, baseDir: "." })
      expect(loaded.source.id).toBe("gamma")
      expect(imports).toEqual(["gamma"])
      const unknown = yield* Effect.flip(ConfigLoader.parse(config("gama"), { env: {}, sources: registry, baseDir: "." }))
      expect(unknown.message).toContain('unknown source type "gama" — did you mean "gamma"?; known types: alpha, beta, gamma')
      expect(imports).toEqual(["gamma"])
    })
  )

  it.effect("filter and only give sub-registries that share the loaded adapters", () =>
    Effect.gen(function* () {
      const { imports, registry } = counted()
      const pure = registry.filter((e) => e.pureJs)
      expect(pure.ids).toEqual(["alpha", "gamma"])
      expect(yield* pure.load("beta")).toBeUndefined()
      expect(registry.only(["gamma", "alpha"]).ids).toEqual(["gamma", "alpha"])
      expect(() => registry.only(["nope"])).toThrow('no source "nope" in the registry (it has alpha, beta, gamma)')
      yield* pure.load("alpha")
      yield* registry.load("alpha")
      expect(imports).toEqual(["alpha"])
      expect((yield* pure.loadAll).map((d) => d.id)).toEqual(["alpha", "gamma"])
      expect(imports).toEqual(["alpha", "gamma"])
    })
  )

  it.effect("an adapter that fails to import, or is not the entry's, is a defect naming the entry", () =>
    Effect.gen(function* () {
      const broken = Registry.make([
        { id: "gone", packageName: "@test/gone", pureJs: true, load: () => Promise.reject(new Error("Cannot find package '@test/gone'")) },
        { id: "mixed", packageName: "@test/mixed", pureJs: true, load: async () => TestSource.fromRows([], { id: "other" }) }
      ])
      const gone = yield* Effect.exit(broken.load("gone"))
      expect(Exit.isFailure(gone) && Cause.pretty(gone.cause)).toContain(`the "gone" source adapter (@test/gone) could not be loaded: Cannot find package '@test/gone'`)
      const mixed = yield* Effect.exit(broken.load("mixed"))
      expect(Exit.isFailure(mixed) && Cause.pretty(mixed.cause)).toContain('the registry entry "mixed" loaded an adapter with id "other" from @test/mixed')
    })
  )

  it("refuses an id registered twice", () => {
    const entry = counted().registry.entries[0]!
    expect(() => Registry.make([entry, entry])).toThrow('source "alpha" is registered twice')
  })
})

describe("the registry of the apps", () => {
  it.effect("every entry loads the adapter it names, with the docs the tables and init need", () =>
    Effect.gen(function* () {
      const definitions = yield* registry.loadAll
      expect(definitions.map((d) => d.id)).toEqual(registry.ids)
      for (const d of definitions) {
        expect(d.docs?.summary, d.id).toMatch(/^\S[^\n]*[^.\s]$/)
        expect(d.docs?.example, d.id).toMatch(new RegExp(`^source:\\n  type: ${d.id}\\n`))
      }
    })
  )

  it("names each adapter's package, and which run from a one-file bundle", () => {
    expect(registry.entries.map((e) => [e.id, e.packageName, e.pureJs])).toEqual([
      ["file", "@anysource/source-file", true],
      ["sql", "@anysource/source-sql", false],
      ["sftp", "@anysource/source-sftp", false],
      ["google-sheets", "@anysource/source-google-sheets", true],
      ["rest", "@anysource/source-rest", true]
    ])
  })
})
