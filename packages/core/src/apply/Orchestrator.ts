/**
 * Plan → Okta sessions. Packs the plan (Batching.ts), then for each session: create (waiting out the 5-minute
 * rule and foreign sessions), upload the batches, start the import, poll until COMPLETED, and only then commit
 * that session's changes to the StateStore (one `commit` holding the changes and the journal checkpoint).
 *
 * Crash safety: the journal (the plan as stable JSON + one checkpoint per session) is saved before the first
 * Okta call and after every step. A killed run resumes from it (`resumePending`):
 * - COMPLETED checkpoints are never uploaded again;
 * - a CREATED/IN_PROGRESS session continues with the batches not yet recorded (a batch that Okta accepted just
 *   before the crash is sent again: bulk upserts/deletes are idempotent by externalId);
 * - a TRIGGERED session is polled; COMPLETED-but-not-committed is committed;
 * - a session whose create was in flight (checkpoint CREATED without an id): an empty CREATED session found
 *   on the conflict, created after the journal started, is adopted rather than waited for (an older one is
 *   someone else's); giving up on a foreign session resets the checkpoint, so the next run adopts nothing;
 * - ERROR/EXPIRED/CLOSED/vanished sessions are redone from scratch in a new Okta session (bounded attempts).
 * A non-retryable upload rejection (4xx validation) cancels the session so the identity source is not blocked,
 * marks the checkpoint FAILED and fails: the next run discards that journal and plans afresh.
 *
 * Here: the journal's life (start, resume, session after session, `stopBefore`). One attempt at one session is
 * `Session.ts`, creating its Okta session `OpenSession.ts`, the journal's format `Journal.ts`, the run's state `Run.ts`.
 */
import { Clock, Effect, Option, Ref } from "effect"
import { ApplyError, type OktaApiError, StateError } from "../domain/Errors.ts"
import { OktaClient, type OktaClientService } from "../okta/OktaClient.ts"
import * as Retry from "../okta/Retry.ts"
import type { Plan } from "../plan/Plan.ts"
import { StateStore, type Journal, type StateStoreService } from "../state/StateStore.ts"
import * as Batching from "./Batching.ts"
import * as JournalFile from "./Journal.ts"
import {
  emit,
  iso,
  makeRun,
  saveCheckpoint,
  type ApplyOptions,
  type ApplyResult,
  type Completed,
  type Run,
  type SessionOptions,
  type SessionReport
} from "./Run.ts"
import { attemptSession } from "./Session.ts"

export type { ApplyEvent, ApplyOptions, ApplyResult } from "./Run.ts"

/** One plan session to COMPLETED: attempts in fresh Okta sessions after a Redo, up to `maxSessionAttempts`. */
const completeSession = (
  run: Run,
  batches: Batching.SessionBatches,
  attempt = 1
): Effect.Effect<Completed, OktaApiError | ApplyError | StateError> =>
  attemptSession(run, batches, attempt).pipe(
    Effect.catchTag("Redo", (redo) =>
      Effect.gen(function* () {
        // redo from scratch in a new Okta session
        yield* saveCheckpoint(run, JournalFile.emptyCheckpoint(batches.index))
        if (attempt >= (run.options.maxSessionAttempts ?? 3))
          return yield* new ApplyError({
            reason: redo.status === "EXPIRED" ? "SessionExpired" : "SessionFailed",
            message: `Session ${batches.index + 1}/${run.sessions.length} could not be imported after ${attempt} Okta sessions (last: ${redo.reason}). Completed sessions are committed; the next run retries this one.`
          })
        yield* emit(run.options, { _tag: "Retrying", attempt: attempt + 1, reason: redo.reason })
        return yield* completeSession(run, batches, attempt + 1)
      })
    )
  )

/** Drive the journal to the end (or to a `stopBefore` boundary). */
const drive = (run: Run): Effect.Effect<ApplyResult, OktaApiError | ApplyError | StateError> =>
  Effect.gen(function* () {
    const before = yield* run.client.metrics
    const reports: Array<SessionReport> = []
    let committed = 0
    const result = (completed: boolean) =>
      Effect.gen(function* () {
        const after = yield* run.client.metrics
        const waited = yield* Ref.get(run.waited)
        return {
          completed,
          sessions: reports,
          uploads: yield* Ref.get(run.uploads),
          committedChanges: committed,
          waitedMillis: waited + (after.waitedMillis - before.waitedMillis)
        } satisfies ApplyResult
      })
    for (const batches of run.sessions) {
      const cp = (yield* Ref.get(run.journal)).sessions[batches.index]
      if (cp?.status === "COMPLETED") continue
      const fresh = cp === undefined || (cp.status === "PENDING" && cp.oktaSessionId === undefined)
      if (fresh && run.options.stopBefore && (yield* run.options.stopBefore)) return yield* result(false)
      const done = yield* completeSession(run, batches)
      reports.push(done.report)
      committed += done.changes
    }
    yield* run.store.clearJournal
    return yield* result(true)
  })

/** The client's retries and waits, as apply events. */
const observe =
  (options: Pick<ApplyOptions, "onEvent">): Retry.RetryObserver =>
  (e) => {
    switch (e._tag) {
      case "RateLimited":
      case "SlowedDown":
        return emit(options, { _tag: "RateLimited", waitMillis: e.waitMillis })
      case "Retrying":
        return emit(options, { _tag: "Retrying", attempt: e.attempt, reason: `${e.endpoint}: ${e.reason}` })
    }
  }

const start = (
  client: OktaClientService,
  store: StateStoreService,
  journal: Journal,
  plan: Plan,
  options: SessionOptions
): Effect.Effect<ApplyResult, OktaApiError | ApplyError | StateError> =>
  Effect.gen(function* () {
    const sessions = Batching.pack(plan, options.limits ?? Batching.defaultLimits)
    if (sessions.length !== journal.sessions.length)
      return yield* new StateError({
        reason: "Corrupt",
        message: `The journal of run ${journal.runId} lists ${journal.sessions.length} sessions but its plan packs into ${sessions.length}; it was written with other limits or another version.`
      })
    const run = yield* makeRun(client, store, options, sessions, journal)
    return yield* drive(run).pipe(Retry.withRetryObserver(observe(options)))
  })

export const apply = (
  options: ApplyOptions
): Effect.Effect<ApplyResult, OktaApiError | ApplyError | StateError, OktaClient | StateStore> =>
  Effect.gen(function* () {
    const client = yield* OktaClient
    const store = yield* StateStore
    const { plan, runId, ...rest } = options
    if (plan.identitySourceId !== client.identitySourceId)
      return yield* new StateError({
        reason: "Conflict",
        message: `The plan is for identity source ${plan.identitySourceId} but the Okta client is configured for ${client.identitySourceId}.`
      })
    const existing = yield* store.journal
    if (Option.isSome(existing)) {
      if (existing.value.runId === runId && existing.value.planHash === plan.hash)
        return yield* start(client, store, existing.value, plan, rest)
      return yield* new StateError({
        reason: "Conflict",
        message: `An unfinished apply (run ${existing.value.runId}) is recorded in the state journal; resume it first (resumePending).`
      })
    }
    const sessions = Batching.pack(plan, rest.limits ?? Batching.defaultLimits)
    if (sessions.length === 0)
      return { completed: true, sessions: [], uploads: 0, committedChanges: 0, waitedMillis: 0 }
    const journal = JournalFile.create(plan, runId, sessions.length, iso(yield* Clock.currentTimeMillis))
    yield* store.saveJournal(journal)
    return yield* start(client, store, journal, plan, rest)
  })

/** If the StateStore holds the journal of an unfinished apply, finish it first (its stored plan, not a new one). */
export const resumePending = (
  options: SessionOptions
): Effect.Effect<
  Option.Option<ApplyResult>,
  OktaApiError | ApplyError | StateError,
  OktaClient | StateStore
> =>
  Effect.gen(function* () {
    const client = yield* OktaClient
    const store = yield* StateStore
    const found = yield* store.journal
    if (Option.isNone(found)) return Option.none()
    const journal = found.value
    if (journal.sessions.some((c) => c.status === "FAILED")) {
      // Okta rejected that plan's data: start over from a fresh plan (completed sessions are committed)
      yield* store.clearJournal
      return Option.none()
    }
    const plan = yield* JournalFile.readPlan(journal)
    yield* emit(options, {
      _tag: "Resumed",
      runId: journal.runId,
      fromSession: JournalFile.resumesAt(journal)
    })
    return Option.some(yield* start(client, store, journal, plan, options))
  })
