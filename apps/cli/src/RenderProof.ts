/**
 * Text for what reading records back found: a verification (after `apply`, or `anysource verify`), a drift check,
 * a refresh and a state rebuild. Every value shown is escaped (`safe`); records are listed up to a limit, the run
 * report and `--json` carry them all.
 */
import type { Drift, ProfileCompare, Refresh, StateRebuild, Verify } from "@anysource/core"
import { safe } from "./Render.ts"
import * as Style from "./internal/Style.ts"

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

const duration = (ms: number): string => (ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`)

const value = (v: string | undefined, s: Style.Style) => (v === undefined ? s.dim("(no value)") : `"${safe(v)}"`)

const differenceText = (d: ProfileCompare.ProfileDifference, s: Style.Style, sent: string, has: string) =>
  `${s.cyan(safe(d.attribute))}: ${sent} ${value(d.expected, s)}, ${has} ${value(d.actual, s)}`

const members = (label: string, ids: ReadonlyArray<string> | undefined, limit = 5) =>
  ids === undefined || ids.length === 0 ? [] : [`${label} ${ids.slice(0, limit).map(safe).join(", ")}${ids.length > limit ? ` and ${ids.length - limit} more` : ""}`]

/** One line per record that differs from what was sent or is missing. */
export const verificationRecordLine = (r: Verify.RecordResult, s: Style.Style): string => {
  const what = r.kind === "membership" ? `members of ${safe(r.externalId)}` : `${r.kind} ${safe(r.externalId)}`
  if (r.outcome === "missing") return `  ${s.red("!")} ${what}  ${s.red("missing")}${r.note ? s.dim(`: ${safe(r.note)}`) : ""}`
  const parts = [
    ...(r.differences ?? []).map((d) => differenceText(d, s, "sent", "Okta has")),
    ...members("not added:", r.missingMembers),
    ...members("still there:", r.extraMembers),
    ...(r.note ? [safe(r.note)] : [])
  ]
  return `  ${s.yellow("~")} ${what}  ${parts.join("; ")}`
}

/** The verification's summary line and its differing records (at most `limit`). */
export const verificationLines = (v: Verify.VerificationReport, s: Style.Style, limit = 20): Array<string> => {
  const bad = v.differs + v.missing
  const scope = `sample ${safe(v.sample)}: ${v.sampled} of ${plural(v.changed, "changed record")}${v.notReadable > 0 ? `; ${plural(v.notReadable, "deactivation")} cannot be read back` : ""}`
  const head =
    bad === 0
      ? s.green(`  verified: ${v.verified} of ${v.checked} read back as sent`)
      : s.red(`  verification: ${v.differs} differ from what was sent, ${v.missing} missing`) + ` (${v.verified} of ${v.checked} as sent)`
  const lines = [`${head} ${s.dim(`(${scope}; ${plural(v.requests, "request")}${v.pausedMillis > 0 ? `, paused ${duration(v.pausedMillis)} for rate-limit headroom` : ""})`)}`]
  if (v.stopped === "budget") lines.push(s.yellow(`  stopped at verify.maxRequests: ${v.unchecked} sampled records not read (raise verify.maxRequests or run \`anysource verify\`)`))
  if (v.stopped === "error") lines.push(s.yellow(`  stopped by an error after ${v.checked} reads (${v.unchecked} not read): ${safe(v.error?.message ?? "")}`))
  for (const r of v.records.slice(0, limit)) lines.push(verificationRecordLine(r, s))
  if (bad > limit) lines.push(s.dim(`  … ${bad - limit} more (all of them in the run report: --report run.json, or --json)`))
  return lines
}

const driftRecordLine = (r: Drift.DriftRecord, s: Style.Style): string => {
  if (r.kind === "membership")
    return `  ${s.yellow("~")} members of ${safe(r.externalId)}  ${[...members("missing in Okta:", r.missingMembers), ...members("extra in Okta:", r.extraMembers)].join("; ")}`
  if (r.drift.includes("missing")) return `  ${s.red("!")} ${r.kind} ${safe(r.externalId)}  ${s.red("missing in Okta")}`
  return `  ${s.yellow("~")} ${r.kind} ${safe(r.externalId)}  ${(r.differences ?? []).map((d) => differenceText(d, s, "anysource sent", "Okta has")).join("; ")}`
}

/** A drift check: what was read, the drift by kind, and the drifted records (at most `limit`). */
export const driftLines = (d: Drift.DriftReport, identitySourceId: string, s: Style.Style, limit = 50): Array<string> => {
  const read = [
    d.population.users > 0 || d.checked.users > 0 ? `${d.checked.users} of ${plural(d.population.users, "user")}` : undefined,
    d.population.groups > 0 ? `${d.checked.groups} of ${plural(d.population.groups, "group")}` : undefined,
    d.population.memberships > 0 ? `${d.checked.memberships} groups' members` : undefined
  ].filter((x) => x !== undefined)
  const lines = [
    `${s.bold(`Drift of ${safe(identitySourceId)}`)} ${s.dim(`(sample ${safe(d.sample)}: ${read.join(", ") || "nothing"} read; ${plural(d.requests, "request")} in ${duration(d.durationMs)}${d.pausedMillis > 0 ? `, paused ${duration(d.pausedMillis)} for rate-limit headroom` : ""})`)}`
  ]
  if (d.stopped === "budget") lines.push(s.yellow(`  stopped at --max-requests: ${d.unchecked} sampled records not read`))
  if (d.stopped === "error") lines.push(s.yellow(`  stopped by an error (${d.unchecked} sampled records not read): ${safe(d.error?.message ?? "")}`))
  if (d.records.length === 0) {
    lines.push(s.green("  No drift: every record read is as anysource last sent it."))
    return lines
  }
  const k = d.drifted
  lines.push(
    `  ${s.yellow(`profile edited outside: ${k.profile}`)} · ${s.red(`missing in Okta: ${k.missing}`)} · members missing: ${k.membershipMissing} · members extra: ${k.membershipExtra}`
  )
  for (const r of d.records.slice(0, limit)) lines.push(driftRecordLine(r, s))
  if (d.records.length > limit) lines.push(s.dim(`  … ${d.records.length - limit} more (--json lists them all)`))
  return lines
}

/** What `--refresh` read and corrected, in one line. */
export const refreshLine = (r: Refresh.RefreshReport, s: Style.Style): string =>
  s.dim(
    `refresh: ${plural(r.read, "record")} read from Okta, ${r.corrected === 0 ? "state agreed with all of them" : `${plural(r.corrected, "correction")} recorded in state (${r.corrections.observed} with other values, ${r.corrections.absent} not in Okta, ${r.corrections.members} groups' members)`}; ${plural(r.requests, "request")}`
  )

/** The outcome of a state rebuild. */
export const rebuildLines = (r: StateRebuild.RebuildReport, identitySourceId: string, rows: number, s: Style.Style): Array<string> => {
  const c = (k: string) => r.counts[k] ?? 0
  return [
    `${s.green(s.bold(`State ${r.resumed ? "rebuild finished" : "rebuilt"}`))} for ${safe(identitySourceId)} from ${plural(rows, "source row")} and Okta ${s.dim(`(${plural(r.requests, "request")}, ${duration(r.durationMs)}; run ${safe(r.runId)})`)}`,
    `  users: ${c("usersMatched")} as in the source, ${c("usersDiffer")} with other values in Okta (the next plan updates them), ${c("usersNotInOkta")} not in Okta (the next plan creates them)`,
    `  groups: ${c("groupsMatched")} as in the source, ${c("groupsDiffer")} with other values, ${c("groupsNotInOkta")} not in Okta · memberships: ${c("membershipPairs")} in ${plural(c("membershipGroups"), "group")}`,
    s.dim("  Not recoverable through the API: people Okta holds who left the source, and whether someone is deactivated in Okta."),
    s.dim("  Next: `anysource plan` shows what is left to do.")
  ]
}
