/**
 * Safeguards: Okta XaaS has none, so anysource stops a plan before any Okta call when it would
 * deactivate too much or when the source looks empty or truncated. Per entity type (users, groups,
 * membership removals):
 *
 * - `maxDeactivations` / `maxDeactivationPercent` (of the records ACTIVE before the plan);
 * - `minRecords` / `minRecordsPercent` (valid source records, absolute / % of ACTIVE): the truncated-file guard;
 * - an empty source (no valid records while some are ACTIVE) never deactivates anyone unless
 *   `allowEmptySource` is true. `--allow-deletes` does NOT override this one;
 * - memberships: `maxRemovals` / `maxRemovalPercent` (of the membership pairs in state).
 *
 * `--allow-deletes` (`allowDeletes: true`) lets every other rule through. A limit is exceeded when the
 * actual value is strictly above a maximum or strictly below a minimum.
 */
import { Effect } from "effect"
import type { EntitySafeguards, SafeguardsConfig } from "../config/Config.ts"
import { SafeguardTripped, type SafeguardViolation } from "../domain/Errors.ts"
import type { Baseline, EntityCounts, Plan } from "./Plan.ts"

export interface CheckOptions {
  /** `--allow-deletes`: accept deactivations/removals beyond the limits and a short source (not an empty one). */
  readonly allowDeletes: boolean
}

const int = (n: number) => n.toLocaleString("en-US")

/** A percentage with one decimal (more when needed to show it differs from `limit`), no trailing ".0". */
export const formatPercent = (value: number, limit?: number): string => {
  for (let digits = 1; digits <= 4; digits++) {
    const s = value.toFixed(digits)
    const r = Number(s)
    if (limit === undefined || r !== limit || value === limit) return `${String(r)}%`
  }
  return `${String(value)}%`
}

/** Active records before the plan; estimated from the counts for plans without `summary.baseline`. */
export const baselineOf = (plan: Plan): Baseline => {
  if (plan.summary.baseline) return plan.summary.baseline
  const active = (c: EntityCounts) => c.update + c.unchanged + c.deactivate + (c.held ?? 0)
  return { users: active(plan.summary.users), groups: active(plan.summary.groups), memberships: plan.summary.memberships.remove }
}

const desiredOf = (c: EntityCounts) => c.create + c.update + c.reactivate + c.unchanged

const pct = (part: number, whole: number) => (whole === 0 ? 0 : (part / whole) * 100)
/** For reports: rounded to 4 decimals (412/1000 is 41.2, not 41.199999999999996). Comparisons use the exact value. */
const round4 = (n: number) => Math.round(n * 1e4) / 1e4

const entityViolations = (
  entity: "users" | "groups",
  counts: EntityCounts,
  active: number,
  rules: EntitySafeguards,
  options: CheckOptions
): Array<SafeguardViolation & { readonly override: string }> => {
  const out: Array<SafeguardViolation & { readonly override: string }> = []
  const key = `safeguards.${entity}`
  const deactivate = counts.deactivate
  const desired = desiredOf(counts)

  if (desired === 0 && active > 0 && deactivate > 0 && !rules.allowEmptySource) {
    out.push({
      entity,
      rule: "emptySource",
      limit: 0,
      actual: deactivate,
      override: `${key}.allowEmptySource: true`,
      message: `the source has no valid ${entity}, which would deactivate all ${int(deactivate)} active ${entity}; an empty source never deactivates anyone (if this is intended, set ${key}.allowEmptySource: true)`
    })
    return out
  }
  if (options.allowDeletes) return out

  if (rules.maxDeactivations !== undefined && deactivate > rules.maxDeactivations)
    out.push({
      entity,
      rule: "maxDeactivations",
      limit: rules.maxDeactivations,
      actual: deactivate,
      override: `--allow-deletes or ${key}.maxDeactivations`,
      message: `would deactivate ${int(deactivate)} ${entity}; limit is ${int(rules.maxDeactivations)} (${key}.maxDeactivations), ${int(deactivate - rules.maxDeactivations)} over`
    })
  const share = pct(deactivate, active)
  if (rules.maxDeactivationPercent !== undefined && deactivate > 0 && share > rules.maxDeactivationPercent)
    out.push({
      entity,
      rule: "maxDeactivationPercent",
      limit: rules.maxDeactivationPercent,
      actual: round4(share),
      override: `--allow-deletes or ${key}.maxDeactivationPercent`,
      message: `would deactivate ${int(deactivate)} ${entity} (${formatPercent(share, rules.maxDeactivationPercent)} of ${int(active)} active); limit is ${formatPercent(rules.maxDeactivationPercent)} (${key}.maxDeactivationPercent)`
    })
  if (rules.minRecords !== undefined && desired < rules.minRecords)
    out.push({
      entity,
      rule: "minRecords",
      limit: rules.minRecords,
      actual: desired,
      override: `--allow-deletes or ${key}.minRecords`,
      message: `the source has ${int(desired)} valid ${entity}; at least ${int(rules.minRecords)} are required (${key}.minRecords), ${int(rules.minRecords - desired)} short: is the source truncated?`
    })
  if (rules.minRecordsPercent !== undefined && active > 0) {
    const have = pct(desired, active)
    if (have < rules.minRecordsPercent)
      out.push({
        entity,
        rule: "minRecordsPercent",
        limit: rules.minRecordsPercent,
        actual: round4(have),
        override: `--allow-deletes or ${key}.minRecordsPercent`,
        message: `the source has ${int(desired)} valid ${entity}, ${formatPercent(have, rules.minRecordsPercent)} of the ${int(active)} active; at least ${formatPercent(rules.minRecordsPercent)} is required (${key}.minRecordsPercent): is the source truncated?`
      })
  }
  return out
}

/** The violations `plan` would trip (empty when it may go ahead). */
export const violations = (
  plan: Plan,
  config: SafeguardsConfig,
  options: CheckOptions
): ReadonlyArray<SafeguardViolation & { readonly override: string }> => {
  const baseline = baselineOf(plan)
  const out = [
    ...entityViolations("users", plan.summary.users, baseline.users, config.users, options),
    ...entityViolations("groups", plan.summary.groups, baseline.groups, config.groups, options)
  ]
  if (!options.allowDeletes) {
    const removals = plan.summary.memberships.remove
    const key = "safeguards.memberships"
    const m = config.memberships
    if (m.maxRemovals !== undefined && removals > m.maxRemovals)
      out.push({
        entity: "memberships",
        rule: "maxRemovals",
        limit: m.maxRemovals,
        actual: removals,
        override: `--allow-deletes or ${key}.maxRemovals`,
        message: `would remove ${int(removals)} group memberships; limit is ${int(m.maxRemovals)} (${key}.maxRemovals), ${int(removals - m.maxRemovals)} over`
      })
    const share = pct(removals, baseline.memberships)
    if (m.maxRemovalPercent !== undefined && removals > 0 && share > m.maxRemovalPercent)
      out.push({
        entity: "memberships",
        rule: "maxRemovalPercent",
        limit: m.maxRemovalPercent,
        actual: round4(share),
        override: `--allow-deletes or ${key}.maxRemovalPercent`,
        message: `would remove ${int(removals)} group memberships (${formatPercent(share, m.maxRemovalPercent)} of ${int(baseline.memberships)}); limit is ${formatPercent(m.maxRemovalPercent)} (${key}.maxRemovalPercent)`
      })
  }
  return out
}

/**
 * Fail with `SafeguardTripped` when `plan` trips a safeguard. The message says which limit, by how much,
 * and how to override it; nothing has been sent to Okta at this point.
 */
export const check = (plan: Plan, config: SafeguardsConfig, options: CheckOptions): Effect.Effect<void, SafeguardTripped> =>
  Effect.suspend(() => {
    const found = violations(plan, config, options)
    if (found.length === 0) return Effect.void
    const empty = found.filter((v) => v.rule === "emptySource")
    const limits = found.filter((v) => v.rule !== "emptySource")
    const how = [
      limits.length > 0
        ? `If this is expected, re-run with --allow-deletes or raise the limit (${limits
            .map((v) => v.override.replace("--allow-deletes or ", ""))
            .join(", ")}).`
        : "",
      empty.length > 0
        ? `An empty source is accepted only with ${empty.map((v) => v.override).join(" and ")}; --allow-deletes does not override it.`
        : ""
    ]
      .filter(Boolean)
      .join(" ")
    return Effect.fail(
      new SafeguardTripped({
        reason: empty.length > 0 ? "EmptySource" : "Limit",
        message: `Safeguard tripped, nothing was sent to Okta: ${found.map((v) => v.message).join("; ")}. ${how}`,
        violations: found.map(({ override: _override, ...v }) => v),
        override: [...(limits.length > 0 ? ["--allow-deletes"] : []), ...empty.map((v) => v.override)].join(", ")
      })
    )
  })
