/**
 * zod issues → readable English, one line per problem, each naming the dotted config path and what is
 * expected. Messages never echo input values (they may be secrets): they describe the value's shape instead.
 */
import type { z } from "zod"
import { describeValue, formatPath, toSegments, valueAt, type Segment, type Segments } from "./paths.ts"
import { descriptions, discriminatorValues, knownKeys, schemasAt, type Schema } from "./schemaWalk.ts"
import { closest, listWords } from "./suggest.ts"

export interface Problem {
  /** Full path segments (prefix included). */
  readonly segments: Segments
  readonly path: string
  readonly message: string
}

type Issue = z.core.$ZodIssue

export interface FormatContext {
  /** The schema the input was parsed with. */
  readonly schema: Schema
  /** The input that was parsed (for shapes, discriminators and hints; never printed). */
  readonly input: unknown
  /** Prepended to every path, e.g. `["source"]` for an adapter's config. */
  readonly prefix?: Segments
}

const article: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  bigint: "an integer",
  boolean: "true or false",
  object: "an object",
  record: "an object",
  array: "a list",
  tuple: "a list",
  null: "null",
  date: "a date",
  map: "an object",
  set: "a list"
}
const expectedName = (expected: string): string => article[expected] ?? `a ${expected}`

const sentence = (description: string): string => {
  const trimmed = description.trim().replace(/\.$/, "")
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1)
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

const sizeMessage = (issue: Issue & { code: "too_small" | "too_big" }): string => {
  const small = issue.code === "too_small"
  const bound = Number(small ? (issue as any).minimum : (issue as any).maximum)
  const inclusive = (issue as any).inclusive !== false
  const exact = (issue as any).exact === true
  switch (issue.origin) {
    case "string":
      if (small && bound === 1 && inclusive) return "must not be empty"
      if (exact) return `must be exactly ${plural(bound, "character")} long`
      return `must be at ${small ? "least" : "most"} ${plural(inclusive ? bound : small ? bound + 1 : bound - 1, "character")} long`
    case "array":
    case "set":
      if (small && bound === 1 && inclusive) return "must not be empty (list at least one item)"
      if (exact) return `must have exactly ${plural(bound, "item")}`
      return `must have at ${small ? "least" : "most"} ${plural(inclusive ? bound : small ? bound + 1 : bound - 1, "item")}`
    default:
      if (small) return inclusive ? `must be ${bound} or more` : `must be greater than ${bound}`
      return inclusive ? `must be ${bound} or less` : `must be less than ${bound}`
  }
}

const formatMessage = (issue: Issue & { code: "invalid_format" }): string => {
  const i = issue as any
  switch (i.format) {
    case "email":
      return "must be a valid email address"
    case "url":
      return "must be a URL, e.g. https://example.okta.com"
    case "regex":
      return `must match the pattern ${i.pattern}`
    case "starts_with":
      return `must start with ${JSON.stringify(i.prefix)}`
    case "ends_with":
      return `must end with ${JSON.stringify(i.suffix)}`
    case "includes":
      return `must contain ${JSON.stringify(i.includes)}`
    default:
      return `must be a valid ${i.format}`
  }
}

export const formatIssues = (issues: ReadonlyArray<Issue>, context: FormatContext): Array<Problem> => {
  const prefix = context.prefix ?? []
  const out: Array<Problem> = []
  const push = (relative: Segments, message: string): void => {
    const segments = [...prefix, ...relative]
    if (!out.some((p) => p.path === formatPath(segments) && p.message === message)) {
      out.push({ segments, path: formatPath(segments), message })
    }
  }
  const schemasFor = (relative: Segments): Array<Schema> => schemasAt(context.schema, relative, context.input)

  const hintFor = (key: string, known: ReadonlyArray<string>): string => {
    const hint = closest(key, known)
    if (hint !== undefined) return ` — did you mean ${JSON.stringify(hint)}?`
    return known.length > 0 && known.length <= 16 ? ` (known keys: ${known.join(", ")})` : ""
  }

  const required = (relative: Segments): string => {
    const found = descriptions(schemasFor(relative))
    return found.length > 0 ? `is required: ${sentence(found[0]!)}` : "is required"
  }

  /** Is this option's failure "wrong type" (as opposed to "right type, wrong details")? */
  const isShallowMismatch = (issues: ReadonlyArray<Issue>): boolean =>
    issues.some(
      (i) =>
        i.path.length === 0 &&
        (i.code === "invalid_type" || i.code === "custom" || i.code === "invalid_value")
    )

  const handleUnion = (issue: Issue & { code: "invalid_union" }, relative: Segments): void => {
    const i = issue as any
    const actual = valueAt(context.input, relative)
    if (typeof i.discriminator === "string") {
      const atDiscriminator = relative[relative.length - 1] === i.discriminator
      const unionPath = atDiscriminator ? relative.slice(0, -1) : relative
      const keyPath = [...unionPath, i.discriminator]
      const values = discriminatorValues(schemasFor(unionPath), i.discriminator)
      const given = valueAt(context.input, keyPath)
      const words = values.map(String)
      const hint = typeof given === "string" ? closest(given, words) : undefined
      push(
        keyPath,
        `${given === undefined ? "is required: " : "must be "}one of ${listWords(words)}${hint ? ` — did you mean ${JSON.stringify(hint)}?` : ""}`
      )
      return
    }
    if (actual === undefined) {
      push(relative, required(relative))
      return
    }
    const branches: ReadonlyArray<ReadonlyArray<Issue>> = i.errors ?? []
    const candidates = branches.filter((b) => !isShallowMismatch(b))
    if (candidates.length === 1) {
      for (const inner of candidates[0]!) handle(inner, relative)
      return
    }
    const found = descriptions(schemasFor(relative))
    let expected: string
    if (found.length > 0) expected = sentence(found[found.length - 1]!)
    else {
      const names = new Set<string>()
      for (const branch of branches)
        for (const inner of branch) {
          if (inner.path.length !== 0) continue
          if (inner.code === "invalid_type") names.add(expectedName(inner.expected))
          if (inner.code === "invalid_value") inner.values.forEach((v) => names.add(JSON.stringify(v)))
        }
      expected = names.size > 0 ? [...names].join(" or ") : "a different value"
    }
    let message = `expected ${expected}, got ${describeValue(actual)}`
    if (candidates.length > 1) {
      const unknown = new Set<string>()
      for (const branch of candidates)
        for (const inner of branch)
          if (inner.code === "unrecognized_keys" && inner.path.length === 0)
            inner.keys.forEach((k) => unknown.add(k))
      const known = knownKeys(schemasFor(relative), actual).filter((k) => !unknown.has(k))
      const hints = [...unknown].filter((k) =>
        candidates.every((b) => b.some((i) => i.code === "unrecognized_keys" && i.keys.includes(k)))
      )
      if (hints.length > 0)
        message += `; unknown key ${hints.map((k) => `${JSON.stringify(k)}${hintFor(k, known)}`).join(", ")}`
    }
    push(relative, message)
  }

  const handle = (issue: Issue, base: Segments): void => {
    const relative: Array<Segment> = [...base, ...toSegments(issue.path)]
    const actual = valueAt(context.input, relative)
    switch (issue.code) {
      case "invalid_type":
        if (actual === undefined) push(relative, required(relative))
        else push(relative, `expected ${expectedName(issue.expected)}, got ${describeValue(actual)}`)
        return
      case "invalid_value": {
        const words = issue.values.map((v) => (typeof v === "string" ? v : JSON.stringify(v)))
        const hint = typeof actual === "string" ? closest(actual, words) : undefined
        const list =
          issue.values.length === 1
            ? JSON.stringify(issue.values[0])
            : `one of ${listWords(issue.values.map(String))}`
        push(
          relative,
          `${actual === undefined ? "is required and must be" : "must be"} ${list}${hint ? ` — did you mean ${JSON.stringify(hint)}?` : ""}`
        )
        return
      }
      case "unrecognized_keys": {
        const known = knownKeys(schemasFor(relative), actual)
        for (const key of issue.keys)
          push([...relative, key], `unknown key ${JSON.stringify(key)}${hintFor(key, known)}`)
        return
      }
      case "invalid_union":
        handleUnion(issue, relative)
        return
      case "too_small":
      case "too_big":
        push(relative, sizeMessage(issue))
        return
      case "invalid_format":
        push(relative, formatMessage(issue))
        return
      case "not_multiple_of":
        push(relative, `must be a multiple of ${String(issue.divisor)}`)
        return
      case "invalid_key":
        for (const inner of issue.issues) {
          const nested = formatIssues([inner], { schema: context.schema, input: undefined })
          for (const p of nested) push(relative, `key ${p.message}`)
        }
        return
      case "invalid_element":
        for (const inner of issue.issues) handle(inner, relative)
        return
      case "custom":
      default: {
        const text = issue.message
        if (text === "" || text === "Invalid input") {
          const found = descriptions(schemasFor(relative))
          push(
            relative,
            found.length > 0 ? `is not valid: expected ${sentence(found[found.length - 1]!)}` : "is not valid"
          )
        } else push(relative, text)
      }
    }
  }

  for (const issue of issues) handle(issue, [])
  return out
}
