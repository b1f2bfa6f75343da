/** What the conformance checks share: fixed times, sorting helpers, a journal, the reason of a refused lock. */
import { Effect, type Scope } from "effect"
import type { StateError } from "../../domain/Errors.ts"
import type * as StateStore from "../StateStore.ts"

export type Store = StateStore.StateStoreService
export type MakeStore = () => Effect.Effect<Store, StateError, Scope.Scope>

export const t1 = "2026-01-01T00:00:00.000Z"
export const t2 = "2026-01-02T00:00:00.000Z"
export const t3 = "2026-01-03T00:00:00.000Z"

export const byId = (entries: ReadonlyArray<StateStore.StateEntry>) =>
  [...entries].sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0))

export const membershipsOf = (store: Store) =>
  Effect.map(store.memberships, (m) =>
    Object.fromEntries(
      [...m].map(([g, members]) => [g, [...members].sort()] as const).sort(([a], [b]) => (a < b ? -1 : 1))
    )
  )

export const journal = (
  runId: string,
  sessions: ReadonlyArray<StateStore.SessionCheckpoint>
): StateStore.Journal => ({
  runId,
  identitySourceId: "0oaCONTRACT",
  planHash: `plan-${runId}`,
  planJson: JSON.stringify({ runId, users: ["a", "b"] }),
  startedAt: t1,
  sessions
})

export const lockedReason = <A>(effect: Effect.Effect<A, StateError, Scope.Scope>) =>
  Effect.scoped(effect).pipe(
    Effect.flip,
    Effect.map((e) => e.reason)
  )
