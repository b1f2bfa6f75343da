/**
 * The composition root: the ONLY place that wires core's services for the CLI, through `@anysource/runtime`.
 * - config: `ConfigLoader.load` with the runtime's source registry (only the adapter the config names is loaded)
 *   and the process environment;
 * - Okta: the runtime's Okta layer against the real org, or against an in-process emulator when
 *   `okta.orgUrl: embedded` (persisted under `.anysource/emulator.json` next to the config);
 * - state: SQLite (default), PostgreSQL (shared with Lambda and workers), or memory; a store that cannot be
 *   opened is a `ConfigError` at the key to fix (`state.path`, `state.url`).
 */
import { ConfigError, ConfigLoader, type OktaClient, type StateStore } from "@anysource/core"
import { Layers, Sources } from "@anysource/runtime"
import { Effect, Layer, Redacted, type Scope } from "effect"
import * as path from "node:path"
import type { CliEnv } from "./Env.ts"

export type LoadedConfig = ConfigLoader.LoadedConfig

/** The fixed token of the embedded emulator: it only ever listens on 127.0.0.1 and is not a secret. */
export const EMBEDDED_TOKEN = "anysource-embedded-local-token"

/** Where the embedded emulator keeps its org (next to the config). */
export const embeddedDataPath = (baseDir: string): string => path.join(baseDir, ".anysource", "emulator.json")

/** Load and validate the config; `file` is shown in messages as given. */
export const loadConfig = (file: string, env: CliEnv): Effect.Effect<LoadedConfig, ConfigError> =>
  ConfigLoader.load(file, { sources: Sources.registry, env: env.vars })

export interface EmbeddedOrg {
  readonly url: string
  readonly token: string
  readonly dataPath: string
}

/** Start the emulator in-process for `orgUrl: embedded` (loaded only then); it is closed (and persisted) with the scope. */
export const startEmbedded = (
  baseDir: string,
  identitySourceId: string
): Effect.Effect<EmbeddedOrg, ConfigError, Scope.Scope> => {
  const dataPath = embeddedDataPath(baseDir)
  return Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        import("@anysource/okta-emulator").then(({ startEmulator }) =>
          startEmulator({
            port: 0,
            persistPath: dataPath,
            tokens: [{ token: EMBEDDED_TOKEN }],
            identitySources: [{ id: identitySourceId, name: "anysource embedded" }],
            // Okta's list call may return only open sessions or all of them (its documents disagree): the embedded
            // org lists all, so `sessions list --all` shows the finished ones offline too
            listSessions: "all"
          })
        ),
      catch: (cause) =>
        new ConfigError({
          reason: "Unsupported",
          path: "okta.orgUrl",
          message: `Could not start the embedded Okta emulator (data file ${dataPath}): ${cause instanceof Error ? cause.message : String(cause)}`
        })
    }),
    (emulator) => Effect.promise(() => emulator.close())
  ).pipe(Effect.map((emulator) => ({ url: emulator.url, token: EMBEDDED_TOKEN, dataPath })))
}

const embedded = (loaded: LoadedConfig) =>
  Effect.map(startEmbedded(loaded.baseDir, loaded.config.okta.identitySourceId), (org) => ({ url: org.url, token: Redacted.make(org.token) }))

/** The OktaClient for a loaded config (starting the embedded emulator when asked). */
export const oktaLayer = (loaded: LoadedConfig): Layer.Layer<OktaClient.OktaClient, ConfigError> => Layers.oktaLayer(loaded, { embedded })

/** The state store for a loaded config; relative paths resolve against the config's folder. */
export const stateLayer = (loaded: LoadedConfig): Layer.Layer<StateStore.StateStore, ConfigError> =>
  Layers.stateLayer(loaded).pipe(Layer.mapError(Layers.stateOpenError(loaded)))

/** Everything `Sync.run` needs. */
export const syncLayer = (loaded: LoadedConfig) => Layer.merge(oktaLayer(loaded), stateLayer(loaded))
