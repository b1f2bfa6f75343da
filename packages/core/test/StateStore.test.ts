import { it, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as StateStore from "../src/state/StateStore.ts"
import { stateStoreContract } from "../src/state/StateStoreConformance.ts"

it.effect("memory store commits upserts and deactivations", () =>
  Effect.gen(function* () {
    const store = yield* StateStore.makeMemory("0oaTEST")
    yield* store.commit({
      runId: "r1",
      at: "2026-01-01T00:00:00.000Z",
      changes: [
        { kind: "user", op: "upsert", externalId: "e1", hash: "h1", profile: { email: "a@b.co" } },
        { kind: "membership", op: "add", groupExternalId: "g1", memberExternalIds: ["e1"] }
      ]
    })
    yield* store.commit({ runId: "r2", at: "2026-01-02T00:00:00.000Z", changes: [{ kind: "user", op: "deactivate", externalId: "e1" }] })
    const index = yield* store.index("user")
    expect(index.get("e1")).toEqual({ hash: "h1", status: "DEACTIVATED" })
    expect((yield* store.memberships).get("g1")?.has("e1")).toBe(true)
    expect(Option.isNone(yield* store.journal)).toBe(true)
  })
)

it("runOutcome reads a stored outcome in the report's words, including the words of older histories", () => {
  for (const outcome of ["no-changes", "planned", "applied", "partial", "safeguard", "failed"] as const)
    expect(StateStore.runOutcome(outcome)).toBe(outcome)
  expect(StateStore.runOutcome("succeeded")).toBe("applied")
  expect(StateStore.runOutcome("interrupted")).toBe("partial")
  expect(StateStore.runOutcome(null)).toBeUndefined()
  expect(StateStore.runOutcome("exploded")).toBeUndefined()
})

// The memory store keeps the same contract as the durable ones (they run it in their own packages).
stateStoreContract("memory", () => StateStore.makeMemory("0oaCONTRACT"))
