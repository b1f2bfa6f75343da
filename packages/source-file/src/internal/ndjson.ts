/** Text → NDJSON rows: one JSON object per line, blank lines skipped, `file:line` locations. */
import type { Model } from "@anysource/core"
import { failure, STILL_WRITING, unterminatedLastRecord, type FailContext } from "./fail.ts"

const kindOf = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`)

/** V8's message minus the echo of the input (which may hold personal data). */
export const jsonProblem = (error: unknown): { readonly text: string; readonly position?: number } => {
  const message = error instanceof Error ? error.message : String(error)
  const position = /position (\d+)/.exec(message)?.[1]
  const text = message.replace(/, ".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "")
  return position === undefined ? { text } : { text, position: Number(position) }
}

export async function* ndjsonRows(
  ctx: FailContext,
  input: AsyncIterable<string>,
  maxRecordSize: number,
  allowUnterminatedLastRecord: boolean
): AsyncGenerator<Array<Model.SourceRow>> {
  let pending = ""
  let line = 1
  let batch: Array<Model.SourceRow> = []

  /** `unterminated`: the file's last line, with no line break after it (accepted by allowUnterminatedLastRecord). */
  const parseLine = (raw: string, lineNo: number, unterminated = false): void => {
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw
    if (text.trim() === "") return
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      const problem = jsonProblem(error)
      const column = problem.position === undefined ? "" : `:${problem.position + 1}`
      throw failure(
        ctx,
        "Decode",
        `${ctx.name}:${lineNo}${column}: invalid JSON (${problem.text}) — NDJSON needs one complete JSON object per line${lineNo === 1 && text.trimStart().startsWith("[") ? "; this looks like a JSON array: set format: json" : ""}${unterminated ? `; the file ends on this line, mid-record: ${STILL_WRITING}` : ""}`,
        { location: `${ctx.name}:${lineNo}`, cause: error }
      )
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw failure(ctx, "Decode", `${ctx.name}:${lineNo}: expected a JSON object, got ${kindOf(value)}`, {
        location: `${ctx.name}:${lineNo}`
      })
    }
    batch.push({ data: value as Record<string, unknown>, location: `${ctx.name}:${lineNo}` })
  }

  for await (const chunk of input) {
    let start = 0
    for (let nl = chunk.indexOf("\n"); nl !== -1; nl = chunk.indexOf("\n", start)) {
      const piece = chunk.slice(start, nl)
      const whole = pending.length > 0 ? pending + piece : piece
      pending = ""
      parseLine(whole, line)
      line++
      start = nl + 1
    }
    pending += chunk.slice(start)
    if (pending.length > maxRecordSize) {
      throw failure(
        ctx,
        "Decode",
        `${ctx.name}:${line} is longer than ${maxRecordSize} characters (maxRecordSize) — is this really NDJSON? A pretty-printed JSON array needs format: json`,
        { location: `${ctx.name}:${line}` }
      )
    }
    if (batch.length > 0) {
      yield batch
      batch = []
    }
  }
  // A last line with no line break after it may have been cut while the file was written, even when it parses.
  if (pending.trim() !== "") {
    if (!allowUnterminatedLastRecord) throw unterminatedLastRecord(ctx, line)
    parseLine(pending, line, true)
  }
  if (batch.length > 0) yield batch
}
