/**
 * The composition root of the Lambda app: where the config comes from, which sources a Lambda offers, what a
 * Lambda can run, and the layers `Sync.runWithReport` needs (built by the runtime: OktaClient over fetch,
 * PostgreSQL state).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { ConfigError, type ConfigLoader, type OktaClient, type StateError, type StateStore } from "@anysource/core"
import { Layers, Sources } from "@anysource/runtime"
import { Effect, type Layer } from "effect"
import type { LambdaEnv } from "./Env.ts"

export type LoadedConfig = ConfigLoader.LoadedConfig

/**
 * The adapters this function offers: the registry's pure-JavaScript ones (the bundle is one file, with no native
 * module beside it; tsup.config.ts leaves the others out of it).
 */
export const sources = Sources.registry.filter((entry) => entry.pureJs)

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

/** OktaClient + PostgreSQL StateStore for a checked config. */
export const syncLayer = (loaded: LoadedConfig): Layer.Layer<OktaClient.OktaClient | StateStore.StateStore, ConfigError | StateError> =>
  Layers.syncLayer(loaded, { userAgent: "anysource-lambda/0.1", applicationName: "anysource-lambda", runtime: "a Lambda function" })
