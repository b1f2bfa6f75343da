/**
 * Messages between `workerRows` (the calling thread) and decodeWorker.ts (the worker thread).
 *
 * Bytes go to the worker on demand (`more` → `bytes`, a few chunks ahead); rows come back in batches, at most
 * `MAX_BATCHES_IN_FLIGHT` not yet taken by the stream (`ack`), so memory stays bounded whichever side is slower.
 * A batch whose rows all have the same keys in the same order (every CSV batch) travels as the keys once and a
 * flat array of values: far cheaper to copy across threads than one object per row.
 */
import type { Model } from "@anysource/core"
import type { Digest } from "./bytes.ts"
import type { FailContext, FailureFields } from "./fail.ts"
import type { DecodeSettings } from "./decodeRows.ts"

export interface WorkerInput {
  readonly ctx: FailContext
  readonly settings: DecodeSettings
  readonly sha256?: string
}

export type ToWorker = { readonly t: "bytes"; readonly chunk: Uint8Array } | { readonly t: "end" } | { readonly t: "ack" }

export type FromWorker =
  | { readonly t: "more" }
  | { readonly t: "rows"; readonly rows: ReadonlyArray<Model.SourceRow> }
  | { readonly t: "table"; readonly keys: ReadonlyArray<string>; readonly values: ReadonlyArray<unknown>; readonly locations: ReadonlyArray<string> }
  | { readonly t: "digest"; readonly digest: Digest }
  | { readonly t: "error"; readonly fields: FailureFields }
  | { readonly t: "done" }

/** Byte chunks the worker asks for ahead of need. */
export const BYTES_AHEAD = 32
/** Row batches (about 1,000 rows each, a few hundred KB as messages) sent but not yet taken: enough to work ahead while the planner reads its state. */
export const MAX_BATCHES_IN_FLIGHT = 256

/** A batch as a message: `table` when every row has the first row's keys in its order, else the rows themselves. */
export const encodeBatch = (rows: ReadonlyArray<Model.SourceRow>): FromWorker => {
  const first = rows[0]
  if (first === undefined) return { t: "rows", rows }
  const keys = Object.keys(first.data)
  const k = keys.length
  if (keys.includes("__proto__")) return { t: "rows", rows }
  const values: Array<unknown> = new Array(rows.length * k)
  const locations: Array<string> = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    const data = row.data
    let j = 0
    for (const key in data) {
      if (j >= k || key !== keys[j]) return { t: "rows", rows }
      values[i * k + j] = data[key]
      j++
    }
    if (j !== k) return { t: "rows", rows }
    locations[i] = row.location
  }
  return { t: "table", keys, values, locations }
}

/** The rows of a `rows` or `table` message. */
export const decodeBatch = (m: Extract<FromWorker, { t: "rows" | "table" }>): Array<Model.SourceRow> => {
  if (m.t === "rows") return m.rows as Array<Model.SourceRow>
  const { keys, values, locations } = m
  const k = keys.length
  const out: Array<Model.SourceRow> = new Array(locations.length)
  for (let i = 0; i < locations.length; i++) {
    const data: Record<string, unknown> = {}
    for (let j = 0; j < k; j++) data[keys[j]!] = values[i * k + j]
    out[i] = { data, location: locations[i]! }
  }
  return out
}
