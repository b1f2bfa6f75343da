/**
 * The per-identity-source lease: contention between two stores (two pools, as two processes would have),
 * renewal by a live holder, expiry of a SIGKILLed holder's lease, and fencing of a holder that lost it.
 * Lease times follow Effect's Clock: the TestClock drives them (no sleeping for expiry).
 */
import { spawn } from "node:child_process"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Scope, TestClock } from "effect"
import { eventually, leaseRow, open, pgUrl, schemas } from "./helpers/pg.ts"

const { fresh } = schemas("lock")
const SOURCE = "0oaLOCK"
const here = dirname(fileURLToPath(import.meta.url))
const jitiCli = join(dirname(createRequire(import.meta.url).resolve("jiti/package.json")), "lib", "jiti-cli.mjs")

const user = (externalId: string) => ({ kind: "user" as const, op: "upsert" as const, externalId, hash: "h", profile: { email: `${externalId}@example.com` } })

describe("the lease lock", () => {
  it.scoped("two stores contend: the second fails Locked while the first holds the lease, and gets it once released", () =>
    Effect.gen(function* () {
      const schema = fresh()
      const a = yield* open(schema, SOURCE)
      const b = yield* open(schema, SOURCE)
      const holder = yield* Scope.make()
      yield* a.lock("run-A", 60_000).pipe(Scope.extend(holder))

      const refused = yield* Effect.flip(Effect.scoped(b.lock("run-B", 60_000)))
      expect(refused.reason).toBe("Locked")
      expect(refused.message).toContain("locked by run-A")
      expect(refused.message).toContain("expires at 1970-01-01T00:01:00.000Z")
      const row = yield* Effect.promise(() => leaseRow(schema, SOURCE))
      expect(row).toMatchObject({ owner: "run-A", expires_at: new Date(60_000) })

      yield* Scope.close(holder, Exit.void)
      expect(yield* Effect.promise(() => leaseRow(schema, SOURCE))).toBeUndefined()
      yield* Effect.scoped(b.lock("run-B", 60_000))
    })
  )

  it.scoped("a live holder renews its lease every ttl/3, so others stay refused long after the first TTL", () =>
    Effect.gen(function* () {
      const schema = fresh()
      const a = yield* open(schema, SOURCE)
      const b = yield* open(schema, SOURCE)
      yield* a.lock("run-A", 30_000)
      for (let step = 1; step <= 4; step++) {
        yield* TestClock.adjust(10_000)
        yield* eventually(
          () => leaseRow(schema, SOURCE),
          (row) => row?.renewed_at.getTime() === step * 10_000
        )
      }
      const row = yield* Effect.promise(() => leaseRow(schema, SOURCE))
      expect(row?.expires_at.getTime()).toBe(40_000 + 30_000)
      expect(row?.acquired_at.getTime()).toBe(0)
      // 40 s after taking a 30 s lease: still held
      const refused = yield* Effect.flip(Effect.scoped(b.lock("run-B", 30_000)))
      expect(refused.reason).toBe("Locked")
    })
  )

  it.scoped(
    "a holder killed with SIGKILL blocks others only until its lease expires",
    () =>
      Effect.gen(function* () {
        const schema = fresh()
        const ttl = 6_000
        const b = yield* open(schema, SOURCE)
        const child = spawn(process.execPath, [jitiCli, join(here, "fixtures", "holdLock.ts"), schema, SOURCE, "worker-7", String(ttl)], {
          env: { ...process.env, PG_URL: pgUrl() },
          stdio: ["ignore", "pipe", "pipe"]
        })
        yield* Effect.addFinalizer(() => Effect.sync(() => child.kill("SIGKILL")))
        yield* Effect.promise(
          () =>
            new Promise<void>((resolve, reject) => {
              let out = ""
              let err = ""
              child.stdout.on("data", (d: Buffer) => {
                out += d.toString()
                if (out.includes("locked")) resolve()
              })
              child.stderr.on("data", (d: Buffer) => (err += d.toString()))
              child.on("exit", (code) => reject(new Error(`holder exited early (${code}): ${err}`)))
            })
        )
        // the TestClock follows real time from here on: the child's lease is in real time
        yield* TestClock.setTime(Date.now())
        const whileAlive = yield* Effect.flip(Effect.scoped(b.lock("run-B", 60_000)))
        expect(whileAlive.message).toContain("locked by worker-7")

        const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)))
        child.kill("SIGKILL")
        expect(yield* Effect.promise(() => exited)).toBe("SIGKILL")

        // dead, but its lease has not run out yet
        yield* TestClock.setTime(Date.now())
        expect((yield* Effect.flip(Effect.scoped(b.lock("run-B", 60_000)))).reason).toBe("Locked")
        // once it has (the last renewal was at most ttl/3 ago), the next run takes over
        yield* TestClock.adjust(ttl)
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* b.lock("run-B", 60_000)
            expect((yield* Effect.promise(() => leaseRow(schema, SOURCE)))?.owner).toBe("run-B")
          })
        )
      }),
    30_000
  )

  it.scoped("a run that lost its lease can no longer write (fencing); its release leaves the new lease alone", () =>
    Effect.gen(function* () {
      const schema = fresh()
      const a = yield* open(schema, SOURCE)
      const b = yield* open(schema, SOURCE)
      const holderA = yield* Scope.make()
      // 2 s: too short to be renewed, like a holder frozen (a suspended Lambda) or cut off from the database
      yield* a.lock("run-A", 2_000).pipe(Scope.extend(holderA))
      yield* a.commit({ runId: "run-A", at: "2026-01-01T00:00:00.000Z", changes: [user("u1")] })
      yield* TestClock.adjust(2_000)
      yield* b.lock("run-B", 60_000)

      const refused = yield* Effect.flip(a.commit({ runId: "run-A", at: "2026-01-01T00:01:00.000Z", changes: [user("u2")] }))
      expect(refused.reason).toBe("Locked")
      expect(refused.message).toContain("run-B holds it now")
      const journal = { runId: "run-A", identitySourceId: SOURCE, planHash: "p", planJson: "{}", startedAt: "2026-01-01T00:00:00.000Z", sessions: [] }
      expect((yield* Effect.flip(a.saveJournal(journal))).reason).toBe("Locked")
      expect((yield* Effect.flip(a.clearJournal)).reason).toBe("Locked")
      expect([...(yield* b.index("user")).keys()]).toEqual(["u1"])
      expect(Option.isNone(yield* b.journal)).toBe(true)

      yield* Scope.close(holderA, Exit.void)
      expect((yield* Effect.promise(() => leaseRow(schema, SOURCE)))?.owner).toBe("run-B")
      // the new holder writes normally
      yield* b.commit({ runId: "run-B", at: "2026-01-01T00:02:00.000Z", changes: [user("u3")] })
      expect([...(yield* b.index("user")).keys()].sort()).toEqual(["u1", "u3"])
    })
  )
})
