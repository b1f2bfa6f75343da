/**
 * Setup as code and the sync's schema guard against the real emulator over HTTP (strict: every exchange validated
 * against the vendored schemas/mappings subset): a fresh identity source is brought in line with a quickstart-like
 * config, a sync then lands with the mapped values on the Okta users; a typo is refused before any session with its
 * did-you-mean; conflicts are kept unless forced; prune removes only what its plan showed; missing scopes are named.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import * as ConfigLoader from "../src/config/ConfigLoader.ts"
import type { ConfigError, OktaApiError } from "../src/domain/Errors.ts"
import * as Sync from "../src/run/Sync.ts"
import * as Setup from "../src/setup/Setup.ts"
import * as StateStore from "../src/state/StateStore.ts"
import { TestSource } from "../src/testing.ts"
import { API_TOKEN, clientFor, emulator, SOURCE_ID, ssws } from "./emulatorHarness.ts"

const rows = Array.from({ length: 6 }, (_, i) => ({
  id: `E${i + 1}`,
  email: `p${i + 1}@example.com`,
  first: `First${i + 1}`,
  last: `Last${i + 1}`,
  title: i % 2 === 0 ? "Engineer" : "Analyst",
  dept: i % 2 === 0 ? "R&D" : "Finance",
  mgr: "E1",
  city: "Lyon"
}))

const yaml = (orgUrl: string, attribute = "department") => `version: 1
okta:
  orgUrl: ${orgUrl}
  identitySourceId: ${SOURCE_ID}
  auth: { type: ssws, token: "\${TOKEN}" }
source:
  type: test
mapping:
  externalId: id
  profile:
    userName: email
    email: email
    firstName: first
    lastName: last
    title: title
    ${attribute}: dept
    managerId: mgr
    city: city
schema:
  users:
    attributes:
      title: { maxLength: 100, title: "Job title" }
      ${attribute}: { maxLength: 50 }
      managerId: { pattern: "^E[0-9]+$" }
      city: {}
state:
  type: memory
`

/** The config written to a real file (so errors can point at file:line:col) and loaded. */
const load = (orgUrl: string, attribute?: string, token = API_TOKEN) =>
  Effect.gen(function* () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anysource-setup-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const file = path.join(dir, "anysource.yaml")
    fs.writeFileSync(file, yaml(orgUrl, attribute))
    const loaded = yield* ConfigLoader.load(file, {
      env: { TOKEN: token },
      sources: [TestSource.fromRows(rows)]
    })
    return { ...loaded, sourceConfig: {} }
  })

const http = async (url: string, method: string, body?: unknown) => {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `SSWS ${API_TOKEN}`,
      accept: "application/json",
      ...(body !== undefined ? { "content-type": "application/json" } : {})
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })
  return (await res.json()) as any
}

const fresh = () => emulator({ identitySources: [{ id: SOURCE_ID }] })

const kinds = (entries: ReadonlyArray<{ kind: string; name?: string; target?: string }>) =>
  entries.map((e) => `${e.kind} ${e.name ?? e.target}`)

const failure = <E>(exit: Exit.Exit<unknown, E>): E => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail")
    throw new Error(`expected a failure, got ${String(exit)}`)
  return exit.cause.error
}

describe("setup against the emulator", () => {
  it.scopedLive(
    "a fresh identity source: plan → apply → nothing left to do → a sync lands with the mapped values",
    () =>
      Effect.gen(function* () {
        const h = yield* fresh()
        const loaded = yield* load(h.emu.url)
        const client = clientFor(h.emu)
        const first = yield* Setup.plan(loaded).pipe(Effect.provide(client))
        expect(kinds(first.entries)).toEqual([
          "addAttribute city",
          "addAttribute department",
          "addAttribute managerId",
          "addAttribute title",
          "addMapping city",
          "addMapping department",
          "addMapping managerId",
          "addMapping title"
        ])
        expect(first.summary.changes).toBe(8)
        const result = yield* Setup.apply(loaded, first).pipe(Effect.provide(client))
        expect(result.applied).toEqual(first.entries)
        const schema = yield* Effect.promise(() =>
          http(`${h.emu.url}/api/v1/meta/schemas/apps/${SOURCE_ID}/default`, "GET")
        )
        expect(schema.definitions.custom.properties.title).toMatchObject({
          title: "Job title",
          type: "string",
          maxLength: 100
        })
        const again = yield* Setup.plan(loaded).pipe(Effect.provide(client))
        expect(again.entries).toEqual([])

        const store = yield* StateStore.makeMemory(SOURCE_ID)
        const sync = yield* Sync.runWithReport({ loaded, mode: "apply" }).pipe(
          Effect.provide(client),
          Effect.provideService(StateStore.StateStore, store)
        )
        expect(Option.isNone(sync.error), String(Option.getOrUndefined(sync.error))).toBe(true)
        expect(sync.report.outcome).toBe("applied")
        const user = h.emu.directory.users().find((u) => u.externalId === "E2")!
        expect(user.oktaProfile).toMatchObject({
          login: "p2@example.com",
          title: "Analyst",
          department: "Finance",
          managerId: "E1",
          city: "Lyon"
        })
        const okta = yield* Effect.promise(() => http(`${h.emu.url}/api/v1/users/${user.id}`, "GET"))
        expect(okta.profile).toMatchObject({
          login: "p2@example.com",
          title: "Analyst",
          department: "Finance",
          managerId: "E1",
          city: "Lyon"
        })
        expect(yield* Effect.promise(() => h.exchangeViolations())).toEqual([])
      })
  )

  it.scopedLive(
    "a typo is refused before any session, with its config path, file position and did-you-mean",
    () =>
      Effect.gen(function* () {
        const h = yield* emulator({
          identitySources: [{ id: SOURCE_ID, customAttributes: ["title", "department", "managerId", "city"] }]
        })
        const loaded = yield* load(h.emu.url, "departmnet")
        const store = yield* StateStore.makeMemory(SOURCE_ID)
        const run = (options: Partial<Sync.SyncOptions> = {}) =>
          Sync.runWithReport({ loaded, mode: "apply", ...options }).pipe(
            Effect.provide(clientFor(h.emu)),
            Effect.provideService(StateStore.StateStore, store)
          )
        const refused = yield* run()
        const error = Option.getOrThrow(refused.error) as ConfigError
        expect(error._tag).toBe("ConfigError")
        expect(error.path).toBe("mapping.profile.departmnet")
        expect(error.issues?.[0]?.message).toMatch(
          new RegExp(
            `^sends "departmnet", which identity source ${SOURCE_ID} does not declare \\(did you mean "department"\\?\\) \\(.*anysource\\.yaml:16:5\\)$`
          )
        )
        expect(error.message).toContain(
          "`anysource setup plan` shows what is missing and `anysource setup apply` adds it"
        )
        expect(refused.report.outcome).toBe("failed")
        expect(h.emu.sessions()).toEqual([])
        expect(h.emu.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
          `GET /api/v1/meta/schemas/apps/${SOURCE_ID}/default`
        ])
        // with the check off, the run gets as far as Okta, which refuses the attribute itself
        const unchecked = yield* run({ schemaCheck: false })
        expect((Option.getOrThrow(unchecked.error) as OktaApiError).errorCauses?.[0]?.errorSummary).toMatch(
          /^profiles\[0\]\.profile\.departmnet: /
        )
      })
  )

  it.scopedLive("a conflicting mapping is reported and kept; --force replaces it", () =>
    Effect.gen(function* () {
      const h = yield* fresh()
      const loaded = yield* load(h.emu.url)
      const client = clientFor(h.emu)
      const [summary] = yield* Effect.promise(() =>
        http(`${h.emu.url}/api/v1/mappings?sourceId=${SOURCE_ID}`, "GET")
      )
      yield* Effect.promise(() =>
        http(`${h.emu.url}/api/v1/mappings/${summary.id}`, "POST", {
          properties: { title: { expression: "appuser.firstName" } }
        })
      )
      const p = yield* Setup.plan(loaded).pipe(Effect.provide(client))
      expect(p.entries.find((e) => e.kind === "mappingConflict")).toMatchObject({
        target: "title",
        existing: "appuser.firstName",
        wanted: "appuser.title"
      })
      yield* Setup.apply(loaded, p).pipe(Effect.provide(client))
      const kept = yield* Effect.promise(() => http(`${h.emu.url}/api/v1/mappings/${summary.id}`, "GET"))
      expect(kept.properties.title.expression).toBe("appuser.firstName")
      expect(kept.properties.department.expression).toBe("appuser.department")
      const forced = yield* Setup.plan(loaded, { force: true }).pipe(Effect.provide(client))
      expect(kinds(forced.entries)).toEqual(["changeMapping title"])
      yield* Setup.apply(loaded, forced).pipe(Effect.provide(client))
      expect(
        (yield* Effect.promise(() => http(`${h.emu.url}/api/v1/mappings/${summary.id}`, "GET"))).properties
          .title.expression
      ).toBe("appuser.title")
    })
  )

  it.scopedLive("prune removes only what its plan showed: an org that moved in between is refused", () =>
    Effect.gen(function* () {
      const h = yield* emulator({
        identitySources: [
          { id: SOURCE_ID, customAttributes: ["title", "department", "managerId", "city", "legacy"] }
        ]
      })
      const loaded = yield* load(h.emu.url)
      const client = clientFor(h.emu)
      const app = `${h.emu.url}/api/v1/meta/schemas/apps/${SOURCE_ID}/default`
      const plain = yield* Setup.plan(loaded).pipe(Effect.provide(client))
      expect(
        plain.entries.filter((e) => e.kind === "unusedAttribute").map((e) => (e as { name: string }).name)
      ).toEqual(["legacy"])
      const pruning = yield* Setup.plan(loaded, { prune: true }).pipe(Effect.provide(client))
      expect(kinds(pruning.entries).filter((k) => k.startsWith("remove"))).toEqual(["removeAttribute legacy"])
      // an admin adds an attribute after the plan was shown: applying would remove more than it showed
      yield* Effect.promise(() =>
        http(app, "POST", {
          definitions: { custom: { properties: { late: { title: "Late", type: "string" } } } }
        })
      )
      const drift = failure(yield* Effect.exit(Setup.apply(loaded, pruning).pipe(Effect.provide(client))))
      expect(drift._tag).toBe("PlanDriftError")
      expect(
        Object.keys((yield* Effect.promise(() => http(app, "GET"))).definitions.custom.properties).sort()
      ).toEqual(["city", "department", "late", "legacy", "managerId", "title"])
      const again = yield* Setup.plan(loaded, { prune: true }).pipe(Effect.provide(client))
      yield* Setup.apply(loaded, again).pipe(Effect.provide(client))
      expect(
        Object.keys((yield* Effect.promise(() => http(app, "GET"))).definitions.custom.properties).sort()
      ).toEqual(["city", "department", "managerId", "title"])
    })
  )

  it.scopedLive(
    "a token without the schema scopes gets an error naming the scope (setup and the sync's guard)",
    () =>
      Effect.gen(function* () {
        const h = yield* emulator({
          tokens: [
            { token: API_TOKEN },
            { token: "sources-only", scopes: ["okta.identitySources.read", "okta.identitySources.manage"] }
          ]
        })
        const loaded = yield* load(h.emu.url, "department", "sources-only")
        const client = clientFor(h.emu, { auth: ssws("sources-only") })
        const denied = failure(yield* Effect.exit(Setup.plan(loaded).pipe(Effect.provide(client))))
        expect(denied).toMatchObject({
          _tag: "OktaApiError",
          reason: "Forbidden",
          status: 403,
          scope: "okta.schemas.read"
        })
        expect(denied.message).toContain(
          "the credentials lack the scope okta.schemas.read. An admin grants it in the Admin Console"
        )
        const store = yield* StateStore.makeMemory(SOURCE_ID)
        const sync = (options: Partial<Sync.SyncOptions>) =>
          Sync.runWithReport({ loaded, mode: "plan", ...options }).pipe(
            Effect.provide(client),
            Effect.provideService(StateStore.StateStore, store)
          )
        const guarded = Option.getOrThrow((yield* sync({})).error) as OktaApiError
        expect(guarded).toMatchObject({ reason: "Forbidden", scope: "okta.schemas.read" })
        expect(guarded.message).toContain("pass --skip-schema-check (or set okta.schemaCheck: false)")
        const skipped = yield* sync({ schemaCheck: false })
        expect(skipped.report.outcome).toBe("planned")
      })
  )
})
