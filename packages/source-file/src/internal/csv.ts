/** Text → CSV rows with csv-parse's streaming parser, with `file:line` locations and readable errors. */
import type { Model } from "@anysource/core"
import { CsvError, Parser, type Info, type Options } from "csv-parse"
import { through } from "./bytes.ts"
import { DecodeFailure, failure, STILL_WRITING, unterminatedLastRecord, type FailContext } from "./fail.ts"

export interface CsvSettings {
  /** A delimiter, or `auto` to pick among `,` `;` tab `|` from the header line. */
  readonly delimiter: string
  /** The quote character, or `false` for none. */
  readonly quote: string | false
  readonly escape: string
  readonly header: boolean
  readonly columns?: ReadonlyArray<string> | undefined
  readonly skipLines: number
  readonly relaxColumnCount: boolean
  readonly relaxQuotes: boolean
  readonly trim: boolean
  readonly skipEmptyLines: boolean
  readonly comment?: string | undefined
  readonly maxRecordSize: number
  /** Accept a last record with no line break after it; otherwise that is a `Consistency` error (the file may be cut). */
  readonly allowUnterminatedLastRecord: boolean
}

export const DELIMITER_CANDIDATES = [",", ";", "\t", "|"] as const

const show = (delimiter: string): string => (delimiter === "\t" ? "\\t (tab)" : JSON.stringify(delimiter))

/** How often `char` occurs outside quoted sections of `line`. */
const countOutsideQuotes = (line: string, char: string, quote: string | false): number => {
  let count = 0
  let quoted = false
  for (const c of line) {
    if (quote !== false && c === quote) quoted = !quoted
    else if (!quoted && c === char) count++
  }
  return count
}

/** The most frequent of `,` `;` tab `|` in the header line (comma when none occurs). */
export const detectDelimiter = (headerLine: string, quote: string | false = '"'): string => {
  let best: string = ","
  let bestCount = 0
  for (const candidate of DELIMITER_CANDIDATES) {
    const count = countOutsideQuotes(headerLine, candidate, quote)
    if (count > bestCount) {
      best = candidate
      bestCount = count
    }
  }
  return best
}

const LINE_BREAK = /\r\n|\n|\r/g
const countLineBreaks = (text: string): number => text.match(LINE_BREAK)?.length ?? 0

const BATCH = 1024
const UNNAMED = "\u0000unnamed:"

export async function* csvRows(
  ctx: FailContext,
  input: AsyncIterable<string>,
  settings: CsvSettings
): AsyncGenerator<Array<Model.SourceRow>> {
  const iterator = input[Symbol.asyncIterator]()
  let head = ""
  let ended = false
  // Peek far enough to see the header line (for delimiter detection).
  while (countLineBreaks(head) <= settings.skipLines && head.length < settings.maxRecordSize) {
    const next = await iterator.next()
    if (next.done === true) {
      ended = true
      break
    }
    head += next.value
  }
  const headerLine = head.split(LINE_BREAK)[settings.skipLines] ?? ""
  const explicitDelimiter = settings.delimiter !== "auto"
  const delimiter = explicitDelimiter ? settings.delimiter : detectDelimiter(headerLine, settings.quote)

  let problem: DecodeFailure | undefined
  const unnamed: Array<string> = []
  let headerEnd = settings.skipLines
  let sawHeader = false

  const headerColumns = (names: Array<string>): Array<string | false> => {
    sawHeader = true
    headerEnd = parser.info.lines
    const at = `${ctx.name}:${headerEnd}`
    if (settings.columns !== undefined) return [...settings.columns]
    if (names.length === 1) {
      const only = names[0] ?? ""
      const other = DELIMITER_CANDIDATES.find((c) => c !== delimiter && only.includes(c))
      if (other !== undefined) {
        problem = failure(
          ctx,
          "Decode",
          `${at}: the header has a single column ${JSON.stringify(only.length > 80 ? `${only.slice(0, 80)}…` : only)} — the file seems to be delimited by ${show(other)}, not ${show(delimiter)}: set csv.delimiter: ${JSON.stringify(other)} (or "auto")`,
          { location: at }
        )
        throw problem
      }
    }
    const seen = new Map<string, number>()
    return names.map((raw, index) => {
      const name = raw.trim()
      if (name === "") {
        // Kept under a private name (so its line breaks are counted) and removed from the row.
        const placeholder = `${UNNAMED}${index}`
        unnamed.push(placeholder)
        return placeholder
      }
      const earlier = seen.get(name)
      if (earlier !== undefined) {
        problem = failure(
          ctx,
          "Decode",
          `${at}: the header has the column ${JSON.stringify(name)} twice (fields ${earlier + 1} and ${index + 1}) — rename one, or set csv.columns`,
          { location: at }
        )
        throw problem
      }
      seen.set(name, index)
      return name
    })
  }

  const options: Options = {
    delimiter,
    quote: settings.quote === false ? null : settings.quote,
    escape: settings.escape,
    columns: settings.header ? headerColumns : [...(settings.columns ?? [])],
    from_line: settings.skipLines + 1,
    relax_column_count: settings.relaxColumnCount,
    relax_quotes: settings.relaxQuotes,
    trim: settings.trim,
    skip_empty_lines: settings.skipEmptyLines,
    max_record_size: settings.maxRecordSize,
    record_delimiter: ["\r\n", "\n", "\r"],
    bom: true,
    ...(settings.comment !== undefined ? { comment: settings.comment } : {})
  }
  // The last character of the text: whether the file ends with a line break (its last record is terminated).
  let lastChar = ""
  const endsWithLineBreak = () => lastChar === "\n" || lastChar === "\r"
  async function* text(): AsyncGenerator<string> {
    try {
      if (head.length > 0) {
        lastChar = head.charAt(head.length - 1)
        yield head
      }
      if (!ended) {
        for (;;) {
          const next = await iterator.next()
          if (next.done === true) return
          if (next.value.length > 0) lastChar = next.value.charAt(next.value.length - 1)
          yield next.value
        }
      }
    } finally {
      if (!ended) await iterator.return?.(undefined)
    }
  }

  // Where the next record starts: the line after the previous one, plus skipped blank/comment lines.
  // Tracked in `on_record`, which runs as the parser goes, so an error knows where its record started.
  let previousEnd = -1
  let previousEmpty = 0
  let previousComments = 0
  const startLine = (info: Pick<Info, "empty_lines" | "comment_lines">): number => {
    if (previousEnd === -1) {
      previousEnd = settings.header ? headerEnd : settings.skipLines
      previousEmpty = 0
      previousComments = 0
    }
    return previousEnd + 1 + (info.empty_lines - previousEmpty) + (info.comment_lines - previousComments)
  }
  // csv-parse counts a CRLF inside a quoted field as two lines; count those ourselves and subtract.
  let quotedCrlf = 0
  let lastLine = 0
  const toRow = (record: { [column: string]: string }, info: Info): Model.SourceRow => {
    for (const key in record) {
      const value = record[key]
      if (value !== undefined && value.length > 1 && value.includes("\r\n")) quotedCrlf += value.split("\r\n").length - 1
    }
    for (const key of unnamed) delete record[key]
    const line = startLine(info)
    lastLine = line
    previousEnd = info.lines - quotedCrlf
    previousEmpty = info.empty_lines
    previousComments = info.comment_lines
    return { data: record, location: `${ctx.name}:${line}` }
  }
  // csv-parse emits a record once it has seen the line break after it, so the record it emits when the input ends
  // (in `_flush`) is the last one; when the text does not end with a line break, that record is unterminated: the
  // file may have been cut in the middle of it. (A record ended by the text's final line break may be emitted in
  // `_flush` too: csv-parse keeps the last characters of a chunk until it knows they are not the start of "\r\n".)
  let flushing = false
  let unterminated: { readonly row: Model.SourceRow; readonly line: number } | undefined
  const holdUnterminated = () => flushing && !settings.allowUnterminatedLastRecord && !endsWithLineBreak()
  // Rows are built as the parser pushes them (its live `info` is current then), so an error knows where its
  // record started and no per-record info object is allocated.
  const parser = new (class extends Parser {
    override push(chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk === null) return super.push(null, encoding)
      const row = toRow(chunk as { readonly [column: string]: string }, this.info)
      if (!holdUnterminated()) return super.push(row, encoding)
      // held back: only the very last record is unterminated, so push the one held before it
      const before = unterminated
      unterminated = { row, line: lastLine }
      return before === undefined ? true : super.push(before.row, encoding)
    }
    override _flush(callback: (error?: Error | null) => void): void {
      flushing = true
      super._flush(callback)
    }
  })(options)

  let batch: Array<Model.SourceRow> = []
  try {
    for await (const row of through<Model.SourceRow>(text(), parser)) {
      batch.push(row)
      if (batch.length >= BATCH || parser.readableLength === 0) {
        yield batch
        batch = []
      }
    }
  } catch (error) {
    if (problem !== undefined) throw problem
    if (error instanceof CsvError) {
      const start = startLine(error as unknown as Info)
      // A record cut short usually has too few fields: say what happened rather than blame the delimiter.
      if (holdUnterminated() && error.code !== "CSV_QUOTE_NOT_CLOSED") throw unterminatedLastRecord(ctx, start)
      throw describe(ctx, error, start, quotedCrlf, delimiter, settings)
    }
    throw error
  }
  if (batch.length > 0) yield batch
  if (unterminated !== undefined) throw unterminatedLastRecord(ctx, unterminated.line)
  if (settings.header && !sawHeader) {
    throw failure(ctx, "Decode", `${ctx.name} has no header row (only blank lines${settings.skipLines > 0 ? ` after skipping ${settings.skipLines} line(s)` : ""})`)
  }
}

const describe = (
  ctx: FailContext,
  error: CsvError,
  start: number,
  quotedCrlf: number,
  delimiter: string,
  settings: CsvSettings
): DecodeFailure => {
  const lines = typeof error["lines"] === "number" ? Math.max(start, error["lines"] - quotedCrlf) : start
  const fieldIndex = typeof error["index"] === "number" ? error["index"] : undefined
  const column = typeof error["column"] === "string" ? error["column"] : undefined
  const field = fieldIndex === undefined ? "" : ` (field ${fieldIndex + 1}${column !== undefined ? `, ${JSON.stringify(column)}` : ""})`
  const location = `${ctx.name}:${start}`
  const quote = settings.quote === false ? "false" : `'${settings.quote}'`
  const make = (message: string) => failure(ctx, "Decode", message, { location, cause: error })
  switch (error.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return make(
        `unbalanced quote starting at ${location}${field}: the quoted field never closes — the file ends inside this quoted field (at line ${lines}): either the file ends mid-record (${STILL_WRITING}) or a quote is unbalanced: check the quote character (csv.quote is ${quote}) or set csv.quote`
      )
    case "CSV_INVALID_CLOSING_QUOTE":
      return make(
        `unbalanced quote in the record starting at ${location}${field}: a closing quote at line ${lines} is followed by other text instead of a delimiter — check the quoting around line ${start}, csv.quote (${quote}) and csv.escape, or set csv.relaxQuotes: true`
      )
    case "INVALID_OPENING_QUOTE":
      return make(
        `${ctx.name}:${lines}${field}: a quote character appears inside an unquoted field — quote the whole field and double inner quotes, or set csv.relaxQuotes: true`
      )
    case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH":
    case "CSV_RECORD_INCONSISTENT_COLUMNS": {
      const got = /got (\d+)/.exec(error.message)?.[1]
      const expected = /(?:columns length is|expect) (\d+)/.exec(error.message)?.[1]
      return make(
        `${location} has ${got ?? "a different number of"} fields but the header has ${expected ?? "another number"} — check the delimiter (${show(delimiter)}) and the quoting, or set csv.relaxColumnCount: true`
      )
    }
    case "CSV_MAX_RECORD_SIZE":
      return make(
        `the record starting at ${location} is longer than ${settings.maxRecordSize} characters (maxRecordSize) — usually an unbalanced quote swallowing the lines after it; if the data is right, raise maxRecordSize`
      )
    default:
      return make(`${location}: ${error.message}`)
  }
}
