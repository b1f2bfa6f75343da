/**
 * Text → rows of a top-level JSON array, streamed with stream-json (never the whole document in memory).
 * Locations are `file#index` (0-based, like `$[index]`).
 */
import type { Model } from "@anysource/core"
import { none, isMany, getManyValues } from "stream-chain/defs.js"
import { jsonParser } from "stream-json/core/parser.js"
import streamArray from "stream-json/core/streamers/stream-array.js"
import { failure, STILL_WRITING, type FailContext } from "./fail.ts"

/** Feed at most this much text at once so a syntax error can be pinned to a line. */
const SLICE = 64 * 1024

const valuesOf = <T>(output: unknown): ReadonlyArray<T> =>
  output === none || output === undefined ? [] : isMany(output) ? (getManyValues(output) as Array<T>) : [output as T]

const kindOf = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`)

export async function* jsonRows(
  ctx: FailContext,
  input: AsyncIterable<string>,
  maxRecordSize: number
): AsyncGenerator<Array<Model.SourceRow>> {
  const parse = jsonParser({ streamValues: false })
  const elements = streamArray()
  let line = 1
  let sinceLastElement = 0
  let sawValue = false
  let complete = 0
  let batch: Array<Model.SourceRow> = []

  const push = (tokens: unknown): void => {
    for (const token of valuesOf<{ readonly name: string }>(tokens)) {
      sawValue = true
      for (const item of valuesOf<{ readonly key: number; readonly value: unknown }>(elements(token as never))) {
        const location = `${ctx.name}#${item.key}`
        if (typeof item.value !== "object" || item.value === null || Array.isArray(item.value)) {
          throw failure(ctx, "Decode", `${location} (near line ${line}): expected a JSON object, got ${kindOf(item.value)}`, {
            location
          })
        }
        batch.push({ data: item.value as Record<string, unknown>, location })
        complete++
        sinceLastElement = 0
      }
    }
  }

  /** `atEnd`: the parser failed when told the input ended, i.e. the document stops before it is complete. */
  const explain = (error: unknown, lineNo: number, atEnd: boolean): never => {
    const text = error instanceof Error ? error.message : String(error)
    const problem = text.replace(/^Parser (cannot parse input: |has )/, "")
    const message = /Top-level object should be an array/.test(text)
      ? `${ctx.name}: expected a JSON array of objects at the top level, found another value — for one object per line use format: ndjson`
      : /expected a value|has expected a value/.test(text) && !sawValue
        ? `${ctx.name} holds no JSON value (only whitespace): expected a JSON array of objects`
        : atEnd
          ? `${ctx.name}:${lineNo}: the file ends mid-document: ${STILL_WRITING} It stops after ${complete} complete array element${complete === 1 ? "" : "s"} (the JSON parser ${problem}), so the rest of the array is missing: nothing from this read is synced. Export the file again`
          : `${ctx.name}:${lineNo}: invalid JSON (${problem})`
    throw failure(ctx, "Decode", message, { location: `${ctx.name}:${lineNo}`, cause: error })
  }

  const feed = (text: string): void => {
    let start = 0
    while (start < text.length) {
      const nl = text.indexOf("\n", start)
      const end = Math.min(nl === -1 ? text.length : nl + 1, start + SLICE)
      try {
        push(parse(text.slice(start, end)))
      } catch (error) {
        if (error instanceof Error && error.name === "DecodeFailure") throw error
        explain(error, line, false)
      }
      sinceLastElement += end - start
      if (end > 0 && text.charCodeAt(end - 1) === 10) line++
      start = end
    }
    if (sinceLastElement > maxRecordSize) {
      throw failure(
        ctx,
        "Decode",
        `${ctx.name}: an array element ending after line ${line} is longer than ${maxRecordSize} characters (maxRecordSize) — raise maxRecordSize if the data is right`,
        { location: `${ctx.name}:${line}` }
      )
    }
  }

  for await (const chunk of input) {
    feed(chunk)
    if (batch.length > 0) {
      yield batch
      batch = []
    }
  }
  try {
    push(parse(none as never))
  } catch (error) {
    if (error instanceof Error && error.name === "DecodeFailure") throw error
    explain(error, line, true)
  }
  if (batch.length > 0) yield batch
}
