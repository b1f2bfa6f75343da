/** The run report's verification section (HTML): counts, then each record that differs or is missing. */
import type { Verify } from "@anysource/core"
import { card, escapeHtml as e } from "./Html.ts"

const verifiedValue = (v: string | undefined) => (v === undefined ? `<span class="absent">no value</span>` : `<code>${e(v)}</code>`)

/** What reading the changed records back found: counts, then each record that differs or is missing. */
export const verificationSection = (v: Verify.VerificationReport, max: number): ReadonlyArray<string> => {
  const bad = v.differs + v.missing
  const rows = v.records.slice(0, max).map((r) => {
    const detail = [
      ...(r.differences ?? []).map(
        (d) => `<tr><th>${e(d.attribute)}</th><td class="before">sent ${verifiedValue(d.expected)}</td><td class="after">Okta has ${verifiedValue(d.actual)}</td></tr>`
      ),
      ...(r.missingMembers && r.missingMembers.length > 0 ? [`<tr><th>not added</th><td colspan="2">${r.missingMembers.map((m) => `<code>${e(m)}</code>`).join(", ")}</td></tr>`] : []),
      ...(r.extraMembers && r.extraMembers.length > 0 ? [`<tr><th>still there</th><td colspan="2">${r.extraMembers.map((m) => `<code>${e(m)}</code>`).join(", ")}</td></tr>`] : [])
    ].join("")
    return `<tr><td>${e(r.kind)}</td><td><span class="badge ${r.outcome === "missing" ? "deactivate" : "update"}">${e(r.outcome)}</span></td><td><code>${e(r.externalId)}</code></td><td>${detail ? `<table class="fields">${detail}</table>` : ""}${r.note ? `<span class="note">${e(r.note)}</span>` : ""}</td></tr>`
  })
  return [
    `<h2>Verification (${bad === 0 ? "every record read back as sent" : `${bad} not as sent`})</h2>`,
    `<div class="cards">`,
    card("verified", v.verified, "ok"),
    card("differ", v.differs, v.differs ? "bad" : ""),
    card("missing", v.missing, v.missing ? "bad" : ""),
    card("not read (budget/error)", v.unchecked, v.unchecked ? "warn" : ""),
    card("deactivations (not readable)", v.notReadable),
    `</div>`,
    `<p class="note">Sample ${e(v.sample)}: ${v.sampled} of ${v.changed} changed records read back with ${v.requests} requests${v.pausedMillis > 0 ? `, paused ${(v.pausedMillis / 1000).toFixed(1)} s for rate-limit headroom` : ""}${v.stopped === "budget" ? "; stopped at verify.maxRequests" : v.stopped === "error" ? `; stopped by an error: ${e(v.error?.message ?? "")}` : ""}.</p>`,
    ...(rows.length > 0
      ? [`<table class="list"><thead><tr><th>Type</th><th>Found</th><th>externalId</th><th>Difference</th></tr></thead><tbody>`, ...rows, `</tbody></table>`]
      : [])
  ]
}
