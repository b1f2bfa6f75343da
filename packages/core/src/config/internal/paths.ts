/** Config paths: segments ↔ the dotted form users read in errors (`mapping.profile.email`, `groups[0].displayName`). */

export type Segment = string | number
export type Segments = ReadonlyArray<Segment>

const identifier = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

/** `["mapping", "profile", "email"]` → `mapping.profile.email`; indexes as `[0]`; odd keys as `["Employee ID"]`. */
export const formatPath = (segments: Segments): string => {
  let out = ""
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`
    else if (identifier.test(segment)) out += out === "" ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out === "" ? "(root)" : out
}

/** Normalises zod's `PropertyKey[]` paths (symbols never occur in config). */
export const toSegments = (path: ReadonlyArray<PropertyKey>): Array<Segment> =>
  path.map((p) => (typeof p === "number" ? p : String(p)))

/** The value at `segments` inside plain data, or `undefined`. */
export const valueAt = (root: unknown, segments: Segments): unknown => {
  let current: unknown = root
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined
    current = (current as Record<string | number, unknown>)[segment]
  }
  return current
}

/** A plain data object (what YAML/JSON produce), as opposed to arrays, class instances and `Redacted`. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** How a value looks, without ever showing it (values may be secrets). */
export const describeValue = (value: unknown): string => {
  if (value === undefined) return "nothing"
  if (value === null) return "null"
  if (Array.isArray(value)) return "a list"
  switch (typeof value) {
    case "string":
      return value === "" ? "an empty string" : "a string"
    case "number":
      return Number.isInteger(value) ? "an integer" : "a number"
    case "boolean":
      return value ? "true" : "false"
    case "object":
      return "an object"
    default:
      return `a ${typeof value}`
  }
}
