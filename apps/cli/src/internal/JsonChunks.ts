/**
 * JSON text as a sequence of chunks, so a large value (a million-row plan, a state export) is written to a
 * stream piece by piece and never held as one string (V8 strings stop at ~512 MiB: "Invalid string length").
 *
 * The text is exactly `JSON.stringify(value, null, indent)`; with `sortKeys` object keys are sorted (code-unit
 * order) at every depth, as in the plan's stable JSON (`@anysource/core` `Hash.stableStringify`), so a plan
 * written this way parses back to the same plan and the same content hash.
 */

export interface JsonChunksOptions {
  /** Spaces per level, like `JSON.stringify`'s third argument (0 or absent: compact). */
  readonly indent?: number
  /** Sort object keys at every depth (the plan's stable form). */
  readonly sortKeys?: boolean
  /** Yield once this many characters are buffered (default 64 Ki). */
  readonly chunkSize?: number
}

type Frame =
  | { readonly array: ReadonlyArray<unknown>; i: number; readonly pad: string }
  | { readonly items: Iterator<unknown>; i: number; readonly pad: string }
  | {
      readonly object: Record<string, unknown>
      readonly keys: ReadonlyArray<string>
      i: number
      first: boolean
      readonly pad: string
    }

const isSkipped = (v: unknown): boolean => v === undefined || typeof v === "function" || typeof v === "symbol"

const primitive = (v: unknown): string | undefined => {
  if (v === null) return "null"
  switch (typeof v) {
    case "string":
      return JSON.stringify(v)
    case "number":
      return Number.isFinite(v) ? String(v) : "null"
    case "boolean":
      return v ? "true" : "false"
    case "bigint":
      throw new TypeError("Do not know how to serialize a BigInt")
    case "undefined":
    case "function":
    case "symbol":
      return "null"
  }
  return undefined
}

/**
 * A list that is not an array (a large plan's changes, read back from a temporary file as they are iterated):
 * written as a JSON array item by item, never collected into one (its `toJSON` would).
 */
const isLazyList = (v: object): v is Iterable<unknown> =>
  !Array.isArray(v) &&
  !ArrayBuffer.isView(v) &&
  !(v instanceof Map) &&
  !(v instanceof Set) &&
  typeof (v as Partial<Iterable<unknown>>)[Symbol.iterator] === "function"

const resolveToJson = (v: unknown, key: string): unknown => {
  if (v !== null && typeof v === "object" && !isLazyList(v)) {
    const toJSON = (v as { toJSON?: unknown }).toJSON
    if (typeof toJSON === "function") return (toJSON as (key: string) => unknown).call(v, key)
  }
  return v
}

/**
 * A container whose members are all primitives (and whose keys are in sorted order when sorting):
 * `JSON.stringify` writes it exactly as the walk below would, much faster. Profiles hit this path.
 */
const flatText = (v: object, indent: number, sortKeys: boolean, pad: string): string | undefined => {
  if (Array.isArray(v)) {
    if (v.length > 64) return undefined
    for (const x of v) if (x !== null && typeof x === "object") return undefined
  } else {
    if (typeof (v as { toJSON?: unknown }).toJSON === "function") return undefined
    const keys = Object.keys(v)
    if (keys.length > 64) return undefined
    for (let i = 0; i < keys.length; i++) {
      if (sortKeys && i > 0 && keys[i - 1]! >= keys[i]!) return undefined
      const x = (v as Record<string, unknown>)[keys[i]!]
      if (x !== null && typeof x === "object") return undefined
      if (typeof x === "bigint") return undefined
    }
  }
  const text = JSON.stringify(v, null, indent)
  return indent > 0 && pad !== "" ? text.replace(/\n/g, `\n${pad}`) : text
}

/** The JSON text of `value` in chunks of about `chunkSize` characters (see the module comment). */
export function* jsonChunks(
  value: unknown,
  options: JsonChunksOptions = {}
): Generator<string, void, undefined> {
  const indent = Math.max(0, Math.min(10, Math.floor(options.indent ?? 0)))
  const unit = " ".repeat(indent)
  const nl = indent > 0 ? "\n" : ""
  const colon = indent > 0 ? ": " : ":"
  const sortKeys = options.sortKeys === true
  const chunkSize = options.chunkSize ?? 65_536
  let buffer = ""
  const stack: Array<Frame> = []

  /** Write `v` (already through toJSON) at indentation `pad`: a primitive or flat container now, else push a frame. */
  const open = (v: unknown, pad: string): void => {
    const p = primitive(v)
    if (p !== undefined) {
      buffer += p
      return
    }
    if (isLazyList(v as object)) {
      buffer += "["
      stack.push({ items: (v as Iterable<unknown>)[Symbol.iterator](), i: 0, pad })
      return
    }
    const flat = flatText(v as object, indent, sortKeys, pad)
    if (flat !== undefined) {
      buffer += flat
      return
    }
    if (Array.isArray(v)) {
      if (v.length === 0) buffer += "[]"
      else {
        buffer += "["
        stack.push({ array: v, i: 0, pad })
      }
      return
    }
    if (v instanceof Map || v instanceof Set) {
      // JSON.stringify writes Maps and Sets as {}: say so instead of losing data silently
      throw new TypeError("jsonChunks: Map/Set are not JSON")
    }
    const object = v as Record<string, unknown>
    let keys = Object.keys(object)
    if (sortKeys) keys = keys.sort()
    buffer += "{"
    stack.push({ object, keys, i: 0, first: true, pad })
  }

  const top = resolveToJson(value, "")
  if (isSkipped(top)) return
  open(top, "")
  while (stack.length > 0) {
    if (buffer.length >= chunkSize) {
      yield buffer
      buffer = ""
    }
    const frame = stack[stack.length - 1]!
    const inner = frame.pad + unit
    if ("items" in frame) {
      const next = frame.items.next()
      if (next.done === true) {
        buffer += frame.i === 0 ? "]" : `${nl}${frame.pad}]`
        stack.pop()
        continue
      }
      buffer += `${frame.i++ > 0 ? "," : ""}${nl}${inner}`
      const item = resolveToJson(next.value, String(frame.i - 1))
      open(isSkipped(item) ? null : item, inner)
      continue
    }
    if ("array" in frame) {
      if (frame.i >= frame.array.length) {
        buffer += `${nl}${frame.pad}]`
        stack.pop()
        continue
      }
      const i = frame.i++
      buffer += `${i > 0 ? "," : ""}${nl}${inner}`
      const item = resolveToJson(frame.array[i], String(i))
      open(isSkipped(item) ? null : item, inner)
      continue
    }
    if (frame.i >= frame.keys.length) {
      buffer += frame.first ? "}" : `${nl}${frame.pad}}`
      stack.pop()
      continue
    }
    const key = frame.keys[frame.i++]!
    const member = resolveToJson(frame.object[key], key)
    if (isSkipped(member)) continue
    buffer += `${frame.first ? "" : ","}${nl}${inner}${JSON.stringify(key)}${colon}`
    frame.first = false
    open(member, inner)
  }
  if (buffer !== "") yield buffer
}

/** The whole text (for small values and tests). */
export const jsonText = (value: unknown, options: JsonChunksOptions = {}): string =>
  [...jsonChunks(value, options)].join("")
