/**
 * Large files are parsed in a worker thread (Formats.decode `worker: "auto"`, at 4 MiB and up): the rows, their
 * locations, the file facts behind the fingerprint and the errors must be exactly those of the main-thread decoder,
 * and interrupting a read must close the file before the interruption completes.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Model } from "@anysource/core"
import { SourceError } from "@anysource/core"
import { Chunk, Deferred, Effect, Fiber, Stream } from "effect"
import * as Path from "node:path"
import { afterAll, beforeAll } from "vitest"
import { FileSource, Formats } from "../src/index.ts"
import { openFds, tempDir } from "./helpers.ts"

const tmp = tempDir()
afterAll(() => tmp.cleanup())

/** MessagePorts open in this process (a decode worker holds one while it runs). */
const ports = () => process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length

/** Run with ANYSOURCE_DECODE_WORKER set (`0`: main thread only; undefined: "auto"). */
const withWorkerEnv = <A, E>(value: string | undefined, self: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const before = process.env["ANYSOURCE_DECODE_WORKER"]
      if (value === undefined) delete process.env["ANYSOURCE_DECODE_WORKER"]
      else process.env["ANYSOURCE_DECODE_WORKER"] = value
      return before
    }),
    () => self,
    (before) =>
      Effect.sync(() => {
        if (before === undefined) delete process.env["ANYSOURCE_DECODE_WORKER"]
        else process.env["ANYSOURCE_DECODE_WORKER"] = before
      })
  )

const make = (config: Record<string, unknown>) => FileSource.make(FileSource.config.parse(config), { baseDir: tmp.dir })

const bigPath = Path.join(tmp.dir, "big.csv")
beforeAll(() => {
  // ~6.5 MB, quoted fields with delimiters, a multi-line field and non-ASCII text, CRLF line ends
  const lines = ["id,name,email,note"]
  for (let i = 0; i < 150_000; i++)
    lines.push(`${i},"Müller, Zoë ${i}",p${i}@example.com,${i % 5000 === 0 ? '"two\r\nlines"' : `n${i}`}`)
  tmp.write("big.csv", lines.join("\r\n") + "\r\n")
  // ~5 MB (past the 4 MiB threshold) in 100,000 rows
  const bad = ["id,name"]
  for (let i = 0; i < 100_000; i++) bad.push(`${i},a rather long name to make the file big enough ${i}`)
  bad.push("oops,too,many")
  for (let i = 0; i < 10_000; i++) bad.push(`${i},n${i}`)
  tmp.write("bad.csv", bad.join("\n"))
})

const readAll = (config: Record<string, unknown>) =>
  Effect.gen(function* () {
    const source = yield* make(config)
    let maxPorts = 0
    const rows = yield* source.read.pipe(
      Stream.tap(() => Effect.sync(() => (maxPorts = Math.max(maxPorts, ports())))),
      Stream.runCollect,
      Effect.map(Chunk.toReadonlyArray)
    )
    const facts = source.fingerprint === undefined ? undefined : yield* source.fingerprint
    return { rows, facts, maxPorts }
  }).pipe(Effect.scoped)

describe("decoding in a worker thread", () => {
  it.effect("a large file gives the same rows, locations and facts as the main-thread decoder", () =>
    Effect.gen(function* () {
      const baseline = ports()
      const main = yield* withWorkerEnv("0", readAll({ path: "big.csv" }))
      const worker = yield* withWorkerEnv(undefined, readAll({ path: "big.csv" }))
      expect(main.maxPorts).toBe(baseline)
      expect(worker.maxPorts).toBeGreaterThan(baseline)
      expect(worker.rows).toHaveLength(150_000)
      expect(worker.rows).toEqual(main.rows)
      expect(worker.rows[0]).toEqual({ data: { id: "0", name: "Müller, Zoë 0", email: "p0@example.com", note: "two\r\nlines" }, location: "big.csv:2" })
      // the multi-line field moves every later record's line by one
      expect(worker.rows[1]!.location).toBe("big.csv:4")
      expect(worker.facts).toBe(main.facts)
      expect(openFds(bigPath)).toBe(0)
    }),
    60_000
  )

  it.effect("a decode error mid-file is the same typed error, naming the same line", () =>
    Effect.gen(function* () {
      const fail = (env: string | undefined) =>
        withWorkerEnv(env, Effect.flip(readAll({ path: "bad.csv" }))) as Effect.Effect<SourceError>
      const main = yield* fail("0")
      const worker = yield* fail(undefined)
      expect(worker).toBeInstanceOf(SourceError)
      expect(worker).toMatchObject({ reason: "Decode", location: "bad.csv:100002" })
      expect({ reason: worker.reason, message: worker.message, location: worker.location }).toEqual({
        reason: main.reason,
        message: main.message,
        location: main.location
      })
      expect(openFds(Path.join(tmp.dir, "bad.csv"))).toBe(0)
    }),
    60_000
  )

  it.effect("interrupting a read closes the file before the interruption completes (10 times)", () =>
    Effect.gen(function* () {
      const source = yield* make({ path: "big.csv" })
      for (let k = 0; k < 10; k++) {
        const started = yield* Deferred.make<void>()
        const fiber = yield* source.read.pipe(
          Stream.runForEach(() => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never))),
          Effect.fork
        )
        yield* Deferred.await(started)
        expect(openFds(bigPath)).toBe(1)
        yield* Fiber.interrupt(fiber)
        expect(openFds(bigPath), `after interruption ${k + 1}`).toBe(0)
      }
    }).pipe(Effect.scoped),
    60_000
  )

  it.effect("worker: true decodes any input in the worker; a failing byte stream keeps its own error", () =>
    Effect.gen(function* () {
      const rows: ReadonlyArray<Model.SourceRow> = yield* Formats.decode(Stream.make(new TextEncoder().encode("a,b\n1,2\n3,4\n")), {
        name: "s.csv",
        worker: true
      }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      expect(rows).toEqual([
        { data: { a: "1", b: "2" }, location: "s.csv:2" },
        { data: { a: "3", b: "4" }, location: "s.csv:3" }
      ])
      const boom = new SourceError({ source: "sftp", reason: "Read", message: "connection reset" })
      const failing = Stream.concat(Stream.make(new TextEncoder().encode("a,b\n1,2\n")), Stream.fail(boom))
      const error = yield* Formats.decode(failing, { name: "s.csv", source: "sftp", worker: true }).pipe(Stream.runDrain, Effect.flip)
      expect(error).toMatchObject({ source: "sftp", reason: "Read", message: "connection reset" })
    })
  )
})
