/**
 * What a run's progress looks like in the logs of the unattended runtimes: one log line per `Sync` event worth
 * reading later (session created, import started, completed, committed, waits, retries, resumes), the rest at debug
 * level. Structured fields go in annotations (`sessionId`, `changes`, `waitMillis`, …), the message stays a sentence.
 * The CLI draws the same events as progress bars and lines of its own (its `Progress` module).
 */
import type { Plan, Sync } from "@anysource/core"
import { Effect } from "effect"

/** Read progress is logged (at debug) every this many rows. */
export const READ_PROGRESS_EVERY = 10_000

/** `users +3 ~1 ↺0 -2, groups +1 ~0 -0, memberships +4 -1`. */
export const summaryText = (s: Plan.PlanSummary): string =>
  [
    `users +${s.users.create} ~${s.users.update} ↺${s.users.reactivate} -${s.users.deactivate}`,
    `groups +${s.groups.create} ~${s.groups.update} -${s.groups.deactivate}`,
    `memberships +${s.memberships.add} -${s.memberships.remove}`
  ].join(", ")

const seconds = (millis: number) => Math.ceil(millis / 1000)

/**
 * A run's event logger (`onEvent` of `Sync`): one per run, as it remembers how far the read has been logged (Sync
 * reports progress per chunk, so the counts it reports are seldom round).
 */
export const make = (): ((event: Sync.SyncEvent) => Effect.Effect<void>) => {
  let logged = 0
  return (event) => {
    if (event._tag !== "ReadProgress") return logEvent(event)
    const step = Math.floor(event.rows / READ_PROGRESS_EVERY)
    if (step <= logged) return Effect.void
    logged = step
    return Effect.logDebug(`read ${event.rows} rows`)
  }
}

/** The log line of one Sync event; read progress is left to `make`'s per-run logger. */
const logEvent = (event: Sync.SyncEvent): Effect.Effect<void> => {
  switch (event._tag) {
    case "ReadProgress":
      return Effect.void
    case "Planned": {
      const s = event.plan.summary
      return Effect.logInfo(`planned: ${summaryText(s)}`).pipe(
        Effect.annotateLogs({ planHash: event.plan.hash, rowsRead: s.rowsRead, invalid: s.invalid })
      )
    }
    case "Apply":
      return logApplyEvent(event.event)
  }
}

const logApplyEvent = (e: Extract<Sync.SyncEvent, { _tag: "Apply" }>["event"]): Effect.Effect<void> => {
  switch (e._tag) {
    case "SessionCreated":
      return Effect.logInfo(`Okta session ${e.index + 1}/${e.total} created`).pipe(Effect.annotateLogs({ sessionId: e.sessionId }))
    case "BatchUploaded":
      return Effect.logDebug(`uploaded batch ${e.batch + 1}/${e.batches} of session ${e.sessionIndex + 1}`).pipe(
        Effect.annotateLogs({ entities: e.entities, bytes: e.bytes })
      )
    case "SessionTriggered":
      return Effect.logInfo("import started").pipe(Effect.annotateLogs({ sessionId: e.sessionId }))
    case "SessionStatus":
      return Effect.logDebug(`session ${e.sessionId} is ${e.status}`)
    case "WaitingForSessionGap":
      return Effect.logInfo(`waiting ${seconds(e.remainingMillis)} s before the next Okta session (${e.reason})`).pipe(
        Effect.annotateLogs({ remainingMillis: e.remainingMillis })
      )
    case "RateLimited":
      return Effect.logWarning(`rate limited by Okta: waiting ${seconds(e.waitMillis)} s`).pipe(Effect.annotateLogs({ waitMillis: e.waitMillis }))
    case "Retrying":
      return Effect.logWarning(`retrying (attempt ${e.attempt}): ${e.reason}`)
    case "SessionCompleted":
      return Effect.logInfo(`Okta session ${e.index + 1} completed`).pipe(Effect.annotateLogs({ sessionId: e.sessionId }))
    case "Committed":
      return Effect.logInfo(`committed ${e.changes} changes of session ${e.index + 1}`).pipe(Effect.annotateLogs({ changes: e.changes }))
    case "Resumed":
      return Effect.logInfo(`resuming the unfinished apply of ${e.runId} from session ${e.fromSession + 1}`)
  }
}
