/**
 * Model-based: random sequences of commits (upserts, deactivations, membership changes over a small id space,
 * so records collide within and across batches) give the same state in PostgreSQL as in core's in-memory store.
 */
import { StateStore } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { open, schemas } from "./helpers/pg.ts"

const { fresh } = schemas("equiv")

const id = fc.constantFrom("a", "b", "c", "d", "\u0000x", "é")
const change: fc.Arbitrary<StateStore.CommittedChange> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("user" as const, "group" as const),
    op: fc.constant("upsert" as const),
    externalId: id,
    hash: fc.constantFrom("h1", "h2", "h3"),
    profile: fc.dictionary(fc.constantFrom("email", "title", "x y"), fc.option(fc.string({ maxLength: 4 }), { nil: null }), { maxKeys: 3 })
  }),
  fc.record({ kind: fc.constantFrom("user" as const, "group" as const), op: fc.constant("deactivate" as const), externalId: id }),
  fc.record({
    kind: fc.constant("membership" as const),
    op: fc.constantFrom("add" as const, "remove" as const),
    groupExternalId: fc.constantFrom("g1", "g2"),
    memberExternalIds: fc.array(id, { maxLength: 4 })
  })
)
const batches = fc.array(fc.array(change, { maxLength: 12 }), { minLength: 1, maxLength: 5 })

const snapshotOf = (store: StateStore.StateStoreService) =>
  Effect.gen(function* () {
    const out: Record<string, unknown> = {}
    for (const kind of ["user", "group"] as const) {
      const index = yield* store.index(kind)
      out[`${kind}Index`] = [...index].sort(([a], [b]) => (a < b ? -1 : 1))
      const entries = yield* store.entries(kind, [...index.keys()])
      out[`${kind}Entries`] = [...entries.values()].sort((a, b) => (a.externalId < b.externalId ? -1 : 1))
    }
    const members = yield* store.memberships
    out["memberships"] = [...members].map(([g, m]) => [g, [...m].sort()]).sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1))
    return out
  })

describe("PostgreSQL store = in-memory store", () => {
  it.scoped(
    "random commit sequences end in the same state",
    () =>
      Effect.gen(function* () {
        const schema = fresh()
        let n = 0
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(batches, async (sequence) => {
              const source = `0oaEQ${n++}`
              const program = Effect.gen(function* () {
                const memory = yield* StateStore.makeMemory(source)
                const pg = yield* open(schema, source)
                for (const [i, changes] of sequence.entries()) {
                  const batch = { runId: `r${i}`, at: new Date(Date.UTC(2026, 0, i + 1)).toISOString(), changes }
                  yield* memory.commit(batch)
                  yield* pg.commit(batch)
                }
                expect(yield* snapshotOf(pg)).toEqual(yield* snapshotOf(memory))
              })
              await Effect.runPromise(Effect.scoped(program))
            }),
            { numRuns: 40 }
          )
        )
      }),
    60_000
  )
})
