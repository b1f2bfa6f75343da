/**
 * The Sync use case end to end inside core: an in-memory source → plan → safeguards → apply into the
 * real emulator → state. Covers what the apps rely on: reports, drift refusal, safeguards stopping
 * before any Okta call, and transient source failures retried before anything is applied.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Stream } from "effect"
import * as ConfigLoader from "../src/config/ConfigLoader.ts"
import { SourceError } from "../src/domain/Errors.ts"
import type { SourceDefinition } from "../src/domain/Source.ts"
import * as StateStore from "../src/state/StateStore.ts"
import * as Sync from "../src/run/Sync.ts"
import { TestSource } from "../src/testing.ts"
import { clientFor, emulator, SOURCE_ID } from "./emulatorHarness.ts"
import { z } from "zod"

const people = (n: number, title = "Engineer") =>
  Array.from({ length: n }, (_, i) => ({
    id: `E${i + 1}`,
    email: `person${i + 1}@example.com`,
    first: `First${i + 1}`,
    last: `Last${i + 1}`,
    title,
    dept: i % 2 === 0 ? "Sales" : "Engineering"
  }))

const rawConfig = (orgUrl: string, extra: Record<string, unknown> = {}) => ({
  version: 1,
  okta: { orgUrl, identitySourceId: SOURCE_ID, auth: { type: "ssws", token: "${TOKEN}" } },
  source: { type: "test" },
  mapping: {
    externalId: "id",
    profile: { userName: "email", email: "email", firstName: "first", lastName: "last", title: "title" }
  },
  groups: [{ externalId: "'dept-' & $lowercase(dept)", displayName: "dept" }],
  schema: { users: { attributes: { title: {} } } },
  state: { type: "memory" },
  ...extra
})

const load = (source: SourceDefinition, orgUrl: string, extra: Record<string, unknown> = {}) =>
  ConfigLoader.parse(rawConfig(orgUrl, extra), {
    env: { TOKEN: "emulator-api-token" },
    sources: [source],
    baseDir: "."
  }).pipe(Effect.map((loaded) => ({ ...loaded, sourceConfig: {} })))

/** A source whose first `failures` reads fail with a retryable SourceError after a few rows. */
const flaky = (rows: ReadonlyArray<Record<string, unknown>>, failures: number, retryable: boolean) => {
  let attempts = 0
  const definition: SourceDefinition & { attempts: () => number } = {
    id: "test",
    displayName: "flaky",
    config: z.object({}),
    attempts: () => attempts,
    make: () =>
      Effect.succeed({
        check: Effect.void,
        read: Stream.suspend(() => {
          attempts++
          const all = Stream.fromIterable(rows.map((data, i) => ({ data, location: `mem:${i + 1}` })))
          return attempts <= failures
            ? Stream.concat(
                Stream.take(all, 3),
                Stream.fail(new SourceError({ source: "test", reason: "Connect", message: "connection reset", retryable }))
              )
            : all
        })
      })
  }
  return definition
}

/** An emulator, an in-memory state, and `sync` running Sync.runWithReport against both. */
const org = () =>
  Effect.gen(function* () {
    const h = yield* emulator()
    const store = yield* StateStore.makeMemory(SOURCE_ID)
    const sync = (options: Sync.SyncOptions) =>
      Sync.runWithReport(options).pipe(Effect.provide(clientFor(h.emu)), Effect.provideService(StateStore.StateStore, store))
    return { h, store, sync }
  })

describe("Sync", () => {
  it.scopedLive(
    "plans, applies into the emulator, then finds nothing to change; the report counts requests",
    () =>
      Effect.gen(function* () {
        const { h, store, sync } = yield* org()
        const loaded = yield* load(TestSource.fromRows(people(30)), h.emu.url)
        const run = (mode: "plan" | "apply") => sync({ loaded, mode })
        const planned = yield* run("plan")
        expect(planned.report.outcome).toBe("planned")
        expect(planned.report.summary?.users.create).toBe(30)
        expect(h.emu.sessions().length).toBe(0)

        const applied = yield* run("apply")
        expect(Option.isNone(applied.error)).toBe(true)
        expect(applied.report.outcome).toBe("applied")
        expect(applied.report.okta.requests).toBeGreaterThan(0)
        expect(h.emu.directory.users().filter((u) => u.status === "ACTIVE").length).toBe(30)
        expect(h.emu.directory.groups().length).toBe(2)

        const again = yield* run("plan")
        expect(again.report.summary).toMatchObject({ users: { create: 0, update: 0 }, groups: { create: 0, update: 0 }, memberships: { add: 0, remove: 0 } })
        expect(again.report.outcome).toBe("no-changes")
        // the history records each run's outcome in the report's words
        expect((yield* store.history(10)).map((r) => [r.mode, r.outcome])).toEqual([
          ["plan", "no-changes"],
          ["apply", "applied"],
          ["plan", "planned"]
        ])
      }),
    60_000
  )

  it.scopedLive(
    "a run that finishes an interrupted apply reports it as applied and names the run it resumed",
    () =>
      Effect.gen(function* () {
        const { h, store, sync } = yield* org()
        const loaded = yield* load(TestSource.fromRows(people(12)), h.emu.url)
        const run = (options: Partial<Sync.SyncOptions> = {}) => sync({ loaded, mode: "apply", ...options })
        const stopped = yield* run({ stopBefore: Effect.succeed(true) })
        expect(stopped.report.outcome).toBe("partial")
        expect(Option.isSome(yield* store.journal)).toBe(true)
        const finished = yield* run()
        expect(finished.report.resumedRunId).toBe(stopped.report.runId)
        expect(finished.report.outcome).toBe("applied")
        expect(finished.report.sessions.length).toBeGreaterThan(0)
        expect(h.emu.directory.users().filter((u) => u.status === "ACTIVE").length).toBe(12)
        const again = yield* run()
        expect(again.report.outcome).toBe("no-changes")
        expect(again.report.resumedRunId).toBeUndefined()
        expect((yield* store.history(10)).map((r) => r.outcome)).toEqual(["no-changes", "applied", "partial"])
      }),
    60_000
  )

  it.scopedLive(
    "refuses a plan whose data moved (PlanDriftError) and applies nothing",
    () =>
      Effect.gen(function* () {
        const { h, sync: run } = yield* org()
        const first = yield* load(TestSource.fromRows(people(5)), h.emu.url)
        const moved = yield* load(TestSource.fromRows(people(5, "Director")), h.emu.url)
        const planned = yield* run({ loaded: first, mode: "plan" })
        const result = yield* run({ loaded: moved, mode: "apply", expectedPlanHash: planned.report.planHash! })
        expect(Option.getOrThrow(result.error)).toMatchObject({ _tag: "PlanDriftError", reason: "HashMismatch" })
        expect(result.report.outcome).toBe("failed")
        expect(result.report.error).toMatchObject({ tag: "PlanDriftError", reason: "HashMismatch" })
        expect(h.emu.sessions().length).toBe(0)
      }),
    60_000
  )

  it.scopedLive(
    "a tripped safeguard stops before any Okta call; --allow-deletes lets it through",
    () =>
      Effect.gen(function* () {
        const { h, sync } = yield* org()
        const run = (rows: ReadonlyArray<Record<string, unknown>>, allowDeletes = false) =>
          Effect.flatMap(load(TestSource.fromRows(rows), h.emu.url), (loaded) => sync({ loaded, mode: "apply", allowDeletes }))
        yield* run(people(40))
        const sessionsBefore = h.emu.sessions().length
        const truncated = yield* run(people(4))
        expect(truncated.report.outcome).toBe("safeguard")
        expect(Option.getOrThrow(truncated.error)).toMatchObject({ _tag: "SafeguardTripped", reason: "Limit" })
        expect(h.emu.sessions().length).toBe(sessionsBefore)
        expect(h.emu.directory.users().filter((u) => u.status === "ACTIVE").length).toBe(40)
        const allowed = yield* run(people(4), true)
        expect(allowed.report.outcome).toBe("applied")
        expect(h.emu.directory.users().filter((u) => u.status === "ACTIVE").length).toBe(4)
      }),
    60_000
  )

  it.scopedLive(
    "a retryable source failure is read again from the start; a non-retryable one fails with nothing applied",
    () =>
      Effect.gen(function* () {
        const { h, sync } = yield* org()
        const run = (source: SourceDefinition) => Effect.flatMap(load(source, h.emu.url), (loaded) => sync({ loaded, mode: "apply" }))
        const permanent = flaky(people(10), 1, false)
        const failed = yield* run(permanent)
        expect(permanent.attempts()).toBe(1)
        expect(Option.getOrThrow(failed.error)._tag).toBe("SourceError")
        expect(h.emu.sessions().length).toBe(0)

        const transient = flaky(people(10), 2, true)
        const ok = yield* run(transient)
        expect(transient.attempts()).toBe(3)
        expect(ok.report.outcome).toBe("applied")
        expect(h.emu.directory.users().length).toBe(10)
      }),
    60_000
  )
})
