/**
 * A child process (the real store, run with node + jiti) is SIGKILLed in the middle of a 200,000-user commit,
 * at several points, and once after the commit returned. Each time the file must open cleanly and hold
 * either the complete previous generation or the complete new one: never a mix.
 *
 * "Mid-transaction" is made deterministic by watching the WAL grow: once the child's uncommitted pages
 * spill into the WAL past a threshold far below the final size (about 60 MB for this batch), the commit is in
 * progress and has not returned.
 */
import { spawn } from "node:child_process"
import { existsSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Option } from "effect"
import Database from "better-sqlite3"
import { describe, expect, it } from "vitest"
import * as SqliteStateStore from "../src/SqliteStateStore.ts"
import { generation, groupSize } from "./fixtures/generation.ts"
import { tempDir } from "./helpers/tempDir.ts"

const users = 200_000
const seedUsers = 1_000
const here = dirname(fileURLToPath(import.meta.url))
const jitiCli = join(
  dirname(createRequire(import.meta.url).resolve("jiti/package.json")),
  "lib",
  "jiti-cli.mjs"
)
const child = join(here, "fixtures", "commitChild.ts")

type Kill =
  | { readonly at: "wal"; readonly bytes: number }
  | { readonly at: "ready" }
  | { readonly at: "committed" }

interface Outcome {
  readonly sawCommitted: boolean
  readonly signal: NodeJS.Signals | null
  readonly walAtKill: number
}

const walSize = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0)

/** Spawn the child committing generation `gen` (on top of `previous`) and SIGKILL it at `kill`. */
const runAndKill = (path: string, gen: number, previous: number, kill: Kill): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [jitiCli, child, path, String(gen), String(previous), String(users)],
      {
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let out = ""
    let err = ""
    let walAtKill = -1
    let poll: NodeJS.Timeout | undefined
    const killNow = () => {
      if (walAtKill >= 0) return
      walAtKill = walSize(path)
      proc.kill("SIGKILL")
    }
    const timeout = setTimeout(() => {
      proc.kill("SIGKILL")
      reject(
        new Error(
          `child did not reach its kill point: ${JSON.stringify(kill)}\nstdout: ${out}\nstderr: ${err}`
        )
      )
    }, 60_000)
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()))
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      if (!out.includes("ready\n")) return
      if (kill.at === "ready") killNow()
      else if (kill.at === "committed" && out.includes("committed\n")) killNow()
      else if (kill.at === "wal" && poll === undefined) {
        poll = setInterval(() => {
          if (walSize(path) >= kill.bytes) killNow()
        }, 1)
      }
    })
    proc.on("exit", (_code, signal) => {
      clearTimeout(timeout)
      if (poll !== undefined) clearInterval(poll)
      if (walAtKill < 0) reject(new Error(`child exited on its own (signal ${signal}); stderr: ${err}`))
      else resolve({ sawCommitted: out.includes("committed\n"), signal, walAtKill })
    })
  })

/** Open the file with the store and return the generation it holds, asserting it holds exactly one. */
const committedGeneration = (path: string): Promise<number> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* SqliteStateStore.make({ path, identitySourceId: "0oaCRASH" })
        const journal = Option.getOrThrow(yield* store.journal)
        const gen = Number(journal.runId.replace("run-", ""))
        expect(journal).toEqual(generation(gen, 0, 0).journal)

        const index = yield* store.index("user")
        expect(index.size).toBe(gen === 0 ? seedUsers : users)
        let mismatched = 0
        for (const entry of index.values())
          if (entry.hash !== `gen-${gen}` || entry.status !== "ACTIVE") mismatched++
        expect(mismatched).toBe(0)

        const sample = yield* store.entries("user", ["u0", `u${index.size - 1}`])
        for (const e of sample.values())
          expect(e).toMatchObject({ lastRunId: `run-${gen}`, profile: { lastName: `Gen${gen}` } })

        const groups = yield* store.index("group")
        for (const [id, entry] of groups)
          expect(entry.status).toBe(id === `grp-${gen}` ? "ACTIVE" : "DEACTIVATED")
        expect(groups.get(`grp-${gen}`)?.hash).toBe(`gen-${gen}`)

        const memberships = yield* store.memberships
        expect(memberships.get(`grp-${gen}`)?.size).toBe(groupSize)
        for (const group of memberships.keys()) expect(groups.has(group)).toBe(true)
        return gen
      })
    )
  )

const integrity = (path: string) => {
  const db = new Database(path, { readonly: true })
  try {
    return db.pragma("integrity_check", { simple: true })
  } finally {
    db.close()
  }
}

describe("a process killed during commit", () => {
  it(
    "leaves either the previous or the complete new state, and the file opens cleanly",
    { timeout: 180_000 },
    async () => {
      const path = join(tempDir("anysource-crash-"), "state.db")
      await Effect.runPromise(
        Effect.scoped(
          Effect.flatMap(SqliteStateStore.make({ path, identitySourceId: "0oaCRASH" }), (store) =>
            store.commit(generation(0, -1, seedUsers))
          )
        )
      )
      expect(await committedGeneration(path)).toBe(0)

      // Mid-transaction at three depths of the WAL, before the first write, and after COMMIT returned
      // (the WAL then holds committed frames that were never checkpointed by a clean close).
      const kills: ReadonlyArray<Kill> = [
        { at: "wal", bytes: 1 << 20 },
        { at: "committed" },
        { at: "wal", bytes: 8 << 20 },
        { at: "ready" },
        { at: "wal", bytes: 32 << 20 }
      ]
      let current = 0
      const log: Array<string> = []
      for (const [i, kill] of kills.entries()) {
        const gen = i + 1
        const outcome = await runAndKill(path, gen, current, kill)
        expect(outcome.signal).toBe("SIGKILL")
        const found = await committedGeneration(path)
        expect(integrity(path)).toBe("ok")
        log.push(
          `${JSON.stringify(kill)} wal=${outcome.walAtKill} committed=${outcome.sawCommitted} -> generation ${found}`
        )
        if (kill.at === "committed") {
          expect(found).toBe(gen)
        } else {
          // Killed before the commit returned: the previous generation, complete.
          expect(outcome.sawCommitted).toBe(false)
          expect(found).toBe(current)
          if (kill.at === "wal") expect(outcome.walAtKill).toBeGreaterThanOrEqual(kill.bytes)
        }
        current = found
      }
      expect(log).toHaveLength(kills.length)
    }
  )
})
