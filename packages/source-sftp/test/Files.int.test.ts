/**
 * File selection, readiness, formats and archiving against the real OpenSSH server: newest / all, the stability
 * window (a file growing during it is NOT read), the `.done` marker flow, final names after upload-then-rename,
 * minAge, gzip, checksum files, decode errors with `sftp://` locations, and archive after apply.
 */
import { it } from "@effect/vitest"
import * as Posix from "node:path/posix"
import { gzipSync } from "node:zlib"
import { createHash } from "node:crypto"
import { Effect, Fiber, Stream } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { baseConfig, csv, Remote, sftpEnv } from "./support/sftp.ts"
import { checkError, make, readAll, readError, withLogs } from "./support/run.ts"

const remote = new Remote()
const nowSeconds = () => Math.floor(Date.now() / 1000)

beforeAll(async () => {
  await remote.open()
})

afterAll(async () => {
  await remote.close()
})

const url = (path: string) => `sftp://${sftpEnv().host}:${sftpEnv().port}${path}`

describe.concurrent("locations and formats", () => {
  it.live("rows carry sftp://host:port/path:line locations", () =>
    Effect.gen(function* () {
      const path = yield* Effect.promise(() => remote.put("loc/people.csv", csv(2)))
      const rows = yield* readAll(baseConfig(path))
      expect(rows.map((r) => r.location)).toEqual([`${url(path)}:2`, `${url(path)}:3`])
      expect(rows[0]!.data).toEqual({ id: "1", email: "user1@example.com", name: "User 1" })
    })
  )

  it.live("a path relative to the login directory", () =>
    Effect.gen(function* () {
      const path = yield* Effect.promise(() => remote.put("rel/people.csv", csv(1)))
      const relative = Posix.relative(sftpEnv().home, path)
      const rows = yield* readAll(baseConfig(relative))
      expect(rows[0]!.location).toBe(`${url(path)}:2`)
    })
  )

  it.live("gzip (.csv.gz), semicolon delimiter and windows-1252 through the shared decoders", () =>
    Effect.gen(function* () {
      const text = "id;email;name\n1;a@example.com;Jos\xe9\n2;b@example.com;Zo\xeb\n"
      const path = yield* Effect.promise(() => remote.put("gz/people.csv.gz", gzipSync(Buffer.from(text, "latin1"))))
      const rows = yield* readAll(baseConfig(path, { encoding: "windows-1252" }))
      expect(rows.map((r) => r.data["name"])).toEqual(["José", "Zoë"])
      expect(rows[1]!.location).toBe(`${url(path)}:3`)
    })
  )

  it.live("NDJSON", () =>
    Effect.gen(function* () {
      const path = yield* Effect.promise(() => remote.put("nd/people.ndjson", '{"id":1}\n{"id":2}\n'))
      const rows = yield* readAll(baseConfig(path))
      expect(rows.map((r) => r.data["id"])).toEqual([1, 2])
    })
  )

  it.live("a broken CSV is a Decode error located in the remote file", () =>
    Effect.gen(function* () {
      const path = yield* Effect.promise(() => remote.put("bad/people.csv", 'id,email\n1,"unterminated\n'))
      const error = yield* readError(baseConfig(path))
      expect(error.reason).toBe("Decode")
      expect(error.source).toBe("sftp")
      expect(error.message).toContain(url(path))
    })
  )

  it.live("a missing file is NotFound, in check and in read", () =>
    Effect.gen(function* () {
      const path = remote.path("nope/people.csv")
      expect((yield* readError(baseConfig(path))).reason).toBe("NotFound")
      expect((yield* checkError(baseConfig(path))).reason).toBe("NotFound")
      expect((yield* readError(baseConfig(remote.path("nope/*.csv")))).reason).toBe("NotFound")
    })
  )

  it.live("checksum file verified while streaming; a mismatch fails with Consistency", () =>
    Effect.gen(function* () {
      const body = csv(3)
      const path = yield* Effect.promise(() => remote.put("sum/people.csv", body))
      const sha = createHash("sha256").update(body).digest("hex")
      yield* Effect.promise(() => remote.put("sum/people.csv.sha256", `${sha}  people.csv\n`))
      const rows = yield* readAll(baseConfig(path, { checksum: { file: "{name}.sha256" } }))
      expect(rows).toHaveLength(3)
      yield* Effect.promise(() => remote.put("sum/people.csv.sha256", `${"0".repeat(64)}  people.csv\n`))
      const error = yield* readError(baseConfig(path, { checksum: { file: "{name}.sha256" } }))
      expect(error.reason).toBe("Consistency")
    })
  )
})

describe.concurrent("selection", () => {
  it.live("pick: newest reads the most recently modified match, not the last name", () =>
    Effect.gen(function* () {
      yield* Effect.promise(async () => {
        await remote.put("newest/people-2024-01.csv", csv(1, 100))
        await remote.put("newest/people-2024-02.csv", csv(2, 200))
        await remote.put("newest/people-2024-03.csv", csv(3, 300))
        await remote.put("newest/other.txt", "not matched")
        await remote.touch("newest/people-2024-01.csv", nowSeconds() - 3000)
        await remote.touch("newest/people-2024-02.csv", nowSeconds() - 60) // newest
        await remote.touch("newest/people-2024-03.csv", nowSeconds() - 2000)
      })
      const { value: rows } = yield* withLogs(readAll(baseConfig(remote.path("newest/people-*.csv"))))
      expect(rows.map((r) => r.data["id"])).toEqual(["201", "202"])
      expect(rows[0]!.location).toBe(`${url(remote.path("newest/people-2024-02.csv"))}:2`)
    })
  )

  it.live("pick: all concatenates every match in name order, each row keeping its own file:line", () =>
    Effect.gen(function* () {
      yield* Effect.promise(async () => {
        await remote.put("all/b.csv", csv(1, 20))
        await remote.put("all/a.csv", csv(2, 10))
      })
      const rows = yield* readAll(baseConfig(remote.path("all/*.csv"), { pick: "all" }))
      expect(rows.map((r) => `${r.data["id"]}@${r.location}`)).toEqual([
        `11@${url(remote.path("all/a.csv"))}:2`,
        `12@${url(remote.path("all/a.csv"))}:3`,
        `21@${url(remote.path("all/b.csv"))}:2`
      ])
    })
  )

  it.live("fingerprint names what was read (url, size, mtime, sha256)", () =>
    Effect.gen(function* () {
      const body = csv(2)
      const path = yield* Effect.promise(() => remote.put("fp/people.csv", body))
      const fingerprint = yield* Effect.scoped(
        Effect.gen(function* () {
          const source = yield* make(baseConfig(path))
          expect(yield* source.fingerprint!).toBeUndefined()
          yield* Stream.runDrain(source.read)
          return yield* source.fingerprint!
        })
      )
      expect(fingerprint).toContain(`${url(path)} size=${Buffer.byteLength(body)}`)
      expect(fingerprint).toContain(`sha256=${createHash("sha256").update(body).digest("hex")}`)
    })
  )
})

describe.concurrent("readiness", () => {
  it.live("stable: a file that keeps growing during the window is NOT read", () =>
    Effect.gen(function* () {
      const path = yield* Effect.promise(() => remote.put("grow/people.csv", csv(5)))
      const reading = yield* readAll(baseConfig(path, { ready: { stable: "1500ms" } })).pipe(Effect.flip, Effect.fork)
      yield* Effect.sleep("400 millis")
      yield* Effect.promise(() => remote.append("grow/people.csv", "6,user6@example.com,User 6\n"))
      const error = yield* Fiber.join(reading)
      expect(error.reason).toBe("NotReady")
      expect(error.retryable).toBe(true)
      expect(error.message).toContain("changed during the 1.5s stability window")
      expect(error.message).toContain("still being uploaded")
    })
  )

  it.live("stable: a file that stays the same over the window is read", () =>
    Effect.gen(function* () {
      const path = yield* Effect.promise(() => remote.put("steady/people.csv", csv(4)))
      const started = Date.now()
      const rows = yield* readAll(baseConfig(path, { ready: { stable: "1s" } }))
      expect(rows).toHaveLength(4)
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    })
  )

  it.live("marker: NotReady until <name>.done exists, then read; the marker itself is never a data file", () =>
    Effect.gen(function* () {
      yield* Effect.promise(() => remote.put("marker/people.csv", csv(2)))
      const config = baseConfig(remote.path("marker/*"), { ready: { marker: "{name}.done" }, format: "csv" })
      const waiting = yield* readError(config)
      expect(waiting.reason).toBe("NotReady")
      expect(waiting.message).toContain("people.csv.done")
      expect((yield* checkError(config)).reason).toBe("NotReady")
      yield* Effect.promise(async () => {
        await remote.put("marker/people.csv.done", "")
        await remote.touch("marker/people.csv.done", nowSeconds() + 5) // newer than the data file
      })
      const rows = yield* readAll(config)
      expect(rows.map((r) => r.location)).toEqual([`${url(remote.path("marker/people.csv"))}:2`, `${url(remote.path("marker/people.csv"))}:3`])
    })
  )

  it.live("finalPattern: an upload still under its temporary name is NotReady; after the rename it is read", () =>
    Effect.gen(function* () {
      yield* Effect.promise(() => remote.put("final/people.csv.part", csv(3)))
      const config = baseConfig(remote.path("final/people*"), { ready: { finalPattern: "*.csv" }, format: "csv" })
      const waiting = yield* readError(config)
      expect(waiting.reason).toBe("NotReady")
      expect(waiting.message).toContain("people.csv.part")
      yield* Effect.promise(() => remote.rename("final/people.csv.part", "final/people.csv"))
      expect(yield* readAll(config)).toHaveLength(3)
    })
  )

  it.live("minAge: a file modified just now is NotReady; an older one is read", () =>
    Effect.gen(function* () {
      const path = yield* Effect.promise(() => remote.put("age/people.csv", csv(2)))
      const error = yield* readError(baseConfig(path, { minAge: "10m" }))
      expect(error.reason).toBe("NotReady")
      expect(error.message).toContain("minAge is 10m")
      yield* Effect.promise(() => remote.touch("age/people.csv", nowSeconds() - 3600))
      expect(yield* readAll(baseConfig(path, { minAge: "10m" }))).toHaveLength(2)
    })
  )
})

describe("a file cut mid-record, or written to while it is read", () => {
  it.live("a file whose last record has no line break is a Consistency error at that record; allowUnterminatedLastRecord: true reads it", () =>
    Effect.gen(function* () {
      const path = yield* Effect.promise(() => remote.put("cut/people.csv", "id,email,name\r\n1,a@example.com,Zoë\r\n2,b@example.com,Zü"))
      const error = yield* readError(baseConfig(path))
      expect(error.source).toBe("sftp")
      expect(error.reason).toBe("Consistency")
      expect(error.location).toBe(`${url(path)}:3`)
      expect(error.message).toContain(`${url(path)}:3: the file ends mid-record: was the export still being written?`)
      expect(error.message).toContain("allowUnterminatedLastRecord: true")
      const rows = yield* readAll(baseConfig(path, { allowUnterminatedLastRecord: true }))
      expect(rows.map((r) => r.data["name"])).toEqual(["Zoë", "Zü"])
    })
  )

  it.live("a file appended to on the server during the read fails NotReady (retryable) with both sizes; read again once done, it is whole", () =>
    Effect.gen(function* () {
      // 200,000 rows (~8 MB): when the first row reaches us the reader is at most about 3 MB in (32 × 64 KiB requests
      // in flight plus the decoder's buffers), so the append lands before its end-of-read fstat, whatever the timing
      const rows = 200_000
      const body = csv(rows)
      const path = yield* Effect.promise(() => remote.put("busy/people.csv", body))
      let appended = false
      const error = yield* Effect.scoped(
        Effect.gen(function* () {
          const source = yield* make(baseConfig(path))
          return yield* source.read.pipe(
            Stream.tap(() =>
              appended
                ? Effect.void
                : Effect.promise(async () => {
                    appended = true
                    await remote.append("busy/people.csv", `${rows + 1},late@example.com,Late\n`)
                  })
            ),
            Stream.runDrain,
            Effect.flip
          )
        })
      )
      const size = Buffer.byteLength(body)
      expect(error.reason).toBe("NotReady")
      expect(error.retryable).toBe(true)
      expect(error.message).toContain(`${url(path)} changed while it was read (size ${size} → ${size + Buffer.byteLength(`${rows + 1},late@example.com,Late\n`)} bytes, modified `)
      expect(error.message).toContain("the file is read again")
      expect(yield* readAll(baseConfig(path)).pipe(Effect.map((r) => r.length))).toBe(rows + 1)
    }),
    60_000
  )
})

describe.concurrent("archive after apply", () => {
  it.live("afterApply moves the file read (and its marker) into archiveDir; a name taken there gets a timestamp", () =>
    Effect.gen(function* () {
      const runOnce = Effect.scoped(
        Effect.gen(function* () {
          const source = yield* make(baseConfig(remote.path("arch/*.csv"), { archiveDir: "archive", ready: { marker: "{name}.done" } }))
          expect(source.afterApply).toBeDefined()
          const rows = yield* Stream.runCollect(source.read)
          // Nothing moves before afterApply (core calls it only once Okta reported COMPLETED).
          expect(yield* Effect.promise(() => remote.exists("arch/people.csv"))).toBe(true)
          yield* source.afterApply!
          return rows.length
        })
      )
      yield* Effect.promise(async () => {
        await remote.put("arch/people.csv", csv(2))
        await remote.put("arch/people.csv.done", "")
      })
      expect(yield* runOnce).toBe(2)
      expect(yield* Effect.promise(() => remote.list("arch"))).toEqual(["archive"])
      expect(yield* Effect.promise(() => remote.list("arch/archive"))).toEqual(["people.csv", "people.csv.done"])

      yield* Effect.promise(async () => {
        await remote.put("arch/people.csv", csv(3))
        await remote.put("arch/people.csv.done", "")
      })
      expect(yield* runOnce).toBe(3)
      const archived = yield* Effect.promise(() => remote.list("arch/archive"))
      expect(archived).toHaveLength(4)
      expect(archived.filter((n) => /^people\.csv\.\d{8}T\d{6}Z$/.test(n))).toHaveLength(1)
    })
  )

  it.live("a file replaced after it was read is not archived (the new upload is read next run)", () =>
    Effect.gen(function* () {
      yield* Effect.promise(() => remote.put("arch2/people.csv", csv(2)))
      const { logs } = yield* withLogs(
        Effect.scoped(
          Effect.gen(function* () {
            const source = yield* make(baseConfig(remote.path("arch2/people.csv"), { archiveDir: "../arch2-archive" }))
            yield* Stream.runDrain(source.read)
            yield* Effect.promise(() => remote.put("arch2/people.csv", csv(5)))
            yield* source.afterApply!
          })
        )
      )
      expect(yield* Effect.promise(() => remote.exists("arch2/people.csv"))).toBe(true)
      expect(yield* Effect.promise(() => remote.exists("arch2-archive"))).toBe(false)
      expect(logs.some((l) => l.level === "WARN" && l.message.includes("not archiving"))).toBe(true)
    })
  )

  it.live("without archiveDir there is no afterApply", () =>
    Effect.gen(function* () {
      const path = yield* Effect.promise(() => remote.put("noarch/people.csv", csv(1)))
      const source = yield* Effect.scoped(make(baseConfig(path)))
      expect(source.afterApply).toBeUndefined()
    })
  )
})
