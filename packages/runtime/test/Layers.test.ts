import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { ConfigLoader, OktaClient, StateStore } from "@anysource/core"
import { TestSource } from "@anysource/core/testing"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as Layers from "../src/Layers.ts"

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-runtime-layers-"))
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

const load = (okta: Record<string, unknown>, state: Record<string, unknown> = { type: "memory" }) =>
  ConfigLoader.parse(
    {
      version: 1,
      okta: { identitySourceId: "0oaLAYERS", ...okta },
      source: { type: "test" },
      mapping: { externalId: "id", profile: { userName: "email", email: "email" } },
      state
    },
    { env: {}, sources: [TestSource.fromRows([])], baseDir: dir, file: Path.join(dir, "anysource.yaml") }
  )

const build = <A, E>(layer: Layer.Layer<A, E>) => Effect.scoped(Effect.either(Layer.build(layer)))

describe("Layers.oktaLayer", () => {
  it.effect("refuses embedded where the app does not serve it, naming the app", () =>
    Effect.gen(function* () {
      const loaded = yield* load({ orgUrl: "embedded" })
      const refused = yield* build(Layers.oktaLayer(loaded, { runtime: "the worker" }))
      expect(refused._tag === "Left" && refused.left).toMatchObject({ _tag: "ConfigError", reason: "Unsupported", path: "okta.orgUrl" })
      expect(refused._tag === "Left" && refused.left.message).toContain("the worker needs a real org URL")
    })
  )

  it.effect("serves embedded through the app's hook, for the scope of the client", () =>
    Effect.gen(function* () {
      const loaded = yield* load({ orgUrl: "embedded" })
      const events: Array<string> = []
      const embedded = () =>
        Effect.acquireRelease(
          Effect.sync(() => {
            events.push("started")
            return { url: "http://127.0.0.1:9", token: Redacted.make("local-token") }
          }),
          () => Effect.sync(() => events.push("stopped"))
        )
      const client = yield* Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(Layers.oktaLayer(loaded, { embedded }))
          expect(events).toEqual(["started"])
          return context
        })
      )
      expect(client).toBeDefined()
      expect(events).toEqual(["started", "stopped"])
    })
  )

  it.effect("a real org needs okta.auth (a config made in code may lack it)", () =>
    Effect.gen(function* () {
      const loaded = yield* load({ orgUrl: "embedded" })
      const real = { ...loaded, config: { ...loaded.config, okta: { ...loaded.config.okta, orgUrl: "https://example.okta.com" } } }
      const missing = yield* build(Layers.oktaLayer(real))
      expect(missing._tag === "Left" && missing.left).toMatchObject({ _tag: "ConfigError", path: "okta.auth", file: loaded.file })
      const ok = yield* load({ orgUrl: "https://example.okta.com", auth: { type: "ssws", token: "tok-0123456789" } })
      const built = yield* build(Layers.oktaLayer(ok, { userAgent: "anysource-test/1" }))
      expect(built._tag).toBe("Right")
      if (built._tag === "Right") expect(yield* Effect.map(OktaClient.OktaClient, (c) => typeof c.listSessions).pipe(Effect.provide(built.right))).toBe("object")
    })
  )
})

describe("Layers.stateLayer", () => {
  it.effect("opens the memory and SQLite stores (a relative path resolves against the config's folder)", () =>
    Effect.gen(function* () {
      const memory = yield* load({ orgUrl: "embedded" })
      const count = (loaded: ConfigLoader.LoadedConfig) =>
        Effect.scoped(Effect.flatMap(StateStore.StateStore, (s) => Effect.map(s.index("user"), (i) => i.size)).pipe(Effect.provide(Layers.stateLayer(loaded))))
      expect(yield* count(memory)).toBe(0)
      const sqlite = yield* load({ orgUrl: "embedded" }, { type: "sqlite", path: "state/here.db" })
      Fs.mkdirSync(Path.join(dir, "state"), { recursive: true })
      expect(yield* count(sqlite)).toBe(0)
      expect(Fs.existsSync(Path.join(dir, "state", "here.db"))).toBe(true)
    })
  )

  it.effect("a store that cannot be opened is a StateError, or with stateOpenError a ConfigError at the key to fix", () =>
    Effect.gen(function* () {
      Fs.writeFileSync(Path.join(dir, "not-a-dir"), "")
      const bad = yield* load({ orgUrl: "embedded" }, { type: "sqlite", path: "not-a-dir/state.db" })
      const raw = yield* build(Layers.stateLayer(bad))
      expect(raw._tag === "Left" && raw.left._tag).toBe("StateError")
      const explained = yield* build(Layers.stateLayer(bad).pipe(Layer.mapError(Layers.stateOpenError(bad))))
      expect(explained._tag === "Left" && explained.left).toMatchObject({ _tag: "ConfigError", reason: "Invalid", path: "state.path" })
      expect(explained._tag === "Left" && explained.left.message).toContain(`Could not open the SQLite state store at ${Path.join(dir, "not-a-dir", "state.db")}`)
    })
  )
})
