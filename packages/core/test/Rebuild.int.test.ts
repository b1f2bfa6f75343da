/**
 * A lost state against the emulator over HTTP: the lost-state guard refuses to plan as if it were a first run,
 * `state rebuild` recovers the state from the source and single-entity reads (records Okta holds differently,
 * and records it does not hold, included) so the next plan is exactly what is left to do, and a killed rebuild
 * resumes from its progress in state.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as StateRebuild from "../src/run/Rebuild.ts"
import * as Probe from "../src/verify/Probe.ts"
import { load, mutableSource, org, people } from "./proofHarness.ts"

describe("the lost-state guard", () => {
  it.scopedLive(
    "an empty state against an org holding the source's records is refused (plan and apply); --initial goes ahead",
    () =>
      Effect.gen(function* () {
        const { h, sync, loseState } = yield* org()
        const loaded = yield* load(mutableSource(people(25)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        // a true first run: the probe finds nothing and the apply goes ahead
        const first = yield* sync({ loaded, mode: "apply" })
        expect(first.report.outcome).toBe("applied")
        yield* loseState
        const before = h.emu.requests.length
        for (const mode of ["plan", "apply"] as const) {
          const { error, report } = yield* sync({ loaded, mode })
          expect(Option.getOrThrow(error)).toMatchObject({ _tag: "StateError", reason: "Empty" })
          expect(report.outcome).toBe("failed")
          expect(report.error?.message).toContain(
            "Okta already holds 7 of the 7 records of this source looked up (E001, E007, E013, …)"
          )
          expect(report.error?.message).toContain("anysource state rebuild")
        }
        // two runs of one schema read (the schema guard) and a probe of seven reads each, and not one session
        expect(h.emu.requests.slice(before).map((r) => r.method)).toEqual(Array(16).fill("GET"))
        const initial = yield* sync({ loaded, mode: "plan", initial: true })
        expect(Option.isNone(initial.error)).toBe(true)
        expect(initial.report.summary?.users.create).toBe(25)
      }),
    60_000
  )

  it.scopedLive(
    "when Okta cannot be read, a plan (which sends nothing) warns and goes on; an apply refuses and sends nothing",
    () =>
      Effect.gen(function* () {
        const { h, sync } = yield* org()
        const loaded = yield* load(mutableSource(people(12)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        // every single-user read is refused (a 403 is not retried): the probe cannot tell a first run from a lost state
        h.emu.faults.inject({
          kind: "status",
          status: 403,
          method: "GET",
          path: /\/users\/E\d+$/,
          times: Infinity
        })
        const planned = yield* sync({ loaded, mode: "plan" })
        expect(Option.isNone(planned.error)).toBe(true)
        expect(planned.report.summary?.users.create).toBe(12)
        const before = h.emu.requests.length
        const applied = yield* sync({ loaded, mode: "apply" })
        expect(Option.getOrThrow(applied.error)).toMatchObject({ _tag: "OktaApiError", reason: "Forbidden" })
        expect(h.emu.requests.slice(before).filter((r) => r.method !== "GET")).toEqual([])
        expect(h.emu.sessions()).toEqual([])
      }),
    60_000
  )

  it("the probe looks at up to five users spread over the plan and up to two groups, only on a first run", () => {
    const creates = Array.from({ length: 100 }, (_, i) => ({
      op: "create" as const,
      externalId: `U${i}`,
      profile: {},
      hash: "",
      location: ""
    }))
    expect(Probe.spread(creates, 100, 5)).toEqual(["U0", "U25", "U50", "U74", "U99"])
    expect(Probe.spread(creates.slice(0, 2), 2, 5)).toEqual(["U0", "U1"])
    expect(Probe.spread([], 0, 5)).toEqual([])
  })
})

describe("state rebuild", () => {
  it.scopedLive(
    "recovers a lost state from the source and Okta: the next plan holds only what Okta really lacks",
    () =>
      Effect.gen(function* () {
        const { h, sync, withOkta, loseState, store } = yield* org({
          simulate: { rejectShare: 0.1, seed: "rebuild" }
        })
        const loaded = yield* load(mutableSource(people(60)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        yield* sync({ loaded, mode: "apply" })
        const rejected = h.emu
          .simulations()
          .filter((s) => s.kind === "reject" && s.entity === "user")
          .map((s) => s.externalId)
          .sort()
        const rejectedGroups = h.emu
          .simulations()
          .filter((s) => s.kind === "reject" && s.entity === "group").length
        const edited = h.emu.simulate.adminEdit(0.1).sort()
        expect(rejected.length).toBeGreaterThan(0)
        expect(edited.length).toBeGreaterThan(0)
        yield* loseState

        const events: Array<string> = []
        const report = yield* withOkta(
          StateRebuild.rebuildState({
            loaded,
            onEvent: (e) => Effect.sync(() => void (e._tag === "ReadBackStarted" && events.push(e.what)))
          })
        )
        expect(events).toEqual(["users", "groups", "memberships"])
        expect(report.resumed).toBe(false)
        expect(report.counts).toMatchObject({
          usersMatched: 60 - rejected.length - edited.length,
          usersDiffer: edited.length,
          usersNotInOkta: rejected.length,
          groupsNotInOkta: rejectedGroups
        })
        expect(Option.isNone(yield* store().rebuildProgress)).toBe(true)
        // the next ordinary plan: the rejected people created, the edited ones restored, nothing else, no probe refusal
        const next = yield* sync({ loaded, mode: "plan" })
        expect(Option.isNone(next.error)).toBe(true)
        const plan = next.report.plan!
        expect([...plan.users].filter((u) => u.op === "create").map((u) => u.externalId)).toEqual(rejected)
        expect([...plan.users].filter((u) => u.op === "update").map((u) => u.externalId)).toEqual(
          edited.filter((id) => !rejected.includes(id))
        )
        expect(plan.summary.users.deactivate).toBe(0)
        expect(plan.summary.users.unchanged).toBe(60 - rejected.length - edited.length)
      }),
    60_000
  )

  it.scopedLive(
    "refuses a state that holds records; a killed rebuild resumes, and plans are refused until it finishes",
    () =>
      Effect.gen(function* () {
        const { h, sync, withOkta, loseState, store } = yield* org()
        const loaded = yield* load(mutableSource(people(40)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        yield* sync({ loaded, mode: "apply" })
        const notEmpty = yield* Effect.flip(withOkta(StateRebuild.rebuildState({ loaded })))
        expect(notEmpty).toMatchObject({ _tag: "StateError", reason: "NotEmpty" })
        expect(notEmpty.message).toContain("anysource drift --fix")

        yield* loseState
        // the 25th user's read fails for good (403 is not retried): the rebuild stops after its first chunks
        h.emu.faults.inject({ kind: "status", status: 403, method: "GET", path: /\/users\/E025$/ })
        const killed = yield* Effect.flip(
          withOkta(StateRebuild.rebuildState({ loaded, runId: "rebuild-a", concurrency: 1 }))
        )
        expect(killed).toMatchObject({ _tag: "OktaApiError", reason: "Forbidden" })
        const progress = Option.getOrThrow(yield* store().rebuildProgress)
        expect(progress).toMatchObject({ runId: "rebuild-a", phase: "users" })
        expect((yield* store().index("user")).size).toBe(0) // chunk of 500: nothing committed before the failure

        const refused = yield* sync({ loaded, mode: "plan" })
        expect(Option.getOrThrow(refused.error)).toMatchObject({ _tag: "StateError", reason: "Rebuilding" })

        // a smaller chunk this time: it resumes under the first run's id and finishes
        const before = h.emu.requests.filter((r) => r.method === "GET").length
        const done = yield* withOkta(StateRebuild.rebuildState({ loaded, runId: "rebuild-b" }))
        expect(done).toMatchObject({
          runId: "rebuild-a",
          resumed: true,
          counts: { usersMatched: 40, groupsMatched: 2, membershipGroups: 2, membershipPairs: 40 }
        })
        expect(h.emu.requests.filter((r) => r.method === "GET").length - before).toBe(40 + 2 + 2)
        const next = yield* sync({ loaded, mode: "plan" })
        expect(next.report.outcome).toBe("no-changes")
      }),
    60_000
  )

  it.scopedLive(
    "a rebuild killed after committed chunks reads only the rest when resumed",
    () =>
      Effect.gen(function* () {
        const { h, sync, withOkta, loseState, store } = yield* org()
        const loaded = yield* load(mutableSource(people(30)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        yield* sync({ loaded, mode: "apply" })
        yield* loseState
        h.emu.faults.inject({ kind: "status", status: 403, method: "GET", path: /\/users\/E025$/ })
        const desired = yield* StateRebuild.desiredPlan(loaded)
        const { rebuild } = yield* Effect.promise(() => import("../src/verify/Rebuild.ts"))
        const stopped = yield* Effect.flip(
          withOkta(rebuild(desired, { runId: "r1", concurrency: 1, rateLimitShare: 50, chunk: 10 }))
        )
        expect(stopped._tag).toBe("OktaApiError")
        expect(Option.getOrThrow(yield* store().rebuildProgress)).toMatchObject({
          phase: "users",
          after: "E020"
        })
        expect((yield* store().index("user")).size).toBe(20)
        const userReads = () =>
          h.emu.requests
            .filter((r) => r.method === "GET" && r.path.includes("/users/"))
            .map((r) => r.path.split("/").pop())
        const before = userReads().length
        yield* withOkta(rebuild(desired, { runId: "r2", concurrency: 1, rateLimitShare: 50, chunk: 10 }))
        expect(userReads().slice(before)).toEqual(
          people(30)
            .slice(20)
            .map((p) => p.id)
        )
        expect((yield* sync({ loaded, mode: "plan" })).report.outcome).toBe("no-changes")
      }),
    60_000
  )
})
