/**
 * The runs this worker process remembers for its API (GET /runs, GET /runs/{id}): the latest `limit` in start
 * order, skipped ticks included. A run still in progress is never dropped.
 */
import type { Report } from "@anysource/runtime"
import type * as Metrics from "./Metrics.ts"

export type Trigger = "schedule" | "api" | "resume"

export interface RunRequest {
  readonly trigger: Trigger
  /** Plan only (dry run): report what would change, send nothing. Default: the pipeline's mode. */
  readonly dryRun?: boolean
  /** Let a tripped deactivation safeguard through. Default: the pipeline's `allowDeletes`. */
  readonly allowDeletes?: boolean
}

/** A run as this process saw it (GET /runs, GET /runs/{id}). */
export interface RunEntry {
  readonly runId: string
  readonly pipeline: string
  readonly trigger?: Trigger
  readonly replica?: string
  readonly mode: "apply" | "plan"
  readonly status: "running" | "finished" | "skipped"
  readonly outcome?: Metrics.Outcome
  readonly skipReason?: Metrics.SkipReason
  readonly startedAt: string
  readonly finishedAt?: string
  readonly durationMs?: number
  /** The run report without the plan body (which can hold thousands of changes) and with its first issues. */
  readonly report?: Report.CompactReport
  readonly message?: string
}

export interface RecentRuns {
  /** Add or update a run (in place: the list keeps start order), dropping the oldest finished ones past the limit. */
  readonly remember: (entry: RunEntry) => void
  readonly forget: (runId: string) => void
  readonly get: (runId: string) => RunEntry | undefined
  readonly newestFirst: () => ReadonlyArray<RunEntry>
}

export const make = (limit: number, isRunning: (runId: string) => boolean): RecentRuns => {
  const entries = new Map<string, RunEntry>() // runId → entry (insertion order = start order)
  return {
    remember: (entry) => {
      entries.set(entry.runId, entry)
      while (entries.size > limit) {
        const oldest = entries.keys().next().value
        if (oldest === undefined || isRunning(oldest)) break
        entries.delete(oldest)
      }
    },
    forget: (runId) => entries.delete(runId),
    get: (runId) => entries.get(runId),
    newestFirst: () => [...entries.values()].reverse()
  }
}
