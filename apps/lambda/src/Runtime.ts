/**
 * The composition root of the Lambda app: where the config comes from, what a Lambda can run, and the
 * layers `Sync.runWithReport` needs (OktaClient over fetch, PostgreSQL state).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { ConfigError, ConfigLoader, OktaClient, type StateError, type StateStore } from "@anysource/core"
import { PostgresStateStore } from "@anysource/state-postgres"
import { Effect, Layer, Redacted } from "effect"
import type { LambdaEnv } from "./Env.ts"

export type LoadedConfig = ConfigLoader.LoadedConfig

const extensions = [".yaml", ".yml", ".json"]

/** The packaged config for this invocation: `ANYSOURCE_CONFIG`, or `pipelines/<name>.(yaml|yml|json)`. */
export const configPathFor = (env: LambdaEnv, pipeline: string | undefined): Effect.Effect<string, ConfigError> =>
  Effect.suspend(() => {
    if (pipeline === undefined) return Effect.succeed(env.configPath)
    const candidates = extensions.map((ext) => Path.join(env.pipelinesDir, `${pipeline}${ext}`))
    const found = candidates.find((file) => Fs.existsSync(file))
    return found !== undefined
      ? Effect.succeed(found)
      : Effect.fail(
          new ConfigError({
            reason: "NotFound",
            file: env.pipelinesDir,
            message: `pipeline ${JSON.stringify(pipeline)} is not packaged with this function: looked for ${candidates.map((c) => Path.basename(c)).join(", ")} in ${env.pipelinesDir} (ANYSOURCE_PIPELINES_DIR)`
          })
        )
  })

/** What Lambda cannot do: the embedded emulator and file-backed state (there is no durable disk). */
export const check = (loaded: LoadedConfig): Effect.Effect<void, ConfigError> => {
  const { okta, state } = loaded.config
  if (okta.orgUrl === "embedded")
    return Effect.fail(
      new ConfigError({
        reason: "Unsupported",
        path: "okta.orgUrl",
        file: loaded.file,
        message: `${loaded.file}: okta.orgUrl "embedded" runs a local emulator that Lambda cannot keep between invocations; use your org's URL (https://your-org.okta.com).`
      })
    )
  if (state.type !== "postgres")
    return Effect.fail(
      new ConfigError({
        reason: "Unsupported",
        path: "state.type",
        file: loaded.file,
        message: `${loaded.file}: state.type ${state.type} cannot work on Lambda: a function has no durable disk (/tmp is lost between cold starts and not shared), so the next run would forget what was synced. Use state: { type: postgres, url: \${ANYSOURCE_PG_URL} }.`
      })
    )
  return Effect.void
}

/** Every secret value in the loaded config (for scrubbing log lines). */
export const secretValues = (loaded: LoadedConfig): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (value: unknown, depth: number) => {
    if (depth > 20 || value === null || typeof value !== "object") return
    if (Redacted.isRedacted(value)) {
      out.push(Redacted.value(value as Redacted.Redacted<unknown>) as string)
      return
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child, depth + 1)
  }
  walk(loaded.config, 0)
  walk(loaded.sourceConfig, 0)
  return out.filter((v) => typeof v === "string")
}

/** OktaClient + PostgreSQL StateStore for a checked config. */
export const syncLayer = (loaded: LoadedConfig): Layer.Layer<OktaClient.OktaClient | StateStore.StateStore, ConfigError | StateError> => {
  const { okta, state } = loaded.config
  if (state.type !== "postgres" || okta.auth === undefined || okta.orgUrl === "embedded")
    return Layer.fail(new ConfigError({ reason: "Unsupported", file: loaded.file, message: `${loaded.file}: this config cannot run on Lambda (check it first)` }))
  return Layer.merge(
    OktaClient.layer({
      orgUrl: okta.orgUrl,
      identitySourceId: okta.identitySourceId,
      auth: okta.auth,
      requestTimeoutMs: okta.requestTimeoutMs,
      maxRetries: okta.maxRetries,
      userAgent: "anysource-lambda/0.1"
    }),
    PostgresStateStore.layer({
      url: state.url,
      schema: state.schema,
      identitySourceId: okta.identitySourceId,
      applicationName: "anysource-lambda"
    })
  )
}
