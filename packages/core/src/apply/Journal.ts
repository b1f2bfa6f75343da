/**
 * The journal of an apply: the plan as `PlanJson` writes it, and one checkpoint per packed session. Written
 * before the first Okta call and after every step, read back through `PlanJson.parse` (shape and content hash
 * checked) when a run resumes, so a resumed apply sends exactly what was planned, or refuses a damaged journal.
 */
import { Effect } from "effect"
import { StateError } from "../domain/Errors.ts"
import type { Plan } from "../plan/Plan.ts"
import * as PlanJson from "../plan/PlanJson.ts"
import type { Journal, SessionCheckpoint } from "../state/StateStore.ts"

export const emptyCheckpoint = (index: number): SessionCheckpoint => ({
  index,
  uploadedBatches: [],
  status: "PENDING"
})

/** A fresh journal for `plan`, packed into `sessions` sessions, started at `startedAt` (ISO-8601, this machine). */
export const create = (plan: Plan, runId: string, sessions: number, startedAt: string): Journal => ({
  runId,
  identitySourceId: plan.identitySourceId,
  planHash: plan.hash,
  planJson: PlanJson.stringify(plan),
  startedAt,
  sessions: Array.from({ length: sessions }, (_, index) => emptyCheckpoint(index))
})

export const withCheckpoint = (journal: Journal, checkpoint: SessionCheckpoint): Journal => ({
  ...journal,
  sessions: journal.sessions.map((c) => (c.index === checkpoint.index ? checkpoint : c))
})

/** The journal's plan, read back through `PlanJson` (shape and content hash checked): an edited journal is Corrupt. */
export const readPlan = (journal: Journal): Effect.Effect<Plan, StateError> =>
  PlanJson.parse(journal.planJson).pipe(
    Effect.filterOrFail(
      (plan) => plan.hash === journal.planHash,
      (plan) => ({
        message: `its plan hashes to ${plan.hash.slice(0, 12)}…, the journal says ${journal.planHash.slice(0, 12)}…`
      })
    ),
    Effect.mapError(
      (e) =>
        new StateError({
          reason: "Corrupt",
          message: `The journal of run ${journal.runId} holds an unreadable plan: ${e.message}`
        })
    )
  )

/** The first session of the journal not yet COMPLETED (its length when all are). */
export const resumesAt = (journal: Journal): number =>
  journal.sessions.find((c) => c.status !== "COMPLETED")?.index ?? journal.sessions.length
