/**
 * Config value expressions (`ValueExpr`), compiled once per run into evaluators.
 *
 * - a plain identifier (`email`, `first_name`) or `{ column }` copies that column (synchronous fast path);
 * - `{ const }` is a literal;
 * - any other string, or `{ expr }`, is a JSONata expression. Common small expressions run on a
 *   synchronous evaluator (see `internal/jsonataSync.ts`); anything else, per row, on jsonata's async one.
 *
 * An evaluator never throws and never rejects: a runtime failure is returned as an `EvalError` value.
 */
import { Effect } from "effect"
import type jsonataType from "jsonata"
import type { ValueExpr } from "../config/Config.ts"
import { ConfigError } from "../domain/Errors.ts"
import { compileSync, NEEDS_ASYNC } from "./internal/jsonataSync.ts"

/** A runtime failure of one expression on one row (a JSONata error, e.g. T2009 type mismatch). */
export class EvalError {
  readonly _tag = "EvalError"
  constructor(
    readonly message: string,
    readonly code?: string,
    readonly position?: number
  ) {}
}

export type Row = Readonly<Record<string, unknown>>

export interface Compiled {
  /** Config path, e.g. `mapping.profile.email`. */
  readonly path: string
  /** What was configured: `column "Employee ID"`, `const "x"` or the expression text. */
  readonly source: string
  readonly kind: "column" | "const" | "expression"
  /** For `kind: "column"`: the column it copies. */
  readonly column?: string
  /** True when every evaluation is synchronous (never returns a Promise). */
  readonly alwaysSync: boolean
  /**
   * The row's columns the value is a function of, when it depends on nothing else (a column copy, a constant, an
   * expression of plain column paths in the synchronous subset): equal values in these columns give an equal value.
   */
  readonly columns?: ReadonlyArray<string>
  /** The value for `row`, an `EvalError`, or a Promise of either (only for expressions outside the sync subset). */
  readonly evaluate: (row: Row) => unknown
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/
const literalWords = new Set(["true", "false", "null"])

/** A config string that copies a column: a plain identifier that is not a JSONata literal (`true`, `false`, `null`). */
export const isColumnName = (s: string): boolean => identifier.test(s) && !literalWords.has(s)

export const isEvalError = (u: unknown): u is EvalError => u instanceof EvalError

const hasOwn = Object.prototype.hasOwnProperty

const column = (name: string, path: string): Compiled => ({
  path,
  source: `column ${JSON.stringify(name)}`,
  kind: "column",
  column: name,
  alwaysSync: true,
  columns: [name],
  evaluate: (row) => (hasOwn.call(row, name) ? row[name] : undefined)
})

const describe = (e: unknown): { message: string; code?: string; position?: number } => {
  if (typeof e === "object" && e !== null) {
    const o = e as { message?: unknown; code?: unknown; position?: unknown }
    return {
      message: typeof o.message === "string" ? o.message : String(e),
      ...(typeof o.code === "string" ? { code: o.code } : {}),
      ...(typeof o.position === "number" ? { position: o.position } : {})
    }
  }
  return { message: String(e) }
}

const toEvalError = (e: unknown): EvalError => {
  const d = describe(e)
  return new EvalError(d.message, d.code, d.position)
}

let jsonata: typeof jsonataType | undefined

/**
 * Load JSONata (once per process). It is loaded only when a config has an expression, so a config that only copies
 * columns never pays for it; `compileExpression` loads it first. Synchronous once loaded.
 */
export const loadJsonata: Effect.Effect<void> = Effect.suspend(() =>
  jsonata !== undefined
    ? Effect.void
    : Effect.promise(() => import("jsonata")).pipe(
        Effect.map((m) => {
          jsonata = (m as unknown as { default?: typeof jsonataType }).default ?? (m as unknown as typeof jsonataType)
        })
      )
)

/** Compile a JSONata expression (always JSONata, even a plain identifier). Syntax errors name `path` and the position. */
export const compileExpression = (source: string, path: string): Effect.Effect<Compiled, ConfigError> =>
  Effect.zipRight(loadJsonata, compileLoaded(source, path))

const compileLoaded = (source: string, path: string): Effect.Effect<Compiled, ConfigError> =>
  Effect.try({
    try: () => jsonata!(source),
    catch: (e) => {
      const d = describe(e)
      const where = d.position !== undefined ? ` at position ${d.position}` : ""
      return new ConfigError({
        reason: "Invalid",
        path,
        message: `${path}: invalid JSONata expression${where}: ${d.message}${d.code ? ` (${d.code})` : ""} in ${JSON.stringify(source)}`
      })
    }
  }).pipe(
    Effect.map((expression): Compiled => {
      const slow = (row: Row): Promise<unknown> => expression.evaluate(row).then((v) => v, toEvalError)
      const reads = new Set<string>()
      const fast = compileSync(expression.ast(), reads)
      if (fast === undefined) return { path, source, kind: "expression", alwaysSync: false, evaluate: slow }
      return {
        path,
        source,
        kind: "expression",
        alwaysSync: false,
        columns: [...reads].sort(),
        evaluate: (row) => {
          const v = fast(row)
          return v === NEEDS_ASYNC ? slow(row) : v
        }
      }
    })
  )

/** Compile a mapping value: column copy, constant, or JSONata expression. */
export const compile = (expr: ValueExpr, path: string): Effect.Effect<Compiled, ConfigError> => {
  if (typeof expr === "string") return isColumnName(expr) ? Effect.succeed(column(expr, path)) : compileExpression(expr, path)
  if ("column" in expr) return Effect.succeed(column(expr.column, path))
  if ("const" in expr) {
    const value = expr.const
    return Effect.succeed({ path, source: `const ${JSON.stringify(value)}`, kind: "const", alwaysSync: true, columns: [], evaluate: () => value })
  }
  return compileExpression(expr.expr, path)
}
