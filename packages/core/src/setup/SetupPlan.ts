/**
 * The setup plan: what the config says the identity source's schema and profile mapping should hold, compared with
 * what the org holds. Pure: config + org snapshot → entries, each with the config path it comes from.
 *
 * - A custom attribute the config sends (`mapping.profile`, not one of the seven base attributes) that the identity
 *   source lacks is added as a string, with title, description, lengths and `required` from `schema.users.attributes`.
 * - A custom attribute the identity source has and the config never sends is reported as unused; `prune` removes it
 *   (and the property mappings that read it).
 * - A declared attribute whose `type` is not `string`: an error (Anything-as-a-Source sends strings only).
 * - For each attribute sent, the mapping `appuser.<name>` onto its Okta attribute (`setup.userMappings`, default the
 *   same name where the Okta user profile has it; `userName` onto `login`). A different existing expression is a
 *   conflict, kept unless `force`.
 * - `setup.oktaUserAttributes: create`: a mapping target the Okta user profile lacks is added to it (org-wide).
 */
import { z } from "zod"
import type { PipelineConfig } from "../config/Config.ts"
import * as Hash from "../domain/Hash.ts"
import type { SchemaAttribute, SchemaAttributeInput } from "../okta/ProfileApi.ts"

/** What setup reads from the org. */
export interface OrgSnapshot {
  readonly identitySourceId: string
  /** The identity source's app user schema: base and custom attributes by name. */
  readonly appSchema: {
    readonly base: Readonly<Record<string, SchemaAttribute>>
    readonly custom: Readonly<Record<string, SchemaAttribute>>
  }
  /** The default Okta user type's schema. */
  readonly oktaUserSchema: {
    readonly base: Readonly<Record<string, SchemaAttribute>>
    readonly custom: Readonly<Record<string, SchemaAttribute>>
  }
  /** The profile mapping from the identity source to the Okta user, when the org has one. */
  readonly mapping?: {
    readonly id: string
    readonly properties: Readonly<
      Record<string, { readonly expression: string; readonly pushStatus?: string | undefined }>
    >
  }
}

export interface SetupOptions {
  /** Remove custom attributes the config never sends (and the mappings reading them). */
  readonly prune?: boolean
  /** Replace an existing mapping whose expression differs from the config's. */
  readonly force?: boolean
}

export type SetupEntry =
  /** A custom attribute the identity source lacks, added as a string. */
  | {
      readonly kind: "addAttribute"
      readonly name: string
      readonly path: string
      readonly attribute: SchemaAttributeInput
    }
  /** A custom attribute the config never sends: reported (`unused`) or removed with `prune` (`removeAttribute`). */
  | { readonly kind: "unusedAttribute"; readonly name: string; readonly attribute: SchemaAttribute }
  | { readonly kind: "removeAttribute"; readonly name: string; readonly attribute: SchemaAttribute }
  /** A custom attribute added to the org-wide Okta user profile (`setup.oktaUserAttributes: create`). */
  | {
      readonly kind: "addOktaAttribute"
      readonly name: string
      readonly path: string
      readonly attribute: SchemaAttributeInput
    }
  /** A property mapping `expression` onto the Okta user's `target`, from the attribute at `path`. */
  | {
      readonly kind: "addMapping"
      readonly target: string
      readonly expression: string
      readonly path: string
    }
  /** An existing mapping replaced (`force`). */
  | {
      readonly kind: "changeMapping"
      readonly target: string
      readonly from: string
      readonly expression: string
      readonly path: string
    }
  /** An existing mapping with another expression, kept (no `force`). */
  | {
      readonly kind: "mappingConflict"
      readonly target: string
      readonly existing: string
      readonly wanted: string
      readonly path: string
    }
  /** A mapping that reads a pruned attribute, removed with it. */
  | {
      readonly kind: "removeMapping"
      readonly target: string
      readonly expression: string
      readonly attribute: string
    }
  /** An attribute sent to the identity source that no Okta attribute receives. */
  | {
      readonly kind: "unmapped"
      readonly name: string
      readonly target: string
      readonly path: string
      readonly reason: string
    }
  /** Something setup cannot fix: the config (or the org) must change first. */
  | { readonly kind: "error"; readonly name: string; readonly path: string; readonly message: string }

export type SetupEntryKind = SetupEntry["kind"]

/** The kinds `apply` changes something for. */
export const changeKinds: ReadonlySet<SetupEntryKind> = new Set([
  "addAttribute",
  "removeAttribute",
  "addOktaAttribute",
  "addMapping",
  "changeMapping",
  "removeMapping"
])

export interface SetupPlan {
  readonly identitySourceId: string
  readonly mappingId?: string
  readonly options: { readonly prune: boolean; readonly force: boolean }
  /** Errors first, then changes, then what is reported only, each group in name order. */
  readonly entries: ReadonlyArray<SetupEntry>
  readonly summary: {
    readonly changes: number
    readonly conflicts: number
    readonly unused: number
    readonly unmapped: number
    readonly errors: number
  }
  /** `sha256:` over the plan's content: `apply` refuses when the org moved and the plan it would apply differs. */
  readonly hash: string
}

const isChange = (e: SetupEntry): boolean => changeKinds.has(e.kind)

/** The attribute as setup declares it: a string with the config's title, description, lengths and `required`. */
export const declaredAttribute = (
  name: string,
  spec: PipelineConfig["schema"]["users"]["attributes"][string] | undefined,
  required: boolean
): SchemaAttributeInput => ({
  title: spec?.title ?? name,
  type: "string",
  ...(spec?.description !== undefined ? { description: spec.description } : {}),
  ...(required ? { required: true } : {}),
  ...(spec?.minLength !== undefined ? { minLength: spec.minLength } : {}),
  ...(spec?.maxLength !== undefined ? { maxLength: spec.maxLength } : {})
})

const findCaseInsensitive = (names: Iterable<string>, name: string): string | undefined => {
  const lower = name.toLowerCase()
  for (const n of names) if (n !== name && n.toLowerCase() === lower) return n
  return undefined
}

/** `appuser.department` → `department`; other expressions → undefined. */
export const appuserAttribute = (expression: string): string | undefined =>
  /^\s*appuser\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(expression)?.[1]

const order: ReadonlyArray<SetupEntryKind> = [
  "error",
  "addOktaAttribute",
  "addAttribute",
  "addMapping",
  "changeMapping",
  "removeMapping",
  "removeAttribute",
  "mappingConflict",
  "unmapped",
  "unusedAttribute"
]
const keyOf = (e: SetupEntry): string => ("name" in e ? e.name : e.target)

/** The attributes part: additions, unused or removed ones, type errors. */
const attributeEntries = (config: PipelineConfig, org: OrgSnapshot, prune: boolean): Array<SetupEntry> => {
  const out: Array<SetupEntry> = []
  const declared = config.schema.users.attributes
  const sent = Object.keys(config.mapping.profile)
  const base = new Set(Object.keys(org.appSchema.base))
  const custom = org.appSchema.custom
  const required = new Set(config.schema.users.required)
  for (const [name, spec] of Object.entries(declared))
    if (spec.type !== undefined && spec.type !== "string")
      out.push({
        kind: "error",
        name,
        path: `schema.users.attributes.${name}.type`,
        message: `${name} is declared as ${spec.type}, but an identity source (Anything-as-a-Source) sends strings only: remove type or set it to string`
      })
  for (const name of sent) {
    if (base.has(name)) continue
    const path = declared[name] !== undefined ? `schema.users.attributes.${name}` : `mapping.profile.${name}`
    const existing = custom[name]
    if (existing !== undefined) {
      if (existing.type !== undefined && existing.type !== "string")
        out.push({
          kind: "error",
          name,
          path: `mapping.profile.${name}`,
          message: `the identity source declares ${name} as ${existing.type}; Anything-as-a-Source sends strings only: change its type in Okta's Profile Editor`
        })
      continue
    }
    const clash = findCaseInsensitive([...base, ...Object.keys(custom)], name)
    if (clash !== undefined) {
      out.push({
        kind: "error",
        name,
        path: `mapping.profile.${name}`,
        message: `the identity source has ${clash}, which differs from ${name} only in case (Okta treats them as one name): use ${clash} in mapping.profile, or rename it in Okta`
      })
      continue
    }
    if (declared[name]?.type !== undefined && declared[name]?.type !== "string") continue
    out.push({
      kind: "addAttribute",
      name,
      path,
      attribute: declaredAttribute(
        name,
        declared[name],
        required.has(name) || declared[name]?.required === true
      )
    })
  }
  const sentSet = new Set(sent)
  for (const [name, attribute] of Object.entries(custom))
    if (!sentSet.has(name))
      out.push(
        prune ? { kind: "removeAttribute", name, attribute } : { kind: "unusedAttribute", name, attribute }
      )
  return out
}

/** The mapping part: one property mapping per attribute sent, and removals of mappings reading pruned attributes. */
const mappingEntries = (
  config: PipelineConfig,
  org: OrgSnapshot,
  options: { prune: boolean; force: boolean },
  pruned: ReadonlySet<string>
): Array<SetupEntry> => {
  const out: Array<SetupEntry> = []
  const setup = config.setup ?? {}
  const configured = setup.userMappings ?? {}
  const oktaNames = new Set([
    ...Object.keys(org.oktaUserSchema.base),
    ...Object.keys(org.oktaUserSchema.custom)
  ])
  const existing = org.mapping?.properties ?? {}
  const claimed = new Map<string, string>()
  const added = new Set<string>()
  for (const name of Object.keys(config.mapping.profile)) {
    const own = Object.hasOwn(configured, name)
    const choice = own ? configured[name] : undefined
    if (choice === null) continue
    const target = choice ?? (name === "userName" ? "login" : name)
    const path = own ? `setup.userMappings.${name}` : `mapping.profile.${name}`
    const other = claimed.get(target)
    if (other !== undefined) {
      out.push({
        kind: "error",
        name,
        path,
        message: `${name} and ${other} both map onto the Okta attribute ${target}: map one of them elsewhere in setup.userMappings`
      })
      continue
    }
    claimed.set(target, name)
    if (!oktaNames.has(target) && !added.has(target)) {
      if (setup.oktaUserAttributes === "create" && findCaseInsensitive(oktaNames, target) === undefined) {
        const spec = config.schema.users.attributes[name]
        out.push({
          kind: "addOktaAttribute",
          name: target,
          path,
          attribute: declaredAttribute(target, spec, false)
        })
        added.add(target)
      } else {
        out.push({
          kind: "unmapped",
          name,
          target,
          path,
          reason: own
            ? `the Okta user profile has no attribute ${target}: add it in Okta's Profile Editor, or set setup.oktaUserAttributes: create`
            : `the Okta user profile has no attribute ${target}: name the one it should map onto in setup.userMappings.${name}, or set setup.oktaUserAttributes: create`
        })
        continue
      }
    }
    if (org.mapping === undefined) continue
    const wanted = `appuser.${name}`
    const current = existing[target]
    if (current === undefined) out.push({ kind: "addMapping", target, expression: wanted, path })
    else if (current.expression.trim() !== wanted) {
      if (options.force)
        out.push({ kind: "changeMapping", target, from: current.expression, expression: wanted, path })
      else out.push({ kind: "mappingConflict", target, existing: current.expression, wanted, path })
    }
  }
  if (org.mapping === undefined && Object.keys(config.mapping.profile).length > 0)
    out.push({
      kind: "error",
      name: "mapping",
      path: "okta.identitySourceId",
      message: `Okta has no profile mapping from identity source ${org.identitySourceId} to the Okta user: check the identity source id (it is the app's id, 0oa…) and that its provisioning "To Okta" is enabled`
    })
  for (const [target, p] of Object.entries(existing)) {
    const source = appuserAttribute(p.expression)
    if (source !== undefined && pruned.has(source) && !claimed.has(target))
      out.push({ kind: "removeMapping", target, expression: p.expression, attribute: source })
  }
  return out
}

/** The setup plan for `config` against `org` (pure and deterministic). */
export const plan = (config: PipelineConfig, org: OrgSnapshot, options: SetupOptions = {}): SetupPlan => {
  const opts = { prune: options.prune ?? false, force: options.force ?? false }
  const attributes = attributeEntries(config, org, opts.prune)
  const pruned = new Set(attributes.flatMap((e) => (e.kind === "removeAttribute" ? [e.name] : [])))
  const entries = [...attributes, ...mappingEntries(config, org, opts, pruned)].sort(
    (a, b) =>
      order.indexOf(a.kind) - order.indexOf(b.kind) ||
      (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0)
  )
  const count = (kinds: ReadonlyArray<SetupEntryKind>) => entries.filter((e) => kinds.includes(e.kind)).length
  const content = {
    identitySourceId: org.identitySourceId,
    mappingId: org.mapping?.id,
    options: opts,
    entries
  }
  return {
    identitySourceId: org.identitySourceId,
    ...(org.mapping !== undefined ? { mappingId: org.mapping.id } : {}),
    options: opts,
    entries,
    summary: {
      changes: entries.filter(isChange).length,
      conflicts: count(["mappingConflict"]),
      unused: count(["unusedAttribute"]),
      unmapped: count(["unmapped"]),
      errors: count(["error"])
    },
    hash: `sha256:${Hash.sha256(Hash.stableStringify(content))}`
  }
}

/** True when applying would change nothing in the org. */
export const isEmpty = (p: SetupPlan): boolean => p.summary.changes === 0

/**
 * What `setup apply --plan <file>` reads from a saved plan (`setup plan --out`): the identity source, the options and
 * the hash. The plan itself is computed again from the org and applied only when it hashes the same.
 */
export const SavedPlan = z.looseObject({
  identitySourceId: z.string().min(1),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "a sha256: hash as `setup plan --out` writes it"),
  options: z.object({ prune: z.boolean(), force: z.boolean() })
})
export type SavedPlan = z.infer<typeof SavedPlan>
