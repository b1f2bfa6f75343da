/**
 * The pipelined reader's ordering and edge cases, on an in-memory stand-in for ssh2's SFTP object that answers
 * READ requests out of order and sometimes short (as servers may). The real transport is covered by the
 * integration tests.
 */
import { describe, expect, it } from "vitest"
import type ssh2 from "ssh2"
import { SourceError } from "@anysource/core"
import * as Reader from "../src/internal/reader.ts"

interface FakeOptions {
  /** Answer at most this many bytes per request. */
  readonly maxAnswer?: number
  /** Bytes visible to reads (defaults to the content's length). */
  readonly visible?: () => number
  /** Size and mtime the final fstat reports. */
  readonly finalStat?: () => { size: number; mtime: number }
}

const fakeSftp = (content: Buffer, options: FakeOptions = {}) => {
  let inFlight = 0
  let maxInFlight = 0
  let requests = 0
  const sftp = {
    read(_handle: Buffer, buffer: Buffer, offset: number, length: number, position: number, cb: (e: Error | undefined, n: number) => void) {
      requests++
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const visible = options.visible?.() ?? content.length
      const n = Math.max(0, Math.min(length, options.maxAnswer ?? length, visible - position))
      content.copy(buffer, offset, position, position + n)
      // Answer out of order: later requests may come back first.
      setTimeout(
        () => {
          inFlight--
          cb(undefined, n)
        },
        (requests * 7) % 5
      )
    },
    fstat(_handle: Buffer, cb: (e: Error | undefined, stats: { size: number; mtime: number }) => void) {
      setImmediate(() => cb(undefined, options.finalStat?.() ?? { size: content.length, mtime: 1000 }))
    }
  }
  return { sftp: sftp as unknown as ssh2.SFTPWrapper, stats: () => ({ maxInFlight, requests }) }
}

const collect = async (iterable: AsyncIterable<Uint8Array>): Promise<Buffer> => {
  const parts: Array<Buffer> = []
  for await (const part of iterable) parts.push(Buffer.from(part))
  return Buffer.concat(parts)
}

const content = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251))
const file = (size = content.length): Reader.OpenedFile => ({ handle: Buffer.from("h"), size, mtimeMs: 1_000_000 })

describe("Reader.bytes", () => {
  it("returns the bytes in order with several requests in flight, never more than `parallel`", async () => {
    const fake = fakeSftp(content)
    const out = await collect(Reader.bytes(fake.sftp, file(), "f", { chunkSize: 1000, parallel: 8 }))
    expect(out.equals(content)).toBe(true)
    expect(fake.stats().maxInFlight).toBe(8)
    expect(fake.stats().requests).toBe(50)
  })

  it("completes short answers before moving on", async () => {
    const fake = fakeSftp(content, { maxAnswer: 300 })
    const out = await collect(Reader.bytes(fake.sftp, file(), "f", { chunkSize: 1000, parallel: 4 }))
    expect(out.equals(content)).toBe(true)
    expect(fake.stats().requests).toBeGreaterThan(50)
  })

  it("an empty file gives no bytes", async () => {
    const fake = fakeSftp(Buffer.alloc(0))
    expect((await collect(Reader.bytes(fake.sftp, file(0), "f"))).length).toBe(0)
  })

  it("a file that shrinks while being read fails with NotReady (retryable: it is being rewritten), naming both sizes", async () => {
    const fake = fakeSftp(content, { visible: () => 20_000, finalStat: () => ({ size: 20_000, mtime: 1001 }) })
    const error = await collect(Reader.bytes(fake.sftp, file(), "sftp://h/in/people.csv", { chunkSize: 1000, parallel: 4 })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SourceError)
    expect((error as SourceError).reason).toBe("NotReady")
    expect((error as SourceError).retryable).toBe(true)
    expect((error as SourceError).message).toContain(
      "sftp://h/in/people.csv changed while it was read (size 50000 → 20000 bytes, modified 1970-01-01T00:16:40.000Z → 1970-01-01T00:16:41.000Z; it ended at byte 20000 of 50000): it is still being written."
    )
  })

  it("a file that grew or was rewritten by the end of the read fails with NotReady, naming both sizes and mtimes", async () => {
    const grown = fakeSftp(content, { finalStat: () => ({ size: 60_000, mtime: 1000 }) })
    const error = await collect(Reader.bytes(grown.sftp, file(), "f", { chunkSize: 4096, parallel: 4 })).catch((e: unknown) => e)
    expect((error as SourceError).reason).toBe("NotReady")
    expect((error as SourceError).retryable).toBe(true)
    expect((error as SourceError).message).toBe(
      "f changed while it was read (size 50000 → 60000 bytes, modified 1970-01-01T00:16:40.000Z → 1970-01-01T00:16:40.000Z): it is still being written. The rows read are discarded and the file is read again; if it keeps changing, run again once the upload is complete — and use a readiness rule (ready.stable, ready.marker or ready.finalPattern) so a file still being uploaded is never read"
    )
    const touched = fakeSftp(content, { finalStat: () => ({ size: 50_000, mtime: 1001 }) })
    const error2 = await collect(Reader.bytes(touched.sftp, file(), "f")).catch((e: unknown) => e)
    expect((error2 as SourceError).reason).toBe("NotReady")
  })

  it("stopping early leaves no unhandled rejection behind", async () => {
    const failing = {
      read(_h: Buffer, _b: Buffer, _o: number, _l: number, _p: number, cb: (e: Error | undefined, n: number) => void) {
        setTimeout(() => cb(Object.assign(new Error("No response from server"), { code: "ECONNRESET" }), 0), 5)
      },
      fstat() {}
    } as unknown as ssh2.SFTPWrapper
    const unhandled: Array<unknown> = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on("unhandledRejection", onUnhandled)
    try {
      const iterator = Reader.bytes(failing, file(), "f", { chunkSize: 1000, parallel: 8 })[Symbol.asyncIterator]()
      const error = await iterator.next().catch((e: unknown) => e)
      expect((error as SourceError).reason).toBe("Read")
      expect((error as SourceError).retryable).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(unhandled).toEqual([])
    } finally {
      process.off("unhandledRejection", onUnhandled)
    }
  })
})
