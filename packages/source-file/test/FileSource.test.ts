import { SourceError } from "@anysource/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Stream } from "effect"
import { createHash } from "node:crypto"
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs"
import * as Path from "node:path"
import { gzipSync } from "node:zlib"
import { makeFileSource } from "../src/FileSource.ts"
import { FileSource } from "../src/index.ts"
import { openFds, tempDir } from "./helpers.ts"

const tmp = tempDir()
afterAll(() => tmp.cleanup())

const sha = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex")

const make = (config: Record<string, unknown>, baseDir = tmp.dir) =>
  FileSource.make(FileSource.config.parse(config), { baseDir })

const readAll = (config: Record<string, unknown>, baseDir = tmp.dir) =>
  Effect.gen(function* () {
    const source = yield* make(config, baseDir)
    return Chunk.toArray(yield* Stream.runCollect(source.read))
  }).pipe(Effect.scoped)

const failure = <A>(effect: Effect.Effect<A, SourceError>) => Effect.flip(effect)

beforeAll(() => {
  tmp.write("people.csv", "id,name\n1,Zoë\n2,Åsa\n")
  mkdirSync(Path.join(tmp.dir, "exports", "2026", "11"), { recursive: true })
  // names and mtimes disagree on purpose: newest is by modification time
  const day = 24 * 3600
  const base = Date.parse("2026-11-20T00:00:00Z") / 1000
  tmp.write("exports/people-2026-11-01.csv", "id,name\n1,a\n")
  utimesSync(Path.join(tmp.dir, "exports/people-2026-11-01.csv"), base + 3 * day, base + 3 * day)
  tmp.write("exports/people-2026-11-02.csv", "id,name\n2,b\n3,c\n")
  utimesSync(Path.join(tmp.dir, "exports/people-2026-11-02.csv"), base + day, base + day)
  tmp.write("exports/people-2026-11-03.csv", "id,name\n4,d\n")
  utimesSync(Path.join(tmp.dir, "exports/people-2026-11-03.csv"), base + 2 * day, base + 2 * day)
  tmp.write("exports/notes.txt", "not matched\n")
  tmp.write("exports/2026/11/deep.ndjson", '{"id":"9"}\n')
  tmp.write("dir-only/.keep", "")
})

describe("config", () => {
  it("applies defaults and rejects mistakes", () => {
    const config = FileSource.config.parse({ path: "people.csv" })
    expect(config).toMatchObject({ path: "people.csv", pick: "newest", format: "auto", encoding: "auto", gzip: "auto" })
    expect(config.csv).toMatchObject({ delimiter: "auto", quote: '"', header: true, relaxColumnCount: false, trim: false })
    expect(FileSource.config.parse({ path: "x.csv", csv: { delimiter: "tab" } }).csv.delimiter).toBe("\t")
    for (const bad of [
      {},
      { path: "" },
      { path: "x.csv", pick: "oldest" },
      { path: "x.csv", delimiter: ";" },
      { path: "x.csv", csv: { header: false } },
      { path: "x.csv", csv: { quote: "''" } },
      { path: "x.csv", encoding: "ebcdic-klingon" },
      { path: "x.csv", format: "xml" },
      { path: "x.csv", checksum: { sha256: "abc" } }
    ]) {
      expect(FileSource.config.safeParse(bad).success, JSON.stringify(bad)).toBe(false)
    }
  })

  it("is registered as the `file` source", () => {
    expect(FileSource.id).toBe("file")
    expect(FileSource.displayName).toBe("Local file")
  })
})

describe("check", () => {
  it.effect("passes for a readable file and a matching glob", () =>
    Effect.gen(function* () {
      yield* (yield* make({ path: "people.csv" })).check
      yield* (yield* make({ path: "exports/people-*.csv", pick: "all" })).check
    }).pipe(Effect.scoped)
  )

  it.effect("a missing file, an unmatched glob and a directory are clear errors", () =>
    Effect.gen(function* () {
      const missing = yield* failure((yield* make({ path: "nope.csv" })).check)
      expect(missing.reason).toBe("NotFound")
      expect(missing.message).toContain(`nope.csv not found (looked for ${Path.join(tmp.dir, "nope.csv")})`)
      const unmatched = yield* failure((yield* make({ path: "exports/staff-*.csv" })).check)
      expect(unmatched.reason).toBe("NotFound")
      expect(unmatched.message).toContain("no file matches exports/staff-*.csv")
      const dir = yield* failure((yield* make({ path: "dir-only" })).check)
      expect(dir.reason).toBe("Config")
      expect(dir.message).toContain("is a directory")
      const noChecksum = yield* failure((yield* make({ path: "people.csv", checksum: { file: "{name}.sha256" } })).check)
      expect(noChecksum.reason).toBe("NotFound")
      expect(noChecksum.message).toContain("people.csv.sha256")
    }).pipe(Effect.scoped)
  )
})

describe("read", () => {
  it.effect("one file: rows with file:line locations relative to the config's directory", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ path: "people.csv" })
      expect(rows).toEqual([
        { data: { id: "1", name: "Zoë" }, location: "people.csv:2" },
        { data: { id: "2", name: "Åsa" }, location: "people.csv:3" }
      ])
      const nested = yield* readAll({ path: "../people.csv" }, Path.join(tmp.dir, "exports"))
      expect(nested.map((r) => r.location)).toEqual([`${Path.join(tmp.dir, "people.csv")}:2`, `${Path.join(tmp.dir, "people.csv")}:3`])
    })
  )

  it.effect("glob + pick: newest takes the most recently modified file", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ path: "exports/people-*.csv" })
      expect(rows.map((r) => r.location)).toEqual(["exports/people-2026-11-01.csv:2"])
    })
  )

  it.effect("glob + pick: all concatenates in name order, each row keeping its own file:line", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ path: "exports/people-*.csv", pick: "all" })
      expect(rows.map((r) => [r.data["id"], r.location])).toEqual([
        ["1", "exports/people-2026-11-01.csv:2"],
        ["2", "exports/people-2026-11-02.csv:2"],
        ["3", "exports/people-2026-11-02.csv:3"],
        ["4", "exports/people-2026-11-03.csv:2"]
      ])
    })
  )

  it.effect("a recursive glob and format auto per file", () =>
    Effect.gen(function* () {
      const rows = yield* readAll({ path: "exports/**/*.ndjson", pick: "all" })
      expect(rows).toEqual([{ data: { id: "9" }, location: "exports/2026/11/deep.ndjson:1" }])
    })
  )

  it.effect("format options reach the decoder (gzip, encoding, delimiter)", () =>
    Effect.gen(function* () {
      tmp.write("latin.csv.gz", gzipSync(Buffer.from("id;name\n1;Zoë Ångström\n", "latin1")))
      const rows = yield* readAll({ path: "latin.csv.gz", encoding: "latin1", csv: { delimiter: ";" } })
      expect(rows).toEqual([{ data: { id: "1", name: "Zoë Ångström" }, location: "latin.csv.gz:2" }])
    })
  )

  it.effect("a file that vanished between selection and reading is NotFound", () =>
    Effect.gen(function* () {
      tmp.write("soon-gone.csv", "id\n1\n")
      const source = yield* make({ path: "soon-gone.csv" })
      yield* source.check
      rmSync(Path.join(tmp.dir, "soon-gone.csv"))
      const error = yield* failure(Stream.runDrain(source.read))
      expect(error.reason).toBe("NotFound")
    }).pipe(Effect.scoped)
  )

  it.effect("decode errors carry the file's location", () =>
    Effect.gen(function* () {
      tmp.write("broken.csv", 'id,name\n1,"open\n')
      const error = yield* failure(readAll({ path: "broken.csv" }))
      expect(error).toBeInstanceOf(SourceError)
      expect(error.source).toBe("file")
      expect(error.reason).toBe("Decode")
      expect(error.location).toBe("broken.csv:2")
    })
  )
})

describe("a file that ends mid-record", () => {
  it.effect("a local file cut mid-row fails the read at that row; allowUnterminatedLastRecord: true accepts it", () =>
    Effect.gen(function* () {
      tmp.write("cut.csv", "id,city\r\n1,Zürich\r\n2,Zü")
      const error = yield* failure(readAll({ path: "cut.csv" }))
      expect(error.source).toBe("file")
      expect(error.reason).toBe("Consistency")
      expect(error.location).toBe("cut.csv:3")
      expect(error.message).toContain("cut.csv:3: the file ends mid-record: was the export still being written?")
      const rows = yield* readAll({ path: "cut.csv", allowUnterminatedLastRecord: true })
      expect(rows.map((r) => r.location)).toEqual(["cut.csv:2", "cut.csv:3"])
    })
  )
})

describe("a file that changes while it is read", () => {
  const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => `${from + i},name ${from + i}\n`).join("")
  // several 64 KiB chunks, so the read is in the middle of the file when the hook runs
  const content = "id,name\n" + lines(0, 20_000)

  /** Read `name` with `change` run once, after the first chunk was read. */
  const readChanging = (name: string, change: (path: string) => void, config: Record<string, unknown> = {}) =>
    Effect.gen(function* () {
      const path = Path.join(tmp.dir, name)
      let changed = false
      const source = yield* makeFileSource(
        FileSource.config.parse({ path: name, ...config }),
        { baseDir: tmp.dir },
        {
          afterChunk: async () => {
            if (changed) return
            changed = true
            change(path)
          }
        }
      )
      return yield* Stream.runCollect(source.read).pipe(Effect.map(Chunk.toArray), Effect.either)
    }).pipe(Effect.scoped)

  for (const thread of ["main", "worker"] as const) {
    const onThread = <A, E>(self: Effect.Effect<A, E>) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          const before = process.env["ANYSOURCE_DECODE_WORKER"]
          process.env["ANYSOURCE_DECODE_WORKER"] = thread === "worker" ? "1" : "0"
          return before
        }),
        () => self,
        (before) =>
          Effect.sync(() => {
            if (before === undefined) delete process.env["ANYSOURCE_DECODE_WORKER"]
            else process.env["ANYSOURCE_DECODE_WORKER"] = before
          })
      )

    it.effect(`(${thread} thread) appended to during the read: NotReady naming the file, both sizes and mtimes; retryable`, () =>
      onThread(
        Effect.gen(function* () {
          const path = tmp.write(`growing-${thread}.csv`, content)
          const before = statSync(path)
          const result = yield* readChanging(`growing-${thread}.csv`, (p) => appendFileSync(p, lines(20_000, 10)))
          expect(result._tag).toBe("Left")
          if (result._tag !== "Left") return
          const error = result.left
          const after = statSync(path)
          expect(error).toBeInstanceOf(SourceError)
          expect(error.source).toBe("file")
          expect(error.reason).toBe("NotReady")
          expect(error.retryable).toBe(true)
          expect(error.message).toBe(
            `growing-${thread}.csv changed while it was read (size ${before.size} → ${after.size} bytes, modified ${new Date(before.mtimeMs).toISOString()} → ${new Date(after.mtimeMs).toISOString()}): it is still being written. The rows read are discarded and the file is read again; if it keeps changing, run again once the export is complete — and have the exporter write to a temporary name and rename it when done, so a half-written file is never read`
          )
          // once the writer is done, the next read is the whole file
          const rows = yield* readAll({ path: `growing-${thread}.csv` })
          expect(rows).toHaveLength(20_010)
          expect(openFds(path)).toBe(0)
        })
      )
    )

    it.effect(`(${thread} thread) rewritten with the same size (only the mtime moves) or truncated during the read: NotReady`, () =>
      onThread(
        Effect.gen(function* () {
          tmp.write(`touched-${thread}.csv`, content)
          const touched = yield* readChanging(`touched-${thread}.csv`, (p) => {
            const s = statSync(p)
            utimesSync(p, s.atime, new Date(s.mtimeMs + 5_000))
          })
          expect(touched._tag === "Left" && touched.left.reason).toBe("NotReady")
          tmp.write(`shrinking-${thread}.csv`, content)
          const shrunk = yield* readChanging(`shrinking-${thread}.csv`, (p) => truncateSync(p, 1000))
          expect(shrunk._tag === "Left" && shrunk.left.reason).toBe("NotReady")
          expect(shrunk._tag === "Left" && shrunk.left.message).toContain(`size ${Buffer.byteLength(content)} → 1000 bytes`)
        })
      )
    )
  }

  it.effect("replaced by a rename during the read (the safe way to publish an export): the open file is read whole", () =>
    Effect.gen(function* () {
      tmp.write("replaced.csv", content)
      const result = yield* readChanging("replaced.csv", (p) => {
        writeFileSync(`${p}.tmp`, "id,name\n1,new\n")
        renameSync(`${p}.tmp`, p)
      })
      expect(result._tag).toBe("Right")
      if (result._tag === "Right") expect(result.right).toHaveLength(20_000)
    })
  )
})

describe("checksums", () => {
  it.effect("a checksum file per data file ({name}) is verified while reading", () =>
    Effect.gen(function* () {
      const text = "id\n1\n"
      tmp.write("sums/a.csv", text)
      tmp.write("sums/b.csv", "id\n2\n")
      tmp.write("sums/a.csv.sha256", `${sha(text)}  a.csv\n`)
      tmp.write("sums/b.csv.sha256", `${sha("id\n2\n")} *b.csv\n`)
      const rows = yield* readAll({ path: "sums/*.csv", pick: "all", checksum: { file: "sums/{name}.sha256" } })
      expect(rows.map((r) => r.location)).toEqual(["sums/a.csv:2", "sums/b.csv:2"])

      tmp.write("sums/b.csv.sha256", `${sha("something else")}  b.csv\n`)
      const error = yield* failure(readAll({ path: "sums/*.csv", pick: "all", checksum: { file: "sums/{name}.sha256" } }))
      expect(error.reason).toBe("Consistency")
      expect(error.message).toContain("sums/b.csv does not match its checksum")
    })
  )

  it.effect("an inline sha256 verifies one file and refuses a multi-file selection", () =>
    Effect.gen(function* () {
      const text = statSync(Path.join(tmp.dir, "people.csv")).size
      expect(text).toBeGreaterThan(0)
      const good = yield* readAll({ path: "people.csv", checksum: { sha256: sha("id,name\n1,Zoë\n2,Åsa\n") } })
      expect(good).toHaveLength(2)
      const bad = yield* failure(readAll({ path: "people.csv", checksum: { sha256: "f".repeat(64) } }))
      expect(bad.reason).toBe("Consistency")
      const many = yield* failure(readAll({ path: "exports/people-*.csv", pick: "all", checksum: { sha256: "f".repeat(64) } }))
      expect(many.reason).toBe("Config")
    })
  )
})

describe("fingerprint", () => {
  it.effect("names, sizes, mtimes and sha256 of what was read; the same before a read", () =>
    Effect.gen(function* () {
      const path = Path.join(tmp.dir, "people.csv")
      const stat = statSync(path)
      const expected = `people.csv size=${stat.size} mtime=${stat.mtime.toISOString()} sha256=${sha("id,name\n1,Zoë\n2,Åsa\n")}`
      const fresh = yield* make({ path: "people.csv" })
      expect(yield* fresh.fingerprint!).toBe(expected)
      yield* Stream.runDrain(fresh.read)
      expect(yield* fresh.fingerprint!).toBe(expected)
      const source = yield* make({ path: "exports/people-*.csv", pick: "all" })
      yield* Stream.runDrain(source.read)
      const fingerprint = (yield* source.fingerprint!) ?? ""
      expect(fingerprint.split("; ").map((f) => f.split(" ")[0])).toEqual([
        "exports/people-2026-11-01.csv",
        "exports/people-2026-11-02.csv",
        "exports/people-2026-11-03.csv"
      ])
      expect(fingerprint).toContain(`sha256=${sha("id,name\n2,b\n3,c\n")}`)
      expect(fingerprint).toContain("mtime=2026-11-21T00:00:00.000Z")
    }).pipe(Effect.scoped)
  )
})

describe("resources", () => {
  const bigPath = Path.join(tmp.dir, "big.csv")
  beforeAll(() => {
    const lines = ["id,name,email"]
    for (let i = 0; i < 200_000; i++) lines.push(`${i},name ${i},p${i}@example.com`)
    tmp.write("big.csv", lines.join("\n") + "\n")
  })

  it.effect("nothing is opened until the stream runs", () =>
    Effect.gen(function* () {
      const source = yield* make({ path: "big.csv" })
      const stream = source.read
      expect(openFds(bigPath)).toBe(0)
      expect(yield* Stream.runCount(Stream.take(stream, 3))).toBe(3)
      expect(openFds(bigPath)).toBe(0)
    }).pipe(Effect.scoped)
  )

  it.effect("interrupting the read closes the file handle", () =>
    Effect.gen(function* () {
      const source = yield* make({ path: "big.csv" })
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const fiber = yield* source.read.pipe(
        Stream.runForEach(() => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Deferred.await(release)))),
        Effect.fork
      )
      yield* Deferred.await(started)
      expect(openFds(bigPath)).toBe(1)
      yield* Fiber.interrupt(fiber)
      expect(openFds(bigPath)).toBe(0)
    }).pipe(Effect.scoped)
  )

  it.effect("a decode error mid-file closes the file handle", () =>
    Effect.gen(function* () {
      const lines = ["id,name"]
      for (let i = 0; i < 50_000; i++) lines.push(`${i},n${i}`)
      lines.push("oops,too,many")
      for (let i = 0; i < 50_000; i++) lines.push(`${i},n${i}`)
      const path = tmp.write("bad-mid.csv", lines.join("\n"))
      const error = yield* failure(readAll({ path: "bad-mid.csv" }))
      expect(error.location).toBe("bad-mid.csv:50002")
      expect(openFds(path)).toBe(0)
    })
  )
})
