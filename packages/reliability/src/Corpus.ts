/**
 * The bad-input corpus: variants of a small, valid employee export that are malformed (the csv-spectrum cases and
 * worse), invalid (emails, lengths, duplicate ids, non-string JSON values) or hostile (RTL overrides, zero-width
 * joiners, NFD names). Each case says what a correct run does with it: accept it, report located record issues,
 * or fail with a located source error / a safeguard / a validation error, and never deactivate anyone.
 */
import { columns, csvHeader, csvLine, type Employee } from "@anysource/bench/Dataset"

export type Expectation =
  /** Parsed and planned; every row valid (possibly with updates). */
  | { readonly kind: "ok"; readonly updates?: number }
  /** Planned; these record issues are reported with their locations (the rows are held, never deactivated). */
  | {
      readonly kind: "issues"
      readonly locations: ReadonlyArray<string>
      readonly fields?: ReadonlyArray<string>
      /** Known users whose rows are invalid: held as they are (default: one per location). */
      readonly held?: number
    }
  /** The whole run fails with this typed error, nothing sent; `location` (and `message`) must appear in the message. */
  | {
      readonly kind: "error"
      readonly tag: "SourceError" | "SafeguardTripped" | "ValidationError"
      readonly location?: string
      readonly message?: string
    }

export interface Case {
  readonly name: string
  /** The source file name (its extension selects the format). */
  readonly file: string
  readonly content: Buffer
  /** Settings of the file source for this case (e.g. `allowUnterminatedLastRecord`). */
  readonly source?: Readonly<Record<string, unknown>>
  readonly expect: Expectation
}

const rtl = "\u202e"
const zwj = "\u200d"
const zwsp = "\u200b"

const text = (s: string) => Buffer.from(s, "utf8")

/**
 * `whole` cut as an export read while it is still being written: in the line at `fraction` of its bytes, `keep`
 * characters before that line's end (a small `keep` cuts the last field only, so the field count still matches); and
 * the 1-based line of the cut.
 */
const cutLine = (whole: string, fraction: number, keep: number): { readonly content: Buffer; readonly line: number } => {
  const at = Math.floor(whole.length * fraction)
  const end = whole.indexOf("\n", at)
  const lineEnd = end > 0 && whole[end - 1] === "\r" ? end - 1 : end
  const content = whole.slice(0, lineEnd - keep)
  return { content: Buffer.from(content, "utf8"), line: content.split("\n").length }
}

/** The corpus, built from `rows` (the valid export a pre-populated state already holds; at least 40 rows). */
export const cases = (rows: ReadonlyArray<Employee>): ReadonlyArray<Case> => {
  if (rows.length < 40) throw new RangeError("the corpus needs at least 40 base rows")
  const csv = (list: ReadonlyArray<Employee>) => csvHeader() + list.map(csvLine).join("")
  /** Replace row i (0-based; it is on line i + 2 of the CSV). */
  const withRow = (i: number, patch: Partial<Employee>) => rows.map((r, j) => (j === i ? { ...r, ...patch } : r))
  const line = (i: number) => `people.csv:${i + 2}`
  const lines = csv(rows).split("\n")
  const ndjson = (list: ReadonlyArray<Record<string, unknown>>) => list.map((o) => JSON.stringify(o)).join("\n") + "\n"
  const plain = rows.map((r) => ({ ...r }) as Record<string, unknown>)
  const withObject = (i: number, patch: Record<string, unknown>) => plain.map((r, j) => (j === i ? { ...r, ...patch } : r))

  return [
    // --- csv-spectrum: valid but tricky CSV (https://github.com/max-mapper/csv-spectrum)
    { name: "comma in quotes", file: "people.csv", content: text(csv(withRow(3, { title: "Lead, Platform" }))), expect: { kind: "ok", updates: 1 } },
    { name: "escaped quotes", file: "people.csv", content: text(csv(withRow(4, { title: 'The "Boss"' }))), expect: { kind: "ok", updates: 1 } },
    { name: "newlines in quotes", file: "people.csv", content: text(csv(withRow(5, { title: "Lead\nPlatform" }))), expect: { kind: "ok", updates: 1 } },
    {
      name: "quotes and newlines",
      file: "people.csv",
      content: text(csv(withRow(6, { title: 'a "quoted"\r\nmulti-line' }))),
      expect: { kind: "ok", updates: 1 }
    },
    { name: "empty fields", file: "people.csv", content: text(csv(withRow(7, { manager_id: "", title: "" }))), expect: { kind: "ok", updates: 1 } },
    { name: "UTF-8 BOM", file: "people.csv", content: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(csv(rows))]), expect: { kind: "ok", updates: 0 } },
    { name: "CRLF line endings", file: "people.csv", content: text(csv(rows).replace(/\n/g, "\r\n")), expect: { kind: "ok", updates: 0 } },
    {
      name: "mixed line endings (LF, CRLF)",
      file: "people.csv",
      content: text(lines.map((l, i) => (i === lines.length - 1 ? l : l + (i % 2 === 0 ? "\r\n" : "\n"))).join("")),
      expect: { kind: "ok", updates: 0 }
    },
    // no line break after the last row: the file may be cut mid-row, so the read fails at that row (nothing planned);
    // allowUnterminatedLastRecord: true is for exporters that never end their last line
    {
      name: "no newline at the end",
      file: "people.csv",
      content: text(csv(rows).trimEnd()),
      expect: { kind: "error", tag: "SourceError", location: line(rows.length - 1) }
    },
    {
      name: "no newline at the end, allowUnterminatedLastRecord: true",
      file: "people.csv",
      content: text(csv(rows).trimEnd()),
      source: { allowUnterminatedLastRecord: true },
      expect: { kind: "ok", updates: 0 }
    },
    {
      name: "UTF-16LE with BOM",
      file: "people.csv",
      content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv(rows), "utf16le")]),
      expect: { kind: "ok", updates: 0 }
    },

    // --- worse: malformed files
    {
      name: "NUL bytes in the first KB (a binary file)",
      file: "people.csv",
      content: text(csv(withRow(2, { first_name: `Ann\u0000a` }))),
      expect: { kind: "error", tag: "SourceError", location: "people.csv" }
    },
    {
      name: "NUL bytes inside a field",
      file: "people.csv",
      content: text(csv(withRow(38, { first_name: `Ann\u0000a` }))),
      expect: { kind: "error", tag: "SourceError", location: line(38) }
    },
    {
      name: "a line of NUL bytes",
      file: "people.csv",
      content: text(csv(rows).replace(lines[10]! + "\n", lines[10]! + "\n" + "\u0000".repeat(64) + "\n")),
      expect: { kind: "error", tag: "SourceError", location: "people.csv:12" }
    },
    {
      name: "a 10 MB field",
      file: "people.csv",
      content: text(csv(withRow(9, { title: "x".repeat(10 * 1024 * 1024) }))),
      expect: { kind: "error", tag: "SourceError", location: line(9) }
    },
    { name: "header only", file: "people.csv", content: text(csvHeader()), expect: { kind: "error", tag: "SafeguardTripped" } },
    { name: "empty file", file: "people.csv", content: Buffer.alloc(0), expect: { kind: "error", tag: "SourceError", location: "people.csv" } },
    {
      name: "unterminated quote",
      file: "people.csv",
      content: text(csv(rows).replace(lines[15]!, lines[15]!.replace(/,([^,]*)$/, ',"$1'))),
      expect: { kind: "error", tag: "SourceError", location: "people.csv:16" }
    },
    {
      name: "a row with too many fields",
      file: "people.csv",
      content: text(csv(rows).replace(lines[20]!, `${lines[20]!},surplus,fields`)),
      expect: { kind: "error", tag: "SourceError", location: "people.csv:21" }
    },
    {
      name: "invalid UTF-8 bytes",
      file: "people.csv",
      content: Buffer.concat([text(csv(rows.slice(0, 25))), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x0a]), text(rows.slice(25).map(csvLine).join(""))]),
      expect: { kind: "error", tag: "SourceError", location: "people.csv:27" }
    },
    // an export read while it was being written: cut mid-row, with the rows after it missing. Invalidating only the
    // cut row would still deactivate everyone in the missing part (under the percentage limit): the read must fail.
    ...(() => {
      const cut = "the file ends mid-record"
      const whole = csv(rows)
      // the case: the cut falls in the last field, so the row still has every column ("Zürich" → "Zü")
      const lastField = cutLine(whole, 0.96, 3)
      const crlf = cutLine(whole.replace(/\n/g, "\r\n"), 0.96, 3)
      const fewerFields = cutLine(whole, 0.96, 40)
      const nd = cutLine(ndjson(plain), 0.96, 10)
      const json = JSON.stringify(plain, null, 1)
      const jsonCut = json.slice(0, Math.floor(json.length * 0.96))
      return [
        { name: "an export cut in the last field of a row at 96 % (LF)", file: "people.csv", content: lastField.content, expect: { kind: "error", tag: "SourceError", location: `people.csv:${lastField.line}`, message: cut } },
        { name: "an export cut in the last field of a row at 96 % (CRLF)", file: "people.csv", content: crlf.content, expect: { kind: "error", tag: "SourceError", location: `people.csv:${crlf.line}`, message: cut } },
        { name: "an export cut mid-row at 96 % (fields missing)", file: "people.csv", content: fewerFields.content, expect: { kind: "error", tag: "SourceError", location: `people.csv:${fewerFields.line}`, message: cut } },
        { name: "an NDJSON export cut mid-line at 96 %", file: "people.ndjson", content: nd.content, expect: { kind: "error", tag: "SourceError", location: `people.ndjson:${nd.line}`, message: cut } },
        {
          name: "a JSON export cut mid-document at 96 %",
          file: "people.json",
          content: Buffer.from(jsonCut, "utf8"),
          expect: { kind: "error", tag: "SourceError", location: `people.json:${jsonCut.split("\n").length}`, message: "the file ends mid-document" }
        }
      ] satisfies ReadonlyArray<Case>
    })(),
    {
      name: "truncated export (a third of the rows)",
      file: "people.csv",
      content: text(csv(rows.slice(0, Math.floor(rows.length / 3)))),
      expect: { kind: "error", tag: "SafeguardTripped" }
    },
    {
      name: "the header repeated in the middle",
      file: "people.csv",
      content: text(csv(rows).replace(lines[30]! + "\n", lines[30]! + "\n" + columns.join(",") + "\n")),
      expect: { kind: "issues", locations: ["people.csv:32"], held: 0 }
    },

    // --- invalid values
    {
      name: "invalid emails",
      file: "people.csv",
      content: text(csv(withRow(11, { email: "not-an-email" }).map((r, j) => (j === 12 ? { ...r, email: "a@@b.example" } : j === 13 ? { ...r, email: "x@" } : r)))),
      expect: { kind: "issues", locations: [line(11), line(12), line(13)], fields: ["email"] }
    },
    {
      name: "too-long values",
      file: "people.csv",
      content: text(
        csv(
          [
            ...withRow(14, { first_name: "F".repeat(51) }).map((r, j) => (j === 15 ? { ...r, email: `${"e".repeat(95)}@example.com` } : r)),
            // a new row whose externalId is over Okta's 512 characters (replacing a known id would make that person leave)
            { ...rows[0]!, employee_id: `E${"9".repeat(600)}`, email: "long.id@example.com" }
          ]
        )
      ),
      expect: { kind: "issues", locations: [line(14), line(15), line(rows.length)], held: 2 }
    },
    {
      name: "duplicate externalIds",
      file: "people.csv",
      content: text(csv(withRow(18, { employee_id: rows[17]!.employee_id, email: "dupe@example.com" }))),
      expect: { kind: "error", tag: "ValidationError", location: line(18) }
    },

    // --- hostile Unicode
    {
      name: "NFD names (decomposed accents) are the same people",
      file: "people.csv",
      content: text(csv(rows.map((r) => ({ ...r, first_name: r.first_name.normalize("NFD"), last_name: r.last_name.normalize("NFD") })))),
      expect: { kind: "ok", updates: 0 }
    },
    {
      // a bidi override makes a name display as another ("Trojan Source"): the row is held, its user untouched
      name: "an RTL override in a name",
      file: "people.csv",
      content: text(csv(withRow(21, { last_name: `${rtl}Smith` }))),
      expect: { kind: "issues", locations: [line(21)], fields: ["lastName"] }
    },
    {
      name: "a zero-width joiner in a name is ordinary text (Persian, Indic scripts, emoji)",
      file: "people.csv",
      content: text(csv(withRow(22, { first_name: `An${zwj}na` }))),
      expect: { kind: "ok", updates: 1 }
    },
    {
      name: "zero-width space inside an email",
      file: "people.csv",
      content: text(csv(withRow(23, { email: `ann${zwsp}a@example.com` }))),
      expect: { kind: "issues", locations: [line(23)], fields: ["email"] }
    },

    // --- NDJSON / JSON: non-string values
    {
      name: "NDJSON with numbers, booleans and nulls",
      file: "people.ndjson",
      content: text(ndjson(withObject(2, { title: 42, manager_id: null }).map((r, j) => (j === 3 ? { ...r, title: true } : r)))),
      expect: { kind: "ok", updates: 2 }
    },
    {
      name: "NDJSON with objects and arrays as values",
      file: "people.ndjson",
      content: text(ndjson(withObject(4, { title: { name: "Lead" } }).map((r, j) => (j === 5 ? { ...r, department: ["Sales", "Legal"] } : r)))),
      expect: { kind: "issues", locations: ["people.ndjson:5", "people.ndjson:6"] }
    },
    {
      name: "NDJSON with a line that is not JSON",
      file: "people.ndjson",
      content: text(ndjson(plain).replace(`${JSON.stringify(plain[6])}\n`, `${JSON.stringify(plain[6])}\n{"employee_id": "E9", oops\n`)),
      expect: { kind: "error", tag: "SourceError", location: "people.ndjson:8" }
    },
    {
      name: "NDJSON with a line that is not an object",
      file: "people.ndjson",
      content: text(ndjson(plain).replace(`${JSON.stringify(plain[7])}\n`, `${JSON.stringify(plain[7])}\n[1,2,3]\n`)),
      expect: { kind: "error", tag: "SourceError", location: "people.ndjson:9" }
    },
    {
      name: "JSON array with a string element",
      file: "people.json",
      content: text(JSON.stringify([...plain.slice(0, 9), "not a person", ...plain.slice(9)])),
      expect: { kind: "error", tag: "SourceError", location: "people.json#9" }
    }
  ]
}
