/**
 * Body shapes for the conformance run: a JSON body reduced to the type at each path (`profile.mobilePhone: null`,
 * `id: okta-id(0ua)`), so two servers' answers can be compared without their data (ids, times, names differ on
 * every run), and the differences named path by path.
 */

/** path → type, e.g. `{ "": "object", "id": "okta-id(0ua)", "profile.firstName": "string" }`. `""` is the body. */
export type Shape = Readonly<Record<string, string>>

/** An Okta object id: a three-character prefix that says what it is, then 17 characters. */
const OKTA_ID = /^(0ua|00u|00g|aps|0oa)[0-9A-Za-z]{17}$/
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

const typeOf = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "array"
  if (typeof value === "string") {
    const id = OKTA_ID.exec(value)
    if (id !== null) return `okta-id(${id[1]})`
    return DATE_TIME.test(value) ? "date-time" : "string"
  }
  return typeof value
}

const join = (path: string, key: string): string => (path === "" ? key : `${path}.${key}`)

/** The shape of a reply body: `{ "": "(none)" }` when there is none, `(not JSON)` when it does not parse. */
export const shapeOf = (text: string): Shape => {
  if (text.trim() === "") return { "": "(none)" }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { "": "(not JSON)" }
  }
  const out: Record<string, Set<string>> = {}
  const add = (path: string, type: string) => (out[path] ??= new Set()).add(type)
  const walk = (value: unknown, path: string): void => {
    add(path, typeOf(value))
    if (Array.isArray(value)) for (const item of value) walk(item, `${path}[]`)
    else if (value !== null && typeof value === "object")
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, join(path, k))
  }
  walk(json, "")
  return Object.fromEntries(
    Object.entries(out)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, types]) => [path, [...types].sort().join("|")])
  )
}

/** One line per path, for a bug report. */
export const renderShape = (shape: Shape): string =>
  Object.entries(shape)
    .map(([path, type]) => `${path === "" ? "(body)" : path}: ${type}`)
    .join(", ")

export interface ShapeDifference {
  readonly path: string
  /** `(absent)` when that side has no such path. */
  readonly left: string
  readonly right: string
}

const parentOf = (path: string): string | undefined => {
  if (path === "") return undefined
  const cut = Math.max(path.lastIndexOf("."), path.endsWith("[]") ? path.length - 2 : -1)
  return cut <= 0 ? "" : path.slice(0, cut)
}

/**
 * The paths whose type differs, top-most only: when a path differs, what lies under it is not listed again (a
 * body against no body is one difference, not one per field).
 */
export const diffShapes = (left: Shape, right: Shape): ReadonlyArray<ShapeDifference> => {
  const paths = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()
  const differing = new Set(paths.filter((p) => left[p] !== right[p]))
  const covered = (path: string): boolean => {
    for (let p = parentOf(path); p !== undefined; p = parentOf(p)) if (differing.has(p)) return true
    return false
  }
  return paths
    .filter((p) => differing.has(p) && !covered(p))
    .map((path) => ({ path, left: left[path] ?? "(absent)", right: right[path] ?? "(absent)" }))
}
