import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Stream, TestClock } from "effect"
import { PipelineConfig } from "../src/config/Config.ts"
import { SourceError } from "../src/domain/Errors.ts"
import { Pipeline } from "../src/index.ts"
import * as PlanJson from "../src/plan/PlanJson.ts"
import { layerMemory } from "../src/state/StateStore.ts"

const config = (extra: Record<string, unknown> = {}) =>
  PipelineConfig.parse({
    version: 1,
    okta: { orgUrl: "embedded", identitySourceId: "0oa1" },
    source: { type: "file" },
    mapping: { externalId: "id", profile: { userName: "email", email: "email" } },
    ...extra
  })
const rows = [
  { data: { id: "E1", email: "ann@x.co" }, location: "people.csv:2" },
  { data: { id: "E2", email: "bob@x.co" }, location: "people.csv:3" }
]

describe("Pipeline.plan", () => {
  it.effect("plans from a stream with createdAt from the Clock and the inputs recorded", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 2, 4, 5, 6, 7))
      const plan = yield* Pipeline.plan({
        config: config(),
        rows: Stream.fromIterable(rows),
        identitySourceId: "0oa1",
        configHash: "cfg",
        sourceFingerprint: "people.csv#abc"
      })
      expect(plan.createdAt).toBe("2026-03-04T05:06:07.000Z")
      expect(plan.inputs).toMatchObject({ configHash: "cfg", sourceFingerprint: "people.csv#abc" })
      expect(plan.identitySourceId).toBe("0oa1")
      expect(plan.summary.users.create).toBe(2)
      expect(plan.hash).toBe(PlanJson.hash(plan))
    }).pipe(Effect.provide(layerMemory()))
  )

  it.effect("config mistakes fail before any row is read", () =>
    Effect.gen(function* () {
      let pulled = 0
      const exit = yield* Effect.exit(
        Pipeline.plan({
          config: config({ mapping: { externalId: "id", profile: { userName: "email", email: "$lowercase(" } } }),
          rows: Stream.fromIterable(rows).pipe(Stream.tap(() => Effect.sync(() => pulled++))),
          identitySourceId: "0oa1",
          configHash: "cfg"
        })
      )
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("ConfigError")
      expect(pulled).toBe(0)
    }).pipe(Effect.provide(layerMemory()))
  )

  it.effect("a source failure surfaces as the typed SourceError", () =>
    Effect.gen(function* () {
      const boom = new SourceError({ source: "file", reason: "Read", message: "disk on fire", location: "people.csv:3" })
      const exit = yield* Effect.exit(
        Pipeline.plan({
          config: config(),
          rows: Stream.concat(Stream.fromIterable(rows.slice(0, 1)), Stream.fail(boom)),
          identitySourceId: "0oa1",
          configHash: "cfg"
        })
      )
      // the same typed error (Effect may hand back a copy carrying its span): class, reason, message, location
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error).toBeInstanceOf(SourceError)
      expect(error).toMatchObject({ _tag: "SourceError", source: "file", reason: "Read", message: "disk on fire", location: "people.csv:3" })
    }).pipe(Effect.provide(layerMemory()))
  )
})
