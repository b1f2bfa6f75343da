/**
 * The records of one JSON response, parsed as the bytes arrive (@streamparser/json), so a report of any size
 * is read with memory bounded by one chunk of the response: `stream: true` (the Workday preset's large RaaS reports).
 *
 * `records` must name the array by plain keys (`/Report_Entry`, `$.Report_Entry`, `$.Report_Entry[*]`, `""` for a
 * body that is the array). A response with no record at all is checked the strict way: a small body is parsed
 * whole, so a missing array (an error served with 200) is a Decode error and `[]` an empty read; a large body
 * without a single record at the path is a Decode error.
 */
import { JSONParser } from "@streamparser/json"
import { selectRecords } from "./select.ts"

/** A body that failed to parse or has no records where `records` says: a Decode error for the caller. */
export class StreamDecodeProblem extends Error {}

const KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

/** `records` as the parser's path (`$.a.b.*`), or undefined when it is not a plain path to an array. */
export const streamPath = (records: string): string | undefined => {
  let keys: Array<string>
  if (records === "" || records === "$" || records === "$[*]" || records === "$.*") keys = []
  else if (records.startsWith("/")) keys = records.slice(1).split("/")
  else if (records.startsWith("$."))
    keys = records
      .slice(2)
      .replace(/(\[\*\]|\.\*)$/, "")
      .split(".")
  else return undefined
  return keys.every((key) => KEY.test(key)) ? ["$", ...keys, "*"].join(".") : undefined
}

/** Bodies up to this size are kept until the first record, to judge a response without any. */
const HEAD_BYTES = 64 * 1024

export async function* streamRecords(
  body: AsyncIterable<Uint8Array>,
  records: string
): AsyncGenerator<unknown> {
  const path = streamPath(records)
  if (path === undefined)
    throw new StreamDecodeProblem(`source.records ${JSON.stringify(records)} cannot be streamed`)
  const parser = new JSONParser({ paths: [path], keepStack: false })
  const ready: Array<unknown> = []
  let failure: Error | undefined
  let count = 0
  let bytes = 0
  const head: Array<Buffer> = []
  parser.onValue = ({ value }) => {
    ready.push(value)
  }
  parser.onError = (error) => {
    failure ??= error
  }
  for await (const chunk of body) {
    const buffer = Buffer.from(chunk)
    bytes += buffer.length
    if (count === 0 && bytes <= HEAD_BYTES) head.push(buffer)
    // After the top-level value ends the parser takes nothing more: trailing whitespace is fine, anything else
    // is an error, as for JSON.parse.
    if (parser.isEnded) {
      if (buffer.toString("utf8").trim() !== "") failure ??= new Error("unexpected data after the JSON value")
    } else if (failure === undefined) {
      try {
        parser.write(buffer)
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error(String(error))
      }
    }
    while (ready.length > 0) {
      count++
      yield ready.shift()
    }
    if (failure !== undefined)
      throw new StreamDecodeProblem(`the response is not JSON (${failure.message}) after ${count} records`)
  }
  if (!parser.isEnded) {
    if (bytes === 0) throw new StreamDecodeProblem("the response is not JSON (the body is empty)")
    throw new StreamDecodeProblem(
      `the response is not JSON (it ends early, after ${bytes} bytes and ${count} records)`
    )
  }
  if (count === 0) {
    if (bytes > HEAD_BYTES) {
      throw new StreamDecodeProblem(
        `no records at ${records === "" ? "the response body" : `\`${records}\``} in a response of ${bytes} bytes`
      )
    }
    const whole = JSON.parse(Buffer.concat(head).toString("utf8")) as unknown
    const selected = selectRecords(records, whole)
    if (selected._tag === "Missing")
      throw new StreamDecodeProblem(`${selected.message} (source.records is ${JSON.stringify(records)})`)
  }
}
