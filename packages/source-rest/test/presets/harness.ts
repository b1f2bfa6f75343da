/**
 * What every preset's test shares: one deterministic HR population (each vendor's fake server shapes it the way
 * the vendor documents), a local HTTP server in the test's scope, reading a preset's rows, and syncing them into
 * the Okta emulator with the preset's own default mapping, filter and schema through core's `Sync` use case.
 *
 * A preset's test file holds its fake server and its tests; this file is not touched to add a preset.
 */
import { ConfigLoader, OktaClient, Setup, StateStore, Sync } from "@anysource/core"
import type { Model } from "@anysource/core"
import {
  DEFAULT_API_TOKEN,
  DEFAULT_IDENTITY_SOURCE_ID,
  startEmulator,
  type RunningEmulator
} from "@anysource/okta-emulator"
import { Chunk, Effect, Layer, Option, Redacted, Stream } from "effect"
import type { RestPreset } from "../../src/Preset.ts"
import { RestSource } from "../../src/index.ts"
import { readDriven, type ReadResult } from "../helpers.ts"
import { json, start, type Handler, type Request, type TestServer } from "../servers/server.ts"

export { json, type Request }

/** One employee as the HR system knows them (each fake server renders it in its vendor's shape). */
export interface HrPerson {
  readonly id: string
  readonly firstName: string
  readonly lastName: string
  readonly preferredName: string | null
  readonly email: string
  readonly title: string
  readonly department: string
  readonly managerId: string | null
  /** `YYYY-MM-DD` */
  readonly startDate: string
  /** `YYYY-MM-DD` for leavers, else null */
  readonly endDate: string | null
  readonly active: boolean
}

const firstNames = [
  "Ada",
  "Grace",
  "Alan",
  "Katherine",
  "Edsger",
  "Barbara",
  "Donald",
  "Frances",
  "John",
  "Radia"
]
const lastNames = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Johnson",
  "Dijkstra",
  "Liskov",
  "Knuth",
  "Allen",
  "Backus",
  "Perlman"
]
const titles = ["Engineer", "Analyst", "Recruiter", "Account Executive"]
const departments = ["Engineering", "Finance", "People", "Sales"]

/** `count` people; every 7th (the 7th, 14th, …) has left. The first one manages everyone else. */
export const hrPeople = (count: number): ReadonlyArray<HrPerson> =>
  Array.from({ length: count }, (_, i) => {
    const first = firstNames[i % firstNames.length]!
    const last = lastNames[Math.floor(i / firstNames.length) % lastNames.length]!
    const active = (i + 1) % 7 !== 0
    return {
      id: String(1001 + i),
      firstName: first,
      lastName: last,
      preferredName: i % 3 === 0 ? first.slice(0, 3) : null,
      email: `${first}.${last}${i}@example.com`.toLowerCase(),
      title: titles[i % titles.length]!,
      department: departments[i % departments.length]!,
      managerId: i === 0 ? null : "1001",
      startDate: `20${String(10 + (i % 14)).padStart(2, "0")}-0${1 + (i % 9)}-1${i % 10}`,
      endDate: active ? null : "2026-06-30",
      active
    }
  })

/** The people the default filters keep (everyone still employed). */
export const activePeople = (people: ReadonlyArray<HrPerson>) => people.filter((p) => p.active)

/** A local HTTP server for the scope of the test. */
export const server = (handler: Handler) =>
  Effect.acquireRelease(
    Effect.promise(() => start(handler)),
    (s) => Effect.promise(() => s.close())
  )

export type { TestServer }

/** HTTP Basic credentials of a request, or undefined. */
export const basicOf = (request: Request): [string, string] | undefined => {
  const header = request.headers["authorization"]
  if (header === undefined || !header.startsWith("Basic ")) return undefined
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8")
  const at = decoded.indexOf(":")
  return at < 0 ? undefined : [decoded.slice(0, at), decoded.slice(at + 1)]
}

/**
 * Counts the requests to each key and answers the `n`-th one (1-based) with `fault(n)` when it returns a status,
 * e.g. a 429 with Retry-After for the first two requests of page 2.
 */
export const attempts = () => {
  const seen = new Map<string, number>()
  return (key: string): number => {
    const n = (seen.get(key) ?? 0) + 1
    seen.set(key, n)
    return n
  }
}

/** Read a preset source block (as a user writes it, secrets as plain strings) on TestClock; every wait is recorded. */
export const readPreset = (
  source: Record<string, unknown>
): Effect.Effect<ReadResult & { readonly waits: ReadonlyArray<number> }, never> =>
  Effect.orDie(readDriven(source))

export const rowsData = (rows: ReadonlyArray<Model.SourceRow>) => rows.map((r) => r.data)

/** The pipeline config a user gets from the preset: its source block and its default mapping, filter and schema. */
export const pipelineFor = (preset: RestPreset, emu: RunningEmulator, source: Record<string, unknown>) => ({
  version: 1,
  name: `${preset.id}-e2e`,
  okta: {
    orgUrl: emu.url,
    identitySourceId: DEFAULT_IDENTITY_SOURCE_ID,
    auth: { type: "ssws", token: "${OKTA_API_TOKEN}" }
  },
  source: { type: "rest", preset: preset.id, ...source },
  mapping: preset.defaults.mapping,
  filter: preset.defaults.filter,
  schema: { users: { attributes: preset.defaults.attributes } },
  state: { type: "memory" }
})

export const emulator = Effect.acquireRelease(
  Effect.promise(() => startEmulator({ processingDelayMs: 5 })),
  (emu) => Effect.promise(() => emu.close())
)

/**
 * One apply of `raw` against the emulator, as the CLI would run it (ConfigLoader with the env, Sync with an
 * OktaClient over HTTP), with the given long-lived state store.
 */
export const apply = (
  emu: RunningEmulator,
  store: StateStore.StateStoreService,
  raw: unknown,
  env: Record<string, string> = {}
) =>
  Effect.gen(function* () {
    const loaded = yield* ConfigLoader.parse(raw, {
      env: { OKTA_API_TOKEN: DEFAULT_API_TOKEN, ...env },
      sources: [RestSource],
      baseDir: import.meta.dirname,
      file: "anysource.yaml"
    })
    const okta = OktaClient.layer({
      orgUrl: emu.url,
      identitySourceId: DEFAULT_IDENTITY_SOURCE_ID,
      auth: { type: "ssws", token: Redacted.make(DEFAULT_API_TOKEN) },
      requestTimeoutMs: 10_000,
      maxRetries: 2,
      backoff: { base: "20 millis", factor: 2, cap: "200 millis" }
    }).pipe(Layer.orDie)
    return yield* Effect.gen(function* () {
      // the identity source declares the preset's attributes and maps them first, as `anysource setup apply` does
      yield* Effect.orDie(Effect.flatMap(Setup.plan(loaded), (plan) => Setup.apply(loaded, plan)))
      return yield* Sync.runWithReport({ loaded, mode: "apply" })
    }).pipe(Effect.provide(Layer.merge(okta, Layer.succeed(StateStore.StateStore, store))))
  })

/**
 * Syncs `source` (a preset's block pointed at its local server) into a fresh emulator with the preset's defaults,
 * and returns the report, the emulator's users of the identity source and a second run's outcome.
 */
export const syncPreset = (
  preset: RestPreset,
  source: Record<string, unknown>,
  env: Record<string, string> = {}
) =>
  Effect.gen(function* () {
    const emu = yield* emulator
    const store = yield* StateStore.makeMemory(DEFAULT_IDENTITY_SOURCE_ID)
    const raw = pipelineFor(preset, emu, source)
    const first = yield* apply(emu, store, raw, env)
    const error = Option.getOrUndefined(first.error)
    if (error !== undefined) throw new Error(`the ${preset.id} sync failed: ${error.message}`)
    const second = yield* apply(emu, store, raw, env)
    const users = emu.directory.users(DEFAULT_IDENTITY_SOURCE_ID)
    return { report: first.report, second: second.report, users, emu }
  })

/** Every row of a source block, through ConfigLoader (so `${VAR}` secrets work as in a config file). */
export const loadAndRead = (source: Record<string, unknown>, env: Record<string, string>) =>
  Effect.gen(function* () {
    const loaded = yield* ConfigLoader.parse(
      {
        version: 1,
        okta: { orgUrl: "embedded", identitySourceId: DEFAULT_IDENTITY_SOURCE_ID },
        source: { type: "rest", ...source },
        mapping: { externalId: "employee_id", profile: { userName: "email", email: "email" } }
      },
      { env, sources: [RestSource], baseDir: import.meta.dirname, file: "anysource.yaml" }
    )
    const built = yield* loaded.source.make(loaded.sourceConfig, { baseDir: loaded.baseDir })
    return Chunk.toReadonlyArray(yield* Stream.runCollect(built.read))
  })
