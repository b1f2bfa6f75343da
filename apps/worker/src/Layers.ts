/**
 * The composition root: the ONLY place that wires core's services for the worker.
 * - config: `ConfigLoader.load` with the worker's source registry and the process environment;
 * - Okta: `OktaClient.layer` against the org in the config (built per run, so each report counts its
 *   own requests); `orgUrl: embedded` is refused (it is for trying things out with the CLI);
 * - state: PostgreSQL (many replicas), SQLite (one replica with a volume) or memory (tests).
 */
import { ConfigError, ConfigLoader, OktaClient, type StateError, StateStore } from "@anysource/core"
import { PostgresStateStore } from "@anysource/state-postgres"
import { SqliteStateStore } from "@anysource/state-sqlite"
import { Layer, Redacted } from "effect"
import * as Path from "node:path"
import { sources } from "./Sources.ts"

export type LoadedConfig = ConfigLoader.LoadedConfig

export const loadPipelineConfig = (file: string, vars: Readonly<Record<string, string | undefined>>) =>
  ConfigLoader.load(file, { sources, env: vars })

/** The OktaClient for one run. `userAgent` names the replica, so Okta's logs tell replicas apart. */
export const oktaLayer = (loaded: LoadedConfig, userAgent: string): Layer.Layer<OktaClient.OktaClient, ConfigError> => {
  const okta = loaded.config.okta
  if (okta.orgUrl === "embedded") {
    return Layer.fail(
      new ConfigError({
        reason: "Unsupported",
        path: "okta.orgUrl",
        file: loaded.file,
        message:
          "okta.orgUrl `embedded` is for trying pipelines with the CLI; the worker needs a real org URL (or the URL of a running `anysource emulator`)."
      })
    )
  }
  if (!okta.auth) {
    return Layer.fail(
      new ConfigError({
        reason: "Invalid",
        path: "okta.auth",
        file: loaded.file,
        message: "okta.auth is required: an API token ({ type: ssws, token: ${OKTA_API_TOKEN} }) or an OAuth service app ({ type: oauth, clientId, privateKey })."
      })
    )
  }
  return OktaClient.layer({
    orgUrl: okta.orgUrl,
    identitySourceId: okta.identitySourceId,
    auth: okta.auth,
    requestTimeoutMs: okta.requestTimeoutMs,
    maxRetries: okta.maxRetries,
    userAgent
  })
}

/** The state store for a pipeline; relative SQLite paths resolve against the config's folder. */
export const stateLayer = (loaded: LoadedConfig): Layer.Layer<StateStore.StateStore, ConfigError | StateError> => {
  const state = loaded.config.state
  const identitySourceId = loaded.config.okta.identitySourceId
  switch (state.type) {
    case "sqlite":
      return SqliteStateStore.layer({ path: Path.resolve(loaded.baseDir, state.path), identitySourceId })
    case "memory":
      return StateStore.layerMemory(identitySourceId)
    case "postgres":
      return PostgresStateStore.layer({ url: state.url, schema: state.schema, identitySourceId })
  }
}

/** Values in a loaded config that must never reach a log line (tokens, keys, database URLs). */
export const secretsOf = (loaded: LoadedConfig): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (value: unknown) => {
    if (Redacted.isRedacted(value)) {
      const inner = Redacted.value(value as Redacted.Redacted<unknown>)
      if (typeof inner === "string" && inner.length >= 4) out.push(inner)
      return
    }
    if (Array.isArray(value)) value.forEach(walk)
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk)
  }
  walk(loaded.config)
  walk(loaded.sourceConfig)
  return out
}
