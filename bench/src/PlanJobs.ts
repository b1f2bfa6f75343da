/**
 * The jobs of the plan benchmark (plan.ts runs each in a fresh child process, plan-child.ts): csv-parse alone,
 * better-sqlite3 alone, read → plan against the prepared state, and building that state.
 */
import { existsSync, mkdtempSync, renameSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { ConfigLoader, Pipeline, type Plan, Planner, StateStore } from "@anysource/core"
import { FileSource } from "@anysource/source-file"
import { sqlSource } from "@anysource/source-sql"
import { SqliteStateStore } from "@anysource/state-sqlite"
import { Chunk, Effect, Stream } from "effect"
import { employeeMapping } from "./Dataset.ts"
import { leftOut, pgTable, stateFile, type ChildJob } from "./PlanFiles.ts"

/** The identity source the bench state is kept for (no Okta is called). */
const SOURCE_ID = "0oaBENCH000000000001"

/** The bench pipeline: the quickstart's shape (mapping of eight attributes, a filter, one group per department). */
export const benchConfig = (job: Pick<ChildJob, "source" | "n" | "dataDir" | "groups">) => ({
  version: 1,
  okta: { orgUrl: "embedded", identitySourceId: SOURCE_ID },
  source:
    job.source === "csv"
      ? { type: "file", path: `employees-${job.n}.csv` }
      : job.source === "postgres"
        ? { type: "sql", dialect: "postgres", url: "${PG_URL}", query: `SELECT * FROM ${pgTable(job.n)}`, keyColumn: "employee_id" }
        : { type: "sql", dialect: "sqlite", database: `employees-${job.n}.db`, query: "SELECT * FROM employees", keyColumn: "employee_id" },
  mapping: employeeMapping,
  filter: [{ name: "terminated", include: "status != 'terminated'" }],
  groups: job.groups ? [{ name: "departments", externalId: "'dept-' & $lowercase(department)", displayName: "department & ' (HR)'" }] : [],
  schema: {
    users: {
      required: ["userName", "email", "firstName", "lastName"],
      attributes: { department: { maxLength: 50 }, title: { maxLength: 100 }, city: { maxLength: 50 }, managerId: { pattern: "^E[0-9]+$" } }
    }
  }
})

const load = (job: ChildJob) =>
  ConfigLoader.parse(benchConfig(job), { env: job.pgUrl === undefined ? {} : { PG_URL: job.pgUrl }, sources: [FileSource, sqlSource], baseDir: resolve(job.dataDir) })

const rowsOf = (loaded: ConfigLoader.LoadedConfig) =>
  Stream.unwrapScoped(Effect.map(loaded.source.make(loaded.sourceConfig, { baseDir: loaded.baseDir }), (s) => s.read))

/** Opening a missing SQLite file would create an empty state (and a plan of N creates): refuse instead. */
const requireState = (job: ChildJob) =>
  Effect.suspend(() => {
    const path = stateFile(job.dataDir, job.n, job.groups)
    return existsSync(path) ? Effect.void : Effect.fail(new Error(`${path} is missing: run plan.ts, which builds it first`))
  })

/**
 * The plan's counts, after reading the whole plan once more as a writer of `plan --out` does (every user change
 * in order, from memory or from the plan's temporary file), so a plan that holds its changes elsewhere pays for
 * reading them back.
 */
const outcome = (plan: Plan.Plan) => {
  let read = 0
  for (const _change of plan.users) read++
  if (read !== plan.users.length) throw new Error(`read ${read} user changes back, expected ${plan.users.length}`)
  const s = plan.summary
    return {
      rows: s.rowsRead,
      detail: {
        create: s.users.create,
        update: s.users.update,
        unchanged: s.users.unchanged,
        deactivate: s.users.deactivate,
        invalid: s.invalid,
        groupsUnchanged: s.groups.unchanged,
        membershipAdds: s.memberships.add
      }
    }
}

export const planOnce = (job: ChildJob): Effect.Effect<{ rows: number; detail: Record<string, number> }, unknown> =>
  Effect.gen(function* () {
    const loaded = yield* load(job)
    const plan = yield* Pipeline.plan({ config: loaded.config, rows: rowsOf(loaded), identitySourceId: SOURCE_ID, configHash: loaded.configHash })
    return outcome(plan)
  }).pipe(
    Effect.provide(SqliteStateStore.layer({ path: stateFile(job.dataDir, job.n, job.groups), identitySourceId: SOURCE_ID })),
    (body) => Effect.zipRight(requireState(job), body) // checked before the layer opens (and would create) the file
  )

/** A first run: the same plan against an empty SQLite state (N creates), made in a fresh folder and removed after. */
export const planInitial = (job: ChildJob): Effect.Effect<{ rows: number; detail: Record<string, number> }, unknown> =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "anysource-bench-initial-"))),
    (dir) =>
      Effect.gen(function* () {
        const loaded = yield* load(job)
        const plan = yield* Pipeline.plan({ config: loaded.config, rows: rowsOf(loaded), identitySourceId: SOURCE_ID, configHash: loaded.configHash })
        return outcome(plan)
      }).pipe(Effect.provide(SqliteStateStore.layer({ path: join(dir, "state.db"), identitySourceId: SOURCE_ID }))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/**
 * The state of N−1%: plan the source against an empty store slice by slice (all creates, so a slice's plan does
 * not depend on the others), and commit every change except the left-out users and their memberships.
 */
export const buildState = (job: ChildJob): Effect.Effect<{ rows: number; detail: Record<string, number> }, unknown> =>
  Effect.gen(function* () {
    // built under a temporary name and renamed when complete, so no reader ever sees a half-built state
    const final = stateFile(job.dataDir, job.n, job.groups)
    const path = `${final}.building`
    for (const p of [path, `${path}-wal`, `${path}-shm`]) rmSync(p, { force: true })
    const loaded = yield* load(job)
    const compiled = yield* Planner.compile(loaded.config)
    const target = yield* SqliteStateStore.make({ path, identitySourceId: SOURCE_ID })
    let index = 0
    let committed = 0
    const skipped = new Set<string>()
    yield* Stream.runForEach(Stream.grouped(rowsOf(loaded), 50_000), (chunk) =>
      Effect.gen(function* () {
        const rows = Chunk.toReadonlyArray(chunk)
        for (const r of rows) {
          if (leftOut(index)) skipped.add(String(r.data["employee_id"]))
          index++
        }
        const plan = yield* Planner.plan(compiled, Stream.fromIterable(rows), {
          identitySourceId: SOURCE_ID,
          configHash: loaded.configHash,
          createdAt: new Date().toISOString()
        }).pipe(Effect.provide(StateStore.layerMemory(SOURCE_ID)))
        const changes = Planner.committedChanges(plan).flatMap((c): Array<StateStore.CommittedChange> => {
          if (c.kind === "membership") {
            const members = c.memberExternalIds.filter((m) => !skipped.has(m))
            return members.length === 0 ? [] : [{ ...c, memberExternalIds: members }]
          }
          return c.kind === "user" && skipped.has(c.externalId) ? [] : [c]
        })
        yield* target.commit({ runId: "bench-setup", at: new Date().toISOString(), changes })
        committed += changes.length
      })
    )
    return { rows: index, detail: { committed, leftOut: skipped.size }, path, final }
  }).pipe(
    Effect.scoped,
    // the store is closed (WAL checkpointed) when the scope ends: only then move the file into place
    Effect.map(({ rows, detail, path, final }) => {
      for (const p of [final, `${final}-wal`, `${final}-shm`]) rmSync(p, { force: true })
      renameSync(path, final)
      return { rows, detail }
    })
  )

/** Only what the planner loads from the state before reading a row (the user and group index, the memberships). */
export const stateIndexOnly = (job: ChildJob): Effect.Effect<{ rows: number; detail: Record<string, number> }, unknown> =>
  Effect.gen(function* () {
    const store = yield* StateStore.StateStore
    const users = yield* store.index("user")
    const groups = yield* store.index("group")
    const members = yield* store.memberships
    let pairs = 0
    for (const m of members.values()) pairs += m.size
    const heap = process.memoryUsage().heapUsed
    return { rows: users.size, detail: { groups: groups.size, membershipPairs: pairs, heapUsedMiB: Math.round(heap / 2 ** 20) } }
  }).pipe(
    Effect.provide(SqliteStateStore.layer({ path: stateFile(job.dataDir, job.n, job.groups), identitySourceId: SOURCE_ID })),
    (body) => Effect.zipRight(requireState(job), body) // checked before the layer opens (and would create) the file
  )
