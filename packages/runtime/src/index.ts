/**
 * `@anysource/runtime`: what the CLI, the Lambda and the worker share. The one source registry, the Okta and state
 * layers built from a config, the secret collector and the scrubbed JSON logs, the log lines of a run's events,
 * compact reports, and the generated docs tables. (Telemetry and notifications will live here too.)
 */
export * as Docs from "./Docs.ts"
export * as Layers from "./Layers.ts"
export * as Logging from "./Logging.ts"
export * as Registry from "./Registry.ts"
export * as Report from "./Report.ts"
export * as Run from "./Run.ts"
export * as Secrets from "./Secrets.ts"
export * as Sources from "./Sources.ts"
export * as SyncLog from "./SyncLog.ts"
export * as Templates from "./Templates.ts"
