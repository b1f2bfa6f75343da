/**
 * One attempt at one plan session, in one Okta session, as named steps:
 *
 * 1. `acquire`: resume the journal's Okta session, or open a new one (the checkpoint says CREATED before the
 *    create, so a crash after Okta made it lets the next run adopt it);
 * 2. `uploadBatches`: send the batches the checkpoint lacks, within the session's 50-upload budget;
 * 3. `startImport`: trigger the import (a session Okta counted nothing in needs none);
 * 4. `awaitImport`: poll until COMPLETED, on `SessionRules.pollSchedule`;
 * 5. commit, only after COMPLETED.
 *
 * A step that finds this Okta session unable to finish (it ended, vanished, ran out of uploads) fails with `Redo`;
 * the orchestrator then redoes the plan session in a new Okta session. A non-retryable upload rejection (4xx)
 * cancels the session, marks the checkpoint FAILED and fails: the next run discards that journal.
 */
import { Clock, Effect, Ref } from "effect"
import { ApplyError, type OktaApiError, type StateError } from "../domain/Errors.ts"
import { OktaLimits } from "../okta/Limits.ts"
import { makeUploadBudget, type UploadBudget } from "../okta/OktaClient.ts"
import * as SessionRules from "../okta/SessionRules.ts"
import type { SessionCheckpoint } from "../state/StateStore.ts"
import type * as Batching from "./Batching.ts"
import { emptyCheckpoint } from "./Journal.ts"
import { openSession } from "./OpenSession.ts"
import { commitSession, emit, pollBaseMillis, Redo, saveCheckpoint, type Completed, type Run } from "./Run.ts"

/** Where this attempt stands: its Okta session, the checkpoint as saved, what Okta last said, uploads sent. */
interface Attempt {
  readonly run: Run
  readonly batches: Batching.SessionBatches
  readonly sessionId: string
  readonly checkpoint: SessionCheckpoint
  /** The journal already named this Okta session when the attempt began (a resume after a crash). */
  readonly resumed: boolean
  readonly remoteStatus: string
  readonly uploads: number
}

type Failure = OktaApiError | ApplyError | StateError

const ignoreOktaErrors = <A, R>(self: Effect.Effect<A, OktaApiError, R>) => Effect.ignore(self)
const isTransient = (e: OktaApiError) =>
  e.reason === "Server" || e.reason === "Transport" || e.reason === "Timeout"

/** Upload, trigger, poll and commit one plan session (one Okta session attempt). */
export const attemptSession = (
  run: Run,
  batches: Batching.SessionBatches,
  attempt: number
): Effect.Effect<Completed, Failure | Redo> =>
  Effect.gen(function* () {
    let a = yield* acquire(run, batches, attempt)
    if (a.remoteStatus === "CREATED" || a.remoteStatus === "IN_PROGRESS") {
      a = yield* uploadBatches(a)
      const started = yield* startImport(a)
      // nothing Okta counted (e.g. only deletes of unknown ids): no import needed, nothing changes in Okta
      if (started === "nothing to import") return yield* commitSession(run, batches, a.sessionId, a.uploads)
      a = started
    }
    if (a.remoteStatus === "TRIGGERED") yield* awaitImport(a)
    else if (a.remoteStatus !== "COMPLETED")
      return yield* new Redo({
        reason: `session ${a.sessionId} is ${a.remoteStatus}`,
        status: a.remoteStatus
      })
    // We send start-import only once every batch is recorded, so a resumed session that is TRIGGERED/COMPLETED
    // while the journal misses batches was triggered by someone else: those batches never reached Okta.
    if (a.checkpoint.uploadedBatches.length < batches.batches.length)
      return yield* new Redo({
        reason: `session ${a.sessionId} was imported before all its batches were uploaded`,
        status: "INCOMPLETE"
      })
    return yield* commitSession(run, batches, a.sessionId, a.uploads)
  })

/** Step 1: the journal's Okta session if it names one (and it is still usable), else a new one. */
const acquire = (
  run: Run,
  batches: Batching.SessionBatches,
  attempt: number
): Effect.Effect<Attempt, Failure | Redo> =>
  Effect.gen(function* () {
    const cp = (yield* Ref.get(run.journal)).sessions[batches.index] ?? emptyCheckpoint(batches.index)
    const base = { run, batches, uploads: 0 }
    const sid = cp.oktaSessionId
    if (sid !== undefined) {
      const got = yield* Effect.either(run.client.getSession(sid))
      if (got._tag === "Left") {
        if (got.left.reason === "NotFound" || got.left.reason === "InvalidSessionState")
          return yield* new Redo({ reason: `session ${sid} is gone`, status: "NOT_FOUND" })
        return yield* Effect.fail(got.left)
      }
      const status = got.right.status
      if (SessionRules.isDead(status))
        return yield* new Redo({ reason: `session ${sid} is ${status}`, status })
      return { ...base, sessionId: sid, checkpoint: cp, resumed: true, remoteStatus: status }
    }
    const inFlight = cp.status === "CREATED"
    // mark "create in flight" before calling: a crash after Okta created it lets the next run adopt it
    if (!inFlight)
      yield* saveCheckpoint(run, { index: batches.index, uploadedBatches: [], status: "CREATED" })
    const sessionId = yield* openSession(run, inFlight || attempt > 1).pipe(
      // Gave up on a foreign session: no create of ours went through, so nothing is in flight any more.
      Effect.tapError((e) =>
        e._tag === "ApplyError" && e.reason === "ForeignSession"
          ? saveCheckpoint(run, emptyCheckpoint(batches.index))
          : Effect.void
      )
    )
    const checkpoint: SessionCheckpoint = {
      index: batches.index,
      oktaSessionId: sessionId,
      uploadedBatches: [],
      status: "CREATED"
    }
    yield* saveCheckpoint(run, checkpoint)
    yield* emit(run.options, {
      _tag: "SessionCreated",
      index: batches.index,
      total: run.sessions.length,
      sessionId
    })
    return { ...base, sessionId, checkpoint, resumed: false, remoteStatus: "CREATED" }
  })

/** Cancel this attempt's session (so the identity source is not blocked) and redo the plan session. */
const redoAfterCancel = (a: Attempt, reason: string): Effect.Effect<never, Redo> =>
  Effect.zipRight(
    ignoreOktaErrors(a.run.client.cancelSession(a.sessionId)),
    new Redo({ reason, status: "CLOSED" })
  )

/** Step 2: every batch the checkpoint lacks, in order; each accepted batch is checkpointed. */
const uploadBatches = (start: Attempt): Effect.Effect<Attempt, Failure | Redo> =>
  Effect.gen(function* () {
    // resuming after a crash mid-upload: one more attempt than recorded may have reached Okta
    const used = start.checkpoint.uploadedBatches.length + (start.resumed ? 1 : 0)
    const budget = yield* makeUploadBudget(OktaLimits.maxUploadsPerSession, used)
    let a = start
    for (const batch of start.batches.batches) {
      if (a.checkpoint.uploadedBatches.includes(batch.index)) continue
      if ((yield* budget.remaining) <= 0)
        return yield* redoAfterCancel(a, "upload budget of 50 spent on retries")
      a = yield* uploadOne(a, batch, budget)
    }
    return a
  })

const uploadOne = (
  a: Attempt,
  batch: Batching.Batch,
  budget: UploadBudget
): Effect.Effect<Attempt, Failure | Redo> =>
  Effect.gen(function* () {
    const { run, batches, sessionId } = a
    const result = yield* Effect.either(run.client.upload(sessionId, batch.upload, { budget }))
    if (result._tag === "Left") return yield* uploadFailed(a, result.left, budget)
    const uploaded = [...a.checkpoint.uploadedBatches, batch.index].sort((x, y) => x - y)
    const checkpoint: SessionCheckpoint = {
      index: batches.index,
      oktaSessionId: sessionId,
      uploadedBatches: uploaded,
      status: "UPLOADING"
    }
    yield* Ref.update(run.uploads, (n) => n + 1)
    yield* saveCheckpoint(run, checkpoint)
    yield* emit(run.options, {
      _tag: "BatchUploaded",
      sessionIndex: batches.index,
      batch: batch.index,
      batches: batches.batches.length,
      entities: batch.entities,
      bytes: batch.bytes
    })
    return { ...a, checkpoint, uploads: a.uploads + 1 }
  })

/** An upload failed after the client's retries: redo elsewhere, or give up on the journal (a 4xx rejection). */
const uploadFailed = (
  a: Attempt,
  e: OktaApiError,
  budget: UploadBudget
): Effect.Effect<never, Failure | Redo> =>
  Effect.gen(function* () {
    if (e.reason === "InvalidSessionState" || e.reason === "NotFound") {
      const status = yield* currentStatus(a)
      if (status === "CREATED" || status === "IN_PROGRESS")
        return yield* redoAfterCancel(a, `upload refused: ${e.message}`)
      return yield* new Redo({ reason: `session ${a.sessionId} is ${status}`, status })
    }
    if (isTransient(e) && (yield* budget.remaining) <= 0)
      return yield* redoAfterCancel(a, `upload budget of 50 spent on retries (${e.reason})`)
    if (e.reason === "Rejected") {
      yield* ignoreOktaErrors(a.run.client.cancelSession(a.sessionId))
      yield* saveCheckpoint(a.run, { ...a.checkpoint, status: "FAILED" })
    }
    return yield* Effect.fail(e)
  })

/** What Okta says about this attempt's session now (`NOT_FOUND` when it cannot say). */
const currentStatus = (a: Attempt): Effect.Effect<string> =>
  Effect.map(Effect.either(a.run.client.getSession(a.sessionId)), (got) =>
    got._tag === "Right" ? got.right.status : "NOT_FOUND"
  )

/** Step 3: start the import; a refusal is looked into (already triggered or done, nothing counted, or dead). */
const startImport = (a: Attempt): Effect.Effect<Attempt | "nothing to import", Failure | Redo> =>
  Effect.gen(function* () {
    const started = yield* Effect.either(a.run.client.startImport(a.sessionId))
    if (started._tag === "Left") {
      const e = started.left
      if (e.reason !== "InvalidSessionState" && e.reason !== "NotFound") return yield* Effect.fail(e)
      const status = yield* currentStatus(a)
      if (status === "CREATED") {
        yield* ignoreOktaErrors(a.run.client.cancelSession(a.sessionId))
        return "nothing to import" as const
      }
      if (status !== "TRIGGERED" && status !== "COMPLETED")
        return yield* new Redo({ reason: `start-import refused, session is ${status}`, status })
    }
    const checkpoint: SessionCheckpoint = { ...a.checkpoint, oktaSessionId: a.sessionId, status: "TRIGGERED" }
    yield* saveCheckpoint(a.run, checkpoint)
    yield* emit(a.run.options, { _tag: "SessionTriggered", sessionId: a.sessionId })
    return { ...a, checkpoint, remoteStatus: "TRIGGERED" }
  })

/** Step 4: poll the TRIGGERED session until COMPLETED; Redo when it ends otherwise, ApplyError at the deadline. */
const awaitImport = (a: Attempt): Effect.Effect<void, Failure | Redo> =>
  Effect.gen(function* () {
    const { run, sessionId } = a
    if (a.checkpoint.status !== "TRIGGERED")
      yield* saveCheckpoint(run, { ...a.checkpoint, oktaSessionId: sessionId, status: "TRIGGERED" })
    const deadline = (yield* Clock.currentTimeMillis) + run.options.sessionTimeoutMs
    const last = yield* Ref.make("TRIGGERED")
    const poll = Effect.gen(function* () {
      const got = yield* Effect.either(run.client.getSession(sessionId))
      if (got._tag === "Left") {
        if (got.left.reason === "NotFound")
          return yield* new Redo({ reason: `session ${sessionId} vanished`, status: "NOT_FOUND" })
        return yield* Effect.fail(got.left)
      }
      const status = got.right.status
      if (status !== (yield* Ref.getAndSet(last, status)))
        yield* emit(run.options, { _tag: "SessionStatus", sessionId, status })
      if (status === "COMPLETED") return true
      if (SessionRules.isDead(status))
        return yield* new Redo({ reason: `session ${sessionId} ended ${status}`, status })
      if ((yield* Clock.currentTimeMillis) >= deadline)
        return yield* new ApplyError({
          reason: "Timeout",
          message: `Session ${sessionId} was still ${status} after ${run.options.sessionTimeoutMs} ms; the journal is kept and the next run resumes polling it.`,
          sessionId
        })
      return false
    })
    yield* Effect.repeat(poll, {
      schedule: SessionRules.pollSchedule(pollBaseMillis(run.options), deadline),
      until: (done) => done
    })
  })
