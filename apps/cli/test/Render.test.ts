import { describe, expect, it } from "vitest"
import {
  describeDrift,
  planDetailLines,
  renderIssues,
  renderPlanDetail,
  renderPlanSummary,
  renderReport,
  safe,
  showValue,
  totalChanges
} from "../src/Render.ts"
import * as Style from "../src/internal/Style.ts"
import { emptyPlan, samplePlan, sampleReport } from "./fixtures.ts"

describe("renderPlanSummary", () => {
  it("shows counts per entity, rows read, exclusions by rule and invalid rows with locations", () => {
    const text = renderPlanSummary(samplePlan())
    expect(text).toContain("identity source 0oaqu1ckstart0000001")
    expect(text).toContain("read 300 rows")
    expect(text).toContain("8 excluded by filter (terminated: 8)")
    expect(text).toContain("2 invalid")
    expect(text).toMatch(/Users\s+\+1 create\s+~1 update\s+↺0 reactivate\s+-2 deactivate\s+=290 unchanged/)
    expect(text).toMatch(/Groups\s+\+1 create/)
    expect(text).toMatch(/Memberships\s+\+2 add\s+-0 remove/)
    expect(text).toContain("people.csv:46 email [E1045]  not a valid email address")
    expect(text).toContain("people.csv:70 lastName [E1069]  required")
    // filter exclusions are counted, not listed as problems
    expect(text).not.toContain("people.csv:90")
    expect(text).toContain("5 record changes and 2 membership changes to apply, including 2 deactivations.")
  })

  it("says so when there is nothing to change", () => {
    const text = renderPlanSummary(emptyPlan())
    expect(text).toContain("No changes.")
    expect(totalChanges(emptyPlan())).toBe(0)
  })

  it("a run stopped by a safeguard never says \"No changes. Okta is up to date\" or \"to apply\"", () => {
    const empty = renderPlanSummary(emptyPlan(), Style.plain, { stoppedBySafeguard: true })
    expect(empty).not.toContain("up to date")
    expect(empty).toContain("No changes planned, but a safeguard stopped the run (see below). Nothing is sent to Okta.")
    const some = renderPlanSummary(samplePlan(), Style.plain, { stoppedBySafeguard: true })
    expect(some).not.toContain("to apply")
    expect(some).toContain("5 record changes and 2 membership changes planned, including 2 deactivations; a safeguard stopped the run")
  })

  it("uses no escape codes without color and some with it", () => {
    expect(renderPlanSummary(samplePlan(), Style.plain)).not.toContain("\u001b[")
    expect(renderPlanSummary(samplePlan(), Style.make(true))).toContain("\u001b[")
  })
})

describe("renderPlanDetail", () => {
  const text = renderPlanDetail(samplePlan())
  it("lists creates with their attributes and source location", () => {
    expect(text).toContain("+ create     E1001  people.csv:2")
    expect(text).toContain('firstName: "Zoë"')
    // null attributes of a new record are not listed
    expect(text).not.toMatch(/E1001[\s\S]*title: null[\s\S]*~ update/)
  })
  it("shows field-level before → after, cleared values and absent ones", () => {
    expect(text).toContain('title: "Senior Engineer" → "Staff Engineer"')
    expect(text).toContain('mobilePhone: "+1 555" → null')
    expect(text).toContain('department: (absent) → "R&D"')
  })
  it("explains deactivations: missing (with last location) or filtered (with the rule)", () => {
    expect(text).toContain("- deactivate E1003  (no longer in the source; last seen at people.csv:4 on 2026-11-27T10:00:00.000Z)")
    expect(text).toContain('- deactivate E1004  (excluded by filter "terminated")')
  })
  it("lists groups and memberships", () => {
    expect(text).toContain('+ create     dept-engineering "Engineering (from HR)"')
    expect(text).toContain("+ add     dept-engineering  2 members: E1001, E1002")
  })
  it("prints a placeholder for an empty plan", () => {
    expect(renderPlanDetail(emptyPlan())).toBe("(no changes)")
  })

  it("is produced line by line (printed as it is rendered), one blank line between sections and none at the end", () => {
    const lines = [...planDetailLines(samplePlan())]
    expect(lines[0]).toBe("Users (4)")
    expect(lines.filter((l) => l === "")).toHaveLength(3)
    expect(lines.at(-1)).not.toBe("")
    expect(lines.every((l) => !l.includes("\n"))).toBe(true)
  })
})

describe("describeDrift", () => {
  const files = { plan: "plan.json", config: "anysource.yaml" }
  const saved = samplePlan()

  it("names the config when its hash moved", () => {
    const [head] = describeDrift(saved, samplePlan({ inputs: { ...saved.inputs, configHash: "d".repeat(64) } }), files)
    expect(head).toBe("The plan in plan.json is out of date: the config (anysource.yaml) changed. Nothing was applied.")
  })

  it("names the state when another apply moved it", () => {
    const [head] = describeDrift(saved, samplePlan({ inputs: { ...saved.inputs, stateHash: "t".repeat(64) } }), files)
    expect(head).toMatch(/: the state changed: another apply ran since the plan was made/)
  })

  it("names the source when its fingerprint moved", () => {
    const [head] = describeDrift(
      samplePlan({ inputs: { ...saved.inputs, sourceFingerprint: "a" } }),
      samplePlan({ inputs: { ...saved.inputs, sourceFingerprint: "b" } }),
      files
    )
    expect(head).toContain("the source changed (its fingerprint differs)")
  })

  it("with the same inputs, says the source data changed and which records plan differently now", () => {
    const users = [...saved.users].map((u) => (u.externalId === "E1002" && u.op === "update" ? { ...u, hash: "h2-new", fields: [{ field: "title", before: "Senior Engineer", after: "CTO" }] } : u))
    const fresh = samplePlan({
      users: [...users.filter((u) => u.externalId !== "E1003"), { op: "create", externalId: "E2000", profile: {}, hash: "n", location: "people.csv:301" }],
      summary: { ...saved.summary, rowsRead: 301 }
    })
    expect(describeDrift(saved, fresh, files)).toEqual([
      "The plan in plan.json is out of date: the source data changed. Nothing was applied.",
      "What plans differently now:",
      "  rows read: 300 in the plan, 301 now",
      "  user E1002: update in the plan, update with other values now",
      "  user E1003: deactivate in the plan, no change now",
      "  user E2000: no change in the plan, create now"
    ])
  })
})

describe("untrusted text", () => {
  it("escapes terminal control sequences in source values, ids and locations", () => {
    const plan = samplePlan({
      users: [
        {
          op: "update",
          externalId: "E\u001b[2J1",
          profile: {},
          hash: "x",
          location: "evil.csv:1\r",
          fields: [{ field: "title", before: "a", after: "\u001b]0;pwned\u0007" }]
        }
      ]
    })
    const text = renderPlanDetail(plan)
    expect(text).not.toContain("\u001b")
    expect(text).not.toContain("\u0007")
    expect(text).toContain("E\\u001b[2J1")
    expect(text).toContain("evil.csv:1\\r")
    expect(safe("a\nb")).toBe("a\\nb")
    expect(showValue(undefined)).toBe("(absent)")
    expect(showValue(null)).toBe("null")
  })

  it("limits the issue list and says how many more there are", () => {
    const issues = Array.from({ length: 25 }, (_, i) => ({ location: `f.csv:${i + 2}`, message: `bad value ${i}`, kind: "invalid" as const }))
    const text = renderIssues(issues, Style.plain, 20)
    expect(text).toContain("Rows left out (25 rows)")
    expect(text).toContain("f.csv:21")
    expect(text).not.toContain("f.csv:22 ")
    expect(text).toContain("… and 5 more (see --json or --report)")
  })

  it("collapses the same problem on many rows (a missing column) into one line", () => {
    const issues = [
      ...Array.from({ length: 292 }, (_, i) => ({ location: `people.csv:${i + 2}`, field: "externalId", message: "externalId is empty", kind: "invalid" as const })),
      { location: "people.csv:400", field: "email", message: "not an email", kind: "invalid" as const }
    ]
    const text = renderIssues(issues, Style.plain)
    expect(text.split("\n")).toEqual([
      "Rows left out (293 rows), to fix in the source:",
      "  externalId: externalId is empty — 292 rows: people.csv:2, people.csv:3, people.csv:4 … people.csv:293",
      "  people.csv:400 email  not an email"
    ])
  })
})

describe("renderReport", () => {
  it("summarises an applied run: counts, sessions, Okta usage, report files", () => {
    const text = renderReport(sampleReport(), Style.plain, ["run.html"])
    expect(text).toContain("Applied in 4.2 s (run run-20261128-100000-abc123)")
    expect(text).toContain("users: 1 created, 1 updated, 0 reactivated, 2 deactivated, 290 unchanged")
    expect(text).toContain("okta: 1 session (aps1qqonvr2SZv6o70h8 COMPLETED), 3 uploads")
    expect(text).toContain("7 requests, 1 retry, 0 rate-limited")
    expect(text).toContain("2 rows left out as invalid")
    expect(text).toContain("report written to run.html")
  })
  it("shows the error of a failed run", () => {
    const text = renderReport(
      sampleReport({ outcome: "safeguard", error: { tag: "SafeguardTripped", message: "250 deactivations exceed 10%" } })
    )
    expect(text).toContain("Stopped by a safeguard")
    expect(text).toContain("SafeguardTripped: 250 deactivations exceed 10%")
  })
})
