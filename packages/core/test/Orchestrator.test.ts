import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import * as Batching from "../src/apply/Batching.ts"
import * as OktaClient from "../src/okta/OktaClient.ts"
import * as Orchestrator from "../src/apply/Orchestrator.ts"
import type { ApplyEvent, ApplyOptions } from "../src/apply/Orchestrator.ts"
import * as StateStore from "../src/state/StateStore.ts"
import {
  clientLayer,
  createGroup,
  createUser,
  deactivateUser,
  fakeHttp,
  makeMiniOkta,
  makePlan,
  oktaError,
  type FakeHttpOptions,
  range,
  type MiniOktaOptions
} from "./oktaFake.ts"

const limits: Batching.Limits = { maxEntitiesPerUpload: 50, maxUploadBytes: 200_000, maxUploadsPerSession: 4 }

/** 5 groups, 400 users, memberships: 8 + 1 + 1 = 10 uploads → 3 sessions (4/3/3) at these limits. */
const bigPlan = () =>
  makePlan({
    groups: range(5).map((g) => createGroup(`grp${g}`)),
    users: range(400).map((i) => createUser(i)),
    memberships: range(5).map((g) => ({
      op: "add" as const,
      groupExternalId: `grp${g}`,
      memberExternalIds: range(80, g * 80).map((i) => createUser(i).externalId)
    }))
  })

const setup = (mini: MiniOktaOptions = {}, http: FakeHttpOptions = {}) => {
  const okta = makeMiniOkta({ processingMillis: 2_000, ...mini })
  const fake = fakeHttp(okta.handler, http)
  const storeLayer = StateStore.layerMemory("test")
  return { okta, fake, layer: Layer.merge(clientLayer(fake, { maxRetries: 3 }), storeLayer) }
}

/** Run under TestClock, moving time to the next pending sleep (at most `stepMillis` at once) until the effect finishes. */
const drive = <A, E, R>(self: Effect.Effect<A, E, R>, stepMillis = 5_000, maxSteps = 20_000) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(self)
    for (let i = 0; i < maxSteps; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return done.value
      const sleeps = [...(yield* TestClock.sleeps())]
      if (sleeps.length === 0) {
        yield* Effect.yieldNow()
        continue
      }
      const now = yield* TestClock.currentTimeMillis
      yield* TestClock.adjust(Math.min(stepMillis, Math.max(1, Math.min(...sleeps) - now)))
    }
    yield* Fiber.interrupt(fiber)
    throw new Error("did not finish")
  })

const base = (events: Array<ApplyEvent>, over: Partial<ApplyOptions> = {}): Omit<ApplyOptions, "plan" | "runId"> => ({
  onEvent: (e) => Effect.sync(() => events.push(e)),
  foreignSessionPolicy: "wait",
  sessionTimeoutMs: 30 * 60_000,
  pollInterval: "1 second",
  limits,
  ...over
})

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected failure")
  const f = Cause.failureOption(exit.cause)
  if (Option.isNone(f)) throw new Error(Cause.pretty(exit.cause))
  return f.value
}

const uploadsOf = (okta: ReturnType<typeof makeMiniOkta>) => okta.sessions.map((s) => s.uploads.length)

/** Lose the reply (a dropped connection) to the first create-session call Okta answers with `status`. */
const dropFirstCreateReply = (okta: ReturnType<typeof makeMiniOkta>, status: number) => {
  let first = true
  okta.after.push((req, res) => {
    if (req.method === "POST" && req.path.endsWith("/sessions") && res.status === status && first) {
      first = false
      return "drop"
    }
    return undefined
  })
}

describe("Orchestrator.apply", () => {
  it.effect("applies a plan through several sessions and commits each only after COMPLETED", () =>
    Effect.gen(function* () {
      const { okta, layer } = setup()
      const plan = bigPlan()
      const events: Array<ApplyEvent> = []
      const checks: Array<[string, number]> = []
      yield* Effect.gen(function* () {
        const store = yield* StateStore.StateStore
        const options = base(events, {
          onEvent: (e) =>
            Effect.gen(function* () {
              events.push(e)
              if (e._tag === "SessionTriggered" || (e._tag === "SessionStatus" && e.status === "COMPLETED") || e._tag === "Committed")
                checks.push([e._tag, (yield* Effect.orDie(store.index("user"))).size])
            })
        })
        const exit = yield* drive(Orchestrator.apply({ plan, runId: "run-1", ...options }))
        expect(Exit.isSuccess(exit)).toBe(true)
        const result = Exit.isSuccess(exit) ? exit.value : undefined
        const packed = Batching.pack(plan, limits)
        expect(packed.map((s) => s.batches.length)).toEqual([4, 3, 3])
        expect(result).toMatchObject({ completed: true, uploads: 10, committedChanges: 5 + 400 + 5 })
        expect(result!.sessions.map((s) => [s.index, s.uploads, s.status])).toEqual([
          [0, 4, "COMPLETED"],
          [1, 3, "COMPLETED"],
          [2, 3, "COMPLETED"]
        ])
        expect(okta.sessions.map((s) => s.status)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED"])
        expect(uploadsOf(okta)).toEqual([4, 3, 3])
        expect(okta.users.size).toBe(400)
        expect(okta.users.get("EXT000007")?.profile).toMatchObject({ costCenter: "CC-7", department: "Dept 7" })
        expect(okta.members.get("grp2")?.size).toBe(80)
        expect((yield* store.index("user")).size).toBe(400)
        expect((yield* store.memberships).get("grp4")?.size).toBe(80)
        expect(Option.isNone(yield* store.journal)).toBe(true)
      }).pipe(Effect.provide(layer))
      // state moves only at Committed, never at trigger/COMPLETED
      expect(checks).toEqual([
        ["SessionTriggered", 0],
        ["SessionStatus", 0],
        ["Committed", 150],
        ["SessionTriggered", 150],
        ["SessionStatus", 150],
        ["Committed", 300],
        ["SessionTriggered", 300],
        ["SessionStatus", 300],
        ["Committed", 400]
      ])
      expect(events.filter((e) => e._tag === "SessionCreated").map((e) => (e as any).total)).toEqual([3, 3, 3])
      expect(events.filter((e) => e._tag === "BatchUploaded")).toHaveLength(10)
    })
  )

  it.effect("waits out the 5-minute rule with a countdown instead of failing (TestClock)", () =>
    Effect.gen(function* () {
      const { okta, fake, layer } = setup({ gapAfterCreateMillis: 5 * 60_000 })
      const events: Array<ApplyEvent> = []
      const exit = yield* drive(Orchestrator.apply({ plan: bigPlan(), runId: "run-gap", ...base(events) })).pipe(Effect.provide(layer))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(okta.sessions).toHaveLength(3)
      // sessions were created at least 5 minutes apart
      expect(okta.sessions[1]!.created - okta.sessions[0]!.created).toBeGreaterThanOrEqual(5 * 60_000)
      expect(okta.sessions[2]!.created - okta.sessions[1]!.created).toBeGreaterThanOrEqual(5 * 60_000)
      const gaps = events.filter((e): e is Extract<ApplyEvent, { _tag: "WaitingForSessionGap" }> => e._tag === "WaitingForSessionGap")
      expect(gaps.length).toBeGreaterThan(50)
      expect(gaps[0]!.reason).toContain("5 minutes")
      expect(gaps[0]!.remainingMillis).toBeLessThanOrEqual(5 * 60_000)
      // a countdown: each event ≤ 5 s after the previous one within a wait
      for (let i = 1; i < gaps.length; i++) {
        const step = gaps[i - 1]!.remainingMillis - gaps[i]!.remainingMillis
        if (step > 0) expect(step).toBeLessThanOrEqual(5_000)
      }
      const creates = fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/sessions"))
      expect(creates.length).toBeLessThan(10) // no hammering while waiting
      expect(Exit.isSuccess(exit) && exit.value.waitedMillis).toBeGreaterThan(2 * 4 * 60_000)
    })
  )

  it.effect("waits for a foreign open session (policy wait) without touching it", () =>
    Effect.gen(function* () {
      const { okta, fake, layer } = setup()
      const foreign = okta.addForeign("IN_PROGRESS", 0)
      okta.faults.push((req) => {
        if (req.at >= 90_000 && foreign.status === "IN_PROGRESS") foreign.status = "CLOSED"
        return undefined
      })
      const events: Array<ApplyEvent> = []
      const exit = yield* drive(Orchestrator.apply({ plan: makePlan({ users: [createUser(1)] }), runId: "r", ...base(events) })).pipe(
        Effect.provide(layer)
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(fake.requests.filter((r) => r.method === "DELETE")).toHaveLength(0)
      const waits = events.filter((e) => e._tag === "WaitingForSessionGap")
      expect(waits.length).toBeGreaterThanOrEqual(18) // every ≤5 s for 90 s
      expect((waits[0] as any).reason).toContain(foreign.id)
      expect(okta.users.has("EXT000001")).toBe(true)
    })
  )

  it.effect("cancels a foreign CREATED/IN_PROGRESS session under policy cancel, but waits for a TRIGGERED one", () =>
    Effect.gen(function* () {
      const { okta, fake, layer } = setup({ processingMillis: 30_000 })
      const open = okta.addForeign("CREATED", 0)
      const triggered = okta.addForeign("TRIGGERED", 0)
      const events: Array<ApplyEvent> = []
      const exit = yield* drive(
        Orchestrator.apply({ plan: makePlan({ users: [createUser(1)] }), runId: "r", ...base(events, { foreignSessionPolicy: "cancel" }) })
      ).pipe(Effect.provide(layer))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(fake.requests.filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop())).toEqual([open.id])
      expect(open.status).toBe("CLOSED")
      expect(triggered.status).toBe("COMPLETED")
      expect(events.some((e) => e._tag === "WaitingForSessionGap" && e.reason.includes("TRIGGERED"))).toBe(true)
    })
  )

  it.effect("gives up on a foreign session after sessionTimeoutMs with ApplyError ForeignSession", () =>
    Effect.gen(function* () {
      const { okta, layer } = setup()
      okta.addForeign("CREATED", 0)
      const exit = yield* drive(
        Orchestrator.apply({ plan: makePlan({ users: [createUser(1)] }), runId: "r", ...base([], { sessionTimeoutMs: 60_000 }) })
      ).pipe(Effect.provide(layer))
      expect(failure(exit)).toMatchObject({ _tag: "ApplyError", reason: "ForeignSession" })
    })
  )

  it.effect("re-does a session that ends in ERROR in a new Okta session; bounded", () =>
    Effect.gen(function* () {
      const ok = setup({ errorSessions: new Set([1]) })
      const events: Array<ApplyEvent> = []
      const exit = yield* drive(Orchestrator.apply({ plan: bigPlan(), runId: "r", ...base(events) })).pipe(Effect.provide(ok.layer))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(ok.okta.sessions.map((s) => s.status)).toEqual(["COMPLETED", "ERROR", "COMPLETED", "COMPLETED"])
      expect(uploadsOf(ok.okta)).toEqual([4, 3, 3, 3])
      expect(ok.okta.users.size).toBe(400)
      expect(events.some((e) => e._tag === "Retrying" && e.reason.includes("ERROR"))).toBe(true)

      const bad = setup({ errorSessions: new Set([0, 1, 2]) })
      const failed = yield* Effect.gen(function* () {
        const exit = yield* drive(Orchestrator.apply({ plan: bigPlan(), runId: "r", ...base([]) }))
        const journal = yield* Effect.flatMap(StateStore.StateStore, (s) => s.journal)
        return { exit, journal }
      }).pipe(Effect.provide(bad.layer))
      expect(failure(failed.exit)).toMatchObject({ _tag: "ApplyError", reason: "SessionFailed" })
      expect(bad.okta.sessions).toHaveLength(3)
      expect(Option.getOrThrow(failed.journal).sessions[0]).toMatchObject({ status: "PENDING", uploadedBatches: [] })
    })
  )

  it.effect("a rejected upload cancels the session, fails, and the next run starts afresh", () =>
    Effect.gen(function* () {
      const { okta, fake, layer } = setup()
      let uploads = 0
      okta.faults.push((req) =>
        req.path.includes("/bulk-") && ++uploads === 2 ? oktaError(400, "E0000001", "Api validation failed: profiles", ["email: must be an email"]) : undefined
      )
      yield* Effect.gen(function* () {
        const store = yield* StateStore.StateStore
        const exit = yield* drive(Orchestrator.apply({ plan: bigPlan(), runId: "r", ...base([]) }))
        expect(failure(exit)).toMatchObject({ _tag: "OktaApiError", reason: "Rejected", errorCauses: [{ errorSummary: "email: must be an email" }] })
        expect(okta.sessions[0]!.status).toBe("CLOSED")
        expect(fake.requests.filter((r) => r.method === "DELETE")).toHaveLength(1)
        expect(Option.getOrThrow(yield* store.journal).sessions[0]!.status).toBe("FAILED")
        expect((yield* store.index("user")).size).toBe(0)
        const resumed = yield* Orchestrator.resumePending(base([]))
        expect(Option.isNone(resumed)).toBe(true)
        expect(Option.isNone(yield* store.journal)).toBe(true)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("retries an upload answered 5xx after Okta accepted it (idempotent) and finishes", () =>
    Effect.gen(function* () {
      const { okta, layer } = setup()
      let n = 0
      okta.after.push((req) => (req.path.endsWith("/bulk-upsert") && ++n === 1 ? oktaError(500, "E0000009", "Internal Server Error") : undefined))
      const events: Array<ApplyEvent> = []
      const exit = yield* drive(Orchestrator.apply({ plan: bigPlan(), runId: "r", ...base(events) })).pipe(Effect.provide(layer))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(uploadsOf(okta)).toEqual([5, 3, 3]) // the accepted-but-500 batch went twice into the same session
      expect(okta.users.size).toBe(400)
      expect(events.some((e) => e._tag === "Retrying" && e.reason.includes("bulkUpsertUsers"))).toBe(true)
    })
  )

  for (const [label, offset] of [
    ["in step with Okta's", 0],
    ["10 minutes behind Okta's", -10 * 60_000],
    ["3 hours ahead of Okta's", 3 * 60 * 60_000]
  ] as const)
    it.effect(`adopts the session its own lost create-session call opened; this machine's clock ${label}`, () =>
      Effect.gen(function* () {
        // the journal's start is this machine's time, a session's \`created\` is Okta's: compare in one clock
        const { okta, layer } = setup({}, { serverClockOffsetMillis: -offset })
        dropFirstCreateReply(okta, 201)
        const events: Array<ApplyEvent> = []
        const exit = yield* drive(Orchestrator.apply({ plan: makePlan({ users: [createUser(1)] }), runId: "r", ...base(events) })).pipe(
          Effect.provide(layer)
        )
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(okta.sessions.map((s) => [s.status, s.uploads.length])).toEqual([["COMPLETED", 1]])
        expect(events.filter((e) => e._tag === "WaitingForSessionGap")).toEqual([])
      })
    )

  it.effect("does not adopt an empty session created before its journal started, whatever this machine's clock says", () =>
    Effect.gen(function* () {
      // Okta's clock is 2 hours ahead; the foreign session was opened (Okta time) 10 minutes before our run
      const { okta, fake, layer } = setup({}, { serverClockOffsetMillis: 2 * 60 * 60_000 })
      yield* Effect.flatMap(
        OktaClient.OktaClient,
        (c) => c.createSession
      ).pipe(Effect.provide(clientLayer(fake, { maxRetries: 0 })))
      yield* TestClock.adjust("10 minutes")
      // our own create is refused (the foreign session blocks it) and the reply is then lost
      dropFirstCreateReply(okta, 400)
      const exit = yield* drive(
        Orchestrator.apply({ plan: makePlan({ users: [createUser(1)] }), runId: "r", ...base([], { sessionTimeoutMs: 60_000 }) })
      ).pipe(Effect.provide(layer))
      expect(failure(exit)).toMatchObject({ _tag: "ApplyError", reason: "ForeignSession" })
      expect(okta.sessions.map((s) => [s.status, s.uploads.length])).toEqual([["CREATED", 0]])
    })
  )

  it.effect("times out polling with the journal kept; the next run resumes polling without uploading again", () =>
    Effect.gen(function* () {
      const { okta, fake, layer } = setup({ processingMillis: 60 * 60_000 })
      const plan = makePlan({ users: range(120).map((i) => createUser(i)) })
      yield* Effect.gen(function* () {
        const store = yield* StateStore.StateStore
        const exit = yield* drive(Orchestrator.apply({ plan, runId: "r", ...base([], { sessionTimeoutMs: 10 * 60_000 }) }), 5_000)
        expect(failure(exit)).toMatchObject({ _tag: "ApplyError", reason: "Timeout", sessionId: okta.sessions[0]!.id })
        expect(Option.getOrThrow(yield* store.journal).sessions[0]).toMatchObject({ status: "TRIGGERED", uploadedBatches: [0, 1, 2] })
        const uploadsBefore = fake.requests.filter((r) => r.path.includes("/bulk-")).length
        yield* TestClock.adjust("1 hour")
        const events: Array<ApplyEvent> = []
        const resumed = yield* drive(Orchestrator.resumePending(base(events)))
        expect(Exit.isSuccess(resumed) && Option.getOrThrow(resumed.value)).toMatchObject({ completed: true, uploads: 0, committedChanges: 120 })
        expect(events[0]).toEqual({ _tag: "Resumed", runId: "r", fromSession: 0 })
        expect(fake.requests.filter((r) => r.path.includes("/bulk-")).length).toBe(uploadsBefore)
        expect((yield* store.index("user")).size).toBe(120)
        expect(Option.isNone(yield* store.journal)).toBe(true)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("stops at a session boundary when stopBefore says so; resumePending finishes the rest", () =>
    Effect.gen(function* () {
      const { okta, layer } = setup()
      let opened = 0
      yield* Effect.gen(function* () {
        const store = yield* StateStore.StateStore
        const exit = yield* drive(
          Orchestrator.apply({ plan: bigPlan(), runId: "r", ...base([], { stopBefore: Effect.sync(() => ++opened > 1) }) })
        )
        expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ completed: false, uploads: 4 })
        expect(okta.sessions).toHaveLength(1)
        expect(Option.getOrThrow(yield* store.journal).sessions.map((s) => s.status)).toEqual(["COMPLETED", "PENDING", "PENDING"])
        const resumed = yield* drive(Orchestrator.resumePending(base([])))
        expect(Exit.isSuccess(resumed) && Option.getOrThrow(resumed.value)).toMatchObject({ completed: true, uploads: 6 })
        expect(uploadsOf(okta)).toEqual([4, 3, 3])
        expect((yield* store.index("user")).size).toBe(400)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("create-session failures with no answer back off 1, 2, 4 s (counted as waited); polls back off ×1.5 from pollInterval", () =>
    Effect.gen(function* () {
      const { okta, fake, layer } = setup({ processingMillis: 5_000 })
      let refused = 0
      okta.faults.push((req) =>
        req.method === "POST" && req.path.endsWith("/sessions") && refused++ < 3
          ? oktaError(503, "E0000009", "Service Unavailable")
          : undefined
      )
      const events: Array<ApplyEvent> = []
      const exit = yield* drive(
        Orchestrator.apply({ plan: makePlan({ users: [createUser(1)] }), runId: "r", ...base(events) })
      ).pipe(Effect.provide(layer))
      expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ completed: true, uploads: 1, waitedMillis: 7_000 })
      const creates = fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/sessions")).map((r) => r.at)
      expect(creates.map((t) => t - creates[0]!)).toEqual([0, 1_000, 3_000, 7_000])
      expect(events.filter((e) => e._tag === "Retrying")).toEqual(
        [1, 2, 3].map((attempt) => ({ _tag: "Retrying", attempt, reason: "createSession: Server" }))
      )
      const started = fake.requests.find((r) => r.path.endsWith("/start-import"))!.at
      const polls = fake.requests
        .filter((r) => r.method === "GET" && /\/sessions\/[^/]+$/.test(r.path) && r.at >= started)
        .map((r) => r.at - started)
      expect(polls).toEqual([0, 1_000, 2_500, 4_750, 8_125])
    })
  )

  it.effect("create-session keeps failing with no answer: 7 creates over 61 s, then the error", () =>
    Effect.gen(function* () {
      const { okta, fake, layer } = setup()
      okta.faults.push((req) =>
        req.method === "POST" && req.path.endsWith("/sessions") ? oktaError(502, "E0000009", "Bad Gateway") : undefined
      )
      const exit = yield* drive(
        Orchestrator.apply({ plan: makePlan({ users: [createUser(1)] }), runId: "r", ...base([]) })
      ).pipe(Effect.provide(layer))
      expect(failure(exit)).toMatchObject({ _tag: "OktaApiError", reason: "Server", status: 502 })
      const creates = fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/sessions")).map((r) => r.at)
      expect(creates.map((t) => t - creates[0]!)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 61_000])
      expect(okta.sessions).toHaveLength(0)
    })
  )

  it.effect("a journal whose plan was edited (or is not a plan) is Corrupt on resume, and nothing reaches Okta", () =>
    Effect.gen(function* () {
      const { okta, layer } = setup()
      yield* Effect.gen(function* () {
        const store = yield* StateStore.StateStore
        const exit = yield* drive(
          Orchestrator.apply({ plan: bigPlan(), runId: "r", ...base([], { stopBefore: Effect.succeed(true) }) })
        )
        expect(Exit.isSuccess(exit) && exit.value.completed).toBe(false)
        const journal = Option.getOrThrow(yield* store.journal)
        // one more user slipped into the stored plan: same shape, so only its content hash tells
        const edited = JSON.parse(journal.planJson)
        edited.users.push(createUser(999))
        for (const planJson of [JSON.stringify(edited), "{}", "not json"]) {
          yield* store.saveJournal({ ...journal, planJson })
          const resumed = yield* Effect.exit(Orchestrator.resumePending(base([])))
          expect(failure(resumed)).toMatchObject({ _tag: "StateError", reason: "Corrupt" })
          expect(failure(resumed).message).toMatch(/^The journal of run r holds an unreadable plan: /)
        }
        expect(okta.sessions).toHaveLength(0)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("after a crash mid-upload, completed sessions are skipped and only missing batches are sent", () =>
    Effect.gen(function* () {
      const { okta, layer } = setup()
      yield* Effect.gen(function* () {
        const store = yield* StateStore.StateStore
        const crash = (e: ApplyEvent) =>
          e._tag === "BatchUploaded" && e.sessionIndex === 1 && e.batch === 1 ? Effect.die("SIGKILL") : Effect.void
        const exit = yield* drive(Orchestrator.apply({ plan: bigPlan(), runId: "r", ...base([], { onEvent: crash }) }))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
        expect(Option.getOrThrow(yield* store.journal).sessions.map((s) => [s.status, s.uploadedBatches])).toEqual([
          ["COMPLETED", [0, 1, 2, 3]],
          ["UPLOADING", [0, 1]],
          ["PENDING", []]
        ])
        const events: Array<ApplyEvent> = []
        const resumed = yield* drive(Orchestrator.resumePending(base(events)))
        expect(Exit.isSuccess(resumed) && Option.getOrThrow(resumed.value)).toMatchObject({ completed: true, uploads: 1 + 3 })
        expect(events[0]).toEqual({ _tag: "Resumed", runId: "r", fromSession: 1 })
        expect(uploadsOf(okta)).toEqual([4, 3, 3])
        expect(okta.sessions).toHaveLength(3)
        expect((yield* store.index("user")).size).toBe(400)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("a resumed session someone else triggered half-uploaded is redone, not committed", () =>
    Effect.gen(function* () {
      const { okta, layer } = setup()
      const plan = makePlan({ users: range(200).map((i) => createUser(i)) })
      yield* Effect.gen(function* () {
        const store = yield* StateStore.StateStore
        const crash = (e: ApplyEvent) => (e._tag === "BatchUploaded" && e.batch === 0 ? Effect.die("SIGKILL") : Effect.void)
        yield* drive(Orchestrator.apply({ plan, runId: "r", ...base([], { onEvent: crash }) }))
        const first = okta.sessions[0]!
        first.status = "TRIGGERED" // a foreign start-import on our half-filled session
        first.triggeredAt = yield* TestClock.currentTimeMillis
        const resumed = yield* drive(Orchestrator.resumePending(base([])))
        expect(Exit.isSuccess(resumed)).toBe(true)
        expect(okta.sessions.map((s) => [s.status, s.uploads.length])).toEqual([
          ["COMPLETED", 1],
          ["COMPLETED", 4]
        ])
        expect(okta.users.size).toBe(200)
        expect((yield* store.index("user")).size).toBe(200)
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("deactivations go out as bulk-delete after the upserts", () =>
    Effect.gen(function* () {
      const { okta, layer } = setup()
      const first = makePlan({ users: range(3).map((i) => createUser(i)), hash: "p1" })
      const second = makePlan({ users: [deactivateUser(1)], hash: "p2" })
      yield* Effect.gen(function* () {
        yield* drive(Orchestrator.apply({ plan: first, runId: "r1", ...base([]) }))
        yield* TestClock.adjust("10 minutes")
        const exit = yield* drive(Orchestrator.apply({ plan: second, runId: "r2", ...base([]) }))
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(okta.users.get("EXT000001")?.status).toBe("DEPROVISIONED")
        const store = yield* StateStore.StateStore
        expect((yield* store.index("user")).get("EXT000001")?.status).toBe("DEACTIVATED")
      }).pipe(Effect.provide(layer))
    })
  )

  it.effect("refuses a plan for another identity source and a second unfinished run", () =>
    Effect.gen(function* () {
      const { layer } = setup()
      yield* Effect.gen(function* () {
        const other = yield* Effect.exit(
          Orchestrator.apply({ plan: makePlan({ users: [createUser(1)], identitySourceId: "0oaOTHER" }), runId: "r", ...base([]) })
        )
        expect(failure(other)).toMatchObject({ _tag: "StateError", reason: "Conflict" })
        const store = yield* StateStore.StateStore
        yield* store.saveJournal({ runId: "old", identitySourceId: "x", planHash: "h", planJson: "{}", startedAt: "", sessions: [] })
        const busy = yield* Effect.exit(Orchestrator.apply({ plan: makePlan({ users: [createUser(1)] }), runId: "new", ...base([]) }))
        expect(failure(busy)).toMatchObject({ _tag: "StateError", reason: "Conflict" })
      }).pipe(Effect.provide(layer))
    })
  )
})
