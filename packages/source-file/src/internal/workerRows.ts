/**
 * Decode in a worker thread: the calling thread reads the bytes (file, SFTP, any stream) and hands them over; the
 * worker (decodeWorker.ts) parses and sends row batches back. Parsing then runs on another core while this thread
 * maps, validates and plans the rows it already has. Bounded both ways (see workerProtocol.ts).
 */
import type { Model } from "@anysource/core"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import type { DecodeExtra, DecodeSettings } from "./decodeRows.ts"
import { DecodeFailure, failure, type FailContext } from "./fail.ts"
import { decodeBatch, type FromWorker, type WorkerInput } from "./workerProtocol.ts"

/**
 * The worker script next to this module: `decode-worker.js` (or `.mjs`) beside a build (this package's dist, or an
 * app bundle that adds the entry), the tsx-loading development entry beside the TypeScript sources. Undefined when
 * there is none (a bundle without the entry): decoding then stays on the calling thread.
 */
export const decodeWorkerUrl: () => URL | undefined = (() => {
  let found: URL | null | undefined
  return () => {
    if (found === undefined) {
      const here = import.meta.url
      const candidates = here.endsWith(".ts")
        ? [new URL("./decodeWorker.dev.mjs", here)]
        : [new URL("./decode-worker.js", here), new URL("./decode-worker.mjs", here)]
      found = candidates.find((u) => u.protocol === "file:" && existsSync(fileURLToPath(u))) ?? null
    }
    return found ?? undefined
  }
})()

const delay = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis).unref())

export async function* workerRows(
  ctx: FailContext,
  bytes: AsyncIterable<Uint8Array>,
  settings: DecodeSettings,
  extra: DecodeExtra,
  script: URL
): AsyncGenerator<ReadonlyArray<Model.SourceRow>> {
  const input: WorkerInput = { ctx, settings, ...(extra.sha256 !== undefined ? { sha256: extra.sha256 } : {}) }
  // A decoder holds one batch and the parser's state (at most one record of maxRecordSize): a small, fixed heap is
  // plenty, and caps what the second thread adds to the process's memory.
  const worker = new Worker(script, {
    workerData: input,
    resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 64 + Math.ceil((settings.maxRecordSize * 8) / 2 ** 20) }
  })
  const iterator = bytes[Symbol.asyncIterator]()
  const inbox: Array<FromWorker | { readonly t: "exit"; readonly detail: string }> = []
  let wake: (() => void) | undefined
  const deliver = (m: (typeof inbox)[number]) => {
    inbox.push(m)
    const w = wake
    wake = undefined
    w?.()
  }

  // bytes: read one chunk per `more`, one read at a time; a read failure is this thread's to report
  let wanted = 0
  let reading = false
  let inputDone = false
  let readError: unknown
  let stopped = false
  let readInFlight: Promise<unknown> | undefined
  const feed = async () => {
    if (reading) return
    reading = true
    try {
      while (wanted > 0 && !inputDone && !stopped) {
        const read = iterator.next()
        readInFlight = read
        const next = await read
        if (stopped) return
        if (next.done === true) {
          inputDone = true
          worker.postMessage({ t: "end" })
          return
        }
        wanted--
        worker.postMessage({ t: "bytes", chunk: next.value })
      }
    } catch (error) {
      inputDone = true
      readError = error
      deliver({ t: "exit", detail: "read failed" })
    } finally {
      reading = false
    }
  }

  worker.on("message", (m: FromWorker) => {
    if (m.t === "more") {
      wanted++
      void feed()
    } else deliver(m)
  })
  worker.on("error", (error) => deliver({ t: "exit", detail: error instanceof Error ? error.message : String(error) }))
  worker.on("exit", (code) => deliver({ t: "exit", detail: `the worker thread exited with code ${code}` }))

  try {
    for (;;) {
      if (readError !== undefined) throw readError
      const m = inbox.shift()
      if (m === undefined) {
        await new Promise<void>((resolve) => (wake = resolve))
        continue
      }
      switch (m.t) {
        case "rows":
        case "table":
          worker.postMessage({ t: "ack" })
          yield decodeBatch(m)
          break
        case "digest":
          extra.onDigest?.(m.digest)
          break
        case "error":
          throw new DecodeFailure(m.fields)
        case "done":
          return
        case "exit":
          if (readError !== undefined) throw readError
          throw failure(ctx, "Decode", `decoding ${ctx.name} stopped: ${m.detail} (a bug: please report it; set ANYSOURCE_DECODE_WORKER=0 to decode on the main thread)`)
        case "more":
          break
      }
    }
  } finally {
    stopped = true
    await worker.terminate()
    // let a read still in flight finish before the caller closes the file handle under it (bounded: a source that
    // never answers must not hold up the cleanup)
    if (readInFlight !== undefined) await Promise.race([readInFlight.catch(() => undefined), delay(1_000)])
    // not awaited: a read may still be pending on a byte source the stream's finalizer has just destroyed
    void Promise.resolve(iterator.return?.(undefined)).catch(() => undefined)
  }
}
