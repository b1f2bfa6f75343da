/**
 * Worker-thread entry: decodes one file's bytes (sent by `workerRows`) into row batches, so parsing runs on a
 * second core while the calling thread maps, validates and plans. Loads only the decoders (decodeRows.ts).
 */
import { parentPort, workerData } from "node:worker_threads"
import { decodeRows } from "./decodeRows.ts"
import { asFailure } from "./fail.ts"
import { BYTES_AHEAD, MAX_BATCHES_IN_FLIGHT, encodeBatch, type FromWorker, type ToWorker, type WorkerInput } from "./workerProtocol.ts"

const port = parentPort
if (port === null) throw new Error("decodeWorker.ts runs as a worker thread only")
const input = workerData as WorkerInput
const post = (m: FromWorker) => port.postMessage(m)

const chunks: Array<Uint8Array> = []
let ended = false
let inFlight = 0
const waiters = new Set<() => void>()
const wakeAll = () => {
  for (const w of [...waiters]) w()
}
const until = async (ready: () => boolean): Promise<void> => {
  while (!ready()) {
    await new Promise<void>((resolve) => {
      const w = () => {
        waiters.delete(w)
        resolve()
      }
      waiters.add(w)
    })
  }
}

port.on("message", (m: ToWorker) => {
  if (m.t === "bytes") chunks.push(m.chunk)
  else if (m.t === "end") ended = true
  else inFlight--
  wakeAll()
})

async function* bytes(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < BYTES_AHEAD; i++) post({ t: "more" })
  for (;;) {
    await until(() => chunks.length > 0 || ended)
    const chunk = chunks.shift()
    if (chunk === undefined) return
    post({ t: "more" })
    yield chunk
  }
}

const main = async () => {
  try {
    const rows = decodeRows(input.ctx, bytes(), input.settings, {
      ...(input.sha256 !== undefined ? { sha256: input.sha256 } : {}),
      onDigest: (digest) => post({ t: "digest", digest })
    })
    for await (const batch of rows) {
      if (batch.length === 0) continue
      await until(() => inFlight < MAX_BATCHES_IN_FLIGHT)
      inFlight++
      post(encodeBatch(batch))
    }
    post({ t: "done" })
  } catch (error) {
    post({ t: "error", fields: asFailure(input.ctx, error).fields })
  }
  port.close()
}

void main()
