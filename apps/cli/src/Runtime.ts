/**
 * The composition root: the ONLY place that wires core's services for the CLI.
 * - config: `ConfigLoader.load` with the source registry and the process environment;
 * - Okta: `OktaClient.layer` against the real org, or against an in-process emulator when
 *   `okta.orgUrl: embedded` (persisted under `.anysource/emulator.json` next to the config);
 * - state: SQLite (default), PostgreSQL (shared with Lambda and workers), or memory.
 */
import { ConfigError, ConfigLoader, OktaClient, StateStore } from "@anysource/core"
import { Effect, Layer, Redacted, type Scope } from "effect"
import * as path from "node:path"
import type { CliEnv } from "./Env.ts"
import { sources } from "./Sources.ts"

export type LoadedConfig = ConfigLoader.LoadedConfig

/** The fixed token of the embedded emulator: it only ever listens on 127.0.0.1 and is not a secret. */
export const EMBEDDED_TOKEN = "anysource-embedded-local-token"

/** Where the embedded emulator keeps its org (next to the config). */
export const embeddedDataPath = (baseDir: string): string => path.join(baseDir, ".anysource", "emulator.json")

/** Load and validate the config; `file` is shown in messages as given. */
export const loadConfig = (file: string, env: CliEnv): Effect.Effect<LoadedConfig, ConfigError> =>
  ConfigLoader.load(file, { sources, env: env.vars })

export interface EmbeddedOrg {
  readonly url: string
  readonly token: string
  readonly dataPath: string
}

/** Start the emulator in-process for `orgUrl: embedded`; it is closed (and persisted) with the scope. */
export const startEmbedded = (
  baseDir: string,
  identitySourceId: string
): Effect.Effect<EmbeddedOrg, ConfigError, Scope.Scope> => {
  const dataPath = embeddedDataPath(baseDir)
  return Effect.acquireRelease(
    Effect.tryPromise({
      // loaded only when the config uses it (lazily, like the state stores below): it is the largest module
      try: () =>
        import("@anysource/okta-emulator").then(({ startEmulator }) => startEmulator({
          port: 0,
          persistPath: dataPath,
          tokens: [{ token: EMBEDDED_TOKEN }],
          identitySources: [{ id: identitySourceId, name: "anysource embedded" }],
          // Okta's list call may return only open sessions or all of them (its documents disagree): the embedded
          // org lists all, so `sessions list --all` shows the finished ones offline too
          listSessions: "all"
        })),
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

/** The OktaClient for a loaded config (starting the embedded emulator when asked). */
export const oktaLayer = (loaded: LoadedConfig): Layer.Layer<OktaClient.OktaClient, ConfigError> => {
  const okta = loaded.config.okta
  const common = {
    identitySourceId: okta.identitySourceId,
    requestTimeoutMs: okta.requestTimeoutMs,
    maxRetries: okta.maxRetries
  }
  if (okta.orgUrl === "embedded") {
    return Layer.unwrapScoped(
      startEmbedded(loaded.baseDir, okta.identitySourceId).pipe(
        Effect.map((org) =>
          OktaClient.layer({ ...common, orgUrl: org.url, auth: { type: "ssws", token: Redacted.make(org.token) } })
        )
      )
    )
  }
  if (!okta.auth) {
    return Layer.fail(
      new ConfigError({
        reason: "Invalid",
        path: "okta.auth",
        file: loaded.file,
        message: "okta.auth is required for a real Okta org: an API token ({ type: ssws, token: ${OKTA_API_TOKEN} }) or an OAuth service app ({ type: oauth, clientId, privateKey })."
      })
    )
  }
  return OktaClient.layer({ ...common, orgUrl: okta.orgUrl, auth: okta.auth })
}

/** A layer from a module loaded when the layer is built (a state store's driver loads only for configs that use it). */
const lazyLayer = <M, A, E, R>(load: () => Promise<M>, make: (module: M) => Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
  Layer.unwrapEffect(Effect.map(Effect.promise(load), make))

/** The state store for a loaded config; relative paths resolve against the config's folder. */
export const stateLayer = (loaded: LoadedConfig): Layer.Layer<StateStore.StateStore, ConfigError> => {
  const state = loaded.config.state
  const identitySourceId = loaded.config.okta.identitySourceId
  switch (state.type) {
    case "sqlite":
      return lazyLayer(() => import("@anysource/state-sqlite"), ({ SqliteStateStore }) => SqliteStateStore.layer({ path: path.resolve(loaded.baseDir, state.path), identitySourceId })).pipe(
        Layer.mapError(
          (e) =>
            new ConfigError({
              reason: "Invalid",
              path: "state.path",
              file: loaded.file,
              message: `Could not open the SQLite state store at ${state.path}: ${e.message}`
            })
        )
      )
    case "memory":
      return StateStore.layerMemory(identitySourceId)
    case "postgres":
      return lazyLayer(() => import("@anysource/state-postgres"), ({ PostgresStateStore }) => PostgresStateStore.layer({ url: state.url, schema: state.schema, identitySourceId })).pipe(
        Layer.mapError(
          (e) =>
            new ConfigError({
              reason: "Invalid",
              path: "state.url",
              file: loaded.file,
              message: `Could not open the PostgreSQL state store (schema ${state.schema}): ${e.message}`
            })
        )
      )
  }
}

/** Everything `Sync.run` needs. */
export const syncLayer = (loaded: LoadedConfig) => Layer.merge(oktaLayer(loaded), stateLayer(loaded))
