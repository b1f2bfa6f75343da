/**
 * Creating the Okta session for one plan session. Okta allows one open session per identity source and one new
 * session per 5 minutes, so a create may be refused (`SessionConflict`); then the listed sessions say why:
 *
 * - the session a lost create of ours made (only while a create may be in flight): adopted;
 * - an open session of this journal (an earlier, abandoned attempt): ours to cancel;
 * - someone else's open session: cancelled with `foreignSessionPolicy: cancel`, else waited for;
 * - nothing active: the 5-minute rule, counted down.
 *
 * A create that fails with no answer (5xx, dropped connection, timeout) may have made a session, so the next
 * refusal looks for it; it is retried on `SessionRules.createSessionRetry`.
 */
import { Clock, Effect, Ref, Schedule } from "effect"
import { ApplyError, type OktaApiError } from "../domain/Errors.ts"
import type { IdentitySourceSession } from "../okta/OktaClient.ts"
import * as SessionRules from "../okta/SessionRules.ts"
import { emit, knownSessionIds, pollBaseMillis, sleepCounted, type Run } from "./Run.ts"

interface Opening {
  readonly run: Run
  readonly deadline: number
  /** A create of ours may have gone through without our hearing of it. */
  readonly inFlight: Ref.Ref<boolean>
  readonly firstConflictAt: Ref.Ref<number | undefined>
  /** The create-session backoff: its state lasts for the whole opening. */
  readonly transient: Schedule.ScheduleDriver<unknown, OktaApiError>
}

interface Opened {
  readonly _tag: "Opened"
  readonly sessionId: string
}
type Step = Opened | { readonly _tag: "Again" }

const again: Step = { _tag: "Again" }
const opened = (sessionId: string): Step => ({ _tag: "Opened", sessionId })

const ignoreOktaErrors = <A, R>(self: Effect.Effect<A, OktaApiError, R>) => Effect.ignore(self)

/** Create this plan session's Okta session, waiting out conflicts per policy. Returns the session id. */
export const openSession = (
  run: Run,
  createInFlight: boolean
): Effect.Effect<string, OktaApiError | ApplyError> =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const transient = yield* Schedule.driver(
      SessionRules.createSessionRetry((e, attempt, waitMillis) =>
        Effect.zipRight(
          emit(run.options, { _tag: "Retrying", attempt, reason: `createSession: ${e.reason}` }),
          Ref.update(run.waited, (w) => w + waitMillis)
        )
      )
    )
    const opening: Opening = {
      run,
      deadline: started + run.options.sessionTimeoutMs,
      inFlight: yield* Ref.make(createInFlight),
      firstConflictAt: yield* Ref.make<number | undefined>(undefined),
      transient
    }
    const step = yield* Effect.repeat(tryCreate(opening), { until: (s): s is Opened => s._tag === "Opened" })
    return step.sessionId
  })

/** One create: the session, or what to do about the failure (back off, resolve a conflict) before the next one. */
const tryCreate = (o: Opening): Effect.Effect<Step, OktaApiError | ApplyError> =>
  Effect.gen(function* () {
    const { client } = o.run
    const created = yield* Effect.either(client.createSession)
    if (created._tag === "Right") {
      yield* Ref.set(o.run.lastCreatedAt, yield* client.serverTime)
      return opened(created.right.id)
    }
    const e = created.left
    if (e.reason === "Server" || e.reason === "Transport" || e.reason === "Timeout") {
      // the session may have been created before the failure: the next conflict will show it
      yield* Ref.set(o.inFlight, true)
      yield* o.transient.next(e).pipe(Effect.catchAll(() => Effect.fail(e)))
      return again
    }
    if (e.reason !== "SessionConflict") return yield* Effect.fail(e)
    return yield* resolveConflict(o, e)
  })

/** Create was refused: look at the sessions Okta lists and adopt, cancel, wait or count down. */
const resolveConflict = (o: Opening, refusal: OktaApiError): Effect.Effect<Step, OktaApiError | ApplyError> =>
  Effect.gen(function* () {
    const { client, options } = o.run
    const now = yield* Clock.currentTimeMillis
    const firstConflictAt = (yield* Ref.get(o.firstConflictAt)) ?? now
    yield* Ref.set(o.firstConflictAt, firstConflictAt)
    const listed = yield* client.listSessions
    const known = yield* knownSessionIds(o.run)
    const active = listed.filter(SessionRules.isActive)
    if (yield* Ref.get(o.inFlight)) {
      const ours = yield* adoptable(o.run, active, known)
      if (ours !== undefined) return opened(ours.id)
    }
    const stale = active.filter((s) => known.has(s.id))
    const foreign = active.filter((s) => !known.has(s.id))
    // an earlier, abandoned session of this journal: ours to cancel
    const staleOpen = stale.filter(SessionRules.isCancellable)
    if (staleOpen.length > 0) return yield* cancelAll(o.run, staleOpen)
    if (options.foreignSessionPolicy === "cancel" && foreign.some(SessionRules.isCancellable))
      return yield* cancelAll(o.run, foreign.filter(SessionRules.isCancellable))
    const blocking = [...stale, ...foreign]
    if (blocking.length > 0) return yield* waitForBlocking(o, blocking, now)
    return yield* countDownGap(o, listed, refusal, now, firstConflictAt)
  })

/** The session our lost create made, if listed (compared in Okta's clock: the offset of the list call's `Date`). */
const adoptable = (
  run: Run,
  active: ReadonlyArray<IdentitySourceSession>,
  known: ReadonlySet<string>
): Effect.Effect<IdentitySourceSession | undefined> =>
  Effect.gen(function* () {
    const toServer = (yield* run.client.serverTime) - (yield* Clock.currentTimeMillis)
    const journal = yield* Ref.get(run.journal)
    return SessionRules.lostCreate(active, known, Date.parse(journal.startedAt) + toServer)
  })

const cancelAll = (run: Run, sessions: ReadonlyArray<IdentitySourceSession>): Effect.Effect<Step> =>
  Effect.as(
    Effect.forEach(sessions, (s) => ignoreOktaErrors(run.client.cancelSession(s.id)), { discard: true }),
    again
  )

/** Another session is active: wait for it (polling the list), up to the session timeout. */
const waitForBlocking = (
  o: Opening,
  blocking: ReadonlyArray<IdentitySourceSession>,
  now: number
): Effect.Effect<Step, ApplyError> =>
  Effect.gen(function* () {
    const { options } = o.run
    if (now >= o.deadline)
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
    yield* emit(options, { _tag: "WaitingForSessionGap", remainingMillis: o.deadline - now, reason })
    const poll = Math.max(1, Math.min(SessionRules.countdownStepMillis, pollBaseMillis(options)))
    yield* sleepCounted(o.run, Math.min(poll, o.deadline - now))
    return again
  })

/** Nothing is active, yet Okta refuses: the 5-minute rule. Count it down (an event every 5 s), then try again. */
const countDownGap = (
  o: Opening,
  listed: ReadonlyArray<IdentitySourceSession>,
  refusal: OktaApiError,
  now: number,
  firstConflictAt: number
): Effect.Effect<Step, ApplyError> =>
  Effect.gen(function* () {
    const { client, options } = o.run
    const serverNow = yield* client.serverTime
    const lastActivity = SessionRules.newestActivity(listed) ?? (yield* Ref.get(o.run.lastCreatedAt))
    const wait = SessionRules.gapRemaining({ lastActivity, serverNow, now, firstConflictAt })
    if (now - firstConflictAt > SessionRules.sessionGapMillis + options.sessionTimeoutMs)
      return yield* Effect.fail(
        new ApplyError({
          reason: "ForeignSession",
          message: `Okta kept refusing a new import session (${refusal.errorSummary ?? refusal.message}) with no active session in sight.`
        })
      )
    const reason = "Okta allows one new import session per 5 minutes"
    yield* Effect.forEach(
      SessionRules.countdownSteps(wait),
      ({ remainingMillis, stepMillis }) =>
        Effect.zipRight(
          emit(options, { _tag: "WaitingForSessionGap", remainingMillis, reason }),
          sleepCounted(o.run, stepMillis)
        ),
      { discard: true }
    )
    return again
  })
