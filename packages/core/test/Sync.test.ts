/**
 * What Sync does around the identity source's lock, without Okta: an apply that finds the lock held fails with
 * `StateError` `Locked`, and `whenLocked` decides whether that attempt enters the run history.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Scope } from "effect"
import * as ConfigLoader from "../src/config/ConfigLoader.ts"
import { ConfigError } from "../src/domain/Errors.ts"
import * as RunReport from "../src/run/RunReport.ts"
import * as OktaClient from "../src/okta/OktaClient.ts"
import * as StateStore from "../src/state/StateStore.ts"
import * as Sync from "../src/run/Sync.ts"
import { TestSource } from "../src/testing.ts"

const SOURCE_ID = "0oaSYNCLOCK"

const loaded = ConfigLoader.parse(
  {
    version: 1,
    okta: { orgUrl: "http://127.0.0.1:9", identitySourceId: SOURCE_ID, auth: { type: "ssws", token: "t-0123456789" } },
    source: { type: "test" },
    mapping: { externalId: "id", profile: { userName: "email", email: "email" } },
    state: { type: "memory" }
  },
  { env: {}, sources: [TestSource.fromRows([])], baseDir: "." }
)

/** A memory store whose lock another run holds until `release` is called; `sync` runs against it. */
const setup = Effect.gen(function* () {
  const store = yield* StateStore.makeMemory(SOURCE_ID)
  const held = yield* Scope.make()
  yield* store.lock("run-of-someone-else", 60_000).pipe(Scope.extend(held))
  const config = yield* loaded
  // never called: every run here stops at the lock or finds nothing to send
  const okta = OktaClient.layer({ orgUrl: "http://127.0.0.1:9", identitySourceId: SOURCE_ID, auth: { type: "ssws", token: "t" } as never })
  const sync = (options: Partial<Sync.SyncOptions>) =>
    Sync.runWithReport({ loaded: config, mode: "apply", schemaCheck: false, ...options }).pipe(Effect.provide(okta), Effect.provideService(StateStore.StateStore, store))
  return { store, sync, release: Scope.close(held, Exit.void) }
})

describe("Sync and the lock", () => {
  it.effect("an apply that finds the lock held fails with Locked and is recorded as a failed run (default)", () =>
    Effect.gen(function* () {
      const { store, sync } = yield* setup
      const { report, error } = yield* sync({ runId: "run-1" })
      expect(Option.map(error, (e) => [e._tag, (e as { reason?: string }).reason])).toEqual(Option.some(["StateError", "Locked"]))
      expect(report).toMatchObject({ runId: "run-1", outcome: "failed", error: { tag: "StateError", reason: "Locked" } })
      expect((yield* store.history(10)).map((r) => [r.runId, r.outcome])).toEqual([["run-1", "failed"]])
    })
  )

  it.effect("with whenLocked skip the attempt leaves the history untouched; once the lock is free the run is recorded", () =>
    Effect.gen(function* () {
      const { store, sync, release } = yield* setup
      const skipped = yield* sync({ runId: "run-1", whenLocked: "skip" })
      expect(skipped.report.error).toMatchObject({ tag: "StateError", reason: "Locked" })
      expect(skipped.report.error?.message).toContain("run-of-someone-else")
      expect(yield* store.history(10)).toEqual([])

      yield* release
      const ran = yield* sync({ runId: "run-2", whenLocked: "skip" })
      expect(Option.isNone(ran.error)).toBe(true)
      expect(ran.report.outcome).toBe("no-changes")
      expect((yield* store.history(10)).map((r) => [r.runId, r.outcome])).toEqual([["run-2", "no-changes"]])
      // and the run released the lock when it ended
      yield* Effect.scoped(store.lock("next", 1_000))
    })
  )

  it.effect("a plan takes no lock: whenLocked changes nothing for it", () =>
    Effect.gen(function* () {
      const { store, sync } = yield* setup
      const { report } = yield* sync({ runId: "run-p", mode: "plan", whenLocked: "skip" })
      expect(report.outcome).toBe("no-changes")
      expect((yield* store.history(10)).map((r) => r.runId)).toEqual(["run-p"])
    })
  )
})

describe("RunReport.notStarted", () => {
  it("describes a run that could not start as failed, with its times and the error, and nothing read or sent", () => {
    const error = new ConfigError({ reason: "Invalid", path: "okta.auth", message: "okta.auth.privateKey: not a PEM or JWK key" })
    const report = RunReport.notStarted({ runId: "run-x", identitySourceId: SOURCE_ID, mode: "apply", startMillis: 1_700_000_000_000, endMillis: 1_700_000_000_250, error })
    expect(report).toEqual({
      runId: "run-x",
      identitySourceId: SOURCE_ID,
      mode: "apply",
      outcome: "failed",
      startedAt: "2023-11-14T22:13:20.000Z",
      finishedAt: "2023-11-14T22:13:20.250Z",
      durationMs: 250,
      issues: [],
      sessions: [],
      okta: RunReport.emptyOktaUsage,
      error: { tag: "ConfigError", reason: "Invalid", message: "okta.auth.privateKey: not a PEM or JWK key" }
    })
  })
})
