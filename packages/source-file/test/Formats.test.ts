import { SourceError } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Duration, Effect, Fiber, Option, Stream } from "effect"
import { PassThrough } from "node:stream"
import { gzipSync } from "node:zlib"
import { createHash } from "node:crypto"
import iconv from "iconv-lite"
import { Formats } from "../src/index.ts"
import { chunked, decodeAll, errorOf, rowsOf } from "./helpers.ts"

const data = (rows: ReadonlyArray<{ readonly data: unknown }>) => rows.map((r) => r.data)
const locations = (rows: ReadonlyArray<{ readonly location: string }>) => rows.map((r) => r.location)

describe("CSV", () => {
  // The csv-spectrum cases (RFC 4180 corner cases), written out here.
  const spectrum: ReadonlyArray<readonly [string, string, ReadonlyArray<Record<string, string>>]> = [
    ["comma_in_quotes", 'first,last,address,city,zip\nJohn,Doe,120 any st.,"Anytown, WW",08123\n', [
      { first: "John", last: "Doe", address: "120 any st.", city: "Anytown, WW", zip: "08123" }
    ]],
    ["empty", 'a,b,c\n1,"",""\n2,3,4\n', [
      { a: "1", b: "", c: "" },
      { a: "2", b: "3", c: "4" }
    ]],
    ["empty_crlf", 'a,b,c\r\n1,"",""\r\n2,3,4\r\n', [
      { a: "1", b: "", c: "" },
      { a: "2", b: "3", c: "4" }
    ]],
    ["escaped_quotes", 'a,b\n1,"ha ""ha"" ha"\n3,4\n', [
      { a: "1", b: 'ha "ha" ha' },
      { a: "3", b: "4" }
    ]],
    ["json", 'key,val\n1,"{""type"": ""Point"", ""coordinates"": [102.0, 0.5]}"\n', [
      { key: "1", val: '{"type": "Point", "coordinates": [102.0, 0.5]}' }
    ]],
    ["newlines", 'a,b,c\n1,2,3\n"Once upon \na time",5,6\n7,8,9\n', [
      { a: "1", b: "2", c: "3" },
      { a: "Once upon \na time", b: "5", c: "6" },
      { a: "7", b: "8", c: "9" }
    ]],
    ["newlines_crlf", 'a,b,c\r\n1,2,3\r\n"Once upon \r\na time",5,6\r\n7,8,9\r\n', [
      { a: "1", b: "2", c: "3" },
      { a: "Once upon \r\na time", b: "5", c: "6" },
      { a: "7", b: "8", c: "9" }
    ]],
    ["quotes_and_newlines", 'a,b\n1,"ha \n""ha"" \nha"\n3,4\n', [
      { a: "1", b: 'ha \n"ha" \nha' },
      { a: "3", b: "4" }
    ]],
    ["simple", "a,b,c\n1,2,3\n", [{ a: "1", b: "2", c: "3" }]],
    ["simple_crlf", "a,b,c\r\n1,2,3\r\n", [{ a: "1", b: "2", c: "3" }]],
    ["utf8", "a,b,c\n1,2,3\n4,5,ʤ\n", [
      { a: "1", b: "2", c: "3" },
      { a: "4", b: "5", c: "ʤ" }
    ]]
  ]
  for (const [name, text, expected] of spectrum) {
    it.effect(`csv-spectrum: ${name}`, () =>
      Effect.gen(function* () {
        // Tiny chunks so quotes, CRLF pairs and multi-byte characters straddle chunk boundaries.
        expect(data(yield* rowsOf(text, { name: `${name}.csv` }, 3))).toEqual(expected)
        expect(data(yield* rowsOf(text, { name: `${name}.csv` }, 64 * 1024))).toEqual(expected)
      })
    )
  }

  it.effect("locations are the physical line where each record starts (multi-line fields, blank lines, CRLF)", () =>
    Effect.gen(function* () {
      const text = 'id,note\r\n1,"two\nlines"\n\n2,plain\r\n3,"a,b"\n\n\n4,"x\r\ny\r\nz"\n5,last\n'
      const rows = yield* rowsOf(text, { name: "people.csv" })
      expect(locations(rows)).toEqual(["people.csv:2", "people.csv:5", "people.csv:6", "people.csv:9", "people.csv:12"])
      expect(data(rows)).toEqual([
        { id: "1", note: "two\nlines" },
        { id: "2", note: "plain" },
        { id: "3", note: "a,b" },
        { id: "4", note: "x\r\ny\r\nz" },
        { id: "5", note: "last" }
      ])
    })
  )

  it.effect("mixed LF / CRLF / CR line endings leave no stray carriage returns", () =>
    Effect.gen(function* () {
      const rows = yield* rowsOf("id,name\r\n1,a\n2,b\r3,c\r\n", { name: "mixed.csv" })
      expect(data(rows)).toEqual([
        { id: "1", name: "a" },
        { id: "2", name: "b" },
        { id: "3", name: "c" }
      ])
    })
  )

  it.effect("strips a UTF-8 BOM so the first column is named cleanly", () =>
    Effect.gen(function* () {
      const rows = yield* rowsOf("\uFEFFemployee_id,email\n7,a@x.io\n", { name: "bom.csv" })
      expect(data(rows)).toEqual([{ employee_id: "7", email: "a@x.io" }])
    })
  )

  it.effect("auto-detects ; tab and | from the header line, and honours an explicit delimiter", () =>
    Effect.gen(function* () {
      expect(data(yield* rowsOf("id;name;city\n1;Zoë;Köln, DE\n", { name: "semi.csv" }))).toEqual([{ id: "1", name: "Zoë", city: "Köln, DE" }])
      expect(data(yield* rowsOf("id\tname\n1\tA, B\n", { name: "tabs.tsv" }))).toEqual([{ id: "1", name: "A, B" }])
      expect(data(yield* rowsOf("id|name\n1|x\n", { name: "pipes.csv" }))).toEqual([{ id: "1", name: "x" }])
      // a quoted comma in the header does not count as the delimiter
      expect(data(yield* rowsOf('"a,b";c\n1;2\n', { name: "q.csv" }))).toEqual([{ "a,b": "1", c: "2" }])
      expect(data(yield* rowsOf("id;name\n1;x,y\n", { name: "t.csv", csv: { delimiter: ";" } }))).toEqual([{ id: "1", name: "x,y" }])
      expect(data(yield* rowsOf("id\tname\n1\tx\n", { name: "t.txt", csv: { delimiter: "tab" } }))).toEqual([{ id: "1", name: "x" }])
      expect(Formats.detectDelimiter("email")).toBe(",")
    })
  )

  it.effect("skipLines skips a banner before the header; locations stay physical", () =>
    Effect.gen(function* () {
      const rows = yield* rowsOf("HR export 2026-11-28\nconfidential\nid,name\n1,x\n", { name: "b.csv", csv: { skipLines: 2 } })
      expect(data(rows)).toEqual([{ id: "1", name: "x" }])
      expect(locations(rows)).toEqual(["b.csv:4"])
    })
  )

  it.effect("header: false with columns, and columns replacing a header", () =>
    Effect.gen(function* () {
      const headless = yield* rowsOf("1,x\n2,y\n", { name: "h.csv", csv: { header: false, columns: ["id", "name"] } })
      expect(data(headless)).toEqual([
        { id: "1", name: "x" },
        { id: "2", name: "y" }
      ])
      expect(locations(headless)).toEqual(["h.csv:1", "h.csv:2"])
      const renamed = yield* rowsOf("Employee ID,Name\n1,x\n", { name: "r.csv", csv: { columns: ["id", "name"] } })
      expect(data(renamed)).toEqual([{ id: "1", name: "x" }])
    })
  )

  it.effect("keeps values untrimmed by default, trims on request; header names are trimmed; empty header columns are dropped", () =>
    Effect.gen(function* () {
      expect(data(yield* rowsOf(" id , name ,\n 1 , x ,\n", { name: "s.csv" }))).toEqual([{ id: " 1 ", name: " x " }])
      expect(data(yield* rowsOf("id,name\n 1 , x \n", { name: "s.csv", csv: { trim: true } }))).toEqual([{ id: "1", name: "x" }])
    })
  )

  it.effect("custom quote and escape characters", () =>
    Effect.gen(function* () {
      expect(data(yield* rowsOf("id,name\n1,'O\\'Brien, Pat'\n", { name: "q.csv", csv: { quote: "'", escape: "\\" } }))).toEqual([
        { id: "1", name: "O'Brien, Pat" }
      ])
      expect(data(yield* rowsOf('id,name\n1,5" pipe\n', { name: "q.csv", csv: { quote: false } }))).toEqual([{ id: "1", name: '5" pipe' }])
    })
  )

  it.effect("relaxColumnCount accepts short and long records", () =>
    Effect.gen(function* () {
      const rows = yield* rowsOf("a,b,c\n1,2\n3,4,5\n", { name: "r.csv", csv: { relaxColumnCount: true } })
      expect(data(rows)).toEqual([
        { a: "1", b: "2" },
        { a: "3", b: "4", c: "5" }
      ])
    })
  )
})

describe("bad CSV input: one clear Decode error naming file, line and what to do", () => {
  it.effect("an unbalanced quote that never closes names the line where the record starts", () =>
    Effect.gen(function* () {
      const text = "id,name\n" + Array.from({ length: 39 }, (_, i) => `${i + 1},n${i}\n`).join("") + '40,"Bob\n41,Carol\n42,Dan\n'
      const error = yield* errorOf(text, { name: "people.csv" })
      expect(error).toBeInstanceOf(SourceError)
      expect(error.reason).toBe("Decode")
      expect(error.location).toBe("people.csv:41")
      expect(error.message).toContain("unbalanced quote starting at people.csv:41")
      expect(error.message).toContain("csv.quote")
    })
  )

  it.effect("an unbalanced quote closed by a later quote reports the start line and where it was noticed", () =>
    Effect.gen(function* () {
      const error = yield* errorOf('id,name\n1,x\n2,"oops\n3,"y"z\n', { name: "people.csv" })
      expect(error.reason).toBe("Decode")
      expect(error.location).toBe("people.csv:3")
      expect(error.message).toMatch(/unbalanced quote in the record starting at people\.csv:3.*line 4/)
    })
  )

  it.effect("a stray quote inside an unquoted field suggests relaxQuotes", () =>
    Effect.gen(function* () {
      const error = yield* errorOf('id,name\n1,5" pipe\n', { name: "p.csv" })
      expect(error.message).toContain("p.csv:2")
      expect(error.message).toContain("relaxQuotes")
    })
  )

  it.effect("a wrong delimiter: a single header column containing ';' suggests the delimiter", () =>
    Effect.gen(function* () {
      const error = yield* errorOf("id;name;email\n1;x;x@y.z\n", { name: "people.csv", csv: { delimiter: "," } })
      expect(error.reason).toBe("Decode")
      expect(error.location).toBe("people.csv:1")
      expect(error.message).toContain('set csv.delimiter: ";"')
    })
  )

  it.effect("a record with too many fields names its line, the counts and the delimiter", () =>
    Effect.gen(function* () {
      const error = yield* errorOf("id,name\n1,x\n2,y,extra\n", { name: "people.csv" })
      expect(error.location).toBe("people.csv:3")
      expect(error.message).toBe(
        'people.csv:3 has 3 fields but the header has 2 — check the delimiter (",") and the quoting, or set csv.relaxColumnCount: true'
      )
    })
  )

  it.effect("a duplicated header column is an error naming both positions", () =>
    Effect.gen(function* () {
      const error = yield* errorOf("id,email,email\n1,a,b\n", { name: "d.csv" })
      expect(error.message).toContain('"email" twice (fields 2 and 3)')
    })
  )

  it.effect("an empty file (0 bytes)", () =>
    Effect.gen(function* () {
      const error = yield* errorOf("", { name: "people.csv" })
      expect(error.reason).toBe("Decode")
      expect(error.message).toContain("people.csv is empty (0 bytes)")
    })
  )

  it.effect("a file with only blank lines has no header row", () =>
    Effect.gen(function* () {
      const error = yield* errorOf("\n\r\n\n", { name: "blank.csv" })
      expect(error.message).toContain("blank.csv has no header row")
    })
  )

  it.effect("a header-only file yields zero rows (the empty-source safeguard is core's job)", () =>
    Effect.gen(function* () {
      expect(yield* rowsOf("id,name,email\r\n", { name: "h.csv" })).toEqual([])
      expect(yield* rowsOf("id,name,email", { name: "h.csv" })).toEqual([])
    })
  )

  it.effect("a binary file: NUL bytes in the first KB; an .xlsx saved as .csv is named as such", () =>
    Effect.gen(function* () {
      const binary = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 256))
      const error = yield* errorOf(binary, { name: "people.csv" })
      expect(error.reason).toBe("Decode")
      expect(error.message).toContain("people.csv looks like a binary file")
      const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 6, 0]), Buffer.alloc(100, 1)])
      expect((yield* errorOf(xlsx, { name: "people.csv" })).message).toContain("Excel .xlsx")
    })
  )

  it.effect("a NUL character mid-file names its line and column", () =>
    Effect.gen(function* () {
      const text = "id,name\n" + Array.from({ length: 300 }, (_, i) => `${i},name${i}\n`).join("") + "300,ab\u0000c\n"
      const error = yield* errorOf(text, { name: "people.csv" }, 1000)
      expect(error.reason).toBe("Decode")
      expect(error.location).toBe("people.csv:302")
      expect(error.message).toContain("people.csv:302:7 contains a NUL character")
    })
  )

  it.effect("a 10 MB field trips maxRecordSize (a runaway quote guard); raising it reads the field", () =>
    Effect.gen(function* () {
      const big = "x".repeat(10 * 1024 * 1024)
      const text = `id,blob\n1,small\n2,${big}\n3,after\n`
      const error = yield* errorOf(text, { name: "big.csv" }, 64 * 1024)
      expect(error.reason).toBe("Decode")
      expect(error.location).toBe("big.csv:3")
      expect(error.message).toContain("longer than 1048576 characters (maxRecordSize)")
      const rows = yield* rowsOf(text, { name: "big.csv", maxRecordSize: 16 * 1024 * 1024 }, 64 * 1024)
      expect(rows.map((r) => String(r.data["blob"]).length)).toEqual([5, big.length, 5])
    })
  )

  it.effect("invalid format options fail the stream with a Config error", () =>
    Effect.gen(function* () {
      const result = yield* decodeAll("a\n1\n", { name: "x.csv", encoding: "klingon" })
      expect(result._tag).toBe("Left")
      if (result._tag === "Left") {
        expect(result.left.reason).toBe("Config")
        expect(result.left.message).toContain("encoding")
      }
    })
  )
})

describe("a file that ends mid-record (cut off while it was being written)", () => {
  const midRecord = (location: string) => `${location}: the file ends mid-record: was the export still being written?`

  it.effect("CSV: a last record with no line break after it is a Consistency error naming that record, with what to do", () =>
    Effect.gen(function* () {
      const error = yield* errorOf("id,city\n1,Zürich\n2,Zü", { name: "people.csv" })
      expect(error).toBeInstanceOf(SourceError)
      expect(error.reason).toBe("Consistency")
      expect(error.retryable).not.toBe(true)
      expect(error.location).toBe("people.csv:3")
      expect(error.message).toBe(
        "people.csv:3: the file ends mid-record: was the export still being written? The last record (line 3) has no line break after it, so it may be cut short and the rows after it missing: nothing from this read is synced. Export the file again; if the program that writes it never ends its last line, set allowUnterminatedLastRecord: true"
      )
    })
  )

  it.effect("CSV: LF and CRLF files alike, whatever the chunking; the location is where the cut record starts", () =>
    Effect.gen(function* () {
      for (const eol of ["\n", "\r\n"]) {
        const text = ["id,name", "1,Ann", '2,"Bob, Jr."', "3,Car"].join(eol)
        for (const chunk of [1, 3, 64 * 1024]) {
          const error = yield* errorOf(text, { name: "p.csv" }, chunk)
          expect(error.reason, JSON.stringify({ eol, chunk })).toBe("Consistency")
          expect(error.location).toBe("p.csv:4")
          expect(error.message).toContain(midRecord("p.csv:4"))
        }
        // the same file with its last line ended is complete
        expect(data(yield* rowsOf(text + eol, { name: "p.csv" }, 1))).toHaveLength(3)
      }
    })
  )

  it.effect("CSV: a record cut before its last fields is mid-record, not a field-count problem (unless accepted)", () =>
    Effect.gen(function* () {
      const text = "id,name,city\n1,Ann,Zürich\n2,Bo"
      const error = yield* errorOf(text, { name: "f.csv" })
      expect(error.reason).toBe("Consistency")
      expect(error.location).toBe("f.csv:3")
      expect(error.message).toContain(midRecord("f.csv:3"))
      const accepted = yield* errorOf(text, { name: "f.csv", allowUnterminatedLastRecord: true })
      expect(accepted.reason).toBe("Decode")
      expect(accepted.message).toContain("f.csv:3 has 2 fields but the header has 3")
    })
  )

  it.effect("CSV: a quoted multi-line last field with nothing after its closing quote is cut; the location is its first line", () =>
    Effect.gen(function* () {
      for (const eol of ["\n", "\r\n"]) {
        const text = `id,note${eol}1,x${eol}2,"line one${eol}line two"`
        const error = yield* errorOf(text, { name: "m.csv" })
        expect(error.reason).toBe("Consistency")
        expect(error.location).toBe("m.csv:3")
        expect(data(yield* rowsOf(text + eol, { name: "m.csv" }))).toEqual([
          { id: "1", note: "x" },
          { id: "2", note: `line one${eol}line two` }
        ])
      }
    })
  )

  it.effect("CSV: a file that ends inside a quoted field says so (and still names an unbalanced quote), with or without a final line break", () =>
    Effect.gen(function* () {
      for (const text of ['id,note\n1,x\n2,"line one\nline tw', 'id,note\n1,x\n2,"line one\n']) {
        for (const allowUnterminatedLastRecord of [false, true]) {
          const error = yield* errorOf(text, { name: "q.csv", allowUnterminatedLastRecord })
          expect(error.reason).toBe("Decode")
          expect(error.location).toBe("q.csv:3")
          expect(error.message).toContain("unbalanced quote starting at q.csv:3")
          expect(error.message).toMatch(
            /the file ends inside this quoted field \(at line [34]\): either the file ends mid-record \(was the export still being written\?\) or a quote is unbalanced/
          )
        }
      }
    })
  )

  it.effect("CSV: allowUnterminatedLastRecord: true reads the last record as it is", () =>
    Effect.gen(function* () {
      for (const eol of ["\n", "\r\n"]) {
        const rows = yield* rowsOf(`id,city${eol}1,Zürich${eol}2,Zü`, { name: "a.csv", allowUnterminatedLastRecord: true })
        expect(data(rows)).toEqual([
          { id: "1", city: "Zürich" },
          { id: "2", city: "Zü" }
        ])
        expect(locations(rows)).toEqual(["a.csv:2", "a.csv:3"])
      }
    })
  )

  it.effect("CSV: not mid-record — a header-only file, a last line ended by CR, trailing blank lines, a final comment line", () =>
    Effect.gen(function* () {
      expect(yield* rowsOf("id,name", { name: "h.csv" })).toEqual([])
      expect(data(yield* rowsOf("id,name\r1,a\r", { name: "cr.csv" }, 1))).toEqual([{ id: "1", name: "a" }])
      expect(data(yield* rowsOf("id,name\n1,a\n\n\n", { name: "b.csv" }))).toEqual([{ id: "1", name: "a" }])
      expect(data(yield* rowsOf("id,name\n1,a\n# end of export", { name: "c.csv", csv: { comment: "#" } }))).toEqual([{ id: "1", name: "a" }])
      // header: false: the only record is a record
      expect((yield* errorOf("1,a", { name: "n.csv", csv: { header: false, columns: ["id", "name"] } })).location).toBe("n.csv:1")
      // the empty-file error is unchanged
      expect((yield* errorOf("", { name: "e.csv" })).message).toContain("e.csv is empty (0 bytes)")
    })
  )

  it.effect("a file cut inside a UTF-8 character ends mid-record (not a wrong encoding), whatever allowUnterminatedLastRecord says", () =>
    Effect.gen(function* () {
      const whole = Buffer.from("id,city\n1,Zürich\n2,Zü", "utf8")
      const cut = whole.subarray(0, whole.length - 1) // the second byte of "ü" is missing
      for (const allowUnterminatedLastRecord of [false, true]) {
        const error = yield* errorOf(cut, { name: "u8.csv", allowUnterminatedLastRecord })
        expect(error.reason).toBe("Consistency")
        expect(error.location).toBe("u8.csv:3")
        expect(error.message).toContain("u8.csv:3: the file ends mid-record, inside a UTF-8 character: was the export still being written?")
      }
      // a stray latin1 byte inside the file is still an encoding problem
      const latin1 = Buffer.concat([Buffer.from("id,city\n1,Z"), Buffer.from([0xfc]), Buffer.from("rich\n")])
      expect((yield* errorOf(latin1, { name: "l1.csv" })).message).toContain("is not valid UTF-8")
    })
  )

  it.effect("CSV in UTF-16 and gzip: the check looks at the decoded text", () =>
    Effect.gen(function* () {
      const cut = "id,name\r\n1,Zoë\r\n2,Åsa"
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(cut, "utf-16le")])
      expect((yield* errorOf(utf16, { name: "u.csv" })).location).toBe("u.csv:3")
      expect(yield* rowsOf(Buffer.concat([utf16, iconv.encode("\r\n", "utf-16le")]), { name: "u.csv" })).toHaveLength(2)
      expect((yield* errorOf(gzipSync(Buffer.from(cut)), { name: "g.csv.gz" })).location).toBe("g.csv.gz:3")
    })
  )

  it.effect("NDJSON: a last line with no line break is cut, even when it parses; LF and CRLF", () =>
    Effect.gen(function* () {
      for (const eol of ["\n", "\r\n"]) {
        for (const last of ['{"id":2}', '{"id":2,"city":"Zü']) {
          const error = yield* errorOf(`{"id":1}${eol}${last}`, { name: "p.ndjson" })
          expect(error.reason).toBe("Consistency")
          expect(error.location).toBe("p.ndjson:2")
          expect(error.message).toBe(
            "p.ndjson:2: the file ends mid-record: was the export still being written? The last record (line 2) has no line break after it, so it may be cut short and the rows after it missing: nothing from this read is synced. Export the file again; if the program that writes it never ends its last line, set allowUnterminatedLastRecord: true"
          )
        }
        // trailing blanks after the last line break are not a record
        expect(yield* rowsOf(`{"id":1}${eol}{"id":2}${eol}  `, { name: "p.ndjson" })).toHaveLength(2)
      }
    })
  )

  it.effect("NDJSON: allowUnterminatedLastRecord: true reads a complete last line; a broken one is invalid JSON that says it is the cut last line", () =>
    Effect.gen(function* () {
      const rows = yield* rowsOf('{"id":1}\n{"id":2}', { name: "p.ndjson", allowUnterminatedLastRecord: true })
      expect(data(rows)).toEqual([{ id: 1 }, { id: 2 }])
      expect(locations(rows)).toEqual(["p.ndjson:1", "p.ndjson:2"])
      const broken = yield* errorOf('{"id":1}\n{"id":2,"city":"Zü', { name: "p.ndjson", allowUnterminatedLastRecord: true })
      expect(broken.reason).toBe("Decode")
      expect(broken.location).toBe("p.ndjson:2")
      expect(broken.message).toMatch(/^p\.ndjson:2(:\d+)?: invalid JSON/)
      expect(broken.message).toContain("the file ends on this line, mid-record: was the export still being written?")
    })
  )

  it.effect("JSON: a document that stops early says the file ends mid-document, with its line and the same hint", () =>
    Effect.gen(function* () {
      for (const text of ['[\n{"id":1},\n{"id":2,"city":"Zü', '[\n{"id":1},\n', '[\n{"id":1}\n']) {
        const error = yield* errorOf(text, { name: "p.json" }, 3)
        const line = text.split("\n").length
        expect(error.reason, text).toBe("Decode")
        expect(error.location, text).toBe(`p.json:${line}`)
        expect(error.message, text).toContain(`p.json:${line}: the file ends mid-document: was the export still being written? It stops after 1 complete array element`)
        expect(error.message, text).toContain("nothing from this read is synced")
      }
      // a complete array with no final line break is complete
      expect(yield* rowsOf('[{"id":1}]', { name: "p.json" })).toHaveLength(1)
    })
  )
})

describe("encodings", () => {
  const text = "id,name\n1,Zoë Ångström\n2,François Müller\n"
  const expected = [
    { id: "1", name: "Zoë Ångström" },
    { id: "2", name: "François Müller" }
  ]

  it.effect("UTF-16LE and UTF-16BE with a BOM are detected", () =>
    Effect.gen(function* () {
      const le = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, "utf-16le")])
      const be = Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(text, "utf-16be")])
      expect(data(yield* rowsOf(le, { name: "le.csv" }))).toEqual(expected)
      expect(data(yield* rowsOf(be, { name: "be.csv" }))).toEqual(expected)
      // a BOM wins over a configured encoding
      expect(data(yield* rowsOf(le, { name: "le.csv", encoding: "latin1" }))).toEqual(expected)
    })
  )

  it.effect("UTF-16LE without a BOM is sniffed; explicit utf-16be works", () =>
    Effect.gen(function* () {
      expect(data(yield* rowsOf(iconv.encode(text, "utf-16le"), { name: "le.csv" }))).toEqual(expected)
      expect(data(yield* rowsOf(iconv.encode(text, "utf-16be"), { name: "be.csv", encoding: "utf-16be" }))).toEqual(expected)
    })
  )

  it.effect("latin1 and windows-1252 (with € and curly quotes)", () =>
    Effect.gen(function* () {
      expect(data(yield* rowsOf(iconv.encode(text, "latin1"), { name: "l.csv", encoding: "latin1" }))).toEqual(expected)
      const cp = "id,price\n1,“10 €”\n"
      expect(data(yield* rowsOf(iconv.encode(cp, "windows-1252"), { name: "w.csv", encoding: "windows-1252" }))).toEqual([
        { id: "1", price: "“10 €”" }
      ])
    })
  )

  it.effect("latin1 bytes read as UTF-8 fail with the line and a suggestion", () =>
    Effect.gen(function* () {
      const error = yield* errorOf(iconv.encode(text, "latin1"), { name: "people.csv" })
      expect(error.reason).toBe("Decode")
      expect(error.message).toContain("people.csv:2:5 is not valid UTF-8")
      expect(error.message).toContain("encoding: windows-1252")
    })
  )
})

describe("gzip", () => {
  const text = "id,name\n1,Zoë\n2,Åsa\n"
  const gz = gzipSync(Buffer.from(text))

  it.effect("decompresses by extension and by magic bytes; gzip: false keeps the bytes", () =>
    Effect.gen(function* () {
      expect(data(yield* rowsOf(gz, { name: "people.csv.gz" }))).toHaveLength(2)
      expect(data(yield* rowsOf(gz, { name: "people.csv" }))).toEqual([
        { id: "1", name: "Zoë" },
        { id: "2", name: "Åsa" }
      ])
      expect(locations(yield* rowsOf(gz, { name: "people.csv.gz" }))).toEqual(["people.csv.gz:2", "people.csv.gz:3"])
      const error = yield* errorOf(gz, { name: "people.csv", gzip: false })
      expect(error.reason).toBe("Decode")
    })
  )

  it.effect("a truncated gzip file and a .gz that is not gzip are clear errors", () =>
    Effect.gen(function* () {
      const truncated = yield* errorOf(gz.subarray(0, gz.length - 12), { name: "people.csv.gz" })
      expect(truncated.reason).toBe("Decode")
      expect(truncated.message).toContain("people.csv.gz is not a valid gzip stream")
      const plain = yield* errorOf(text, { name: "people.csv.gz" })
      expect(plain.message).toContain("is not gzip-compressed")
    })
  )

  it.effect("a gzip-compressed empty file is reported as empty", () =>
    Effect.gen(function* () {
      expect((yield* errorOf(gzipSync(Buffer.alloc(0)), { name: "e.csv.gz" })).message).toContain("e.csv.gz is empty")
    })
  )
})

describe("NDJSON", () => {
  it.effect("one object per line, blank lines skipped, CRLF tolerated, values kept as parsed", () =>
    Effect.gen(function* () {
      const rows = yield* rowsOf('{"id":1,"name":"Zoë"}\r\n\n{"id":"2","tags":["a"],"boss":null}\n{"id":3}\r\n', { name: "p.ndjson" })
      expect(data(rows)).toEqual([{ id: 1, name: "Zoë" }, { id: "2", tags: ["a"], boss: null }, { id: 3 }])
      expect(locations(rows)).toEqual(["p.ndjson:1", "p.ndjson:3", "p.ndjson:4"])
    })
  )

  it.effect("invalid JSON and non-objects name the line", () =>
    Effect.gen(function* () {
      const bad = yield* errorOf('{"id":1}\n{"id":}\n', { name: "p.jsonl" })
      expect(bad.location).toBe("p.jsonl:2")
      expect(bad.message).toMatch(/^p\.jsonl:2(:\d+)?: invalid JSON/)
      const array = yield* errorOf('{"id":1}\n[1,2]\n', { name: "p.ndjson" })
      expect(array.message).toBe("p.ndjson:2: expected a JSON object, got an array")
      const pretty = yield* errorOf('[\n{"id":1}\n]', { name: "p.ndjson" })
      expect(pretty.message).toContain("set format: json")
    })
  )
})

describe("JSON arrays", () => {
  it.effect("streams the elements of a top-level array with file#index locations", () =>
    Effect.gen(function* () {
      const text = '\uFEFF[\n  {"id": 1, "name": "Zoë \\u00c5ngstr\\u00f6m"},\n  {"id": 2, "groups": ["a", "b"], "manager": {"id": 1}}\n]\n'
      const rows = yield* rowsOf(text, { name: "people.json" }, 5)
      expect(data(rows)).toEqual([
        { id: 1, name: "Zoë Ångström" },
        { id: 2, groups: ["a", "b"], manager: { id: 1 } }
      ])
      expect(locations(rows)).toEqual(["people.json#0", "people.json#1"])
      expect(yield* rowsOf("[]", { name: "empty.json" })).toEqual([])
    })
  )

  it.effect("syntax errors name the line; wrong shapes say what was expected", () =>
    Effect.gen(function* () {
      const bad = yield* errorOf('[\n{"id": 1},\n{"id": }\n]', { name: "p.json" })
      expect(bad.reason).toBe("Decode")
      expect(bad.location).toBe("p.json:3")
      expect(bad.message).toContain("p.json:3: invalid JSON")
      expect((yield* errorOf('{"users": []}', { name: "p.json" })).message).toContain("expected a JSON array of objects at the top level")
      expect((yield* errorOf('[{"id":1}, 42]', { name: "p.json" })).message).toContain("p.json#1 (near line 1): expected a JSON object, got a number")
      expect((yield* errorOf('[{"id":1}', { name: "p.json" })).reason).toBe("Decode")
      expect((yield* errorOf("  \n ", { name: "p.json" })).message).toContain("no JSON value")
    })
  )
})

describe("format detection", () => {
  it("by extension, looking through .gz", () => {
    expect(Formats.formatFromName("a/people.CSV")).toBe("csv")
    expect(Formats.formatFromName("people.tsv.gz")).toBe("csv")
    expect(Formats.formatFromName("people.jsonl")).toBe("ndjson")
    expect(Formats.formatFromName("people.ndjson.gz")).toBe("ndjson")
    expect(Formats.formatFromName("people.json")).toBe("json")
    expect(Formats.formatFromName("people.dat")).toBeUndefined()
  })

  it.effect("by content when the extension does not tell", () =>
    Effect.gen(function* () {
      expect(locations(yield* rowsOf('  [{"a":1}]', { name: "export.dat" }))).toEqual(["export.dat#0"])
      expect(locations(yield* rowsOf('{"a":1}\n{"a":2}\n', { name: "export.dat" }))).toEqual(["export.dat:1", "export.dat:2"])
      expect(data(yield* rowsOf("a,b\n1,2\n", { name: "export" }))).toEqual([{ a: "1", b: "2" }])
      expect(data(yield* rowsOf('{"a":1}\n', { name: "x.json", format: "ndjson" }))).toEqual([{ a: 1 }])
    })
  )
})

describe("checksums", () => {
  const text = "id\n1\n2\n"
  const sha = createHash("sha256").update(text).digest("hex")

  it.effect("a matching sha256 passes and the digest is reported", () =>
    Effect.gen(function* () {
      const seen: Array<Formats.Digest> = []
      const rows = yield* rowsOf(text, { name: "c.csv", sha256: sha.toUpperCase(), onDigest: (d) => seen.push(d) })
      expect(rows).toHaveLength(2)
      expect(seen).toEqual([{ sha256: sha, bytes: Buffer.byteLength(text) }])
    })
  )

  it.effect("a mismatch fails the stream with a Consistency error (the digest covers the bytes as stored, before gunzip)", () =>
    Effect.gen(function* () {
      const error = yield* errorOf(text, { name: "c.csv", sha256: "0".repeat(64) })
      expect(error.reason).toBe("Consistency")
      expect(error.message).toContain(`expected sha256 ${"0".repeat(64)}, got ${sha}`)
      const gz = gzipSync(Buffer.from(text))
      const gzSha = createHash("sha256").update(gz).digest("hex")
      expect(yield* rowsOf(gz, { name: "c.csv.gz", sha256: gzSha })).toHaveLength(2)
    })
  )

  it("parses sha256sum, BSD and bare checksum files", () => {
    const a = "a".repeat(64)
    const b = "B".repeat(64)
    expect(Formats.parseChecksumFile(`${a}\n`, "people.csv")).toBe(a)
    expect(Formats.parseChecksumFile(`${a}  other.csv\n${b} *people.csv\n`, "people.csv")).toBe(b.toLowerCase())
    expect(Formats.parseChecksumFile(`SHA256 (exports/people.csv) = ${a}\n`, "people.csv")).toBe(a)
    expect(Formats.parseChecksumFile(`${a}  other.csv\n`, "people.csv")).toBeUndefined()
  })
})

describe("inputs", () => {
  it.effect("an Effect Stream of bytes, and its failure passes through unchanged", () =>
    Effect.gen(function* () {
      const bytes = Stream.fromIterable([Buffer.from("id,na"), Buffer.from("me\n1,x\n")])
      const rows = yield* Formats.decode(bytes, { name: "s.csv" }).pipe(Stream.runCollect)
      expect(Chunk.toArray(rows).map((r) => r.data)).toEqual([{ id: "1", name: "x" }])
      const boom = new SourceError({ source: "sftp", reason: "Read", message: "connection reset" })
      const failing = Stream.concat(Stream.make(Buffer.from("id\n1\n")), Stream.fail(boom))
      const error = yield* Formats.decode(failing, { name: "s.csv", source: "sftp" }).pipe(Stream.runDrain, Effect.flip)
      expect(error).toBe(boom)
    })
  )

  it.effect("an Effect that opens the bytes runs only when the stream runs", () =>
    Effect.gen(function* () {
      let opened = 0
      const stream = Formats.decode(
        Effect.sync(() => {
          opened++
          return chunked("id\n1\n")
        }),
        { name: "lazy.csv" }
      )
      expect(opened).toBe(0)
      expect(yield* Stream.runCount(stream)).toBe(1)
      expect(opened).toBe(1)
    })
  )

  it.effect("decode errors name the adapter given as source", () =>
    Effect.gen(function* () {
      const error = yield* errorOf("", { name: "in/people.csv", source: "sftp" })
      expect(error.source).toBe("sftp")
    })
  )
})

describe("interruption", () => {
  it.live("interrupting while the decoder waits on a stalled Node stream destroys that stream", () =>
    Effect.gen(function* () {
      const upstream = new PassThrough()
      // more than the 4 KB the decoder sniffs before it emits anything
      upstream.write("id,name\n" + Array.from({ length: 500 }, (_, i) => `${i + 1},person ${i}\n`).join(""))
      const first = yield* Deferred.make<string>()
      const fiber = yield* Formats.decode(upstream, { name: "stalled.csv" }).pipe(
        Stream.runForEach((row) => Deferred.succeed(first, row.location)),
        Effect.fork
      )
      expect(yield* Deferred.await(first).pipe(Effect.timeout(Duration.seconds(10)))).toBe("stalled.csv:2")
      // the decoder is now waiting for bytes that never come
      const interrupted = yield* Fiber.interrupt(fiber).pipe(Effect.timeout(Duration.seconds(5)), Effect.option)
      expect(Option.isSome(interrupted)).toBe(true)
      expect(upstream.destroyed).toBe(true)
    })
  )

  it.effect("stopping early (take) destroys the Node stream", () =>
    Effect.gen(function* () {
      const upstream = chunked("id\n" + Array.from({ length: 1000 }, (_, i) => `${i}\n`).join(""), 64)
      const rows = yield* Formats.decode(upstream, { name: "t.csv" }).pipe(Stream.take(2), Stream.runCollect)
      expect(Chunk.toArray(rows).map((r) => r.data)).toEqual([{ id: "0" }, { id: "1" }])
      expect(upstream.destroyed).toBe(true)
    })
  )
})
