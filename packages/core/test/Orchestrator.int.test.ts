import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as Batching from "../src/apply/Batching.ts"
import * as Orchestrator from "../src/apply/Orchestrator.ts"
import type { ApplyEvent, ApplyOptions } from "../src/apply/Orchestrator.ts"
import * as StateStore from "../src/state/StateStore.ts"
import { clientFor, emulator, raw, SOURCE_ID } from "./emulatorHarness.ts"
import { createGroup, createUser, deactivateUser, makePlan, range } from "./oktaFake.ts"

const options = (events: Array<ApplyEvent>, over: Partial<ApplyOptions> = {}): Omit<ApplyOptions, "plan" | "runId"> => ({
  onEvent: (e) => Effect.sync(() => events.push(e)),
  foreignSessionPolicy: "wait",
  sessionTimeoutMs: 60_000,
  pollInterval: "30 millis",
  ...over
})

const bulkRequests = (h: { emu: { requests: ReadonlyArray<{ method: string; path: string; status: number }> } }) =>
  h.emu.requests.filter((r) => r.method === "POST" && r.path.includes("/bulk-"))

describe("Orchestrator against the emulator", () => {
  it.scopedLive(
    "a 25,000-user plan goes through 3 sessions with the minimum 125 uploads, every request valid",
    () =>
      Effect.gen(function* () {
        const h = yield* emulator({ processingDelayMs: 20 })
        const plan = makePlan({ users: range(25_000).map((i) => createUser(i)), identitySourceId: SOURCE_ID })
        const bound = Batching.minimumUploads(plan)
        const events: Array<ApplyEvent> = []
        const layer = Layer.merge(clientFor(h.emu), StateStore.layerMemory(SOURCE_ID))
        const { result, users } = yield* Effect.gen(function* () {
          const result = yield* Orchestrator.apply({ plan, runId: "big", ...options(events) })
          const store = yield* StateStore.StateStore
          return { result, users: yield* store.index("user") }
        }).pipe(Effect.provide(layer))

        expect(bound).toMatchObject({ uploads: 125, sessions: 3 })
        expect(result.completed).toBe(true)
        expect(result.uploads).toBe(bound.uploads)
        expect(result.sessions).toHaveLength(bound.sessions)
        expect(result.sessions.map((s) => [s.uploads, s.entities, s.status])).toEqual([
          [42, 8_400, "COMPLETED"],
          [42, 8_400, "COMPLETED"],
          [41, 8_200, "COMPLETED"]
        ])
        expect(result.committedChanges).toBe(25_000)
        // the emulator saw exactly those uploads, in 3 sessions
        expect(bulkRequests(h)).toHaveLength(125)
        const sessions = h.emu.sessions()
        expect(sessions.map((s) => [s.status, s.uploads])).toEqual([
          ["COMPLETED", 42],
          ["COMPLETED", 42],
          ["COMPLETED", 41]
        ])
        for (const r of h.exchanges.filter((x) => x.url.includes("/bulk-"))) expect(Buffer.byteLength(r.requestBody)).toBeLessThanOrEqual(200_000)
        // directory = source, state = directory
        const directory = h.emu.directory.users()
        expect(directory).toHaveLength(25_000)
        expect(directory.every((u) => u.status === "ACTIVE")).toBe(true)
        const sample = directory.find((u) => u.externalId === "EXT012345")!
        expect(sample.profile).toMatchObject({ costCenter: "CC-23", department: `Dept ${12345 % 17}` })
        expect(users.size).toBe(25_000)
        expect(yield* Effect.promise(() => h.requestViolations())).toEqual([])
        expect(yield* Effect.promise(() => h.exchangeViolations())).toEqual([])
        expect(events.filter((e) => e._tag === "BatchUploaded")).toHaveLength(125)
      }),
    120_000
  )

  it.scopedLive("waits for a foreign session (policy wait), cancels one (policy cancel)", () =>
    Effect.gen(function* () {
      const h = yield* emulator()
      const layer = Layer.merge(clientFor(h.emu), StateStore.layerMemory(SOURCE_ID))
      const foreign = yield* Effect.promise(() => raw(h.emu, "POST", "/sessions"))
      setTimeout(() => void raw(h.emu, "DELETE", `/sessions/${foreign.json.id}`), 400)
      const events: Array<ApplyEvent> = []
      const waited = yield* Orchestrator.apply({
        plan: makePlan({ users: [createUser(1)], identitySourceId: SOURCE_ID, hash: "a" }),
        runId: "a",
        ...options(events, { pollInterval: "100 millis" })
      }).pipe(Effect.provide(layer))
      expect(waited.completed).toBe(true)
      expect(events.filter((e) => e._tag === "WaitingForSessionGap").length).toBeGreaterThanOrEqual(2)
      expect(h.emu.requests.filter((r) => r.method === "DELETE")).toHaveLength(1) // only the foreign owner's

      const other = yield* Effect.promise(() => raw(h.emu, "POST", "/sessions"))
      yield* Effect.promise(() => raw(h.emu, "POST", `/sessions/${other.json.id}/bulk-upsert`, { entityType: "USERS", profiles: [{ externalId: "F1", profile: { userName: "f1@example.com", email: "f1@example.com" } }] }))
      const cancelled = yield* Orchestrator.apply({
        plan: makePlan({ users: [createUser(2)], identitySourceId: SOURCE_ID, hash: "b" }),
        runId: "b",
        ...options([], { foreignSessionPolicy: "cancel" })
      }).pipe(Effect.provide(layer))
      expect(cancelled.completed).toBe(true)
      expect(h.emu.sessions().find((s) => s.id === other.json.id)?.status).toBe("CLOSED")
      expect(h.emu.directory.users().map((u) => u.externalId).sort()).toEqual(["EXT000001", "EXT000002"])
    })
  )

  it.scopedLive("re-does a session that ends in ERROR; survives a dropped reply after an accepted upload and 429 bursts", () =>
    Effect.gen(function* () {
      const h = yield* emulator()
      const limits: Batching.Limits = { maxEntitiesPerUpload: 50, maxUploadBytes: 200_000, maxUploadsPerSession: 4 }
      const plan = makePlan({
        identitySourceId: SOURCE_ID,
        groups: [createGroup("G-A"), createGroup("G-B")],
        users: range(300).map((i) => createUser(i)),
        memberships: [
          { op: "add", groupExternalId: "G-A", memberExternalIds: range(150).map((i) => createUser(i).externalId) },
          { op: "add", groupExternalId: "G-B", memberExternalIds: range(150, 150).map((i) => createUser(i).externalId) }
        ]
      })
      h.emu.faults.inject({ kind: "sessionError", times: 1 })
      h.emu.faults.inject({ kind: "drop", afterHandling: true, path: /bulk-upsert$/, times: 1 })
      h.emu.faults.inject({ kind: "rateLimit", path: /bulk-/, resetInMs: 100, times: 2 })
      const events: Array<ApplyEvent> = []
      const layer = Layer.merge(clientFor(h.emu), StateStore.layerMemory(SOURCE_ID))
      const result = yield* Effect.gen(function* () {
        const result = yield* Orchestrator.apply({ plan, runId: "faults", ...options(events, { limits }) })
        const store = yield* StateStore.StateStore
        expect((yield* store.index("user")).size).toBe(300)
        expect(Option.isNone(yield* store.journal)).toBe(true)
        return result
      }).pipe(Effect.provide(layer))
      expect(result.completed).toBe(true)
      const statuses = h.emu.sessions().map((s) => s.status)
      expect(statuses).toEqual(["ERROR", "COMPLETED", "COMPLETED"])
      // the batch whose reply was dropped after Okta accepted it went twice into the same session
      expect(h.emu.sessions().map((s) => s.uploads)).toEqual([5, 4, 4])
      expect(h.emu.requests.some((r) => r.fault === "drop after handling")).toBe(true)
      expect(Batching.pack(plan, limits)).toHaveLength(2)
      expect(events.some((e) => e._tag === "RateLimited")).toBe(true)
      expect(events.some((e) => e._tag === "Retrying" && e.reason.includes("ERROR"))).toBe(true)
      expect(h.emu.directory.users()).toHaveLength(300)
      expect(h.emu.directory.members("G-A")).toHaveLength(150)
      expect(h.emu.directory.members("G-B")).toHaveLength(150)

      // then deactivate some users and drop a membership
      const second = makePlan({
        identitySourceId: SOURCE_ID,
        hash: "second",
        users: range(10).map((i) => deactivateUser(i)),
        memberships: [{ op: "remove", groupExternalId: "G-A", memberExternalIds: range(10).map((i) => createUser(i).externalId) }]
      })
      yield* Orchestrator.apply({ plan: second, runId: "second", ...options([]) }).pipe(Effect.provide(layer))
      expect(h.emu.directory.users().filter((u) => u.status === "DEPROVISIONED")).toHaveLength(10)
      expect(h.emu.directory.members("G-A")).toHaveLength(140)
      expect(yield* Effect.promise(() => h.exchangeViolations())).toEqual([])
    })
  )
})
