import { Effect, Exit, Fiber } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Writable } from "node:stream"
import { afterAll, describe, expect, it } from "vitest"
import { drain, linesToChunks, writeChunks, writeFileChunks } from "../src/internal/Output.ts"

/** A writable that takes a while per write (a slow pipe reader), with a small buffer. */
const slowSink = (delayMs = 1) => {
  const received: Array<string> = []
  let writes = 0
  const stream = new Writable({
    highWaterMark: 4_096,
    write(chunk, _enc, cb) {
      writes++
      setTimeout(() => {
        received.push(String(chunk))
        cb()
      }, delayMs)
    }
  })
  return { stream, received, writes: () => writes }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "anysource-output-"))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

describe("writeChunks", () => {
  it("waits for a slow reader: every byte arrives, in order, and chunks are produced only as fast as it reads", async () => {
    const sink = slowSink()
    let produced = 0
    let maxAhead = 0
    const chunks = function* () {
      for (let i = 0; i < 40; i++) {
        produced++
        // the producer is pulled only as fast as the sink drains
        maxAhead = Math.max(maxAhead, produced - sink.received.length)
        yield `${String(i).padStart(4, "0")}${"x".repeat(70_000)}\n`
      }
    }
    await Effect.runPromise(writeChunks(sink.stream, chunks()))
    await drain(sink.stream)
    const text = sink.received.join("")
    expect(text.length).toBe(40 * 70_005)
    expect(
      text
        .split("\n")
        .slice(0, -1)
        .map((l) => l.slice(0, 4))
    ).toEqual(Array.from({ length: 40 }, (_, i) => String(i).padStart(4, "0")))
    expect(maxAhead).toBeLessThanOrEqual(3)
  })

  it("batches small pieces into large writes", async () => {
    const sink = slowSink(0)
    await Effect.runPromise(
      writeChunks(sink.stream, linesToChunks(Array.from({ length: 20_000 }, (_, i) => `line ${i}`)))
    )
    await drain(sink.stream)
    expect(sink.received.join("").split("\n")).toHaveLength(20_001)
    expect(sink.writes()).toBeLessThan(10)
  })

  it("fails with OutputError when the stream errors (a reader that went away), and stops pulling chunks", async () => {
    const stream = new Writable({
      highWaterMark: 1_024,
      write(_chunk, _enc, cb) {
        setTimeout(() => cb(Object.assign(new Error("write EPIPE"), { code: "EPIPE" })), 1)
      }
    })
    stream.on("error", () => {})
    let pulled = 0
    const chunks = function* () {
      for (;;) {
        pulled++
        yield "y".repeat(100_000)
      }
    }
    const exit = await Effect.runPromiseExit(writeChunks(stream, chunks()))
    expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("OutputError")
    expect(pulled).toBeLessThan(5)
  })

  it("interruption stops between chunks and closes the producer", async () => {
    const sink = slowSink(5)
    let closed = false
    const chunks = function* () {
      try {
        for (;;) yield "z".repeat(70_000)
      } finally {
        closed = true
      }
    }
    const fiber = Effect.runFork(writeChunks(sink.stream, chunks()))
    await new Promise((r) => setTimeout(r, 30))
    await Effect.runPromise(Fiber.interrupt(fiber))
    expect(closed).toBe(true)
  })
})

describe("drain", () => {
  it("resolves only after every earlier write reached the stream's destination", async () => {
    const sink = slowSink(3)
    for (let i = 0; i < 10; i++) sink.stream.write("a".repeat(10_000))
    expect(sink.received.length).toBeLessThan(10)
    await drain(sink.stream)
    expect(sink.received.join("")).toHaveLength(100_000)
  })

  it("resolves at once for a destroyed stream", async () => {
    const sink = slowSink()
    sink.stream.destroy()
    await drain(sink.stream)
  })
})

describe("writeFileChunks", () => {
  it("writes the file through a temporary name, renamed once complete", async () => {
    const file = path.join(tmp, "sub", "plan.json")
    await Effect.runPromise(writeFileChunks(file, ["{", '"a":1', "}\n"], (e) => e))
    expect(fs.readFileSync(file, "utf8")).toBe('{"a":1}\n')
    expect(fs.readdirSync(path.dirname(file))).toEqual(["plan.json"])
  })

  it("leaves neither a half-written file nor its temporary behind when producing fails", async () => {
    const file = path.join(tmp, "broken.json")
    fs.writeFileSync(file, "the previous plan\n")
    const chunks = function* () {
      yield "x".repeat(100_000)
      throw new Error("producer bug")
    }
    const exit = await Effect.runPromiseExit(writeFileChunks(file, chunks(), (e) => e))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(fs.readFileSync(file, "utf8")).toBe("the previous plan\n")
    expect(fs.readdirSync(tmp).filter((f) => f.includes("broken"))).toEqual(["broken.json"])
  })

  it("reports a file that cannot be created (its folder is a file)", async () => {
    fs.writeFileSync(path.join(tmp, "not-a-dir"), "")
    const exit = await Effect.runPromiseExit(
      writeFileChunks(path.join(tmp, "not-a-dir", "x.json"), ["{}"], (e) => `cannot write: ${String(e)}`)
    )
    expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toMatch(/cannot write: .*(EEXIST|ENOTDIR)/)
  })
})
