import type { Plan, RunReport } from "@anysource/core"
import { describe, expect, it } from "vitest"
import * as Metrics from "../src/Metrics.ts"

const summary = (over: Partial<Record<"create" | "update" | "deactivate", number>> = {}): Plan.PlanSummary =>
  ({
    users: { create: over.create ?? 0, update: over.update ?? 0, reactivate: 0, deactivate: over.deactivate ?? 0, unchanged: 3 },
    groups: { create: 1, update: 0, deactivate: 0, unchanged: 0 },
    memberships: { add: 4, remove: 0 },
    rowsRead: 10,
    invalid: 0
  }) as unknown as Plan.PlanSummary

const report = (outcome: RunReport.RunOutcome, over: Partial<RunReport.RunReport> = {}): RunReport.RunReport => ({
  runId: "run-1",
  identitySourceId: "0oa1",
  mode: "apply",
  outcome,
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:00:02.000Z",
  durationMs: 2_000,
  issues: [],
  sessions: [],
  okta: { requests: 7, retries: 2, rateLimited: 1, waitedMillis: 1_500, bytesSent: 100 },
  ...over
})

const value = async (m: Metrics.Metrics, name: string, labels: Record<string, string>) => {
  const metric = await m.registry.getSingleMetric(name)!.get()
  return metric.values.find((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))?.value
}

describe("Metrics", () => {
  it("counts runs, changes of completed applies and Okta usage", async () => {
    const m = Metrics.make({ defaultMetrics: false })
    m.register("hr")
    expect(await value(m, "anysource_runs_total", { pipeline: "hr", outcome: "applied" })).toBe(0)
    m.runStarted("hr")
    expect(await value(m, "anysource_run_in_progress", { pipeline: "hr" })).toBe(1)
    m.runFinished("hr", report("applied", { summary: summary({ create: 5, update: 2 }) }), 1_700_000_000_000)
    m.runFinished("hr", report("planned", { mode: "plan", summary: summary({ create: 9 }) }), 1_700_000_001_000)
    m.runFinished("hr", report("failed"), 1_700_000_002_000)
    expect(await value(m, "anysource_run_in_progress", { pipeline: "hr" })).toBe(0)
    expect(await value(m, "anysource_runs_total", { pipeline: "hr", outcome: "applied" })).toBe(1)
    expect(await value(m, "anysource_runs_total", { pipeline: "hr", outcome: "failed" })).toBe(1)
    // only the applied run's changes count: the plan-only run sent nothing
    expect(await value(m, "anysource_changes_total", { pipeline: "hr", entity: "users", op: "create" })).toBe(5)
    expect(await value(m, "anysource_changes_total", { pipeline: "hr", entity: "users", op: "update" })).toBe(2)
    expect(await value(m, "anysource_changes_total", { pipeline: "hr", entity: "memberships", op: "add" })).toBe(4)
    expect(await value(m, "anysource_okta_requests_total", { pipeline: "hr" })).toBe(21)
    expect(await value(m, "anysource_okta_rate_limited_total", { pipeline: "hr" })).toBe(3)
    expect(await value(m, "anysource_okta_retries_total", { pipeline: "hr" })).toBe(6)
    expect(await value(m, "anysource_okta_wait_seconds_total", { pipeline: "hr" })).toBe(4.5)
    // last success = the planned run (the failed one does not move it)
    expect(await value(m, "anysource_last_success_timestamp_seconds", { pipeline: "hr" })).toBe(1_700_000_001)
    expect(await value(m, "anysource_last_run_timestamp_seconds", { pipeline: "hr" })).toBe(1_700_000_002)
    const text = await m.render()
    expect(text).toContain('anysource_run_duration_seconds_bucket{le="5",pipeline="hr",outcome="applied"} 1')
    expect(m.contentType).toMatch(/^text\/plain/)
  })

  it("counts skipped ticks by reason", async () => {
    const m = Metrics.make({ defaultMetrics: false })
    m.skipped("hr", "locked")
    m.skipped("hr", "locked")
    m.skipped("hr", "busy")
    expect(await value(m, "anysource_runs_skipped_total", { pipeline: "hr", reason: "locked" })).toBe(2)
    expect(await value(m, "anysource_runs_total", { pipeline: "hr", outcome: "skipped" })).toBe(3)
  })

  it("counts sessions, commits and session-gap waits from the run's events", async () => {
    const m = Metrics.make({ defaultMetrics: false })
    const on = m.onEvent("hr")
    const apply = (event: any) => on({ _tag: "Apply", event })
    apply({ _tag: "SessionCreated", index: 0, total: 2, sessionId: "s1" })
    apply({ _tag: "SessionCompleted", index: 0, sessionId: "s1" })
    apply({ _tag: "Committed", index: 0, changes: 200 })
    // one wait of 12 s: countdown events at 12, 7 and 2 s left
    for (const remainingMillis of [12_000, 7_000, 2_000]) apply({ _tag: "WaitingForSessionGap", remainingMillis, reason: "5-minute rule" })
    apply({ _tag: "SessionCreated", index: 1, total: 2, sessionId: "s2" })
    apply({ _tag: "SessionCompleted", index: 1, sessionId: "s2" })
    apply({ _tag: "Committed", index: 1, changes: 50 })
    expect(await value(m, "anysource_okta_sessions_total", { pipeline: "hr" })).toBe(2)
    expect(await value(m, "anysource_committed_changes_total", { pipeline: "hr" })).toBe(250)
    expect(await value(m, "anysource_session_waits_total", { pipeline: "hr" })).toBe(1)
    expect(await value(m, "anysource_session_wait_seconds_total", { pipeline: "hr" })).toBe(12)
  })

  it("counts what verification after applies read back: verified, differs, missing, unchecked", async () => {
    const m = Metrics.make({ defaultMetrics: false })
    m.register("hr")
    expect(await value(m, "anysource_verified_records_total", { pipeline: "hr", result: "differs" })).toBe(0)
    const verification = { verified: 90, differs: 3, missing: 2, unchecked: 5 } as unknown as NonNullable<RunReport.RunReport["verification"]>
    m.runFinished("hr", report("applied", { verification }), 1_700_000_000_000)
    m.runFinished("hr", report("applied", { verification: { ...verification, differs: 0 } }), 1_700_000_001_000)
    // a run without verification (plan, or verify.after: never) counts nothing
    m.runFinished("hr", report("planned", { mode: "plan" }), 1_700_000_002_000)
    expect(await value(m, "anysource_verified_records_total", { pipeline: "hr", result: "verified" })).toBe(180)
    expect(await value(m, "anysource_verified_records_total", { pipeline: "hr", result: "differs" })).toBe(3)
    expect(await value(m, "anysource_verified_records_total", { pipeline: "hr", result: "missing" })).toBe(4)
    expect(await value(m, "anysource_verified_records_total", { pipeline: "hr", result: "unchecked" })).toBe(10)
  })
})
