/**
 * Rough timings on a real PostgreSQL (PG_URL): commits of 10,000 users (8-attribute profiles, plus a
 * 10,000-member group) until `users` are stored, then the planner's reads. Run:
 *   PG_URL=postgres://… node node_modules/jiti/lib/jiti-cli.mjs bench/bench.ts [users=200000]
 * The schema it creates is dropped at the end.
 */
import type { StateStore } from "@anysource/core"
import { Effect, Redacted } from "effect"
import pg from "pg"
import * as PostgresStateStore from "../src/PostgresStateStore.ts"

const url = process.env["PG_URL"]
if (url === undefined) throw new Error("set PG_URL")
const total = Number(process.argv[2] ?? 200_000)
const perCommit = 10_000
const schema = `bench_${process.pid}`

const batch = (from: number, run: string): StateStore.CommitBatch => {
  const changes: Array<StateStore.CommittedChange> = []
  for (let i = from; i < from + perCommit; i++) {
    const id = `E${String(i).padStart(7, "0")}`
    changes.push({
      kind: "user",
      op: "upsert",
      externalId: id,
      hash: `sha256:${run}:${i}`,
      profile: { userName: `${id}@example.com`, email: `${id}@example.com`, firstName: "Ada", lastName: `L${i}`, title: "Engineer", department: `Dept ${i % 40}`, city: "Zürich", managerId: `E${i % 1000}` },
      location: `people.csv:${i + 2}`
    })
  }
  changes.push({ kind: "membership", op: "add", groupExternalId: `g${from / perCommit}`, memberExternalIds: changes.map((c) => (c.kind === "user" ? c.externalId : "")) })
  return { runId: run, at: new Date().toISOString(), changes }
}

const time = async <A>(f: () => Promise<A>): Promise<[A, number]> => {
  const started = performance.now()
  const a = await f()
  return [a, Math.round(performance.now() - started)]
}

const program = Effect.gen(function* () {
  const store = yield* PostgresStateStore.make({ url: Redacted.make(url), schema, identitySourceId: "0oaBENCH" })
  const commits: Array<number> = []
  for (let from = 0; from < total; from += perCommit) {
    const [, ms] = yield* Effect.promise(() => time(() => Effect.runPromise(store.commit(batch(from, "r1")))))
    commits.push(ms)
  }
  const [, update] = yield* Effect.promise(() => time(() => Effect.runPromise(store.commit(batch(0, "r2")))))
  const [index, indexMs] = yield* Effect.promise(() => time(() => Effect.runPromise(store.index("user"))))
  const [members, membersMs] = yield* Effect.promise(() => time(() => Effect.runPromise(store.memberships)))
  const ids = [...index.keys()].slice(0, perCommit)
  const [, entriesMs] = yield* Effect.promise(() => time(() => Effect.runPromise(store.entries("user", ids))))
  const sorted = [...commits].sort((a, b) => a - b)
  return {
    users: index.size,
    groups: members.size,
    commitInsertMedianMs: sorted[Math.floor(sorted.length / 2)],
    commitInsertMaxMs: sorted[sorted.length - 1],
    commitUpdateMs: update,
    indexMs,
    membershipsMs: membersMs,
    entries10kMs: entriesMs
  }
}).pipe(Effect.scoped)

try {
  process.stdout.write(`${JSON.stringify(await Effect.runPromise(program), null, 2)}\n`)
} finally {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await client.end()
}
