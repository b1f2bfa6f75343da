/**
 * The schema guard of every sync: before any session, read the identity source's schema once and refuse when the
 * config sends an attribute it lacks (Okta would refuse or drop it). The error names the attribute, its config path
 * and file position, the closest declared name, and the fix (`anysource setup plan`). `okta.schemaCheck: false`
 * (`--skip-schema-check`) turns it off for tokens that cannot read schemas.
 */
import { Effect } from "effect"
import type { PipelineConfig } from "../config/Config.ts"
import type { LoadedConfig } from "../config/ConfigLoader.ts"
import { closest, locate } from "../config/Hints.ts"
import { ConfigError, OktaApiError } from "../domain/Errors.ts"
import { OktaClient } from "../okta/OktaClient.ts"
import { displayName } from "./Setup.ts"

export interface MissingAttribute {
  readonly name: string
  /** `mapping.profile.<name>` */
  readonly path: string
  /** The identity source's closest attribute name, when one is close. */
  readonly suggestion?: string
}

/** Attributes `mapping.profile` sends that the schema (base and custom attribute names) lacks. Pure. */
export const missing = (
  config: Pick<PipelineConfig, "mapping">,
  schema: {
    readonly base: Readonly<Record<string, unknown>>
    readonly custom: Readonly<Record<string, unknown>>
  }
): ReadonlyArray<MissingAttribute> => {
  const sent = Object.keys(config.mapping.profile)
  const known = [...Object.keys(schema.base), ...Object.keys(schema.custom)]
  const declared = new Set(known)
  // suggest only names the config does not already send
  const candidates = known.filter((n) => !sent.includes(n))
  return sent
    .filter((name) => !declared.has(name))
    .map((name) => {
      const suggestion = closest(name, candidates)
      return { name, path: `mapping.profile.${name}`, ...(suggestion !== undefined ? { suggestion } : {}) }
    })
}

/** The guard's error for what is missing, located in the config file. */
export const missingError = (
  loaded: LoadedConfig,
  identitySourceId: string,
  found: ReadonlyArray<MissingAttribute>
): ConfigError => {
  const display = displayName(loaded.file)
  const issues = found.map((m) => {
    const at = locate(loaded.file, m.path, display)
    return {
      path: m.path,
      message:
        `sends "${m.name}", which identity source ${identitySourceId} does not declare` +
        (m.suggestion !== undefined ? ` (did you mean "${m.suggestion}"?)` : "") +
        (at ? ` (${at})` : "")
    }
  })
  return new ConfigError({
    reason: "Invalid",
    file: display,
    path: issues[0]!.path,
    issues,
    message:
      `the identity source's schema lacks ${found.length === 1 ? "an attribute" : `${found.length} attributes`} that ${display} sends:\n` +
      issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n") +
      "\nOkta would refuse or drop them, so nothing was sent. Fix the name, or add the attribute to the identity source: " +
      "`anysource setup plan` shows what is missing and `anysource setup apply` adds it. " +
      "(--skip-schema-check, or okta.schemaCheck: false, skips this check.)"
  })
}

/** Read the identity source's schema and fail on what the config sends that it lacks. */
export const check = (loaded: LoadedConfig): Effect.Effect<void, ConfigError | OktaApiError, OktaClient> =>
  Effect.gen(function* () {
    const client = yield* OktaClient
    const schema = yield* client.getAppUserSchema.pipe(
      Effect.mapError((e) =>
        e.reason === "Forbidden"
          ? new OktaApiError({
              ...e,
              message: `${e.message} The sync reads the identity source's schema before it starts; to run without that check, pass --skip-schema-check (or set okta.schemaCheck: false).`
            })
          : e
      )
    )
    const found = missing(loaded.config, schema)
    if (found.length > 0) return yield* Effect.fail(missingError(loaded, client.identitySourceId, found))
  })
