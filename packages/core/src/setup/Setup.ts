/**
 * `setup` as a use case: read the identity source's schema, the Okta user schema and the identity source's profile
 * mapping, plan what the config needs (SetupPlan.ts), and apply exactly that plan: the org is read again just
 * before applying, and a plan that no longer comes out the same is refused (the org moved).
 */
import * as Path from "node:path"
import { Effect } from "effect"
import type { LoadedConfig } from "../config/ConfigLoader.ts"
import { locate } from "../config/Hints.ts"
import { ConfigError, type OktaApiError, PlanDriftError } from "../domain/Errors.ts"
import { OktaClient } from "../okta/OktaClient.ts"
import { schemaUpdate, type ProfileMappingUpdate, type SchemaAttributeInput } from "../okta/ProfileApi.ts"
import * as SetupPlan from "./SetupPlan.ts"

export type SetupError = ConfigError | OktaApiError | PlanDriftError

/** The org as setup sees it. Needs okta.schemas.read and okta.profileMappings.read. */
export const readOrg: Effect.Effect<SetupPlan.OrgSnapshot, OktaApiError, OktaClient> = Effect.gen(
  function* () {
    const client = yield* OktaClient
    const app = yield* client.getAppUserSchema
    const okta = yield* client.getUserSchema("default")
    const mappings = yield* client.listProfileMappings({ sourceId: client.identitySourceId })
    // onto the Okta user: the default user type is named "user"
    const toUsers = mappings.filter(
      (m) => m.source.id === client.identitySourceId && m.target.type === "user"
    )
    const chosen = toUsers.find((m) => m.target.name === "user") ?? toUsers[0]
    const mapping = chosen === undefined ? undefined : yield* client.getProfileMapping(chosen.id)
    return {
      identitySourceId: client.identitySourceId,
      appSchema: { base: app.base, custom: app.custom },
      oktaUserSchema: { base: okta.base, custom: okta.custom },
      ...(mapping !== undefined ? { mapping: { id: mapping.id, properties: mapping.properties } } : {})
    }
  }
)

/** The setup plan for a loaded config against the org now. */
export const plan = (
  loaded: LoadedConfig,
  options: SetupPlan.SetupOptions = {}
): Effect.Effect<SetupPlan.SetupPlan, OktaApiError, OktaClient> =>
  Effect.map(readOrg, (org) => SetupPlan.plan(loaded.config, org, options))

/** How the config file is named in messages: relative to the working directory when it is below it. */
export const displayName = (file: string): string => {
  const relative = Path.relative(process.cwd(), file)
  return relative !== "" && !relative.startsWith("..") && !Path.isAbsolute(relative) ? relative : file
}

/** The plan's errors as one located `ConfigError` (undefined when there are none). */
export const errorsOf = (p: SetupPlan.SetupPlan, loaded: LoadedConfig): ConfigError | undefined => {
  const errors = p.entries.flatMap((e) => (e.kind === "error" ? [e] : []))
  if (errors.length === 0) return undefined
  const display = displayName(loaded.file)
  const issues = errors.map((e) => {
    const at = locate(loaded.file, e.path, display)
    return { path: e.path, message: e.message + (at ? ` (${at})` : "") }
  })
  return new ConfigError({
    reason: "Invalid",
    file: display,
    path: issues[0]!.path,
    issues,
    message:
      `setup cannot bring identity source ${p.identitySourceId} in line with ${display} (${issues.length === 1 ? "1 problem" : `${issues.length} problems`}):\n` +
      issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n") +
      "\nNothing was changed in Okta."
  })
}

/** What `apply` did, entry by entry (in the order it was sent). */
export interface SetupResult {
  readonly plan: SetupPlan.SetupPlan
  readonly applied: ReadonlyArray<SetupPlan.SetupEntry>
}

const drift = (expected: string, actual: string) =>
  new PlanDriftError({
    reason: "HashMismatch",
    message:
      "Okta's schema or mapping changed since this setup plan was made, so it would no longer do what you reviewed: nothing was applied. Run `anysource setup plan` again and review it.",
    expectedHash: expected,
    actualHash: actual
  })

/**
 * Apply the plan that was shown (`agreed`): re-read the org, re-plan with the same options, refuse when the hash
 * differs (the org moved) or the plan has errors, then send Okta user attributes, identity-source attributes, the
 * mapping, and last the pruned attributes (after the mappings that read them are gone).
 */
export const apply = (
  loaded: LoadedConfig,
  agreed: Pick<SetupPlan.SetupPlan, "hash" | "options">
): Effect.Effect<SetupResult, SetupError, OktaClient> =>
  Effect.gen(function* () {
    const client = yield* OktaClient
    const fresh = SetupPlan.plan(loaded.config, yield* readOrg, agreed.options)
    if (fresh.hash !== agreed.hash) return yield* Effect.fail(drift(agreed.hash, fresh.hash))
    const invalid = errorsOf(fresh, loaded)
    if (invalid !== undefined) return yield* Effect.fail(invalid)
    const applied: Array<SetupPlan.SetupEntry> = []
    const of = <K extends SetupPlan.SetupEntryKind>(...kinds: ReadonlyArray<K>) =>
      fresh.entries.filter((e): e is Extract<SetupPlan.SetupEntry, { kind: K }> =>
        (kinds as ReadonlyArray<string>).includes(e.kind)
      )
    const attributes = (
      entries: ReadonlyArray<{ readonly name: string; readonly attribute: SchemaAttributeInput }>
    ) => Object.fromEntries(entries.map((e) => [e.name, e.attribute]))

    const okta = of("addOktaAttribute")
    if (okta.length > 0) {
      yield* client.updateUserSchema(schemaUpdate(attributes(okta)))
      applied.push(...okta)
    }
    const adds = of("addAttribute")
    if (adds.length > 0) {
      yield* client.updateAppUserSchema(schemaUpdate(attributes(adds)))
      applied.push(...adds)
    }
    const mappings = of("addMapping", "changeMapping", "removeMapping")
    if (mappings.length > 0 && fresh.mappingId !== undefined) {
      const properties: Record<string, ProfileMappingUpdate["properties"][string]> = {}
      for (const m of mappings)
        properties[m.target] =
          m.kind === "removeMapping"
            ? { expression: null, pushStatus: null }
            : { expression: m.expression, pushStatus: "PUSH" }
      yield* client.updateProfileMapping(fresh.mappingId, { properties })
      applied.push(...mappings)
    }
    const removals = of("removeAttribute")
    if (removals.length > 0) {
      yield* client.updateAppUserSchema(schemaUpdate(Object.fromEntries(removals.map((e) => [e.name, null]))))
      applied.push(...removals)
    }
    return { plan: fresh, applied }
  })
