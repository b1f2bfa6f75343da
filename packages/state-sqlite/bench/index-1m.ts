/**
 * Throwaway benchmark: fill a state file with N users (commits of 10,000, one per Okta session as the
 * orchestrator does), then time `index("user")` in a fresh store, `entries` of 10,000 ids, `touch` of all
 * N and report the file size.
 *
 *   node node_modules/jiti/lib/jiti-cli.mjs bench/index-1m.ts [users=1000000] [dir]
 *
 * Without `dir` the file goes to a fresh temp directory that is removed afterwards. With `dir` the file is
 * kept, and a later run on the same `dir` skips the fill and only measures the reads.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { StateStore } from "@anysource/core"
import { Effect } from "effect"
import * as SqliteStateStore from "../src/SqliteStateStore.ts"

const n = Number(process.argv[2] ?? 1_000_000)
const keep = process.argv[3]
const dir = keep ?? mkdtempSync(join(tmpdir(), "anysource-bench-"))
mkdirSync(dir, { recursive: true })
const path = join(dir, "state.db")
const options = { path, identitySourceId: "0oaBENCH" }
const at = "2026-01-01T00:00:00.000Z"
const perCommit = 10_000

const idOf = (i: number) => `E${String(i).padStart(7, "0")}`
const user = (i: number): StateStore.CommittedChange => ({
  kind: "user",
  op: "upsert",
  externalId: idOf(i),
  hash: `sha256:${((i * 2654435761) >>> 0).toString(16).padStart(8, "0")}${"0f1e2d3c4b5a6978".repeat(3)}`,
  profile: {
    userName: `first.last${i}@example.com`,
    email: `first.last${i}@example.com`,
    firstName: `First${i}`,
    lastName: `Last${i}`,
    department: `Department ${i % 40}`,
    title: "Senior Engineer",
    employeeNumber: String(100000 + i),
    mobilePhone: null
  },
  location: `employees.csv:${i + 2}`
})

const time = async <A>(label: string, f: () => Promise<A>): Promise<A> => {
  const start = performance.now()
  const cpu = process.cpuUsage()
  const a = await f()
  const used = process.cpuUsage(cpu)
  const wall = (performance.now() - start) / 1000
  console.log(
    `${label.padEnd(34)} ${wall.toFixed(2)} s wall, ${((used.user + used.system) / 1e6).toFixed(2)} s CPU`
  )
  return a
}

const inStore = <A>(f: (store: StateStore.StateStoreService) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(SqliteStateStore.make(options), f)))

const fileSizes = () =>
  readdirSync(dir)
    .map((f) => `${f} ${(statSync(join(dir, f)).size / 1e6).toFixed(1)} MB`)
    .join(", ")

console.log(`users: ${n.toLocaleString("en")}, file: ${path}`)
if (!existsSync(path))
  await time(`commit ${n} users (${perCommit}/commit)`, () =>
    inStore((store) =>
      Effect.gen(function* () {
        for (let from = 0; from < n; from += perCommit) {
          const changes = Array.from({ length: Math.min(perCommit, n - from) }, (_, k) => user(from + k))
          yield* store.commit({ runId: "bench", at, changes })
        }
      })
    )
  )
console.log(`file after close: ${fileSizes()}`)
for (const round of [1, 2, 3]) {
  const size = await time(`index("user") fresh store #${round}`, () =>
    inStore((store) => Effect.map(store.index("user"), (index) => index.size))
  )
  if (size !== n) throw new Error(`index has ${size} entries, expected ${n}`)
}
const ids = Array.from({ length: 10_000 }, (_, k) => idOf(Math.floor((k * n) / 10_000)))
await time("entries(10,000 ids)", () => inStore((store) => store.entries("user", ids)))
const all = Array.from({ length: n }, (_, i) => idOf(i))
await time(`touch(${n} ids)`, () => inStore((store) => store.touch("user", all, "2026-01-02T00:00:00.000Z")))
console.log(`file after touch: ${fileSizes()}`)
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
if (keep === undefined) rmSync(dir, { recursive: true, force: true })
