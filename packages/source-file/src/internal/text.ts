/**
 * Bytes → text: byte-order marks, encoding detection, strict UTF-8, iconv-lite for the rest,
 * and the "this is not a text file" checks (empty, binary, NUL characters).
 */
import iconv from "iconv-lite"
import { failure, STILL_WRITING, type FailContext } from "./fail.ts"

const SNIFF_BYTES = 4096
const BINARY_WINDOW = 1024

export const normalizeEncoding = (encoding: string): string => {
  const key = encoding.trim().toLowerCase().replace(/[_\s]/g, "-")
  switch (key) {
    case "utf8":
    case "utf-8":
      return "utf-8"
    case "utf16le":
    case "utf-16le":
    case "ucs2":
    case "ucs-2":
      return "utf-16le"
    case "utf16be":
    case "utf-16be":
      return "utf-16be"
    default:
      return key
  }
}

/** True when we can decode `encoding` ("auto" included). */
export const encodingSupported = (encoding: string): boolean => {
  const normalized = normalizeEncoding(encoding)
  return normalized === "auto" || normalized === "utf-8" || iconv.encodingExists(normalized)
}

interface Detected {
  readonly encoding: string
  readonly bomLength: number
}

const detectBom = (head: Buffer): Detected | undefined => {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: "utf-8", bomLength: 3 }
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: "utf-16le", bomLength: 2 }
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: "utf-16be", bomLength: 2 }
  return undefined
}

/** UTF-16 without a BOM: mostly-ASCII text has a zero in every other byte. */
const detectBomlessUtf16 = (head: Buffer): string | undefined => {
  const pairs = Math.floor(Math.min(head.length, SNIFF_BYTES) / 2)
  if (pairs < 2) return undefined
  let zeroEven = 0
  let zeroOdd = 0
  for (let i = 0; i < pairs; i++) {
    if (head[2 * i] === 0) zeroEven++
    if (head[2 * i + 1] === 0) zeroOdd++
  }
  if (zeroOdd >= pairs * 0.9 && zeroEven <= pairs * 0.05) return "utf-16le"
  if (zeroEven >= pairs * 0.9 && zeroOdd <= pairs * 0.05) return "utf-16be"
  return undefined
}

const startsWith = (head: Buffer, bytes: ReadonlyArray<number>): boolean =>
  head.length >= bytes.length && bytes.every((b, i) => head[i] === b)

/** Well-known binary formats people export by mistake instead of CSV. */
const binaryKind = (head: Buffer): string | undefined => {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return "a ZIP archive (an Excel .xlsx workbook is one) — export the sheet as CSV"
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0])) return "a legacy Office document (.xls) — export the sheet as CSV"
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46])) return "a PDF document"
  if (startsWith(head, [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65])) return "an SQLite database — use the sql source"
  return undefined
}

interface Decoder {
  write(chunk: Buffer): string
  end(): string
}

const makeDecoder = (encoding: string): Decoder => {
  if (encoding === "utf-8") {
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
    return { write: (chunk) => decoder.decode(chunk, { stream: true }), end: () => decoder.decode() }
  }
  const decoder = iconv.getDecoder(encoding, { stripBOM: false })
  return { write: (chunk) => decoder.write(chunk), end: () => decoder.end() ?? "" }
}

/** Tracks physical lines so errors can say `file:line:column`. */
class Position {
  line = 1
  column = 1
  advance(text: string): void {
    let last = -1
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
      this.line++
      last = i
    }
    this.column = last === -1 ? this.column + text.length : text.length - last
  }
  /** The position of `text[index]`, where `text` starts at the current position. */
  at(text: string, index: number): { readonly line: number; readonly column: number } {
    const probe = new Position()
    probe.line = this.line
    probe.column = this.column
    probe.advance(text.slice(0, index))
    return { line: probe.line, column: probe.column }
  }
}

export interface TextOptions {
  /** `auto` (BOM, then UTF-16 sniffing, else UTF-8), or any encoding iconv-lite knows. A BOM always wins. */
  readonly encoding: string
}

/** Decode bytes to text chunks. Fails on empty input, binary input, invalid UTF-8 and NUL characters. */
export async function* decodeText(ctx: FailContext, input: AsyncIterable<Uint8Array>, options: TextOptions): AsyncGenerator<string> {
  const iterator = input[Symbol.asyncIterator]()
  const headParts: Array<Buffer> = []
  let headBytes = 0
  let ended = false
  while (headBytes < SNIFF_BYTES) {
    const next = await iterator.next()
    if (next.done === true) {
      ended = true
      break
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength)
    headParts.push(chunk)
    headBytes += chunk.length
  }
  const head = Buffer.concat(headParts)
  if (head.length === 0) {
    throw failure(ctx, "Decode", `${ctx.name} is empty (0 bytes): there is no header row and no data — did the export fail?`)
  }
  const binary = binaryKind(head)
  if (binary !== undefined) {
    throw failure(ctx, "Decode", `${ctx.name} is not a text file: it looks like ${binary}`)
  }

  const requested = normalizeEncoding(options.encoding)
  const bom = detectBom(head)
  const encoding = bom?.encoding ?? (requested === "auto" ? (detectBomlessUtf16(head) ?? "utf-8") : requested)
  if (!encoding.startsWith("utf-16") && head.subarray(0, BINARY_WINDOW).includes(0)) {
    const hint = requested === "auto" ? " If it is UTF-16 text without a byte-order mark, set encoding: utf-16le (or utf-16be)." : ""
    throw failure(ctx, "Decode", `${ctx.name} looks like a binary file, not text (NUL bytes in the first KB).${hint}`)
  }
  const decoder = makeDecoder(encoding)
  const position = new Position()
  let emitted = 0
  let checkedBinary = false

  const decode = (chunk: Buffer, last: boolean): string => {
    let text: string
    try {
      text = decoder.write(chunk)
    } catch (cause) {
      // Only strict UTF-8 throws: find the first bad byte for the message.
      const loose = new TextDecoder("utf-8").decode(chunk)
      const at = position.at(loose, Math.max(0, loose.indexOf("\uFFFD")))
      throw failure(
        ctx,
        "Decode",
        `${ctx.name}:${at.line}:${at.column} is not valid UTF-8 — the file is probably latin1 or windows-1252: set encoding: windows-1252 (or latin1)`,
        { location: `${ctx.name}:${at.line}`, cause }
      )
    }
    if (last) {
      try {
        text += decoder.end()
      } catch (cause) {
        // Everything decoded, but the last bytes begin a character they do not finish: the file was cut mid-character.
        const at = position.at(text, text.length)
        throw failure(
          ctx,
          "Consistency",
          `${ctx.name}:${at.line}: the file ends mid-record, inside a UTF-8 character: ${STILL_WRITING} Its last bytes begin a character they do not finish, so the last record is cut short and the rows after it may be missing: nothing from this read is synced. Export the file again`,
          { location: `${ctx.name}:${at.line}`, cause }
        )
      }
    }
    const nul = text.indexOf("\u0000")
    if (nul !== -1) {
      const at = position.at(text, nul)
      if (!checkedBinary && emitted + nul < BINARY_WINDOW) {
        throw failure(ctx, "Decode", `${ctx.name} looks like a binary file, not ${encoding} text (NUL characters in the first KB)`, {
          location: `${ctx.name}:${at.line}`
        })
      }
      throw failure(
        ctx,
        "Decode",
        `${ctx.name}:${at.line}:${at.column} contains a NUL character — the file is corrupt or partly binary (check the export, or the encoding: ${encoding})`,
        { location: `${ctx.name}:${at.line}` }
      )
    }
    if (emitted + text.length >= BINARY_WINDOW) checkedBinary = true
    position.advance(text)
    emitted += text.length
    return text
  }

  try {
    const first = decode(bom === undefined ? head : head.subarray(bom.bomLength), ended)
    if (first.length > 0) yield first
    if (!ended) {
      for (;;) {
        const next = await iterator.next()
        if (next.done === true) break
        const text = decode(Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength), false)
        if (text.length > 0) yield text
      }
      const tail = decode(Buffer.alloc(0), true)
      if (tail.length > 0) yield tail
    }
  } finally {
    if (!ended) await iterator.return?.(undefined)
  }
  if (emitted === 0) {
    throw failure(ctx, "Decode", `${ctx.name} has no content (only a byte-order mark): there is no header row and no data`)
  }
}
