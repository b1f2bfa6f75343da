/**
 * `plan --detail` (every change with its source location and field-level before → after) and, for `apply --plan`,
 * what made a saved plan out of date. Re-exported by Render.ts.
 */
import type { Plan } from "@anysource/core"
import * as Style from "./Style.ts"
import { plural, safe, showValue } from "./Text.ts"

type PlanT = Plan.Plan
type FieldChange = Plan.FieldChange
type UserChange = Plan.UserChange

const fieldLines = (fields: ReadonlyArray<FieldChange>, s: Style.Style, indent: string): Array<string> =>
  fields.map(
    (f) =>
      `${indent}${s.cyan(safe(f.field))}: ${s.red(showValue(f.before))} → ${s.green(showValue(f.after))}`
  )

const changeLines = (c: UserChange, s: Style.Style, kind: "user" | "group"): Array<string> => {
  const id = s.bold(safe(c.externalId))
  switch (c.op) {
    case "create": {
      const label = kind === "group" && c.profile.displayName ? ` ${showValue(c.profile.displayName)}` : ""
      const out = [`  ${s.green("+ create    ")} ${id}${label}  ${s.dim(safe(c.location))}`]
      for (const [k, v] of Object.entries(c.profile)) {
        if (v === null) continue
        out.push(`      ${s.cyan(safe(k))}: ${s.green(showValue(v))}`)
      }
      return out
    }
    case "update":
    case "reactivate":
      return [
        `  ${c.op === "update" ? s.yellow("~ update    ") : s.cyan("↺ reactivate")} ${id}  ${s.dim(safe(c.location))}`,
        ...fieldLines(c.fields, s, "      ")
      ]
    case "deactivate": {
      const why =
        c.reason === "filtered"
          ? `excluded by filter${c.filterRule ? ` "${safe(c.filterRule)}"` : ""}`
          : "no longer in the source"
      const last = c.lastLocation ? `; last seen at ${safe(c.lastLocation)}` : ""
      const when = c.lastSeen ? ` on ${safe(c.lastSeen)}` : ""
      return [`  ${s.red("- deactivate")} ${id}  ${s.dim(`(${why}${last}${when})`)}`]
    }
  }
}

/**
 * `plan --detail`: every change with its source location and field-level before → after, line by line (a
 * million-row plan is printed as it is rendered, never held as one string).
 */
export function* planDetailLines(plan: PlanT, s: Style.Style = Style.plain): Generator<string, void, undefined> {
  let sections = 0
  // a blank line between sections, none after the last
  const section = function* (title: string) {
    if (sections++ > 0) yield ""
    yield s.bold(title)
  }
  if (plan.users.length > 0) {
    yield* section(`Users (${plan.users.length})`)
    for (const c of plan.users) yield* changeLines(c, s, "user")
  }
  if (plan.groups.length > 0) {
    yield* section(`Groups (${plan.groups.length})`)
    for (const c of plan.groups) yield* changeLines(c, s, "group")
  }
  if (plan.memberships.length > 0) {
    yield* section(`Memberships (${plan.memberships.length} groups)`)
    for (const m of plan.memberships) {
      const sign = m.op === "add" ? s.green("+ add    ") : s.red("- remove ")
      const ids = m.memberExternalIds.slice(0, 10).map(safe).join(", ")
      const more = m.memberExternalIds.length > 10 ? s.dim(` … +${m.memberExternalIds.length - 10} more`) : ""
      yield `  ${sign} ${s.bold(safe(m.groupExternalId))}  ${plural(m.memberExternalIds.length, "member")}: ${ids}${more}`
    }
  }
  const filtered = plan.issues.filter((i) => i.kind === "filter")
  if (filtered.length > 0) {
    yield* section(`Excluded by filter (${filtered.length} shown)`)
    for (const i of filtered.slice(0, 50)) yield `  ${safe(i.location)}  ${safe(i.message)}`
  }
  if (sections === 0) yield s.dim("(no changes)")
}

/** `plan --detail` as one string (small plans, tests); the CLI prints `planDetailLines`. */
export const renderPlanDetail = (plan: PlanT, s: Style.Style = Style.plain): string => [...planDetailLines(plan, s)].join("\n")

/**
 * Why `apply --plan` refused: which of the plan's inputs moved since it was made (the config, the state, the
 * source's fingerprint) and, when only the data differs, which records now plan differently.
 */
export const describeDrift = (saved: PlanT, fresh: PlanT | undefined, files: { readonly plan: string; readonly config: string }): Array<string> => {
  const moved: Array<string> = []
  if (fresh === undefined) return [`The plan in ${files.plan} could not be recomputed; nothing was applied.`]
  if (saved.inputs.configHash !== fresh.inputs.configHash) moved.push(`the config (${files.config}) changed`)
  if (saved.inputs.stateHash !== fresh.inputs.stateHash)
    moved.push("the state changed: another apply ran since the plan was made (`anysource state history`)")
  const fingerprintMoved =
    saved.inputs.sourceFingerprint !== undefined &&
    fresh.inputs.sourceFingerprint !== undefined &&
    saved.inputs.sourceFingerprint !== fresh.inputs.sourceFingerprint
  const lines: Array<string> = []
  // what plans differently now, record by record
  const key = (kind: string, c: UserChange) => `${kind}\u0000${c.op}\u0000${c.externalId}\u0000${"hash" in c ? c.hash : ""}`
  const index = (p: PlanT) => {
    const m = new Map<string, string>()
    for (const c of p.users) m.set(key("user", c), `user ${c.externalId}`)
    for (const c of p.groups) m.set(key("group", c), `group ${c.externalId}`)
    return m
  }
  const before = index(saved)
  const after = index(fresh)
  const ops = (p: PlanT) => {
    const m = new Map<string, string>()
    for (const c of p.users) m.set(`user ${c.externalId}`, c.op)
    for (const c of p.groups) m.set(`group ${c.externalId}`, c.op)
    return m
  }
  const opsBefore = ops(saved)
  const opsAfter = ops(fresh)
  const changed = new Set<string>()
  for (const [k, who] of before) if (!after.has(k)) changed.add(who)
  for (const [k, who] of after) if (!before.has(k)) changed.add(who)
  const memberships = (p: PlanT) => new Set(p.memberships.map((m) => `${m.op} ${m.groupExternalId} ${m.memberExternalIds.join(",")}`))
  const mBefore = memberships(saved)
  const mAfter = memberships(fresh)
  const membershipsMoved = mBefore.size !== mAfter.size || [...mBefore].some((m) => !mAfter.has(m))
  if (fingerprintMoved) moved.push("the source changed (its fingerprint differs)")
  // config and state unchanged, yet the plan differs: the rows themselves did (sources without a fingerprint)
  if (moved.length === 0) moved.push("the source data changed")
  lines.push(`The plan in ${files.plan} is out of date: ${moved.join("; ")}. Nothing was applied.`)
  if (changed.size > 0 || membershipsMoved || saved.summary.rowsRead !== fresh.summary.rowsRead) lines.push("What plans differently now:")
  if (saved.summary.rowsRead !== fresh.summary.rowsRead) lines.push(`  rows read: ${saved.summary.rowsRead} in the plan, ${fresh.summary.rowsRead} now`)
  const shown = [...changed].sort().slice(0, 5)
  for (const who of shown) {
    const was = opsBefore.get(who)
    const now = opsAfter.get(who)
    lines.push(
      `  ${safe(who)}: ${was === undefined ? "no change in the plan" : `${was} in the plan`}, ${now === undefined ? "no change now" : was === now ? `${now} with other values now` : `${now} now`}`
    )
  }
  if (changed.size > shown.length) lines.push(`  … and ${changed.size - shown.length} more records`)
  if (membershipsMoved) lines.push("  group memberships")
  return lines
}
