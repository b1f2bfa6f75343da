/**
 * The services `Sync` needs, built from a loaded config the same way in every app: the Okta client (with the app's
 * User-Agent; `orgUrl: embedded` only where the app serves it) and the state store the config names. The store
 * packages are imported when a config uses them, so a SQLite run never loads the PostgreSQL driver.
 */
import { ConfigError, type ConfigLoader, OktaClient, type StateError, StateStore } from "@anysource/core"
import { Effect, Layer, type Redacted, type Scope } from "effect"
import * as Path from "node:path"

type LoadedConfig = ConfigLoader.LoadedConfig

/** Where `orgUrl: embedded` points: an org the app runs itself (the CLI's in-process emulator). */
export interface EmbeddedOrg {
  readonly url: string
  readonly token: Redacted.Redacted<string>
}

export interface OktaOptions {
  /** Sent as User-Agent, so Okta's System Log tells runtimes and replicas apart (default: core's). */
  readonly userAgent?: string
  /** Serves `orgUrl: embedded` for the scope of the client; without it, `embedded` is refused. */
  readonly embedded?: (loaded: LoadedConfig) => Effect.Effect<EmbeddedOrg, ConfigError, Scope.Scope>
  /** Names the app in the refusal of `embedded` ("the worker"). */
  readonly runtime?: string
}

/** The OktaClient for a loaded config. */
export const oktaLayer = (loaded: LoadedConfig, options: OktaOptions = {}): Layer.Layer<OktaClient.OktaClient, ConfigError> => {
  const okta = loaded.config.okta
  const common = {
    identitySourceId: okta.identitySourceId,
    requestTimeoutMs: okta.requestTimeoutMs,
    maxRetries: okta.maxRetries,
    ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {})
  }
  if (okta.orgUrl === "embedded") {
    const serve = options.embedded
    if (serve === undefined)
      return Layer.fail(
        new ConfigError({
          reason: "Unsupported",
          path: "okta.orgUrl",
          file: loaded.file,
          message: `okta.orgUrl \`embedded\` is for trying pipelines with the CLI; ${options.runtime ?? "this runtime"} needs a real org URL (or the URL of a running \`anysource emulator\`).`
        })
      )
    return Layer.unwrapScoped(
      Effect.map(serve(loaded), (org) => OktaClient.layer({ ...common, orgUrl: org.url, auth: { type: "ssws", token: org.token } }))
    )
  }
  if (okta.auth === undefined)
    return Layer.fail(
      new ConfigError({
        reason: "Invalid",
        path: "okta.auth",
        file: loaded.file,
        message: "okta.auth is required for a real Okta org: an API token ({ type: ssws, token: ${OKTA_API_TOKEN} }) or an OAuth service app ({ type: oauth, clientId, privateKey })."
      })
    )
  return OktaClient.layer({ ...common, orgUrl: okta.orgUrl, auth: okta.auth })
}

export interface StateOptions {
  /** PostgreSQL `application_name` (shown in `pg_stat_activity`). */
  readonly applicationName?: string
}

/** The state store a loaded config names; a relative SQLite path resolves against the config's folder. */
export const stateLayer = (loaded: LoadedConfig, options: StateOptions = {}): Layer.Layer<StateStore.StateStore, StateError> => {
  const state = loaded.config.state
  const identitySourceId = loaded.config.okta.identitySourceId
  switch (state.type) {
    case "memory":
      return StateStore.layerMemory(identitySourceId)
    case "sqlite":
      return Layer.unwrapEffect(
        Effect.promise(() => import("@anysource/state-sqlite")).pipe(
          Effect.map(({ SqliteStateStore }) => SqliteStateStore.layer({ path: Path.resolve(loaded.baseDir, state.path), identitySourceId }))
        )
      )
    case "postgres":
      return Layer.unwrapEffect(
        Effect.promise(() => import("@anysource/state-postgres")).pipe(
          Effect.map(({ PostgresStateStore }) =>
            PostgresStateStore.layer({
              url: state.url,
              schema: state.schema,
              identitySourceId,
              ...(options.applicationName !== undefined ? { applicationName: options.applicationName } : {})
            })
          )
        )
      )
  }
}

/**
 * A store that could not be opened, as a `ConfigError` at the config key to look at (`state.path`, `state.url`),
 * for apps that report it as a config problem (the CLI's exit code and hint).
 */
export const stateOpenError =
  (loaded: LoadedConfig) =>
  (error: StateError): ConfigError => {
    const state = loaded.config.state
    return new ConfigError({
      reason: "Invalid",
      path: state.type === "postgres" ? "state.url" : "state.path",
      file: loaded.file,
      message:
        state.type === "postgres"
          ? `Could not open the PostgreSQL state store (schema ${state.schema}): ${error.message}`
          : `Could not open the ${state.type === "sqlite" ? "SQLite" : "in-memory"} state store${state.type === "sqlite" ? ` at ${state.path}` : ""}: ${error.message}`
    })
  }

/** Everything `Sync` needs. */
export const syncLayer = (
  loaded: LoadedConfig,
  options: OktaOptions & StateOptions = {}
): Layer.Layer<OktaClient.OktaClient | StateStore.StateStore, ConfigError | StateError> => Layer.merge(oktaLayer(loaded, options), stateLayer(loaded, options))
