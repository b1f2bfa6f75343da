/**
 * Behavioural checks every StateStore implementation must pass, run against core's in-memory store and
 * the SQLite and PostgreSQL stores: `StateStoreConformance.stateStoreContract(name, makeStore)`.
 * Depends only on `@anysource/core` and `@effect/vitest`.
 *
 * `list` order is not part of the contract (memory keeps insertion order, SQLite sorts by externalId),
 * so lists are compared sorted.
 */
import { describe } from "@effect/vitest"
import type { MakeStore } from "./internal/contract.ts"
import { proofChecks } from "./internal/proofChecks.ts"
import { recordChecks } from "./internal/recordChecks.ts"
import { runChecks } from "./internal/runChecks.ts"

export type { MakeStore } from "./internal/contract.ts"

export const stateStoreContract = (name: string, makeStore: MakeStore) =>
  describe(`StateStore contract: ${name}`, () => {
    recordChecks(makeStore)
    runChecks(makeStore)
    proofChecks(makeStore)
  })
