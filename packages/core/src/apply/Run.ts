/**
 * One apply in progress: its options and events, the packed sessions, and its state in `Ref`s (the journal as last
 * saved, uploads sent, time waited, when this process last created a session). Every step of the orchestrator
 * reads and updates the run through the helpers here, so the journal in the store and in memory never disagree.
 */
import { Clock, Data, Duration, Effect, Ref } from "effect"
import type { StateError } from "../domain/Errors.ts"
import type { OktaClientService } from "../okta/OktaClient.ts"
import type { Plan } from "../plan/Plan.ts"
import type { Journal, SessionCheckpoint, StateStoreService } from "../state/StateStore.ts"
import type * as Batching from "./Batching.ts"
import * as JournalFile from "./Journal.ts"

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

export type SessionOptions = Omit<ApplyOptions, "plan" | "runId">

export interface SessionReport {
  index: number
  oktaSessionId: string
  uploads: number
  entities: number
  bytes: number
  status: string
}

export interface ApplyResult {
  /** false = stopped at a session boundary (`stopBefore`), journal saved. */
  completed: boolean
  sessions: ReadonlyArray<SessionReport>
  /** Uploads Okta accepted in this call. */
  uploads: number
  committedChanges: number
  /** Time spent waiting: session gaps, foreign sessions, rate limits and retry backoff. */
  waitedMillis: number
}

/** One plan session made it: Okta COMPLETED it and its changes are committed. */
export interface Completed {
  readonly _tag: "Completed"
  readonly report: SessionReport
  readonly changes: number
}

/** This Okta session cannot finish the plan session (it ended, vanished, or ran out of uploads): redo it in a new one. */
export class Redo extends Data.TaggedError("Redo")<{ readonly reason: string; readonly status: string }> {}

export interface Run {
  readonly client: OktaClientService
  readonly store: StateStoreService
  readonly options: SessionOptions
  readonly sessions: ReadonlyArray<Batching.SessionBatches>
  /** The journal as last saved. */
  readonly journal: Ref.Ref<Journal>
  /** Time slept by the orchestrator itself (session gaps, foreign sessions, create-session backoff). */
  readonly waited: Ref.Ref<number>
  /** Uploads Okta accepted in this call. */
  readonly uploads: Ref.Ref<number>
  /** Server time at which this process last created a session (for the 5-minute countdown). */
  readonly lastCreatedAt: Ref.Ref<number | undefined>
}

export const makeRun = (
  client: OktaClientService,
  store: StateStoreService,
  options: SessionOptions,
  sessions: ReadonlyArray<Batching.SessionBatches>,
  journal: Journal
): Effect.Effect<Run> =>
  Effect.all({
    journal: Ref.make(journal),
    waited: Ref.make(0),
    uploads: Ref.make(0),
    lastCreatedAt: Ref.make<number | undefined>(undefined)
  }).pipe(Effect.map((refs) => ({ client, store, options, sessions, ...refs })))

export const emit = (options: Pick<ApplyOptions, "onEvent">, event: ApplyEvent): Effect.Effect<void> =>
  options.onEvent ? options.onEvent(event) : Effect.void

export const pollBaseMillis = (options: Pick<ApplyOptions, "pollInterval">): number =>
  Duration.toMillis(Duration.decode(options.pollInterval ?? "2 seconds"))

export const iso = (millis: number): string => new Date(millis).toISOString()

/** Save `checkpoint` in place of its session's, in memory and in the store. */
export const saveCheckpoint = (run: Run, checkpoint: SessionCheckpoint): Effect.Effect<void, StateError> =>
  Effect.flatMap(Ref.get(run.journal), (journal) => {
    const next = JournalFile.withCheckpoint(journal, checkpoint)
    return Effect.zipRight(Ref.set(run.journal, next), run.store.saveJournal(next))
  })

/** The Okta sessions this journal has used: ours (stale if still open), never someone else's. */
export const knownSessionIds = (run: Run): Effect.Effect<ReadonlySet<string>> =>
  Effect.map(
    Ref.get(run.journal),
    (journal) =>
      new Set(journal.sessions.flatMap((c) => (c.oktaSessionId !== undefined ? [c.oktaSessionId] : [])))
  )

/** Sleep, counted in `waitedMillis`. */
export const sleepCounted = (run: Run, millis: number): Effect.Effect<void> =>
  Effect.zipRight(
    Effect.sleep(Duration.millis(millis)),
    Ref.update(run.waited, (w) => w + millis)
  )

/** Commit one COMPLETED session: its changes and its checkpoint in one atomic store `commit`. */
export const commitSession = (
  run: Run,
  batches: Batching.SessionBatches,
  sessionId: string,
  uploadsHere: number
): Effect.Effect<Completed, StateError> =>
  Effect.gen(function* () {
    const changes = batches.batches.flatMap((b) => b.changes)
    const cp: SessionCheckpoint = {
      index: batches.index,
      oktaSessionId: sessionId,
      uploadedBatches: batches.batches.map((b) => b.index),
      status: "COMPLETED"
    }
    const journal = JournalFile.withCheckpoint(yield* Ref.get(run.journal), cp)
    const now = yield* Clock.currentTimeMillis
    yield* run.store.commit({ runId: journal.runId, at: iso(now), changes, journal })
    yield* Ref.set(run.journal, journal)
    yield* emit(run.options, { _tag: "SessionCompleted", sessionId, index: batches.index })
    yield* emit(run.options, { _tag: "Committed", index: batches.index, changes: changes.length })
    const report = {
      index: batches.index,
      oktaSessionId: sessionId,
      uploads: uploadsHere,
      entities: batches.entities,
      bytes: batches.bytes,
      status: "COMPLETED"
    }
    return { _tag: "Completed", report, changes: changes.length } satisfies Completed
  })
