/**
 * A worker run's last log line: its outcome, duration and changes, with the numbers as annotations (`outcome`,
 * `durationMs`, `sessions`, `oktaRequests`). A failed run is an ERROR line (log-based alerts count them), a
 * safeguard stop a WARN line. The lines before it come from the runtime (`SyncLog`).
 */
import type { RunReport } from "@anysource/core"
import { SyncLog } from "@anysource/runtime"
import { Effect } from "effect"

/** Log the end of `report`'s run (`stopped`: it stopped at a session boundary because the worker is shutting down). */
export const logFinished = (report: RunReport.RunReport, stopped: boolean): Effect.Effect<void> => {
  const annotations = {
    outcome: report.outcome,
    durationMs: report.durationMs,
    sessions: report.sessions.length,
    oktaRequests: report.okta.requests,
    ...(report.resumedRunId ? { resumed: true } : {})
  }
  const line = `run ${report.outcome} in ${(report.durationMs / 1000).toFixed(1)} s${report.summary ? `: ${SyncLog.summaryText(report.summary)}` : ""}`
  switch (report.outcome) {
    case "failed":
      return Effect.logError(`${line}: ${report.error?.message ?? "unknown error"}`).pipe(
        Effect.annotateLogs({ ...annotations, errorTag: report.error?.tag ?? "", ...(report.error?.reason ? { errorReason: report.error.reason } : {}) })
      )
    case "safeguard":
      return Effect.logWarning(`${line}: ${report.error?.message ?? ""}`).pipe(Effect.annotateLogs(annotations))
    case "partial":
      return Effect.logInfo(
        stopped ? `${line}: stopped at a session boundary for shutdown, journal saved; the next start resumes it` : `${line}: stopped at a session boundary, journal saved`
      ).pipe(Effect.annotateLogs(annotations))
    default:
      return Effect.logInfo(line).pipe(Effect.annotateLogs(annotations))
  }
}
