/**
 * A 200 MB file on the real SFTP server is streamed with bounded memory: the file is written straight into the SFTP
 * user's home (the tests run as root on the server's machine), then read through the adapter while RSS and the heap
 * retained after forced GCs are measured. NDJSON keeps the test well under a minute on a busy two-core machine
 * (the shared CSV decoder runs at 6–10 MB/s there); the transport and the memory bound are the same for every format.
 */
import { it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Posix from "node:path/posix"
import { Effect } from "effect"
import { afterAll, beforeAll, expect } from "vitest"
import { baseConfig, drainMeasuring, Remote } from "./support/sftp.ts"
import { make } from "./support/run.ts"

const TARGET_BYTES = 200 * 1024 * 1024
const remote = new Remote()
let path = ""
let expectedRows = 0
let bytes = 0

beforeAll(async () => {
  await remote.open()
  path = remote.path("big.ndjson")
  // One 1 MB block of rows written again and again: fast, and the file really is 200 MB on the server's disk.
  const lines: Array<string> = []
  let blockBytes = 0
  for (let i = 0; blockBytes < 1024 * 1024; i++) {
    const line = `${JSON.stringify({
      id: i,
      email: `user${i}@example.com`,
      first_name: `First${i}`,
      last_name: `Last${i}`,
      department: `Department ${i % 40}`,
      hired: `2024-01-${String((i % 28) + 1).padStart(2, "0")}`
    })}\n`
    lines.push(line)
    blockBytes += Buffer.byteLength(line)
  }
  const block = Buffer.from(lines.join(""))
  const fd = Fs.openSync(path, "w")
  try {
    while (bytes < TARGET_BYTES) {
      Fs.writeSync(fd, block)
      bytes += block.length
      expectedRows += lines.length
    }
  } finally {
    Fs.closeSync(fd)
  }
  const owner = Fs.statSync(Posix.dirname(path))
  Fs.chownSync(path, owner.uid, owner.gid)
})

afterAll(async () => {
  await remote.close()
})

it.live(
  "a 200 MB file streams with bounded memory",
  () =>
    Effect.gen(function* () {
      const report = yield* Effect.scoped(
        Effect.gen(function* () {
          const source = yield* make(baseConfig(path))
          return yield* drainMeasuring(source.read)
        })
      )
      expect(bytes).toBeGreaterThanOrEqual(TARGET_BYTES)
      expect(report.rows).toBe(expectedRows)
      // The file is 200 MB: holding it (or its rows) would grow the process by far more than these bounds.
      expect(report.retainedMb, JSON.stringify(report)).toBeLessThan(40)
      expect(report.growthMb, JSON.stringify(report)).toBeLessThan(150)
      expect(report.seconds).toBeLessThan(60)
    }),
  { timeout: 120_000 }
)
