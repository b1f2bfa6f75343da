/**
 * Walks zod (v4) schemas by config path, the way the input is shaped: which keys an object knows, which values a
 * discriminator takes, what a field's description says. Used for "did you mean" hints and readable union errors.
 */
import { z } from "zod"
import { isPlainObject, type Segment, type Segments } from "./paths.ts"

export type Schema = z.core.$ZodType

const defOf = (schema: Schema): any => (schema as any)._zod.def
const wrappers = new Set([
  "optional",
  "nullable",
  "default",
  "prefault",
  "readonly",
  "catch",
  "nonoptional",
  "success"
])

/** Metadata of this schema and the schemas it was cloned from (`.meta()`, `.describe()`), outermost first. */
const metaChain = (schema: Schema): Array<Record<string, unknown>> => {
  const out: Array<Record<string, unknown>> = []
  let current: Schema | undefined = schema
  while (current !== undefined) {
    const meta = z.globalRegistry.get(current as z.ZodType)
    if (meta !== undefined) out.push(meta as Record<string, unknown>)
    current = (current as any)._zod.parent
  }
  return out
}

/** Peels optional/default/pipe/lazy layers (the input side of a pipe), collecting metadata on the way. */
export const unwrap = (
  schema: Schema
): { readonly schema: Schema; readonly meta: ReadonlyArray<Record<string, unknown>> } => {
  const meta: Array<Record<string, unknown>> = []
  let current = schema
  for (let guard = 0; guard < 64; guard++) {
    meta.push(...metaChain(current))
    const def = defOf(current)
    if (wrappers.has(def.type)) current = def.innerType
    else if (def.type === "pipe") current = defOf(def.in).type === "transform" ? def.out : def.in
    else if (def.type === "lazy") current = def.getter()
    else break
  }
  return { schema: current, meta }
}

export const typeOf = (schema: Schema): string => defOf(unwrap(schema).schema).type

/** The options of a union that the raw value can belong to (by discriminator when there is one). */
const unionOptions = (schema: Schema, raw: unknown): ReadonlyArray<Schema> => {
  const def = defOf(schema)
  const options: ReadonlyArray<Schema> = def.options
  const discriminator: string | undefined = def.discriminator
  if (discriminator === undefined || !isPlainObject(raw) || raw[discriminator] === undefined) return options
  const matching = options.filter((option) => {
    const values: Set<unknown> | undefined = (unwrap(option).schema as any)._zod.propValues?.[discriminator]
    return values?.has(raw[discriminator]) ?? false
  })
  return matching.length > 0 ? matching : options
}

/** The schemas that validate `raw[key]` when `schema` validates `raw`. */
export const children = (schema: Schema, key: Segment, raw: unknown): Array<Schema> => {
  const inner = unwrap(schema).schema
  const def = defOf(inner)
  switch (def.type) {
    case "object": {
      const field = def.shape[key]
      if (field !== undefined) return [field]
      return def.catchall !== undefined && defOf(def.catchall).type !== "never" ? [def.catchall] : []
    }
    case "record":
      return [def.valueType]
    case "array":
      return [def.element]
    case "tuple":
      return typeof key === "number" && def.items[key] !== undefined
        ? [def.items[key]]
        : def.rest
          ? [def.rest]
          : []
    case "union":
      return unionOptions(inner, raw).flatMap((option) => children(option, key, raw))
    case "intersection":
      return [...children(def.left, key, raw), ...children(def.right, key, raw)]
    default:
      return []
  }
}

/** Every schema that may validate the value at `segments` (several when unions are on the way). */
export const schemasAt = (root: Schema, segments: Segments, input: unknown): Array<Schema> => {
  let current: Array<Schema> = [root]
  let raw = input
  for (const segment of segments) {
    current = current.flatMap((schema) => children(schema, segment, raw))
    raw = raw !== null && typeof raw === "object" ? (raw as Record<Segment, unknown>)[segment] : undefined
    if (current.length === 0) break
  }
  return current
}

/** Keys an object schema (or a union of them) accepts. Empty when any key is allowed or unknown. */
export const knownKeys = (schemas: ReadonlyArray<Schema>, raw: unknown): Array<string> => {
  const keys = new Set<string>()
  const visit = (schema: Schema): void => {
    const inner = unwrap(schema).schema
    const def = defOf(inner)
    if (def.type === "object") Object.keys(def.shape).forEach((k) => keys.add(k))
    else if (def.type === "union") unionOptions(inner, raw).forEach(visit)
    else if (def.type === "intersection") {
      visit(def.left)
      visit(def.right)
    }
  }
  schemas.forEach(visit)
  return [...keys]
}

/** Values a discriminated union accepts for its discriminator, e.g. `["ssws", "oauth"]`. */
export const discriminatorValues = (
  schemas: ReadonlyArray<Schema>,
  discriminator: string
): Array<unknown> => {
  const values: Array<unknown> = []
  for (const schema of schemas) {
    const inner = unwrap(schema).schema
    if (defOf(inner).type !== "union") continue
    for (const option of defOf(inner).options as ReadonlyArray<Schema>) {
      const set: Set<unknown> | undefined = (unwrap(option).schema as any)._zod.propValues?.[discriminator]
      set?.forEach((v) => values.includes(v) || values.push(v))
    }
  }
  return values
}

/** Descriptions found on the way in, outermost (the field's) first, innermost (the type's) last. */
export const descriptions = (schemas: ReadonlyArray<Schema>): Array<string> =>
  schemas.flatMap((schema) =>
    unwrap(schema).meta.flatMap((m) =>
      typeof m["description"] === "string" ? [m["description"] as string] : []
    )
  )

export const isSecret = (schemas: ReadonlyArray<Schema>): boolean =>
  schemas.some((schema) => unwrap(schema).meta.some((m) => m["x-secret"] === true))

/** Primitive types the schema accepts at the top ("string", "number", "boolean", …). */
export const acceptedTypes = (schemas: ReadonlyArray<Schema>): Set<string> => {
  const out = new Set<string>()
  const visit = (schema: Schema): void => {
    const inner = unwrap(schema).schema
    const def = defOf(inner)
    if (def.type === "union") (def.options as ReadonlyArray<Schema>).forEach(visit)
    else if (def.type === "literal") (def.values as ReadonlyArray<unknown>).forEach((v) => out.add(typeof v))
    else if (def.type === "enum") Object.values(def.entries).forEach((v) => out.add(typeof v))
    else out.add(def.type === "int" ? "number" : def.type)
  }
  schemas.forEach(visit)
  return out
}
