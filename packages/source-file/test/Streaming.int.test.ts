/**
 * A ~100 MB generated CSV streamed through the file source: every row arrives, with the right location,
 * while retained memory stays flat (heap after GC) and RSS grows by far less than the file's size.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { createWriteStream } from "node:fs"
import * as Path from "node:path"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { FileSource } from "../src/index.ts"
import { tempDir } from "./helpers.ts"

const TARGET_BYTES = 100 * 1024 * 1024
const MB = 1024 * 1024

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const writeBigCsv = async (path: string): Promise<number> => {
  const out = createWriteStream(path)
  out.write("employee_id,first_name,last_name,email,department,title,notes\n")
  let bytes = 0
  let rows = 0
  while (bytes < TARGET_BYTES) {
    let block = ""
    for (let j = 0; j < 1000; j++, rows++) {
      block += `E${rows},Zoë,Ångström-${rows},zoe.${rows}@example.com,"Research, Development",Engineer ${rows % 97},"said ""hi"" on\nline two"\n`
    }
    bytes += Buffer.byteLength(block)
    if (!out.write(block)) await new Promise<void>((resolve) => out.once("drain", () => resolve()))
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
  return rows
}

describe("streaming a ~100 MB CSV", () => {
  it.live(
    "reads every row with bounded memory",
    () =>
      Effect.gen(function* () {
        const tmp = tempDir()
        yield* Effect.addFinalizer(() => Effect.sync(tmp.cleanup))
        const expected = yield* Effect.promise(() => writeBigCsv(Path.join(tmp.dir, "big.csv")))
        gc()
        const rssBefore = process.memoryUsage().rss
        const heapBefore = process.memoryUsage().heapUsed
        let rssPeak = rssBefore
        let heapPeak = heapBefore
        let last: Record<string, unknown> | undefined
        let lastLocation: string | undefined
        const source = yield* FileSource.make(FileSource.config.parse({ path: "big.csv" }), { baseDir: tmp.dir })
        const count = yield* source.read.pipe(
          Stream.runFold(0, (n, row) => {
            if (n % 100_000 === 0) {
              rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
              gc()
              heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
            }
            last = row.data
            lastLocation = row.location
            return n + 1
          })
        )
        expect(count).toBe(expected)
        expect(last).toEqual({
          employee_id: `E${expected - 1}`,
          first_name: "Zoë",
          last_name: `Ångström-${expected - 1}`,
          email: `zoe.${expected - 1}@example.com`,
          department: "Research, Development",
          title: `Engineer ${(expected - 1) % 97}`,
          notes: 'said "hi" on\nline two'
        })
        // every record spans two physical lines; the header is line 1
        expect(lastLocation).toBe(`big.csv:${2 + (expected - 1) * 2}`)
        // Retained memory: what survives a GC mid-stream stays small (the file is 100 MB).
        expect((heapPeak - heapBefore) / MB).toBeLessThan(24)
        // RSS: V8 keeps some garbage around between GCs; still far below the file's size.
        expect((rssPeak - rssBefore) / MB).toBeLessThan(160)
      }).pipe(Effect.scoped),
    90_000
  )
})
