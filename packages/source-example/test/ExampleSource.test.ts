/**
 * An adapter's tests: the shared SourceConformance battery (with a file and with inline people), then the
 * adapter's own behaviour: locations, fingerprint, typed errors, relative paths, laziness.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { SourceError } from "@anysource/core"
import type { Source } from "@anysource/core"
import { SourceConformance } from "@anysource/core/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { ExampleConfig, ExampleSource } from "../src/index.ts"

const fixtures = Path.join(import.meta.dirname, "fixtures")

SourceConformance.run({
  definition: ExampleSource,
  baseDir: fixtures,
  validConfig: { file: "people.json" },
  invalidConfigs: [
    {},
    { file: "" },
    { file: "people.json", people: [] },
    { fiel: "people.json" },
    { file: "people.json", encoding: "utf16" }
  ],
  expectedRows: 3,
  failingConfig: { file: "missing.json" }
})

SourceConformance.run({
  definition: ExampleSource,
  validConfig: { people: [{ employee_id: "1", email: "a@example.com" }] },
  invalidConfigs: [{ people: "not a list" }, { people: [42] }],
  expectedRows: 1
})

/** Build the source from a raw config, run `use` with it, close the scope. */
const withSource = <A, E>(
  raw: unknown,
  baseDir: string,
  use: (source: Source.Source) => Effect.Effect<A, E>
) => Effect.scoped(Effect.flatMap(ExampleSource.make(ExampleConfig.parse(raw), { baseDir }), use))

const temp = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "source-example-"))

describe("ExampleSource", () => {
  it.effect("emits each person with a findable location, and a fingerprint after reading", () =>
    withSource({ file: "people.json" }, fixtures, (source) =>
      Effect.gen(function* () {
        expect(yield* source.fingerprint!).toBeUndefined()
        const rows = Array.from(yield* Stream.runCollect(source.read))
        expect(rows.map((r) => r.location)).toEqual(["people.json[0]", "people.json[1]", "people.json[2]"])
        expect(rows[1]!.data).toMatchObject({ employee_id: "1002", email: "grace.hopper@example.com" })
        expect(yield* source.fingerprint!).toMatch(/^people\.json size=\d+ sha256=[0-9a-f]{64}$/)
      })
    )
  )

  it.effect("inline people are located in the config", () =>
    withSource({ people: [{ id: "a" }, { id: "b" }] }, "/", (source) =>
      Effect.gen(function* () {
        const rows = Array.from(yield* Stream.runCollect(source.read))
        expect(rows).toEqual([
          { data: { id: "a" }, location: "source.people[0]" },
          { data: { id: "b" }, location: "source.people[1]" }
        ])
      })
    )
  )

  it.effect("reads nothing until the stream runs: a file rewritten after make is read as it is then", () =>
    Effect.gen(function* () {
      const dir = temp()
      Fs.writeFileSync(Path.join(dir, "people.json"), JSON.stringify([{ id: "old" }]))
      const rows = yield* withSource({ file: "people.json" }, dir, (source) =>
        Effect.gen(function* () {
          const pending = Stream.runCollect(source.read)
          Fs.writeFileSync(Path.join(dir, "people.json"), JSON.stringify([{ id: "new-1" }, { id: "new-2" }]))
          return Array.from(yield* pending)
        })
      )
      expect(rows.map((r) => r.data["id"])).toEqual(["new-1", "new-2"])
    })
  )

  it.effect("typed errors: NotFound from check and read, Decode with the location of the bad row", () =>
    Effect.gen(function* () {
      const dir = temp()
      const missing = yield* Effect.flip(withSource({ file: "nope.json" }, dir, (source) => source.check))
      expect(missing).toBeInstanceOf(SourceError)
      expect(missing).toMatchObject({ source: "example", reason: "NotFound", retryable: false })
      expect(missing.message).toBe(`${Path.join(dir, "nope.json")}: not found`)

      const cases: Array<[string, string, string | undefined]> = [
        ["{ not json", "people.json: not valid JSON", "people.json"],
        ['{"people": []}', "people.json: expected a JSON array of people", "people.json"],
        ['[{"id": "1"}, "two"]', "people.json[1]: expected an object", "people.json[1]"]
      ]
      for (const [text, message, location] of cases) {
        Fs.writeFileSync(Path.join(dir, "people.json"), text)
        const error = yield* Effect.flip(
          withSource({ file: "people.json" }, dir, (source) => Stream.runCollect(source.read))
        )
        expect(error.reason).toBe("Decode")
        expect(error.message.startsWith(message)).toBe(true)
        expect(error.location).toBe(location)
      }
    })
  )

  it.effect("latin1 files decode with encoding: latin1", () =>
    Effect.gen(function* () {
      const dir = temp()
      Fs.writeFileSync(Path.join(dir, "people.json"), Buffer.from('[{"name": "Jos\u00e9"}]', "latin1"))
      const rows = yield* withSource({ file: "people.json", encoding: "latin1" }, dir, (source) =>
        Stream.runCollect(source.read)
      )
      expect(Array.from(rows)[0]!.data["name"]).toBe("José")
    })
  )

  it("config errors are readable", () => {
    const result = ExampleConfig.safeParse({ file: "a.json", people: [] })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toBe("set exactly one of `file` or `people`")
  })
})
