/**
 * Model-based check: random sequences of operations give the same observable state in the in-memory
 * reference store and the SQLite store.
 */
import { StateStore } from "@anysource/core"
import { Effect, Option } from "effect"
import fc from "fast-check"
import { expect, it } from "vitest"
import * as SqliteStateStore from "../src/SqliteStateStore.ts"

type Store = StateStore.StateStoreService
type Op =
  | { readonly op: "commit"; readonly batch: StateStore.CommitBatch }
  | {
      readonly op: "touch"
      readonly kind: "user" | "group"
      readonly ids: ReadonlyArray<string>
      readonly at: string
    }
  | { readonly op: "saveJournal"; readonly journal: StateStore.Journal }
  | { readonly op: "clearJournal" }
  | { readonly op: "recordRun"; readonly run: StateStore.RunRecord }

const ids = fc.constantFrom("a", "b", "c", "d", "e", "é", "")
const kind = fc.constantFrom("user" as const, "group" as const)
const at = fc.constantFrom("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z")
const runId = fc.constantFrom("r1", "r2", "r3", "r4")
const profile = fc.dictionary(
  fc.constantFrom("email", "firstName", "x"),
  fc.option(fc.string({ maxLength: 6 }), { nil: null }),
  {
    maxKeys: 3
  }
)

const change: fc.Arbitrary<StateStore.CommittedChange> = fc.oneof(
  fc.record(
    {
      kind,
      op: fc.constant("upsert" as const),
      externalId: ids,
      hash: fc.constantFrom("h1", "h2", "h3"),
      profile,
      location: fc.constantFrom("f.csv:2", "f.csv:3")
    },
    { requiredKeys: ["kind", "op", "externalId", "hash", "profile"] }
  ),
  fc.record({ kind, op: fc.constant("deactivate" as const), externalId: ids }),
  fc.record({
    kind: fc.constant("membership" as const),
    op: fc.constantFrom("add" as const, "remove" as const),
    groupExternalId: fc.constantFrom("g1", "g2"),
    memberExternalIds: fc.array(ids, { maxLength: 4 })
  })
)

const journal: fc.Arbitrary<StateStore.Journal> = fc.record({
  runId,
  identitySourceId: fc.constant("0oaEQ"),
  planHash: fc.constantFrom("p1", "p2"),
  planJson: fc.constant("{}"),
  startedAt: at,
  sessions: fc.array(
    fc.record(
      {
        index: fc.nat(3),
        oktaSessionId: fc.constantFrom("aps1", "aps2"),
        uploadedBatches: fc.array(fc.nat(49), { maxLength: 3 }),
        status: fc.constantFrom("PENDING" as const, "UPLOADING" as const, "COMPLETED" as const)
      },
      { requiredKeys: ["index", "uploadedBatches", "status"] }
    ),
    { maxLength: 2 }
  )
})

const run: fc.Arbitrary<StateStore.RunRecord> = fc.record(
  {
    runId,
    identitySourceId: fc.constant("0oaEQ"),
    startedAt: at,
    finishedAt: at,
    mode: fc.constantFrom("plan" as const, "apply" as const),
    outcome: fc.constantFrom("applied" as const, "partial" as const, "failed" as const),
    planHash: fc.constant("p1"),
    counts: fc.dictionary(fc.constantFrom("created", "updated"), fc.nat(9)),
    message: fc.string({ maxLength: 5 })
  },
  { requiredKeys: ["runId", "identitySourceId", "startedAt", "mode"] }
)

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("commit" as const),
      batch: fc.record(
        { runId, at, changes: fc.array(change, { maxLength: 8 }), journal: journal },
        { requiredKeys: ["runId", "at", "changes"] }
      )
    })
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("touch" as const),
      kind,
      ids: fc.array(ids, { maxLength: 4 }),
      at
    })
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("saveJournal" as const), journal }) },
  { weight: 1, arbitrary: fc.constant({ op: "clearJournal" as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("recordRun" as const), run }) }
)

const apply = (store: Store, o: Op) => {
  switch (o.op) {
    case "commit":
      return store.commit(o.batch)
    case "touch":
      return store.touch(o.kind, o.ids, o.at)
    case "saveJournal":
      return store.saveJournal(o.journal)
    case "clearJournal":
      return store.clearJournal
    case "recordRun":
      return store.recordRun(o.run)
  }
}

const snapshot = (store: Store) =>
  Effect.gen(function* () {
    const sorted = <A>(xs: Iterable<A>, key: (a: A) => string) =>
      [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    const allIds = ["a", "b", "c", "d", "e", "é", "", "zz"]
    return {
      users: sorted(yield* store.list("user"), (e) => e.externalId),
      groups: sorted(yield* store.list("group"), (e) => e.externalId),
      userIndex: sorted(yield* store.index("user"), ([k]) => k),
      groupIndex: sorted(yield* store.index("group"), ([k]) => k),
      userEntries: sorted(yield* store.entries("user", allIds), ([k]) => k),
      memberships: sorted(
        [...(yield* store.memberships)].map(([g, m]) => [g, [...m].sort()] as const),
        ([g]) => g
      ),
      journal: Option.getOrUndefined(yield* store.journal),
      history: [yield* store.history(2), yield* store.history(10)]
    }
  })

it("random operation sequences leave memory and SQLite stores in the same observable state", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) =>
      Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const memory = yield* StateStore.makeMemory("0oaEQ")
            const sqlite = yield* SqliteStateStore.make({ path: ":memory:", identitySourceId: "0oaEQ" })
            for (const o of ops) {
              yield* apply(memory, o)
              yield* apply(sqlite, o)
            }
            expect(yield* snapshot(sqlite)).toEqual(yield* snapshot(memory))
          })
        )
      )
    ),
    { numRuns: 150 }
  )
})
