import { describe, expect, it } from "vitest"
import { barChart, escapeHtml, render } from "../src/HtmlReport.ts"
import { samplePlan, sampleReport } from "./fixtures.ts"

describe("HtmlReport", () => {
  it("escapes every special character", () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
    )
  })

  it("renders a self-contained page: counts, an inline SVG chart, changes with before → after, invalid rows", () => {
    const html = render(sampleReport())
    expect(html.startsWith("<!doctype html>")).toBe(true)
    expect(html).toContain("<svg")
    // no external resources or scripts
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i)
    expect(html).toContain("users created")
    expect(html).toMatch(/<title>users created: 1<\/title>/)
    expect(html).toMatch(/<title>users deactivated: 2<\/title>/)
    expect(html).toContain("<code>E1002</code>")
    expect(html).toContain("<code>Senior Engineer</code>")
    expect(html).toContain("→ <code>Staff Engineer</code>")
    expect(html).toContain("<code>R&amp;D</code>")
    expect(html).toContain("people.csv:46")
    expect(html).toContain("not a valid email address")
    expect(html).toContain("aps1qqonvr2SZv6o70h8")
    expect(html).toContain("Zoë")
  })

  it("puts what needs review first: problems, then deactivations and updates, then creates", () => {
    const html = render(sampleReport())
    const at = (s: string) => html.indexOf(s)
    expect(at("Rows left out (2 rows)")).toBeGreaterThan(0)
    expect(at("Rows left out")).toBeLessThan(at("Changed records"))
    expect(at("<code>E1003</code>")).toBeLessThan(at("<code>E1002</code>"))
    expect(at("<code>E1002</code>")).toBeLessThan(at("<code>E1001</code>"))
  })

  it("escapes hostile data everywhere it appears (values, ids, locations, messages, errors)", () => {
    const evil = `"><img src=x onerror=alert(1)><script>alert(2)</script>`
    const plan = samplePlan({
      identitySourceId: evil,
      users: [
        { op: "create", externalId: evil, profile: { [evil]: evil }, hash: "h", location: evil },
        { op: "update", externalId: evil, profile: {}, hash: "h", location: evil, fields: [{ field: evil, before: evil, after: evil }] },
        { op: "deactivate", externalId: evil, reason: "filtered", filterRule: evil, lastLocation: evil, lastSeen: evil }
      ],
      memberships: [{ op: "remove", groupExternalId: evil, memberExternalIds: [evil] }],
      issues: [{ location: evil, externalId: evil, field: evil, message: evil, kind: "invalid" }],
      summary: { ...samplePlan().summary, excluded: { [evil]: 1 } }
    })
    const html = render(
      sampleReport({
        identitySourceId: evil,
        runId: evil,
        plan,
        summary: plan.summary,
        issues: plan.issues,
        error: { tag: evil, reason: evil, message: evil },
        sessions: [{ index: 0, oktaSessionId: evil, uploads: 1, entities: 1, bytes: 1, status: evil }],
        sourceFingerprint: evil
      })
    )
    expect(html).not.toContain("<img")
    expect(html).not.toContain("<script")
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;")
  })

  it("caps the number of listed records and points to the JSON report", () => {
    const users = Array.from({ length: 30 }, (_, i) => ({
      op: "create" as const,
      externalId: `E${i}`,
      profile: { userName: `u${i}@example.com` },
      hash: "h",
      location: `people.csv:${i + 2}`
    }))
    const html = render(sampleReport({ plan: samplePlan({ users, groups: [] }) }), { maxRecords: 10 })
    expect(html).toContain("<code>E9</code>")
    expect(html).not.toContain("<code>E10</code>")
    expect(html).toContain("20 more changes are in the JSON report")
  })

  it("draws bars proportional to the values, with zero-width bars for zero", () => {
    const svg = barChart([
      { label: "a", value: 10, color: "#000" },
      { label: "b", value: 5, color: "#000" },
      { label: "c", value: 0, color: "#000" }
    ])
    const widths = [...svg.matchAll(/<rect [^>]*width="(\d+)"/g)].map((m) => Number(m[1]))
    expect(widths).toEqual([420, 210, 0])
  })

  it("renders a failed run without a plan", () => {
    const { plan: _p, summary: _s, ...rest } = sampleReport()
    const html = render({ ...rest, outcome: "failed", issues: [], sessions: [], error: { tag: "SourceError", reason: "Decode", message: "people.csv:3:7: unbalanced quote" } })
    expect(html).toContain("Failed")
    expect(html).toContain("people.csv:3:7: unbalanced quote")
    expect(html).not.toContain("<svg")
  })
})
