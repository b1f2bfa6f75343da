/**
 * Run reports as the unattended runtimes keep and return them: without the plan body (a Lambda response is at
 * most 6 MB; a worker keeps its recent runs in memory) and with the first issues only, counted in `issuesTotal`.
 * The full report stays available where it is written whole (the CLI's `--report run.json`).
 */
import type { RunReport } from "@anysource/core"

/** Issues kept in a compact report. */
export const MAX_ISSUES = 50

export type CompactReport = Omit<RunReport.RunReport, "plan"> & {
  /** How many issues the run had (the report lists the first `MAX_ISSUES`). */
  readonly issuesTotal: number
}

export const compact = (report: RunReport.RunReport, maxIssues: number = MAX_ISSUES): CompactReport => {
  const { plan: _plan, issues, ...rest } = report
  return { ...rest, issues: issues.slice(0, maxIssues), issuesTotal: issues.length }
}
