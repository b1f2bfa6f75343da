/**
 * `--report run.html`: one self-contained page (inline CSS and SVG, no scripts, no external assets)
 * that a person would rather read than JSON: outcome, counts, a bar chart of changes by type,
 * every changed record with field-level before → after, rows left out with their locations, errors.
 * Everything that comes from data is HTML-escaped.
 */
import type { Errors, Plan, RunReport } from "@anysource/core"
import { type Bar, barChart, escapeHtml } from "./internal/Html.ts"

type Report = RunReport.RunReport

export { barChart, escapeHtml } from "./internal/Html.ts"

const e = escapeHtml

/** Most changed records listed on the page; the JSON report has all of them. */
export const MAX_RECORDS = 2_000

const showValue = (v: string | null | undefined): string =>
  v === undefined ? `<span class="absent">absent</span>` : v === null ? `<span class="absent">null</span>` : `<code>${e(v)}</code>`

const chartBars = (s: Plan.PlanSummary): ReadonlyArray<Bar> => [
  { label: "users created", value: s.users.create, color: "#2e9d57" },
  { label: "users updated", value: s.users.update, color: "#d19a1a" },
  { label: "users reactivated", value: s.users.reactivate, color: "#2a8fb8" },
  { label: "users deactivated", value: s.users.deactivate, color: "#c8423b" },
  { label: "groups created", value: s.groups.create, color: "#2e9d57" },
  { label: "groups updated", value: s.groups.update, color: "#d19a1a" },
  { label: "groups deactivated", value: s.groups.deactivate, color: "#c8423b" },
  { label: "memberships added", value: s.memberships.add, color: "#5b6bd6" },
  { label: "memberships removed", value: s.memberships.remove, color: "#a34fb0" }
]

const opLabel: Record<Plan.UserChange["op"], string> = {
  create: "create",
  update: "update",
  reactivate: "reactivate",
  deactivate: "deactivate"
}

const changeRow = (kind: string, c: Plan.UserChange): string => {
  let detail: string
  let where: string
  switch (c.op) {
    case "create":
      where = c.location
      detail = `<table class="fields">${Object.entries(c.profile)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `<tr><th>${e(k)}</th><td></td><td class="after">${showValue(v)}</td></tr>`)
        .join("")}</table>`
      break
    case "update":
    case "reactivate":
      where = c.location
      detail = `<table class="fields">${c.fields
        .map(
          (f) =>
            `<tr><th>${e(f.field)}</th><td class="before">${showValue(f.before)}</td><td class="after">→ ${showValue(f.after)}</td></tr>`
        )
        .join("")}</table>`
      break
    case "deactivate":
      where = c.lastLocation ?? ""
      detail = `<span class="why">${
        c.reason === "filtered" ? `excluded by filter${c.filterRule ? ` <q>${e(c.filterRule)}</q>` : ""}` : "no longer in the source"
      }${c.lastSeen ? `; last seen ${e(c.lastSeen)}` : ""}</span>`
      break
  }
  return `<tr class="op-${c.op}"><td>${e(kind)}</td><td><span class="badge ${c.op}">${opLabel[c.op]}</span></td><td><code>${e(c.externalId)}</code></td><td class="loc">${e(where)}</td><td>${detail}</td></tr>`
}

const issuesTable = (issues: ReadonlyArray<Errors.RecordIssue>): string =>
  `<table class="list"><thead><tr><th>Location</th><th>Kind</th><th>externalId</th><th>Field</th><th>Problem</th></tr></thead><tbody>${issues
    .map(
      (i) =>
        `<tr><td class="loc">${e(i.location)}</td><td>${e(i.kind)}</td><td>${i.externalId ? `<code>${e(i.externalId)}</code>` : ""}</td><td>${e(i.field ?? "")}</td><td>${e(i.message)}</td></tr>`
    )
    .join("")}</tbody></table>`

const card = (label: string, value: number | string, cls = "") =>
  `<div class="card ${cls}"><div class="num">${e(value)}</div><div class="cap">${e(label)}</div></div>`

const outcomeTitle: Record<Report["outcome"], string> = {
  "no-changes": "No changes",
  planned: "Plan",
  applied: "Applied",
  partial: "Partially applied",
  safeguard: "Stopped by a safeguard",
  failed: "Failed"
}

const CSS = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#667085;--bg:#fff;--panel:#f5f6f8;--line:#e3e6ea;--ok:#2e9d57;--warn:#d19a1a;--bad:#c8423b;--info:#2a8fb8}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ec;--muted:#98a1b0;--bg:#14171c;--panel:#1d2128;--line:#2c313a}}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px;max-width:1280px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);font-size:13px}.meta code{font-size:12px}
.outcome{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600;font-size:13px;vertical-align:middle}
.outcome.applied,.outcome.no-changes{background:var(--ok)}.outcome.planned{background:var(--info)}.outcome.partial{background:var(--warn)}.outcome.safeguard,.outcome.failed{background:var(--bad)}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:120px}
.card .num{font-size:22px;font-weight:650}.card .cap{color:var(--muted);font-size:12px}.card.bad .num{color:var(--bad)}.card.warn .num{color:var(--warn)}.card.ok .num{color:var(--ok)}
svg .lbl{font-size:12px;fill:var(--fg)}svg .val{font-size:12px;fill:var(--muted)}
table.list{border-collapse:collapse;width:100%;font-size:13px}table.list th,table.list td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
table.list thead th{background:var(--panel);position:sticky;top:0}
table.fields{border-collapse:collapse}table.fields th{font-weight:500;color:var(--muted);padding:1px 10px 1px 0;text-align:left}table.fields td{padding:1px 8px 1px 0}
.before code{color:var(--bad);text-decoration:line-through}.after code{color:var(--ok)}.absent{color:var(--muted);font-style:italic}
.badge{font-size:11px;font-weight:600;padding:1px 7px;border-radius:9px;color:#fff}.badge.create{background:var(--ok)}.badge.update{background:var(--warn)}.badge.reactivate{background:var(--info)}.badge.deactivate{background:var(--bad)}
.loc{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;white-space:nowrap}
.error{border:1px solid var(--bad);border-left:5px solid var(--bad);background:var(--panel);padding:10px 14px;border-radius:6px;white-space:pre-wrap}
.note{color:var(--muted);font-size:13px}code{font-family:ui-monospace,Menlo,Consolas,monospace}
`

// what needs a reviewer's eye first: deactivations, reactivations, updates; then creates
const reviewOrder: ReadonlyArray<Plan.UserChange["op"]> = ["deactivate", "reactivate", "update", "create"]

export interface HtmlOptions {
  readonly title?: string
  readonly maxRecords?: number
}

/** The page as a sequence of pieces, written to the file as they come (never the whole page as one string). */
export function* chunks(report: Report, options: HtmlOptions = {}): Generator<string, void, undefined> {
  const max = options.maxRecords ?? MAX_RECORDS
  const plan = report.plan
  const s = report.summary ?? plan?.summary
  let first = true
  // the pieces are separated by newlines, as they always were
  const parts = {
    *push(...pieces: ReadonlyArray<string>): Generator<string, void, undefined> {
      for (const piece of pieces) {
        yield first ? piece : `\n${piece}`
        first = false
      }
    }
  }
  yield* parts.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
    `<title>${e(options.title ?? `anysource ${report.mode} — ${outcomeTitle[report.outcome]}`)}</title><style>${CSS}</style></head><body>`,
    `<h1>anysource ${e(report.mode)} <span class="outcome ${e(report.outcome)}">${e(outcomeTitle[report.outcome])}</span></h1>`,
    `<div class="meta">identity source <code>${e(report.identitySourceId)}</code> · run <code>${e(report.runId)}</code> · ${e(report.startedAt)} → ${e(report.finishedAt)} (${e((report.durationMs / 1000).toFixed(1))} s)${report.planHash ? ` · plan <code>${e(report.planHash.slice(0, 16))}</code>` : ""}${report.sourceFingerprint ? ` · source <code>${e(report.sourceFingerprint)}</code>` : ""}</div>`
  )
  if (report.error) {
    yield* parts.push(
      `<h2>Error</h2><div class="error"><strong>${e(report.error.tag)}${report.error.reason ? ` (${e(report.error.reason)})` : ""}</strong>\n${e(report.error.message)}</div>`
    )
  }
  if (s) {
    const excluded = Object.values(s.excluded).reduce((a, b) => a + b, 0)
    yield* parts.push(
      `<div class="cards">`,
      card("rows read", s.rowsRead),
      card("users created", s.users.create, s.users.create ? "ok" : ""),
      card("users updated", s.users.update, s.users.update ? "warn" : ""),
      card("users reactivated", s.users.reactivate),
      card("users deactivated", s.users.deactivate, s.users.deactivate ? "bad" : ""),
      card("users unchanged", s.users.unchanged),
      card("groups changed", s.groups.create + s.groups.update + s.groups.reactivate + s.groups.deactivate),
      card("memberships ±", `+${s.memberships.add} / −${s.memberships.remove}`),
      card("invalid rows", s.invalid, s.invalid ? "warn" : ""),
      card("excluded by filter", excluded),
      `</div>`,
      `<h2>Changes by type</h2>`,
      barChart(chartBars(s))
    )
    const rules = Object.entries(s.excluded)
    if (rules.length > 0)
      yield* parts.push(`<p class="note">Excluded by filter: ${rules.map(([k, v]) => `${e(k)} (${v})`).join(", ")}</p>`)
  }
  const left = report.issues.filter((i) => i.kind !== "filter")
  const leftRows = new Set(left.map((i) => i.location)).size
  yield* parts.push(`<h2>Rows left out (${leftRows} row${leftRows === 1 ? "" : "s"}${leftRows !== left.length ? `, ${left.length} problems` : ""})</h2>`)
  if (left.length === 0) yield* parts.push(`<p class="note">Every row was valid.</p>`)
  else
    yield* parts.push(
      `<p class="note">These rows were not sent; any Okta record they belong to was left unchanged (never deactivated).</p>`,
      issuesTable(left.slice(0, max))
    )
  if (plan) {
    const total = plan.users.length + plan.groups.length
    yield* parts.push(`<h2>Changed records (${total})</h2>`)
    if (total === 0) yield* parts.push(`<p class="note">No user or group changes.</p>`)
    else {
      yield* parts.push(
        `<table class="list"><thead><tr><th>Type</th><th>Change</th><th>externalId</th><th>Source</th><th>Fields (before → after)</th></tr></thead><tbody>`
      )
      let shown = 0
      for (const op of reviewOrder)
        for (const [kind, list] of [["user", plan.users], ["group", plan.groups]] as const)
          for (const c of list) {
            if (shown >= max) break
            if (c.op !== op) continue
            shown++
            yield* parts.push(changeRow(kind, c))
          }
      yield* parts.push(`</tbody></table>`)
      if (total > max) yield* parts.push(`<p class="note">${total - max} more changes are in the JSON report (--report run.json).</p>`)
    }
    if (plan.memberships.length > 0) {
      yield* parts.push(
        `<h2>Group memberships</h2><table class="list"><thead><tr><th>Change</th><th>Group</th><th>Members</th></tr></thead><tbody>`,
        ...plan.memberships
          .slice(0, max)
          .map(
            (m) =>
              `<tr><td><span class="badge ${m.op === "add" ? "create" : "deactivate"}">${m.op}</span></td><td><code>${e(m.groupExternalId)}</code></td><td>${m.memberExternalIds.length}: ${m.memberExternalIds
                .slice(0, 50)
                .map((x) => `<code>${e(x)}</code>`)
                .join(", ")}${m.memberExternalIds.length > 50 ? " …" : ""}</td></tr>`
          ),
        `</tbody></table>`
      )
    }
  }
  if (report.sessions.length > 0) {
    yield* parts.push(
      `<h2>Okta sessions</h2><table class="list"><thead><tr><th>#</th><th>Session</th><th>Status</th><th>Uploads</th><th>Entities</th><th>Bytes</th></tr></thead><tbody>`,
      ...report.sessions.map(
        (x) =>
          `<tr><td>${x.index + 1}</td><td><code>${e(x.oktaSessionId)}</code></td><td>${e(x.status)}</td><td>${x.uploads}</td><td>${x.entities}</td><td>${x.bytes}</td></tr>`
      ),
      `</tbody></table>`
    )
  }
  const o = report.okta
  yield* parts.push(
    `<p class="note">Okta: ${o.requests} requests, ${o.retries} retries, ${o.rateLimited} rate-limited, waited ${(o.waitedMillis / 1000).toFixed(1)} s, ${(o.bytesSent / 1024).toFixed(1)} KB sent.</p>`,
    `</body></html>\n`
  )
}

/** The whole page as one string (tests, small reports); the CLI writes `chunks`. */
export const render = (report: Report, options: HtmlOptions = {}): string => [...chunks(report, options)].join("")
