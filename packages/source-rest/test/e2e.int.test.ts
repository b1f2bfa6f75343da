/**
 * End to end: REST API → plan → apply into the Okta emulator, through core's `Sync` use case (the one every app
 * calls), with an in-memory state store and core's OktaClient over HTTP.
 *
 * The HR API here is the typical one (OAuth 2.0 client credentials + cursor paging). A complete read is applied;
 * a read that fails in the middle of paging (a 500 that never goes away, a dropped connection, a malformed page,
 * more pages than allowed) ends in a typed SourceError and NO apply: the emulator never sees a session, and the
 * people synced by the previous run stay active.
 */
import { ConfigLoader, OktaClient, SourceError, StateStore, Sync } from "@anysource/core"
import { DEFAULT_API_TOKEN, DEFAULT_IDENTITY_SOURCE_ID, startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { RestSource } from "../src/index.ts"
import { authConfig, startAuthApi, type AuthServer } from "./servers/auth.ts"
import type { Fault } from "./servers/paging.ts"

const SOURCE_ID = DEFAULT_IDENTITY_SOURCE_ID

const emulator = Effect.acquireRelease(
  Effect.promise(() => startEmulator({ strict: true, processingDelayMs: 20, identitySources: [{ id: DEFAULT_IDENTITY_SOURCE_ID, customAttributes: ["department"] }] })),
  (emu) => Effect.promise(() => emu.close())
)

const hrApi = (total: number, faults: ReadonlyArray<Fault> = []) =>
  Effect.acquireRelease(
    Effect.promise(() => startAuthApi("oauth2", { expiresIn: 3600, paging: { style: "cursor", total, pageSize: 10, faults } })),
    (api) => Effect.promise(() => api.close())
  )

/** The pipeline config a user would write for this HR API (the source block is the adapter's config). */
const pipeline = (emu: RunningEmulator, api: AuthServer, source: Record<string, unknown> = {}) => ({
  version: 1,
  name: "rest-e2e",
  okta: { orgUrl: emu.url, identitySourceId: SOURCE_ID, auth: { type: "ssws", token: "${OKTA_API_TOKEN}" } },
  source: {
    type: "rest",
    baseUrl: `${api.url}/api`,
    path: "/people",
    records: "$.data[*]",
    auth: { ...authConfig("oauth2", api.url), clientSecret: "${HR_CLIENT_SECRET}" },
    pagination: { type: "cursor", cursorPath: "$.meta.next_cursor", cursorParam: "cursor" },
    retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 },
    ...source
  },
  mapping: {
    externalId: "id",
    profile: { userName: "email", email: "email", firstName: "first_name", lastName: "last_name", department: "department" }
  },
  schema: { users: { attributes: { department: { maxLength: 50 } } } },
  state: { type: "memory" }
})

const load = (raw: unknown) =>
  ConfigLoader.parse(raw, {
    env: { OKTA_API_TOKEN: DEFAULT_API_TOKEN, HR_CLIENT_SECRET: authConfig("oauth2", "").clientSecret as string },
    sources: [RestSource],
    baseDir: import.meta.dirname,
    file: "e2e.yaml"
  })

/** One Sync.runWithReport in apply mode against the emulator, with the given (long-lived) state store. */
const apply = (emu: RunningEmulator, store: StateStore.StateStoreService, raw: unknown) =>
  Effect.gen(function* () {
    const loaded = yield* load(raw)
    const okta = OktaClient.layer({
      orgUrl: emu.url,
      identitySourceId: SOURCE_ID,
      auth: { type: "ssws", token: Redacted.make(DEFAULT_API_TOKEN) },
      requestTimeoutMs: 10_000,
      maxRetries: 2,
      backoff: { base: "20 millis", factor: 2, cap: "200 millis" }
    }).pipe(Layer.orDie)
    return yield* Sync.runWithReport({ loaded, mode: "apply" }).pipe(
      Effect.provide(Layer.merge(okta, Layer.succeed(StateStore.StateStore, store)))
    )
  })

const sessionRequests = (emu: RunningEmulator) =>
  emu.requests.filter((r) => r.method === "POST" && /\/identity-sources\/[^/]+\/sessions/.test(r.path)).length

const activeUsers = (emu: RunningEmulator) => emu.directory.users(SOURCE_ID).filter((u) => u.status === "ACTIVE")

describe("REST → plan → apply into the Okta emulator", () => {
  it.scopedLive("a complete read is applied; the second run has nothing to change", () =>
    Effect.gen(function* () {
      const emu = yield* emulator
      const api = yield* hrApi(45)
      const store = yield* StateStore.makeMemory(SOURCE_ID)

      const first = yield* apply(emu, store, pipeline(emu, api))
      expect(Option.getOrUndefined(first.error)).toBeUndefined()
      expect(first.report.outcome).toBe("applied")
      expect(first.report.summary?.users.create).toBe(45)
      expect(first.report.sourceFingerprint).toMatch(/pages=5 records=45$/)
      const users = activeUsers(emu)
      expect(users.map((u) => u.externalId).sort()).toEqual(api.people.map((p) => p.id))
      expect(users.find((u) => u.externalId === "E0003")?.profile).toMatchObject({
        email: api.people[2]!.email,
        department: api.people[2]!.department
      })
      expect(api.tokenRequests()).toBe(1)

      const second = yield* apply(emu, store, pipeline(emu, api))
      expect(second.report.outcome).toBe("no-changes")
    })
  )

  const failures: ReadonlyArray<{ name: string; faults: ReadonlyArray<Fault>; source?: Record<string, unknown>; reason: string }> = [
    { name: "a 500 that never goes away on page 3", faults: [{ kind: "status500", page: 3 }], reason: "Http" },
    { name: "a dropped connection on page 3", faults: [{ kind: "drop", page: 3 }], reason: "Connect" },
    { name: "a malformed page 4", faults: [{ kind: "malformed", page: 4 }], reason: "Decode" },
    { name: "more pages than maxPages", faults: [], source: { maxPages: 3 }, reason: "Pagination" }
  ]

  for (const failure of failures) {
    it.scopedLive(`${failure.name}: a typed SourceError, no session, everyone synced before stays active`, () =>
      Effect.gen(function* () {
        const emu = yield* emulator
        const healthy = yield* hrApi(45)
        const store = yield* StateStore.makeMemory(SOURCE_ID)
        const before = yield* apply(emu, store, pipeline(emu, healthy))
        expect(before.report.outcome).toBe("applied")
        const sessionsBefore = emu.sessions(SOURCE_ID).length
        const requestsBefore = sessionRequests(emu)

        const broken = yield* hrApi(45, failure.faults)
        const { report, error } = yield* apply(emu, store, pipeline(emu, broken, failure.source))

        expect(Option.isSome(error)).toBe(true)
        const sourceError = Option.getOrThrow(error)
        expect(sourceError).toBeInstanceOf(SourceError)
        expect(sourceError).toMatchObject({ source: "rest", reason: failure.reason })
        expect(report.outcome).toBe("failed")
        expect(report.error).toMatchObject({ tag: "SourceError", reason: failure.reason })
        expect(report.plan).toBeUndefined()
        // nothing reached Okta: no new session, no upload, nobody deactivated
        expect(emu.sessions(SOURCE_ID)).toHaveLength(sessionsBefore)
        expect(sessionRequests(emu)).toBe(requestsBefore)
        expect(activeUsers(emu)).toHaveLength(45)
        // and the source really did read part of the data before failing
        expect(broken.apiRequests()).toBeGreaterThanOrEqual(3)
      })
    )
  }

  it.scopedLive("a failure on the very first run leaves the emulator without a single session", () =>
    Effect.gen(function* () {
      const emu = yield* emulator
      const broken = yield* hrApi(45, [{ kind: "status500", page: 3 }])
      const store = yield* StateStore.makeMemory(SOURCE_ID)
      const { report, error } = yield* apply(emu, store, pipeline(emu, broken))
      expect(Option.getOrThrow(error)).toMatchObject({ _tag: "SourceError", reason: "Http" })
      expect(report.outcome).toBe("failed")
      expect(emu.sessions(SOURCE_ID)).toEqual([])
      expect(emu.requests.filter((r) => r.path.includes("/sessions"))).toEqual([])
      expect(emu.directory.users(SOURCE_ID)).toEqual([])
    })
  )
})
