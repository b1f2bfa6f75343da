/**
 * Prometheus metrics (prom-client), served on `GET /metrics`. One registry per worker (tests make
 * their own). Every series is labelled by `pipeline`; no label ever holds a secret or a person's data.
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | anysource_runs_total | counter | pipeline, outcome (applied, no-changes, planned, partial, safeguard, failed, skipped) |
 * | anysource_runs_skipped_total | counter | pipeline, reason (busy = still running here, locked = another replica holds the identity source) |
 * | anysource_run_duration_seconds | histogram | pipeline, outcome |
 * | anysource_run_in_progress | gauge | pipeline |
 * | anysource_last_run_timestamp_seconds | gauge | pipeline |
 * | anysource_last_success_timestamp_seconds | gauge | pipeline (applied or no-changes) |
 * | anysource_changes_total | counter | pipeline, entity (users, groups, memberships), op (create, update, reactivate, deactivate, add, remove) — planned changes of completed applies |
 * | anysource_committed_changes_total | counter | pipeline — changes committed after Okta reported COMPLETED (counts resumed runs too) |
 * | anysource_okta_sessions_total | counter | pipeline — import sessions completed |
 * | anysource_okta_requests_total | counter | pipeline |
 * | anysource_okta_rate_limited_total | counter | pipeline — 429 responses |
 * | anysource_okta_retries_total | counter | pipeline |
 * | anysource_okta_wait_seconds_total | counter | pipeline — time spent waiting on rate limits and backoff |
 * | anysource_session_waits_total | counter | pipeline — waits for Okta's session gap (5-minute rule) or a foreign session |
 * | anysource_session_wait_seconds_total | counter | pipeline |
 * | anysource_verified_records_total | counter | pipeline, result (verified, differs, missing, unchecked) — changed records read back after applies |
 * | process_*, nodejs_* | | prom-client's default process metrics |
 */
import type { RunReport, Sync } from "@anysource/core"
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client"

export type Outcome = RunReport.RunOutcome | "skipped"
export type SkipReason = "busy" | "locked" | "stopping"

export interface Metrics {
  readonly registry: Registry
  /** The text exposition format. */
  readonly render: () => Promise<string>
  readonly contentType: string
  readonly runStarted: (pipeline: string) => void
  /** A run that turned out not to run (lost the lock race): clears the in-progress gauge only. */
  readonly runAborted: (pipeline: string) => void
  readonly runFinished: (pipeline: string, report: RunReport.RunReport, finishedAtMillis: number) => void
  readonly skipped: (pipeline: string, reason: SkipReason) => void
  /** Count what happens during a run (sessions, commits, session-gap waits). */
  readonly onEvent: (pipeline: string) => (event: Sync.SyncEvent) => void
  /** Create every series of a pipeline at zero, so dashboards see it before its first run. */
  readonly register: (pipeline: string) => void
}

export const make = (options: { readonly defaultMetrics?: boolean } = {}): Metrics => {
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const runs = new Counter({ name: "anysource_runs_total", help: "Pipeline runs by outcome.", labelNames: ["pipeline", "outcome"], registers })
  const skips = new Counter({
    name: "anysource_runs_skipped_total",
    help: "Runs not started: busy (already running in this process), locked (another replica holds the identity source), stopping.",
    labelNames: ["pipeline", "reason"],
    registers
  })
  const duration = new Histogram({
    name: "anysource_run_duration_seconds",
    help: "Run durations.",
    labelNames: ["pipeline", "outcome"],
    buckets: [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1_200, 1_800, 3_600, 7_200],
    registers
  })
  const inProgress = new Gauge({ name: "anysource_run_in_progress", help: "1 while a run of the pipeline is in progress in this process.", labelNames: ["pipeline"], registers })
  const lastRun = new Gauge({ name: "anysource_last_run_timestamp_seconds", help: "When the last run finished (any outcome).", labelNames: ["pipeline"], registers })
  const lastSuccess = new Gauge({
    name: "anysource_last_success_timestamp_seconds",
    help: "When the last successful run (applied, no-changes or planned) finished.",
    labelNames: ["pipeline"],
    registers
  })
  const changes = new Counter({
    name: "anysource_changes_total",
    help: "Changes sent by completed applies, by entity and operation.",
    labelNames: ["pipeline", "entity", "op"],
    registers
  })
  const committed = new Counter({ name: "anysource_committed_changes_total", help: "Changes committed to state after Okta reported the session COMPLETED.", labelNames: ["pipeline"], registers })
  const sessions = new Counter({ name: "anysource_okta_sessions_total", help: "Okta import sessions completed.", labelNames: ["pipeline"], registers })
  const requests = new Counter({ name: "anysource_okta_requests_total", help: "HTTP requests sent to Okta (every attempt).", labelNames: ["pipeline"], registers })
  const rateLimited = new Counter({ name: "anysource_okta_rate_limited_total", help: "429 responses from Okta.", labelNames: ["pipeline"], registers })
  const retries = new Counter({ name: "anysource_okta_retries_total", help: "Okta requests retried (429, 5xx, transport errors).", labelNames: ["pipeline"], registers })
  const waited = new Counter({ name: "anysource_okta_wait_seconds_total", help: "Time spent waiting on Okta rate limits and retry backoff.", labelNames: ["pipeline"], registers })
  const sessionWaits = new Counter({
    name: "anysource_session_waits_total",
    help: "Waits before opening an Okta session (the 5-minute rule, or another client's open session).",
    labelNames: ["pipeline"],
    registers
  })
  const sessionWaitSeconds = new Counter({ name: "anysource_session_wait_seconds_total", help: "Time spent in session waits.", labelNames: ["pipeline"], registers })

  const verified = new Counter({
    name: "anysource_verified_records_total",
    help: "Changed records read back after applies: verified (as sent), differs, missing, unchecked (budget or error).",
    labelNames: ["pipeline", "result"],
    registers
  })
  const verifyResults = ["verified", "differs", "missing", "unchecked"] as const

  const outcomes: ReadonlyArray<Outcome> = ["applied", "no-changes", "planned", "partial", "safeguard", "failed", "skipped"]
  const changeKeys = [
    ["users", "create"],
    ["users", "update"],
    ["users", "reactivate"],
    ["users", "deactivate"],
    ["groups", "create"],
    ["groups", "update"],
    ["groups", "deactivate"],
    ["memberships", "add"],
    ["memberships", "remove"]
  ] as const

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    register: (pipeline) => {
      for (const outcome of outcomes) runs.inc({ pipeline, outcome }, 0)
      for (const reason of ["busy", "locked", "stopping"]) skips.inc({ pipeline, reason }, 0)
      for (const [entity, op] of changeKeys) changes.inc({ pipeline, entity, op }, 0)
      inProgress.set({ pipeline }, 0)
      for (const result of verifyResults) verified.inc({ pipeline, result }, 0)
      for (const c of [committed, sessions, requests, rateLimited, retries, waited, sessionWaits, sessionWaitSeconds]) c.inc({ pipeline }, 0)
    },
    runStarted: (pipeline) => inProgress.set({ pipeline }, 1),
    runAborted: (pipeline) => inProgress.set({ pipeline }, 0),
    runFinished: (pipeline, report, finishedAtMillis) => {
      inProgress.set({ pipeline }, 0)
      runs.inc({ pipeline, outcome: report.outcome })
      duration.observe({ pipeline, outcome: report.outcome }, report.durationMs / 1000)
      lastRun.set({ pipeline }, finishedAtMillis / 1000)
      if (report.outcome === "applied" || report.outcome === "no-changes" || report.outcome === "planned") lastSuccess.set({ pipeline }, finishedAtMillis / 1000)
      if (report.outcome === "applied" && report.summary) {
        const s = report.summary
        const counts: Record<string, number> = {
          "users/create": s.users.create,
          "users/update": s.users.update,
          "users/reactivate": s.users.reactivate,
          "users/deactivate": s.users.deactivate,
          "groups/create": s.groups.create,
          "groups/update": s.groups.update,
          "groups/deactivate": s.groups.deactivate,
          "memberships/add": s.memberships.add,
          "memberships/remove": s.memberships.remove
        }
        for (const [entity, op] of changeKeys) {
          const n = counts[`${entity}/${op}`] ?? 0
          if (n > 0) changes.inc({ pipeline, entity, op }, n)
        }
      }
      requests.inc({ pipeline }, report.okta.requests)
      rateLimited.inc({ pipeline }, report.okta.rateLimited)
      retries.inc({ pipeline }, report.okta.retries)
      waited.inc({ pipeline }, report.okta.waitedMillis / 1000)
      if (report.verification) for (const result of verifyResults) verified.inc({ pipeline, result }, report.verification[result])
    },
    skipped: (pipeline, reason) => {
      runs.inc({ pipeline, outcome: "skipped" })
      skips.inc({ pipeline, reason })
    },
    onEvent: (pipeline) => {
      // A countdown emits WaitingForSessionGap every ≤5 s with the time left; a new wait starts when the time left goes up.
      let lastRemaining: number | undefined
      return (event) => {
        if (event._tag !== "Apply") return
        const e = event.event
        switch (e._tag) {
          case "WaitingForSessionGap": {
            if (lastRemaining === undefined || e.remainingMillis >= lastRemaining) sessionWaits.inc({ pipeline })
            sessionWaitSeconds.inc({ pipeline }, Math.min(5_000, e.remainingMillis) / 1000)
            lastRemaining = e.remainingMillis
            return
          }
          case "SessionCompleted":
            lastRemaining = undefined
            sessions.inc({ pipeline })
            return
          case "Committed":
            committed.inc({ pipeline }, e.changes)
            return
          case "SessionCreated":
            lastRemaining = undefined
            return
          default:
            return
        }
      }
    }
  }
}
