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
 */
import { Clock, Duration, Effect, Option } from "effect"
import * as Batching from "./Batching.ts"
import { ApplyError, OktaApiError, StateError } from "../domain/Errors.ts"
import {
  OktaClient,
  makeUploadBudget,
  type IdentitySourceSession,
  type OktaClientService
} from "../okta/OktaClient.ts"
import type { Plan } from "../plan/Plan.ts"
import * as PlanJson from "../plan/PlanJson.ts"
import * as Retry from "../okta/Retry.ts"
import { StateStore, type Journal, type SessionCheckpoint, type StateStoreService } from "../state/StateStore.ts"
import { OktaLimits } from "../okta/Limits.ts"

export type ApplyEvent =
  | { _tag: "SessionCreated"; index: number; total: number; sessionId: string }
  | {
      _tag: "BatchUploaded"
      sessionIndex: number
      batch: number
      batches: number
      entities: number
      bytes: number
    }
  | { _tag: "SessionTriggered"; sessionId: string }
  | { _tag: "SessionStatus"; sessionId: string; status: string }
  | { _tag: "WaitingForSessionGap"; remainingMillis: number; reason: string } // 5-minute rule / foreign session; at least every 5 s
  | { _tag: "RateLimited"; waitMillis: number }
  | { _tag: "Retrying"; attempt: number; reason: string }
  | { _tag: "SessionCompleted"; sessionId: string; index: number }
  | { _tag: "Committed"; index: number; changes: number }
  | { _tag: "Resumed"; runId: string; fromSession: number }

export interface ApplyOptions {
  plan: Plan
  runId: string
  onEvent?: (e: ApplyEvent) => Effect.Effect<void>
  /** Checked before opening each new session (Lambda deadline): true = stop at this boundary, journal kept. */
  stopBefore?: Effect.Effect<boolean>
  foreignSessionPolicy: "wait" | "cancel"
  /** Longest wait for one session to reach COMPLETED after start-import (and for a foreign session to go). */
  sessionTimeoutMs: number
  /** First poll delay (default 2 s); polls back off ×1.5 up to 30 s. */
  pollInterval?: Duration.DurationInput
  /** Packing limits (default: Okta's 200 / 200,000 bytes / 50). A resume must use the same limits. */
  limits?: Batching.Limits
  /** Fresh Okta sessions tried for one plan session after ERROR/EXPIRED/budget exhaustion (default 3). */
  maxSessionAttempts?: number
}

export interface ApplyResult {
  /** false = stopped at a session boundary (`stopBefore`), journal saved. */
  completed: boolean
  sessions: ReadonlyArray<{
    index: number
    oktaSessionId: string
    uploads: number
    entities: number
    bytes: number
    status: string
  }>
  /** Uploads Okta accepted in this call. */
  uploads: number
  committedChanges: number
  /** Time spent waiting: session gaps, foreign sessions, rate limits and retry backoff. */
  waitedMillis: number
}

type SessionReport = ApplyResult["sessions"][number]

const SESSION_GAP_MILLIS = OktaLimits.sessionCreateGapMillis
const COUNTDOWN_MILLIS = 5_000
const ACTIVE = new Set(["CREATED", "IN_PROGRESS", "TRIGGERED"])

const iso = (millis: number) => new Date(millis).toISOString()

const emptyCheckpoint = (index: number): SessionCheckpoint => ({
  index,
  uploadedBatches: [],
  status: "PENDING"
})

/** Outcome of one attempt at one plan session. */
type Attempt =
  | { readonly _tag: "Completed"; readonly report: SessionReport; readonly changes: number }
  | { readonly _tag: "Redo"; readonly reason: string; readonly status: string }

interface Run {
  readonly client: OktaClientService
  readonly store: StateStoreService
  readonly options: Omit<ApplyOptions, "plan" | "runId">
  readonly sessions: ReadonlyArray<Batching.SessionBatches>
  journal: Journal
  waited: number
  uploads: number
  /** Server time at which this process last created a session (for the 5-minute countdown). */
  lastCreatedAt?: number
}

const emitOf = (options: Pick<ApplyOptions, "onEvent">) => (e: ApplyEvent) =>
  options.onEvent ? options.onEvent(e) : Effect.void

const pollBase = (options: Pick<ApplyOptions, "pollInterval">) =>
  Duration.toMillis(Duration.decode(options.pollInterval ?? "2 seconds"))

const saveCheckpoint = (run: Run, cp: SessionCheckpoint): Effect.Effect<void, StateError> => {
  run.journal = { ...run.journal, sessions: run.journal.sessions.map((c) => (c.index === cp.index ? cp : c)) }
  return run.store.saveJournal(run.journal)
}

const knownSessionIds = (run: Run): ReadonlySet<string> =>
  new Set(run.journal.sessions.flatMap((c) => (c.oktaSessionId !== undefined ? [c.oktaSessionId] : [])))

const sleepCounted = (run: Run, millis: number) =>
  Effect.sleep(Duration.millis(millis)).pipe(
    Effect.tap(() =>
      Effect.sync(() => {
        run.waited += millis
      })
    )
  )

/** Wait `millis` with a WaitingForSessionGap countdown at least every 5 s. */
const countdown = (run: Run, millis: number, reason: string) =>
  Effect.gen(function* () {
    const emit = emitOf(run.options)
    let remaining = Math.max(0, millis)
    while (remaining > 0) {
      yield* emit({ _tag: "WaitingForSessionGap", remainingMillis: remaining, reason })
      const step = Math.min(COUNTDOWN_MILLIS, remaining)
      yield* sleepCounted(run, step)
      remaining -= step
    }
  })

const newestActivity = (sessions: ReadonlyArray<IdentitySourceSession>): number | undefined => {
  let best: number | undefined
  for (const s of sessions) {
    for (const t of [s.created, s.lastUpdated]) {
      const v = t === undefined ? NaN : Date.parse(t)
      if (Number.isFinite(v) && (best === undefined || v > best)) best = v
    }
  }
  return best
}

const ignoreOktaErrors = <A, R>(self: Effect.Effect<A, OktaApiError, R>) => Effect.ignore(self)

/** Create this plan session's Okta session, waiting out conflicts per policy. Returns the session id. */
/** Allowed error of the journal's start moved into Okta's clock (`Date` has 1 s resolution; requests take time). */
const ADOPT_CLOCK_SKEW_MILLIS = 60_000

const createdAtOrAfter = (s: IdentitySourceSession, millis: number): boolean => {
  const created = s.created === undefined ? Number.NaN : Date.parse(String(s.created))
  return !Number.isNaN(created) && created >= millis
}

const openSession = (run: Run, createInFlight: boolean): Effect.Effect<string, OktaApiError | ApplyError> =>
  Effect.gen(function* () {
    const { client, options } = run
    const emit = emitOf(options)
    const started = yield* Clock.currentTimeMillis
    const deadline = started + options.sessionTimeoutMs
    const foreignPoll = Math.max(1, Math.min(COUNTDOWN_MILLIS, pollBase(options)))
    let inFlight = createInFlight
    let transientFailures = 0
    let firstConflictAt: number | undefined
    for (;;) {
      const created = yield* Effect.either(client.createSession)
      if (created._tag === "Right") {
        run.lastCreatedAt = yield* client.serverTime
        return created.right.id
      }
      const e = created.left
      if (e.reason === "Server" || e.reason === "Transport" || e.reason === "Timeout") {
        // the session may have been created before the failure: the next conflict will show it
        inFlight = true
        transientFailures++
        if (transientFailures > 6) return yield* Effect.fail(e)
        yield* emit({ _tag: "Retrying", attempt: transientFailures, reason: `createSession: ${e.reason}` })
        yield* sleepCounted(run, Math.min(30_000, 500 * 2 ** transientFailures))
        continue
      }
      if (e.reason !== "SessionConflict") return yield* Effect.fail(e)

      const now = yield* Clock.currentTimeMillis
      firstConflictAt ??= now
      const listed = yield* client.listSessions
      const known = knownSessionIds(run)
      const active = listed.filter((s) => ACTIVE.has(s.status))
      if (inFlight) {
        // Only a session created after this journal started can be the one our lost create made: an older
        // empty CREATED session is someone else's (it is what blocked us), never ours to upload into.
        // The journal's start is this machine's time, a session's `created` is Okta's: move the start into Okta's
        // clock (the offset read off the `Date` header of the list call just made), so a machine whose clock is
        // off by hours neither misses its own session nor takes someone else's.
        const toServer = (yield* client.serverTime) - (yield* Clock.currentTimeMillis)
        const notBefore = Date.parse(run.journal.startedAt) + toServer - ADOPT_CLOCK_SKEW_MILLIS
        const orphan = active.find(
          (s) => s.status === "CREATED" && !known.has(s.id) && createdAtOrAfter(s, notBefore)
        )
        if (orphan) return orphan.id
      }
      const stale = active.filter((s) => known.has(s.id))
      const foreign = active.filter((s) => !known.has(s.id))
      const cancellable = (s: IdentitySourceSession) => s.status === "CREATED" || s.status === "IN_PROGRESS"
      // an earlier, abandoned session of this journal: ours to cancel
      const staleOpen = stale.filter(cancellable)
      if (staleOpen.length > 0) {
        for (const s of staleOpen) yield* ignoreOktaErrors(client.cancelSession(s.id))
        continue
      }
      if (options.foreignSessionPolicy === "cancel" && foreign.some(cancellable)) {
        for (const s of foreign.filter(cancellable)) yield* ignoreOktaErrors(client.cancelSession(s.id))
        continue
      }
      const blocking = [...stale, ...foreign]
      if (blocking.length > 0) {
        if (now >= deadline)
          return yield* Effect.fail(
            new ApplyError({
              reason: "ForeignSession",
              message: `Another import session (${blocking.map((s) => `${s.id} ${s.status}`).join(", ")}) kept the identity source busy for ${options.sessionTimeoutMs} ms; nothing was uploaded for this session. Try again later${options.foreignSessionPolicy === "wait" ? " or set okta.foreignSessionPolicy: cancel" : ""}.`,
              ...(blocking[0] ? { sessionId: blocking[0].id } : {})
            })
          )
        const s = blocking[0]!
        const reason =
          s.status === "TRIGGERED"
            ? `session ${s.id} is being imported (TRIGGERED); waiting for it to finish`
            : `another session ${s.id} is open (${s.status}); policy "${options.foreignSessionPolicy}": waiting for it to finish`
        yield* emit({ _tag: "WaitingForSessionGap", remainingMillis: deadline - now, reason })
        yield* sleepCounted(run, Math.min(foreignPoll, deadline - now))
        continue
      }
      // nothing active: the 5-minute rule
      const serverNow = yield* client.serverTime
      const last = newestActivity(listed) ?? run.lastCreatedAt
      let remaining =
        last !== undefined
          ? last + SESSION_GAP_MILLIS - serverNow
          : SESSION_GAP_MILLIS - (now - firstConflictAt)
      if (remaining <= 0) remaining = COUNTDOWN_MILLIS
      if (now - firstConflictAt > SESSION_GAP_MILLIS + options.sessionTimeoutMs)
        return yield* Effect.fail(
          new ApplyError({
            reason: "ForeignSession",
            message: `Okta kept refusing a new import session (${e.errorSummary ?? e.message}) with no active session in sight.`
          })
        )
      yield* countdown(
        run,
        Math.min(remaining, SESSION_GAP_MILLIS),
        "Okta allows one new import session per 5 minutes"
      )
    }
  })

/** Upload, trigger, poll and commit one plan session (one Okta session attempt). */
const attemptSession = (
  run: Run,
  batches: Batching.SessionBatches,
  attempt: number
): Effect.Effect<Attempt, OktaApiError | ApplyError | StateError> =>
  Effect.gen(function* () {
    const { client, options } = run
    const emit = emitOf(options)
    const total = run.sessions.length
    let cp = run.journal.sessions[batches.index] ?? emptyCheckpoint(batches.index)
    let sid = cp.oktaSessionId
    const resumed = sid !== undefined
    let uploadsHere = 0
    let remoteStatus: string | undefined

    // 1. the Okta session: resume the journal's, or open a new one
    if (sid !== undefined) {
      const got = yield* Effect.either(client.getSession(sid))
      if (got._tag === "Left") {
        if (got.left.reason === "NotFound" || got.left.reason === "InvalidSessionState")
          return { _tag: "Redo", reason: `session ${sid} is gone`, status: "NOT_FOUND" } satisfies Attempt
        return yield* Effect.fail(got.left)
      }
      remoteStatus = got.right.status
      if (remoteStatus === "ERROR" || remoteStatus === "EXPIRED" || remoteStatus === "CLOSED")
        return {
          _tag: "Redo",
          reason: `session ${sid} is ${remoteStatus}`,
          status: remoteStatus
        } satisfies Attempt
    } else {
      const inFlight = cp.status === "CREATED"
      // mark "create in flight" before calling: a crash after Okta created it lets the next run adopt it
      if (!inFlight) {
        cp = { index: batches.index, uploadedBatches: [], status: "CREATED" }
        yield* saveCheckpoint(run, cp)
      }
      sid = yield* openSession(run, inFlight || attempt > 1).pipe(
        // Gave up on a foreign session: no create of ours went through, so nothing is in flight any more.
        Effect.tapError((e) =>
          e._tag === "ApplyError" && e.reason === "ForeignSession"
            ? saveCheckpoint(run, { index: batches.index, uploadedBatches: [], status: "PENDING" })
            : Effect.void
        )
      )
      cp = { index: batches.index, oktaSessionId: sid, uploadedBatches: [], status: "CREATED" }
      yield* saveCheckpoint(run, cp)
      remoteStatus = "CREATED"
      yield* emit({ _tag: "SessionCreated", index: batches.index, total, sessionId: sid })
    }
    const sessionId = sid

    const redoAfterCancel = (reason: string) =>
      Effect.gen(function* () {
        yield* ignoreOktaErrors(client.cancelSession(sessionId))
        return { _tag: "Redo", reason, status: "CLOSED" } satisfies Attempt
      })

    // 2. uploads
    if (remoteStatus === "CREATED" || remoteStatus === "IN_PROGRESS") {
      const uploaded = new Set(cp.uploadedBatches)
      // resuming after a crash mid-upload: one more attempt than recorded may have reached Okta
      const budget = yield* makeUploadBudget(
        OktaLimits.maxUploadsPerSession,
        uploaded.size + (resumed ? 1 : 0)
      )
      for (const batch of batches.batches) {
        if (uploaded.has(batch.index)) continue
        if ((yield* budget.remaining) <= 0)
          return yield* redoAfterCancel("upload budget of 50 spent on retries")
        const result = yield* Effect.either(client.upload(sessionId, batch.upload, { budget }))
        if (result._tag === "Left") {
          const e = result.left
          if (e.reason === "InvalidSessionState" || e.reason === "NotFound") {
            const now = yield* Effect.either(client.getSession(sessionId))
            const status = now._tag === "Right" ? now.right.status : "NOT_FOUND"
            if (status === "CREATED" || status === "IN_PROGRESS")
              return yield* redoAfterCancel(`upload refused: ${e.message}`)
            return { _tag: "Redo", reason: `session ${sessionId} is ${status}`, status } satisfies Attempt
          }
          if (
            (e.reason === "Server" || e.reason === "Transport" || e.reason === "Timeout") &&
            (yield* budget.remaining) <= 0
          )
            return yield* redoAfterCancel(`upload budget of 50 spent on retries (${e.reason})`)
          if (e.reason === "Rejected") {
            yield* ignoreOktaErrors(client.cancelSession(sessionId))
            yield* saveCheckpoint(run, { ...cp, status: "FAILED" })
          }
          return yield* Effect.fail(e)
        }
        uploaded.add(batch.index)
        uploadsHere++
        run.uploads++
        cp = {
          index: batches.index,
          oktaSessionId: sessionId,
          uploadedBatches: [...uploaded].sort((a, b) => a - b),
          status: "UPLOADING"
        }
        yield* saveCheckpoint(run, cp)
        yield* emit({
          _tag: "BatchUploaded",
          sessionIndex: batches.index,
          batch: batch.index,
          batches: batches.batches.length,
          entities: batch.entities,
          bytes: batch.bytes
        })
      }

      // 3. start the import
      const started = yield* Effect.either(client.startImport(sessionId))
      if (started._tag === "Left") {
        const e = started.left
        if (e.reason !== "InvalidSessionState" && e.reason !== "NotFound") return yield* Effect.fail(e)
        const now = yield* Effect.either(client.getSession(sessionId))
        const status = now._tag === "Right" ? now.right.status : "NOT_FOUND"
        if (status === "CREATED") {
          // nothing Okta counted (e.g. only deletes of unknown ids): no import needed, nothing changes in Okta
          yield* ignoreOktaErrors(client.cancelSession(sessionId))
          return yield* commitSession(run, batches, sessionId, uploadsHere, "COMPLETED")
        }
        if (status !== "TRIGGERED" && status !== "COMPLETED")
          return {
            _tag: "Redo",
            reason: `start-import refused, session is ${status}`,
            status
          } satisfies Attempt
      }
      cp = { ...cp, oktaSessionId: sessionId, status: "TRIGGERED" }
      yield* saveCheckpoint(run, cp)
      yield* emit({ _tag: "SessionTriggered", sessionId })
      remoteStatus = "TRIGGERED"
    }

    // 4. poll until COMPLETED
    if (remoteStatus === "TRIGGERED") {
      if (cp.status !== "TRIGGERED") {
        cp = { ...cp, oktaSessionId: sessionId, status: "TRIGGERED" }
        yield* saveCheckpoint(run, cp)
      }
      const start = yield* Clock.currentTimeMillis
      const deadline = start + options.sessionTimeoutMs
      const base = pollBase(options)
      const cap = Math.max(base, Math.min(30_000, base * 16))
      let delay = base
      let last = "TRIGGERED"
      for (;;) {
        const got = yield* Effect.either(client.getSession(sessionId))
        if (got._tag === "Left") {
          if (got.left.reason === "NotFound")
            return {
              _tag: "Redo",
              reason: `session ${sessionId} vanished`,
              status: "NOT_FOUND"
            } satisfies Attempt
          return yield* Effect.fail(got.left)
        }
        const status = got.right.status
        if (status !== last) {
          last = status
          yield* emit({ _tag: "SessionStatus", sessionId, status })
        }
        if (status === "COMPLETED") break
        if (status === "ERROR" || status === "EXPIRED" || status === "CLOSED")
          return { _tag: "Redo", reason: `session ${sessionId} ended ${status}`, status } satisfies Attempt
        const now = yield* Clock.currentTimeMillis
        if (now >= deadline)
          return yield* Effect.fail(
            new ApplyError({
              reason: "Timeout",
              message: `Session ${sessionId} was still ${status} after ${options.sessionTimeoutMs} ms; the journal is kept and the next run resumes polling it.`,
              sessionId
            })
          )
        yield* Effect.sleep(Duration.millis(Math.min(delay, deadline - now)))
        delay = Math.min(cap, Math.ceil(delay * 1.5))
      }
    } else if (remoteStatus !== "COMPLETED") {
      return {
        _tag: "Redo",
        reason: `session ${sessionId} is ${remoteStatus}`,
        status: remoteStatus ?? "UNKNOWN"
      } satisfies Attempt
    }
    // We send start-import only once every batch is recorded, so a resumed session that is TRIGGERED/COMPLETED
    // while the journal misses batches was triggered by someone else: those batches never reached Okta.
    if (cp.uploadedBatches.length < batches.batches.length)
      return {
        _tag: "Redo",
        reason: `session ${sessionId} was imported before all its batches were uploaded`,
        status: "INCOMPLETE"
      } satisfies Attempt

    // 5. commit (only after COMPLETED)
    return yield* commitSession(run, batches, sessionId, uploadsHere, "COMPLETED")
  })

const commitSession = (
  run: Run,
  batches: Batching.SessionBatches,
  sessionId: string,
  uploadsHere: number,
  status: string
): Effect.Effect<Attempt, StateError> =>
  Effect.gen(function* () {
    const emit = emitOf(run.options)
    const changes = batches.batches.flatMap((b) => b.changes)
    const cp: SessionCheckpoint = {
      index: batches.index,
      oktaSessionId: sessionId,
      uploadedBatches: batches.batches.map((b) => b.index),
      status: "COMPLETED"
    }
    const journal: Journal = {
      ...run.journal,
      sessions: run.journal.sessions.map((c) => (c.index === cp.index ? cp : c))
    }
    const now = yield* Clock.currentTimeMillis
    yield* run.store.commit({ runId: run.journal.runId, at: iso(now), changes, journal })
    run.journal = journal
    yield* emit({ _tag: "SessionCompleted", sessionId, index: batches.index })
    yield* emit({ _tag: "Committed", index: batches.index, changes: changes.length })
    return {
      _tag: "Completed",
      report: {
        index: batches.index,
        oktaSessionId: sessionId,
        uploads: uploadsHere,
        entities: batches.entities,
        bytes: batches.bytes,
        status
      },
      changes: changes.length
    } satisfies Attempt
  })

/** Drive the journal to the end (or to a `stopBefore` boundary). */
const drive = (run: Run): Effect.Effect<ApplyResult, OktaApiError | ApplyError | StateError> =>
  Effect.gen(function* () {
    const emit = emitOf(run.options)
    const maxAttempts = run.options.maxSessionAttempts ?? 3
    const before = yield* run.client.metrics
    const reports: Array<SessionReport> = []
    let committed = 0
    for (const batches of run.sessions) {
      const cp = run.journal.sessions[batches.index]
      if (cp?.status === "COMPLETED") continue
      const fresh = cp === undefined || (cp.status === "PENDING" && cp.oktaSessionId === undefined)
      if (fresh && run.options.stopBefore && (yield* run.options.stopBefore)) {
        const after = yield* run.client.metrics
        return {
          completed: false,
          sessions: reports,
          uploads: run.uploads,
          committedChanges: committed,
          waitedMillis: run.waited + (after.waitedMillis - before.waitedMillis)
        }
      }
      let attempt = 1
      for (;;) {
        const outcome = yield* attemptSession(run, batches, attempt)
        if (outcome._tag === "Completed") {
          reports.push(outcome.report)
          committed += outcome.changes
          break
        }
        // redo from scratch in a new Okta session
        yield* saveCheckpoint(run, emptyCheckpoint(batches.index))
        if (attempt >= maxAttempts)
          return yield* Effect.fail(
            new ApplyError({
              reason: outcome.status === "EXPIRED" ? "SessionExpired" : "SessionFailed",
              message: `Session ${batches.index + 1}/${run.sessions.length} could not be imported after ${attempt} Okta sessions (last: ${outcome.reason}). Completed sessions are committed; the next run retries this one.`
            })
          )
        attempt++
        yield* emit({ _tag: "Retrying", attempt, reason: outcome.reason })
      }
    }
    yield* run.store.clearJournal
    const after = yield* run.client.metrics
    return {
      completed: true,
      sessions: reports,
      uploads: run.uploads,
      committedChanges: committed,
      waitedMillis: run.waited + (after.waitedMillis - before.waitedMillis)
    }
  })

const observe = (options: Pick<ApplyOptions, "onEvent">): Retry.RetryObserver => {
  const emit = emitOf(options)
  return (e) => {
    switch (e._tag) {
      case "RateLimited":
      case "SlowedDown":
        return emit({ _tag: "RateLimited", waitMillis: e.waitMillis })
      case "Retrying":
        return emit({ _tag: "Retrying", attempt: e.attempt, reason: `${e.endpoint}: ${e.reason}` })
    }
  }
}

const start = (
  client: OktaClientService,
  store: StateStoreService,
  journal: Journal,
  plan: Plan,
  options: Omit<ApplyOptions, "plan" | "runId">
): Effect.Effect<ApplyResult, OktaApiError | ApplyError | StateError> =>
  Effect.gen(function* () {
    const sessions = Batching.pack(plan, options.limits ?? Batching.defaultLimits)
    if (sessions.length !== journal.sessions.length)
      return yield* Effect.fail(
        new StateError({
          reason: "Corrupt",
          message: `The journal of run ${journal.runId} lists ${journal.sessions.length} sessions but its plan packs into ${sessions.length}; it was written with other limits or another version.`
        })
      )
    const run: Run = { client, store, options, sessions, journal, waited: 0, uploads: 0 }
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
      return yield* Effect.fail(
        new StateError({
          reason: "Conflict",
          message: `The plan is for identity source ${plan.identitySourceId} but the Okta client is configured for ${client.identitySourceId}.`
        })
      )
    const existing = yield* store.journal
    if (Option.isSome(existing)) {
      if (existing.value.runId === runId && existing.value.planHash === plan.hash)
        return yield* start(client, store, existing.value, plan, rest)
      return yield* Effect.fail(
        new StateError({
          reason: "Conflict",
          message: `An unfinished apply (run ${existing.value.runId}) is recorded in the state journal; resume it first (resumePending).`
        })
      )
    }
    const sessions = Batching.pack(plan, rest.limits ?? Batching.defaultLimits)
    if (sessions.length === 0)
      return { completed: true, sessions: [], uploads: 0, committedChanges: 0, waitedMillis: 0 }
    const now = yield* Clock.currentTimeMillis
    const journal: Journal = {
      runId,
      identitySourceId: plan.identitySourceId,
      planHash: plan.hash,
      planJson: PlanJson.stringify(plan),
      startedAt: iso(now),
      sessions: sessions.map((s) => emptyCheckpoint(s.index))
    }
    yield* store.saveJournal(journal)
    return yield* start(client, store, journal, plan, rest)
  })

/** The journal's plan, read back through `PlanJson` (shape and content hash checked): an edited journal is Corrupt. */
const parsePlan = (journal: Journal): Effect.Effect<Plan, StateError> =>
  PlanJson.parse(journal.planJson).pipe(
    Effect.filterOrFail(
      (plan) => plan.hash === journal.planHash,
      (plan) => ({ message: `its plan hashes to ${plan.hash.slice(0, 12)}…, the journal says ${journal.planHash.slice(0, 12)}…` })
    ),
    Effect.mapError(
      (e) =>
        new StateError({
          reason: "Corrupt",
          message: `The journal of run ${journal.runId} holds an unreadable plan: ${e.message}`
        })
    )
  )

/** If the StateStore holds the journal of an unfinished apply, finish it first (its stored plan, not a new one). */
export const resumePending = (
  options: Omit<ApplyOptions, "plan" | "runId">
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
    const plan = yield* parsePlan(journal)
    const from = journal.sessions.find((c) => c.status !== "COMPLETED")?.index ?? journal.sessions.length
    yield* emitOf(options)({ _tag: "Resumed", runId: journal.runId, fromSession: from })
    return Option.some(yield* start(client, store, journal, plan, options))
  })
