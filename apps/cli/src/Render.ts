/**
 * Text rendering for the terminal: plan summary, per-change detail, the final run report and errors.
 * Pure functions of their inputs (and a `Style`), so they are unit-tested without a terminal.
 * Source data is untrusted: control characters are escaped before they reach the terminal.
 */
import type { Errors, Plan, RunReport } from "@anysource/core"
import * as Style from "./internal/Style.ts"
import { plural, safe } from "./internal/Text.ts"

type PlanT = Plan.Plan
type Report = RunReport.RunReport
type Counts = Plan.EntityCounts
type RecordIssue = Errors.RecordIssue

export { safe, showValue } from "./internal/Text.ts"
export { describeDrift, planDetailLines, renderPlanDetail } from "./internal/PlanDetail.ts"

const countLine = (label: string, c: Counts, s: Style.Style): string => {
  const parts = [
    c.create > 0 ? s.green(`+${c.create} create`) : s.dim("+0 create"),
    c.update > 0 ? s.yellow(`~${c.update} update`) : s.dim("~0 update"),
    c.reactivate > 0 ? s.cyan(`↺${c.reactivate} reactivate`) : s.dim("↺0 reactivate"),
    c.deactivate > 0 ? s.red(`-${c.deactivate} deactivate`) : s.dim("-0 deactivate"),
    s.dim(`=${c.unchanged} unchanged`)
  ]
  return `  ${label.padEnd(12)}${parts.join("  ")}`
}

export const totalChanges = (plan: PlanT): number =>
  plan.users.length + plan.groups.length + plan.memberships.reduce((n, m) => n + m.memberExternalIds.length, 0)

export const shortHash = (hash: string | undefined): string => (hash ? hash.replace(/^sha256:/, "").slice(0, 12) : "-")

/**
 * Rows left out (invalid, mapping, duplicate; filter exclusions are only counted), first `limit`
 * lines. The same problem on many rows (a missing column) is one line with the count and where.
 */
export const renderIssues = (issues: ReadonlyArray<RecordIssue>, s: Style.Style, limit = 20): string => {
  const shown = issues.filter((i) => i.kind !== "filter")
  if (shown.length === 0) return ""
  const rows = new Set(shown.map((i) => i.location)).size
  const lines = [
    s.yellow(
      s.bold(
        `Rows left out (${plural(rows, "row")}${rows !== shown.length ? `, ${shown.length} problems` : ""}), to fix in the source:`
      )
    )
  ]
  const groups = new Map<string, Array<RecordIssue>>()
  for (const i of shown) {
    const key = `${i.field ?? ""}\u0000${i.message}`
    const group = groups.get(key)
    if (group) group.push(i)
    else groups.set(key, [i])
  }
  let printed = 0
  let omitted = 0
  for (const group of groups.values()) {
    const first = group[0]!
    if (group.length >= 3) {
      if (printed >= limit) {
        omitted += group.length
        continue
      }
      const where = group.slice(0, 3).map((i) => safe(i.location))
      const last = group.length > 3 ? ` … ${safe(group[group.length - 1]!.location)}` : ""
      lines.push(
        `  ${first.field ? `${s.cyan(safe(first.field))}: ` : ""}${safe(first.message)} ${s.bold(`— ${group.length} rows`)}: ${where.join(", ")}${last}`
      )
      printed++
      continue
    }
    for (const i of group) {
      if (printed >= limit) {
        omitted++
        continue
      }
      const field = i.field ? ` ${s.cyan(safe(i.field))}` : ""
      const id = i.externalId ? s.dim(` [${safe(i.externalId)}]`) : ""
      lines.push(`  ${s.bold(safe(i.location))}${field}${id}  ${safe(i.message)}`)
      printed++
    }
  }
  if (omitted > 0) lines.push(s.dim(`  … and ${omitted} more (see --json or --report)`))
  return lines.join("\n")
}

export interface SummaryOptions {
  /** The run stopped at a safeguard: say so instead of "No changes" / "… to apply". */
  readonly stoppedBySafeguard?: boolean
}

/** The summary printed by `plan` and before `apply`: counts per entity, rows read/excluded/invalid. */
export const renderPlanSummary = (plan: PlanT, s: Style.Style = Style.plain, options: SummaryOptions = {}): string => {
  const sum = plan.summary
  const excluded = Object.entries(sum.excluded)
  const excludedTotal = excluded.reduce((n, [, v]) => n + v, 0)
  const lines: Array<string> = []
  lines.push(
    `${s.bold("Plan")} for identity source ${s.bold(safe(plan.identitySourceId))} ${s.dim(`(plan ${shortHash(plan.hash)})`)}`
  )
  const readParts = [`read ${plural(sum.rowsRead, "row")}`]
  if (excludedTotal > 0)
    readParts.push(
      `${excludedTotal} excluded by filter (${excluded.map(([k, v]) => `${safe(k)}: ${v}`).join(", ")})`
    )
  if (sum.invalid > 0) readParts.push(s.yellow(`${sum.invalid} invalid`))
  lines.push(`  ${readParts.join(" · ")}`)
  lines.push("")
  lines.push(countLine("Users", sum.users, s))
  lines.push(countLine("Groups", sum.groups, s))
  const m = sum.memberships
  lines.push(
    `  ${"Memberships".padEnd(12)}${m.add > 0 ? s.green(`+${m.add} add`) : s.dim("+0 add")}  ${m.remove > 0 ? s.red(`-${m.remove} remove`) : s.dim("-0 remove")}`
  )
  const issues = renderIssues(plan.issues, s)
  if (issues) lines.push("", issues)
  lines.push("")
  const deact = sum.users.deactivate + sum.groups.deactivate
  const records = plan.users.length + plan.groups.length
  const members = sum.memberships.add + sum.memberships.remove
  const parts = [records > 0 ? plural(records, "record change") : "", members > 0 ? plural(members, "membership change") : ""].filter(
    Boolean
  )
  const including = deact > 0 ? `, including ${s.red(`${deact} deactivation${deact === 1 ? "" : "s"}`)}` : ""
  if (options.stoppedBySafeguard)
    lines.push(
      totalChanges(plan) === 0
        ? s.yellow("No changes planned, but a safeguard stopped the run (see below). Nothing is sent to Okta.")
        : `${s.bold(parts.join(" and "))} planned${including}; ${s.yellow("a safeguard stopped the run (see below). Nothing is sent to Okta.")}`
    )
  else if (totalChanges(plan) === 0) lines.push(s.green("No changes. Okta is up to date with the source."))
  else lines.push(`${s.bold(parts.join(" and "))} to apply${including}.`)
  return lines.join("\n")
}

const duration = (ms: number): string =>
  ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`

const outcomeText: Record<Report["outcome"], string> = {
  "no-changes": "No changes",
  planned: "Planned",
  applied: "Applied",
  partial: "Partially applied",
  safeguard: "Stopped by a safeguard",
  failed: "Failed"
}

/** The final report printed after `apply` (and `plan --report`). */
export const renderReport = (
  report: Report,
  s: Style.Style = Style.plain,
  reportFiles: ReadonlyArray<string> = [],
  options: { readonly includeError?: boolean } = {}
): string => {
  const lines: Array<string> = []
  const color =
    report.outcome === "applied" || report.outcome === "no-changes"
      ? s.green
      : report.outcome === "planned"
        ? s.cyan
        : report.outcome === "partial"
          ? s.yellow
          : s.red
  lines.push(`${color(s.bold(outcomeText[report.outcome]))} in ${duration(report.durationMs)} ${s.dim(`(run ${safe(report.runId)})`)}`)
  const sum = report.summary
  if (sum && (report.outcome === "applied" || report.outcome === "partial")) {
    const u = sum.users
    const g = sum.groups
    lines.push(
      `  users: ${u.create} created, ${u.update} updated, ${u.reactivate} reactivated, ${u.deactivate} deactivated, ${u.unchanged} unchanged`
    )
    lines.push(`  groups: ${g.create} created, ${g.update} updated, ${g.deactivate} deactivated · memberships: +${sum.memberships.add} -${sum.memberships.remove}`)
  }
  if (report.sessions.length > 0) {
    const uploads = report.sessions.reduce((n, x) => n + x.uploads, 0)
    lines.push(
      `  okta: ${plural(report.sessions.length, "session")} (${report.sessions.map((x) => `${safe(x.oktaSessionId)} ${safe(x.status)}`).join(", ")}), ${plural(uploads, "upload")}`
    )
  }
  const o = report.okta
  if (o.requests > 0)
    lines.push(
      s.dim(
        `  ${plural(o.requests, "request")}, ${plural(o.retries, "retry", "retries")}, ${o.rateLimited} rate-limited, waited ${duration(o.waitedMillis)}, ${(o.bytesSent / 1024).toFixed(1)} KB sent`
      )
    )
  const invalid = new Set(report.issues.filter((i) => i.kind !== "filter").map((i) => i.location)).size
  if (invalid > 0) lines.push(s.yellow(`  ${plural(invalid, "row")} left out as invalid (listed above and in the report)`))
  if (report.error && options.includeError !== false) lines.push(s.red(`  ${safe(report.error.tag)}: ${safe(report.error.message)}`))
  for (const f of reportFiles) lines.push(s.dim(`  report written to ${f}`))
  return lines.join("\n")
}
