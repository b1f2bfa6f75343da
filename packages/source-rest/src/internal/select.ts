/**
 * Selectors into a JSON page: JSONPath (`$.data.items[*]`, through jsonpath-plus with its safe evaluator, never
 * `eval`) or JSON Pointer (RFC 6901, `/data/items`, through @swaggerexpert/json-pointer).
 *
 * Finding the records is deliberately strict: a page whose records array is *missing* (an error body served
 * with 200, a renamed field) is a decode error, never "an empty page", because an empty page ends the read
 * and a truncated read could deactivate people.
 */
import { evaluate as evaluatePointer, testJSONPointer } from "@swaggerexpert/json-pointer"
import { JSONPath } from "jsonpath-plus"

export type SelectorKind = "jsonpath" | "pointer"

export const selectorKind = (text: string): SelectorKind | undefined =>
  text.startsWith("$") ? "jsonpath" : text === "" || text.startsWith("/") ? "pointer" : undefined

/** A readable problem with a selector, or undefined when it is valid. */
export const selectorProblem = (text: string): string | undefined => {
  const kind = selectorKind(text)
  if (kind === undefined) {
    return "expected a JSONPath starting with `$` (e.g. `$.data.items[*]`) or a JSON Pointer starting with `/` (e.g. `/data/items`)"
  }
  if (kind === "pointer") return testJSONPointer(text) ? undefined : "not a valid JSON Pointer (RFC 6901)"
  try {
    const path = JSONPath.toPathArray(text)
    if (path[0] !== "$") return "not a valid JSONPath"
    queryPath(text, {})
    return undefined
  } catch (error) {
    return `not a valid JSONPath (${error instanceof Error ? error.message : String(error)})`
  }
}

const queryPath = (path: string, json: unknown): Array<unknown> => {
  const result: unknown = JSONPath({ path, json: json as object, eval: "safe", wrap: true })
  return Array.isArray(result) ? result : []
}

const isNotFound = (error: unknown): boolean =>
  error instanceof Error && /JSONPointer(Key|Index|Type)Error/.test(error.constructor.name)

/** Every value the selector matches (a JSON Pointer matches at most one). */
export const selectAll = (selector: string, json: unknown): ReadonlyArray<unknown> => {
  if (selectorKind(selector) === "jsonpath") return queryPath(selector, json)
  try {
    return [evaluatePointer(json, selector)]
  } catch (error) {
    if (isNotFound(error)) return []
    throw error
  }
}

/** The first value the selector matches, or undefined. */
export const selectOne = (selector: string, json: unknown): unknown => selectAll(selector, json)[0]

export type RecordsResult =
  | { readonly _tag: "Records"; readonly records: ReadonlyArray<unknown> }
  | { readonly _tag: "Missing"; readonly message: string }

const missing = (message: string): RecordsResult => ({ _tag: "Missing", message })

/**
 * The records of a page. The selector names the array (`/data/items`, `$.data.items`) or its elements
 * (`$.data.items[*]`, `$.people[?(@.active)]`); either way the array itself must be present.
 */
export const selectRecords = (selector: string, json: unknown): RecordsResult => {
  if (selectorKind(selector) === "pointer") {
    const found = selectAll(selector, json)
    if (found.length === 0) return missing(`no value at ${describe(selector)}`)
    const value = found[0]
    return Array.isArray(value)
      ? { _tag: "Records", records: value }
      : missing(`${describe(selector)} is ${kindOf(value)}, expected an array of records`)
  }
  const path = JSONPath.toPathArray(selector)
  const last = path[path.length - 1] ?? "$"
  if (path.length > 1 && (last === "*" || last.startsWith("?("))) {
    // `…[*]` / `…[?(…)]`: the container must exist and be an array, even when no element matches.
    const container = JSONPath.toPathString(path.slice(0, -1))
    // shown as the user wrote it: `$.data.items[*]` → `$.data.items`
    const shown = selector.replace(/(\[\*\]|\.\*|\[\?\(.*\)\])$/, "")
    const label = shown !== selector && shown.length > 0 ? shown : container
    const containers = queryPath(container, json)
    if (containers.length === 0) return missing(`no value at ${describe(label)}`)
    const bad = containers.find((c) => !Array.isArray(c))
    if (bad !== undefined) return missing(`${describe(label)} is ${kindOf(bad)}, expected an array of records`)
    return { _tag: "Records", records: queryPath(selector, json) }
  }
  const found = queryPath(selector, json)
  if (found.length === 0) return missing(`no value at ${describe(selector)}`)
  if (found.length === 1) {
    const value = found[0]
    return Array.isArray(value)
      ? { _tag: "Records", records: value }
      : missing(`${describe(selector)} is ${kindOf(value)}, expected an array of records`)
  }
  return { _tag: "Records", records: found }
}

const describe = (selector: string) => (selector === "" ? "the response body" : `\`${selector}\``)

export const kindOf = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : typeof value === "object"
        ? "an object"
        : `a ${typeof value}`

/** Per-record field selection: `["id", "email"]` keeps those keys; `{ out: selector }` renames/extracts. */
export type Fields = ReadonlyArray<string> | Readonly<Record<string, string>>

export const applyFields = (fields: Fields | undefined, record: Record<string, unknown>): Record<string, unknown> => {
  if (fields === undefined) return record
  const out: Record<string, unknown> = {}
  if (Array.isArray(fields)) {
    for (const name of fields as ReadonlyArray<string>) out[name] = name in record ? record[name] : null
    return out
  }
  for (const [name, selector] of Object.entries(fields as Readonly<Record<string, string>>)) {
    if (selectorKind(selector) === undefined) {
      out[name] = Object.hasOwn(record, selector) ? record[selector] : null
      continue
    }
    const values = selectAll(selector, record)
    out[name] = values.length === 0 ? null : values.length === 1 ? values[0] : values
  }
  return out
}
