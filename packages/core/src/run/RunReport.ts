/**
 * What one run did, the same in every runtime (CLI, Lambda, worker): counts, timings, Okta requests,
 * retries and waits, sessions, record issues with their source locations, and the error if it failed.
 * Contains no secrets: plans and errors never carry them.
 */
import type { RecordIssue } from "../domain/Errors.ts"
import type { Plan, PlanSummary } from "../plan/Plan.ts"
import type { RunOutcome } from "../state/StateStore.ts"

/** How a run ended (one vocabulary with the run history: `StateStore.RunOutcome`). */
export type { RunOutcome } from "../state/StateStore.ts"

export interface SessionReport {
  readonly index: number
  readonly oktaSessionId: string
  readonly uploads: number
  readonly entities: number
  readonly bytes: number
  readonly status: string
}

export interface OktaUsage {
  readonly requests: number
  readonly retries: number
  readonly rateLimited: number
  readonly waitedMillis: number
  readonly bytesSent: number
}

export interface ReportedError {
  /** The error's tag: ConfigError, SourceError, SafeguardTripped, OktaApiError, … */
  readonly tag: string
  readonly reason?: string
  readonly message: string
}

export interface RunReport {
  readonly runId: string
  readonly identitySourceId: string
  readonly mode: "plan" | "apply"
  readonly outcome: RunOutcome
  readonly startedAt: string
  readonly finishedAt: string
  readonly durationMs: number
  readonly planHash?: string
  readonly plan?: Plan
  readonly summary?: PlanSummary
  readonly sourceFingerprint?: string
  readonly resumedRunId?: string
  readonly issues: ReadonlyArray<RecordIssue>
  readonly sessions: ReadonlyArray<SessionReport>
  readonly okta: OktaUsage
  readonly error?: ReportedError
}

export const emptyOktaUsage: OktaUsage = { requests: 0, retries: 0, rateLimited: 0, waitedMillis: 0, bytesSent: 0 }

/** Turn any failure into the report's error entry, without secrets (core errors never carry them). */
export const describeError = (error: unknown): ReportedError => {
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const e = error as { _tag: string; reason?: unknown; message?: unknown }
    return {
      tag: e._tag,
      ...(typeof e.reason === "string" ? { reason: e.reason } : {}),
      message: typeof e.message === "string" && e.message.length > 0 ? e.message : e._tag
    }
  }
  return { tag: "Defect", message: error instanceof Error ? error.message : String(error) }
}

/**
 * The report of a run that failed before `Sync` could start it (its Okta client or state store could not be built):
 * outcome `failed`, nothing read, nothing sent, the error described as in any other report. Apps that keep a record
 * of every attempt (the worker's run list and metrics) use it, so a report has one shape however a run ended.
 */
export const notStarted = (run: {
  readonly runId: string
  readonly identitySourceId: string
  readonly mode: "plan" | "apply"
  readonly startMillis: number
  readonly endMillis: number
  readonly error: unknown
}): RunReport => ({
  runId: run.runId,
  identitySourceId: run.identitySourceId,
  mode: run.mode,
  outcome: "failed",
  startedAt: new Date(run.startMillis).toISOString(),
  finishedAt: new Date(run.endMillis).toISOString(),
  durationMs: run.endMillis - run.startMillis,
  issues: [],
  sessions: [],
  okta: emptyOktaUsage,
  error: describeError(run.error)
})
