/**
 * The plan's JSON form: stable serialization (sorted keys), its content hash, parsing with validation
 * (a hand-edited plan or one from another version gives a clear `ConfigError`), and human-readable
 * explanations of each change.
 */
import { Effect } from "effect"
import { z } from "zod"
import { ConfigError } from "../domain/Errors.ts"
import * as Hash from "../domain/Hash.ts"
import type { FieldChange, GroupChange, MembershipChange, Plan, UserChange } from "./Plan.ts"

/** sha256 over the stable JSON of the plan without `createdAt` and `hash`. */
export const hash = (plan: Omit<Plan, "hash" | "createdAt"> & { readonly createdAt?: string; readonly hash?: string }): string => {
  const { createdAt: _createdAt, hash: _hash, ...rest } = plan
  return Hash.stableHash(rest)
}

/** Stable JSON: object keys sorted; `space` indents like `JSON.stringify`. */
export const stringify = (plan: Plan, space?: number): string => {
  const stable = Hash.stableStringify(plan)
  return space === undefined ? stable : JSON.stringify(JSON.parse(stable), null, space)
}

const nullableString = z.union([z.string(), z.null()])
const Profile = z.record(z.string(), nullableString)
const FieldChangeSchema = z.strictObject({ field: z.string(), before: nullableString.optional(), after: nullableString.optional() })
const ChangeSchema = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("create"), externalId: z.string().min(1), profile: Profile, hash: z.string(), location: z.string() }),
  z.strictObject({
    op: z.enum(["update", "reactivate"]),
    externalId: z.string().min(1),
    profile: Profile,
    hash: z.string(),
    location: z.string(),
    fields: z.array(FieldChangeSchema)
  }),
  z.strictObject({
    op: z.literal("deactivate"),
    externalId: z.string().min(1),
    reason: z.enum(["missing", "filtered"]),
    filterRule: z.string().optional(),
    lastSeen: z.string().optional(),
    lastLocation: z.string().optional()
  })
])
const Counts = z.strictObject({
  create: z.number().int().min(0),
  update: z.number().int().min(0),
  reactivate: z.number().int().min(0),
  deactivate: z.number().int().min(0),
  unchanged: z.number().int().min(0),
  held: z.number().int().min(0).optional()
})
const IssueSchema = z.strictObject({
  location: z.string(),
  externalId: z.string().optional(),
  field: z.string().optional(),
  message: z.string(),
  kind: z.enum(["invalid", "mapping", "filter", "duplicate"])
})

/** zod schema of a serialized plan (version 1). */
export const PlanSchema = z.strictObject({
  version: z.literal(1),
  identitySourceId: z.string().min(1),
  createdAt: z.string(),
  inputs: z.strictObject({ configHash: z.string(), stateHash: z.string(), sourceFingerprint: z.string().optional() }),
  users: z.array(ChangeSchema),
  groups: z.array(ChangeSchema),
  memberships: z.array(
    z.strictObject({ op: z.enum(["add", "remove"]), groupExternalId: z.string().min(1), memberExternalIds: z.array(z.string().min(1)) })
  ),
  summary: z.strictObject({
    users: Counts,
    groups: Counts,
    memberships: z.strictObject({ add: z.number().int().min(0), remove: z.number().int().min(0) }),
    rowsRead: z.number().int().min(0),
    excluded: z.record(z.string(), z.number().int().min(0)),
    invalid: z.number().int().min(0),
    baseline: z
      .strictObject({ users: z.number().int().min(0), groups: z.number().int().min(0), memberships: z.number().int().min(0) })
      .optional(),
    issueCounts: z.partialRecord(z.enum(["invalid", "mapping", "filter", "duplicate"]), z.number().int().min(0)).optional()
  }),
  issues: z.array(IssueSchema),
  hash: z.string()
})

const pathOf = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), "")

/**
 * Parse a plan file. Fails with `ConfigError` (reason `Parse` for bad JSON, `Unsupported` for another plan
 * version, `Invalid` for a wrong shape or a content hash that does not match: the file was edited).
 */
export const parse = (json: string, file?: string): Effect.Effect<Plan, ConfigError> =>
  Effect.gen(function* () {
    const where = file ? `${file}: ` : ""
    const fileProp = file ? { file } : {}
    let raw: unknown
    try {
      raw = JSON.parse(json)
    } catch (e) {
      return yield* Effect.fail(
        new ConfigError({ reason: "Parse", ...fileProp, message: `${where}not a plan: invalid JSON (${(e as Error).message})` })
      )
    }
    const version = (raw as { version?: unknown } | null)?.version
    if (typeof raw === "object" && raw !== null && version !== 1)
      return yield* Effect.fail(
        new ConfigError({
          reason: "Unsupported",
          ...fileProp,
          path: "version",
          message: `${where}plan version ${JSON.stringify(version ?? null)} is not supported: this anysource reads version 1 plans. Re-run \`anysource plan\` with this version.`
        })
      )
    const parsed = PlanSchema.safeParse(raw)
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message }))
      const first = issues.slice(0, 3).map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")
      return yield* Effect.fail(
        new ConfigError({
          reason: "Invalid",
          ...fileProp,
          ...(issues[0] ? { path: issues[0].path } : {}),
          issues,
          message: `${where}not a valid anysource plan (${issues.length} problem${issues.length === 1 ? "" : "s"}): ${first}`
        })
      )
    }
    const plan = parsed.data as Plan
    const actual = hash(plan)
    if (actual !== plan.hash)
      return yield* Effect.fail(
        new ConfigError({
          reason: "Invalid",
          ...fileProp,
          path: "hash",
          message: `${where}the plan's content does not match its hash (recorded ${plan.hash.slice(0, 12)}…, content ${actual.slice(0, 12)}…): it was edited after it was made. Make a new plan instead of editing one.`
        })
      )
    return plan
  })

const show = (v: string | null | undefined): string => (v === undefined ? "(absent)" : v === null ? "(empty)" : JSON.stringify(v))

/** `field: before → after` lines. */
export const explainFields = (fields: ReadonlyArray<FieldChange>): ReadonlyArray<string> =>
  fields.map((f) => `${f.field}: ${show(f.before)} → ${show(f.after)}`)

const isMembership = (c: UserChange | GroupChange | MembershipChange): c is MembershipChange =>
  c.op === "add" || c.op === "remove"

/**
 * A person-readable explanation of one change: what happens, why, which fields (before → after),
 * where the record came from, and which filter rule excluded it.
 */
export const explain = (change: UserChange | GroupChange | MembershipChange, entity: "user" | "group" = "user"): string => {
  if (isMembership(change)) {
    const n = change.memberExternalIds.length
    const verb = change.op === "add" ? "add" : "remove"
    const prep = change.op === "add" ? "to" : "from"
    const list = change.memberExternalIds.slice(0, 10).map((m) => JSON.stringify(m)).join(", ")
    return `${verb} ${n} member${n === 1 ? "" : "s"} ${prep} group ${JSON.stringify(change.groupExternalId)}: ${list}${n > 10 ? `, … (${n - 10} more)` : ""}`
  }
  const who = `${entity} ${JSON.stringify(change.externalId)}`
  switch (change.op) {
    case "create": {
      const attrs = Object.keys(change.profile).sort()
      return [`create ${who} (from ${change.location}: new in the source)`, ...attrs.map((a) => `  ${a}: ${show(change.profile[a])}`)].join("\n")
    }
    case "update":
    case "reactivate": {
      const head =
        change.op === "update"
          ? `update ${who} (from ${change.location}): ${change.fields.length} field${change.fields.length === 1 ? "" : "s"} changed`
          : `reactivate ${who} (from ${change.location}: deactivated earlier, back in the source)`
      const lines = explainFields(change.fields).map((l) => `  ${l}`)
      if (change.op === "update" && change.fields.length === 0) lines.push("  (same values; the stored content hash differs)")
      return [head, ...lines].join("\n")
    }
    case "deactivate": {
      const why =
        change.reason === "filtered"
          ? `excluded by filter rule ${JSON.stringify(change.filterRule ?? "filter")}`
          : "no longer in the source"
      const last = [change.lastLocation ? `last seen at ${change.lastLocation}` : "", change.lastSeen ? `on ${change.lastSeen}` : ""]
        .filter(Boolean)
        .join(" ")
      return `deactivate ${who}: ${why}${last ? ` (${last})` : ""}`
    }
  }
}
