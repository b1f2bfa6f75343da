/**
 * A file written to while a sync reads it: the file source fails the read with a retryable `NotReady`, core's `Sync`
 * discards what it read and reads the source again, and the plan is made from the complete file. A file that keeps
 * changing fails the run with that error once the re-reads are used up. (Plan mode: nothing is sent to Okta; the
 * client points at a port nobody listens on.)
 */
import { ConfigLoader, defineSource, OktaClient, StateStore, Sync } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { appendFileSync } from "node:fs"
import * as Path from "node:path"
import { afterAll } from "vitest"
import { FileSourceConfig, makeFileSource } from "../src/FileSource.ts"
import { tempDir } from "./helpers.ts"

const tmp = tempDir()
afterAll(() => tmp.cleanup())

const IDENTITY_SOURCE = "0oarereadtest0000001"
const people = (from: number, count: number) =>
  Array.from(
    { length: count },
    (_, i) => `E${from + i},First${from + i},Last${from + i},p${from + i}@example.com\n`
  ).join("")

/** The file source, with a writer that appends `rows` rows after the first chunk of each of the first `writes` reads. */
const appendingSource = (path: string, writes: number) => {
  let reads = 0
  let next = 100_000
  return defineSource({
    id: "file",
    displayName: "Local file (appended to while read)",
    description: "test",
    config: FileSourceConfig,
    make: (config, context) => {
      const read = ++reads
      let appended = false
      return makeFileSource(config, context, {
        afterChunk: async () => {
          if (appended || read > writes) return
          appended = true
          appendFileSync(path, people(next, 5))
          next += 5
        }
      })
    }
  })
}

const plan = (file: string, writes: number, sourceRetries?: number) =>
  Effect.gen(function* () {
    const path = tmp.write(file, "employee_id,first_name,last_name,email\n" + people(1, 3_000))
    const loaded = yield* ConfigLoader.parse(
      {
        version: 1,
        okta: {
          orgUrl: "http://127.0.0.1:9",
          identitySourceId: IDENTITY_SOURCE,
          auth: { type: "ssws", token: "unused" },
          // a plan that never talks to Okta: no schema check either
          schemaCheck: false
        },
        source: { type: "file", path: file },
        mapping: {
          externalId: "employee_id",
          profile: { userName: "email", email: "email", firstName: "first_name", lastName: "last_name" }
        },
        state: { type: "memory" }
      },
      { env: {}, sources: [appendingSource(path, writes)], baseDir: tmp.dir }
    )
    const store = yield* StateStore.makeMemory(IDENTITY_SOURCE)
    const layer = Layer.mergeAll(
      OktaClient.layer({
        orgUrl: "http://127.0.0.1:9",
        identitySourceId: IDENTITY_SOURCE,
        auth: { type: "ssws", token: Redacted.make("unused") },
        maxRetries: 0
      }).pipe(Layer.orDie),
      Layer.succeed(StateStore.StateStore, store)
    )
    return yield* Sync.runWithReport({
      loaded,
      mode: "plan",
      ...(sourceRetries !== undefined ? { sourceRetries } : {})
    }).pipe(Effect.provide(layer))
  })

describe("Sync and a file written to while it is read", () => {
  it.live("the read is discarded and the file read again: the plan has every row of the finished file", () =>
    Effect.gen(function* () {
      const { report, error } = yield* plan("once.csv", 1)
      expect(Option.getOrUndefined(error)).toBeUndefined()
      expect(report.outcome).toBe("planned")
      expect(report.summary?.rowsRead).toBe(3_005)
      expect(report.summary?.users.create).toBe(3_005)
    })
  )

  it.live("a file that keeps changing fails the run with NotReady once the re-reads are used up", () =>
    Effect.gen(function* () {
      const { report, error } = yield* plan("busy.csv", 10, 1)
      const failure = Option.getOrUndefined(error)
      expect(failure?._tag).toBe("SourceError")
      expect(report.outcome).toBe("failed")
      expect(report.error?.message).toMatch(
        /^busy\.csv changed while it was read \(size \d+ → \d+ bytes, modified /
      )
      expect(report.summary).toBeUndefined()
    })
  )

  it.live("with re-reads off, the first change fails the run", () =>
    Effect.gen(function* () {
      const { error } = yield* plan("strict.csv", 1, 0)
      const failure = Option.getOrUndefined(error)
      expect(failure?._tag === "SourceError" && failure.reason).toBe("NotReady")
      expect(Path.basename(failure?._tag === "SourceError" ? (failure.location ?? "") : "")).toBe(
        "strict.csv"
      )
    })
  )
})
