/**
 * A synchronous evaluator for a small, common subset of JSONata, compiled from jsonata's own AST.
 *
 * jsonata 2.x evaluates asynchronously (every node is awaited): ~130k rows/s per expression. Mapping
 * and filter expressions are mostly tiny (`first & ' ' & last`, `status = 'active'`,
 * `$lowercase(dept)`), so we evaluate those synchronously and give every case we do not replicate
 * exactly back to jsonata: the compiled function returns `NEEDS_ASYNC` (for the whole expression, for
 * this row) whenever a value falls outside the subset (arrays, objects in operators, type errors, …).
 * A property test checks this evaluator against jsonata itself.
 *
 * Supported nodes: string/number/true/false/null literals; paths of plain names (`a`, `a.b`,
 * `` `Employee ID` ``); `&`; `=` `!=`; `<` `<=` `>` `>=`; `and` `or`; `c ? a : b`; `(x)`;
 * `$lowercase` `$uppercase` `$trim` `$string` `$exists` `$not` `$boolean` with one argument.
 */
import type jsonata from "jsonata"

export const NEEDS_ASYNC: unique symbol = Symbol.for("@anysource/core/jsonata/NEEDS_ASYNC")
export type SyncEval = (input: Readonly<Record<string, unknown>>) => unknown

type Node = jsonata.ExprNode & Record<string, unknown>

const hasOnly = (node: Node, allowed: ReadonlyArray<string>): boolean => {
  for (const k of Object.keys(node)) if (node[k] !== undefined && !allowed.includes(k)) return false
  return true
}

const hasOwn = Object.prototype.hasOwnProperty

/** JSONata's effective boolean value, for the values we handle; NEEDS_ASYNC otherwise. */
const toBoolean = (v: unknown): boolean | undefined | typeof NEEDS_ASYNC => {
  if (v === undefined) return undefined
  if (typeof v === "string") return v.length > 0
  if (typeof v === "boolean") return v
  if (v === null) return false
  if (typeof v === "number") {
    if (Number.isNaN(v)) return false
    if (!Number.isFinite(v)) return NEEDS_ASYNC
    return v !== 0
  }
  return NEEDS_ASYNC
}

/** JSONata's `$string` for primitives; NEEDS_ASYNC otherwise. */
const toStr = (v: unknown): string | undefined | typeof NEEDS_ASYNC => {
  if (v === undefined) return undefined
  if (typeof v === "string") return v
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return NEEDS_ASYNC
    return String(Number.isInteger(v) ? v : Number(v.toPrecision(15)))
  }
  if (typeof v === "boolean") return v ? "true" : "false"
  if (v === null) return "null"
  return NEEDS_ASYNC
}

const isPrimitive = (v: unknown): boolean =>
  v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))

const jsonataTrim = (s: string): string => {
  let r = s.replace(/[ \t\n\r]+/gm, " ")
  if (r.charAt(0) === " ") r = r.substring(1)
  if (r.charAt(r.length - 1) === " ") r = r.substring(0, r.length - 1)
  return r
}

const unaryFunctions: Record<string, (v: unknown) => unknown> = {
  lowercase: (v) => (v === undefined ? undefined : typeof v === "string" ? v.toLowerCase() : NEEDS_ASYNC),
  uppercase: (v) => (v === undefined ? undefined : typeof v === "string" ? v.toUpperCase() : NEEDS_ASYNC),
  trim: (v) => (v === undefined ? undefined : typeof v === "string" ? jsonataTrim(v) : NEEDS_ASYNC),
  string: (v) => toStr(v),
  exists: (v) => v !== undefined,
  not: (v) => {
    const b = toBoolean(v)
    return b === undefined || b === NEEDS_ASYNC ? b : !b
  },
  boolean: (v) => toBoolean(v)
}

/**
 * Compile `node` to a synchronous evaluator, or `undefined` when it uses anything outside the subset. The names of
 * the input's properties the paths start from are added to `reads` (so a caller knows what the value depends on).
 */
export const compileSync = (root: jsonata.ExprNode, reads?: Set<string>): SyncEval | undefined => {
  const go = (n: jsonata.ExprNode): SyncEval | undefined => {
    const node = n as Node
    switch (node.type) {
      case "string":
      case "number":
      case "value": {
        if (!hasOnly(node, ["type", "value", "position"])) return undefined
        const v: unknown = node.value
        if (!(v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean")) return undefined
        return () => v
      }
      case "path" as jsonata.ExprNode["type"]: {
        if (!hasOnly(node, ["type", "steps"]) || !Array.isArray(node.steps) || node.steps.length === 0) return undefined
        const names: Array<string> = []
        for (const step of node.steps as Array<Node>) {
          if (step.type !== "name" || !hasOnly(step, ["type", "value", "position"]) || typeof step.value !== "string")
            return undefined
          names.push(step.value)
        }
        reads?.add(names[0]!)
        return (input) => {
          let cur: unknown = input
          for (const name of names) {
            if (cur === null || typeof cur !== "object") return undefined
            if (Array.isArray(cur)) return NEEDS_ASYNC
            if (!hasOwn.call(cur, name)) return undefined
            cur = (cur as Record<string, unknown>)[name]
          }
          if (Array.isArray(cur) || typeof cur === "function") return NEEDS_ASYNC
          return cur
        }
      }
      case "block": {
        if (!hasOnly(node, ["type", "position", "expressions"])) return undefined
        const exprs = node.expressions
        if (!Array.isArray(exprs) || exprs.length !== 1) return undefined
        return go(exprs[0]!)
      }
      case "condition": {
        if (!hasOnly(node, ["type", "position", "condition", "then", "else"])) return undefined
        const cond = go(node.condition as jsonata.ExprNode)
        const then = go(node.then as jsonata.ExprNode)
        const otherwise = node.else === undefined ? () => undefined : go(node.else as jsonata.ExprNode)
        if (!cond || !then || !otherwise) return undefined
        return (input) => {
          const c = cond(input)
          if (c === NEEDS_ASYNC) return NEEDS_ASYNC
          const b = toBoolean(c)
          if (b === NEEDS_ASYNC) return NEEDS_ASYNC
          return b ? then(input) : otherwise(input)
        }
      }
      case "function": {
        if (!hasOnly(node, ["type", "value", "position", "arguments", "procedure"])) return undefined
        const proc = node.procedure as Node | undefined
        if (!proc || proc.type !== "variable" || !hasOnly(proc, ["type", "value", "position"])) return undefined
        const fn = typeof proc.value === "string" && hasOwn.call(unaryFunctions, proc.value) ? unaryFunctions[proc.value] : undefined
        const args = node.arguments
        if (!fn || !Array.isArray(args) || args.length !== 1) return undefined
        const arg = go(args[0]!)
        if (!arg) return undefined
        return (input) => {
          const v = arg(input)
          return v === NEEDS_ASYNC ? NEEDS_ASYNC : fn(v)
        }
      }
      case "binary": {
        if (!hasOnly(node, ["type", "value", "position", "lhs", "rhs"])) return undefined
        const lhs = go(node.lhs as jsonata.ExprNode)
        const rhs = go(node.rhs as jsonata.ExprNode)
        if (!lhs || !rhs) return undefined
        switch (node.value) {
          case "&":
            return (input) => {
              const l = lhs(input)
              if (l === NEEDS_ASYNC) return NEEDS_ASYNC
              const r = rhs(input)
              if (r === NEEDS_ASYNC) return NEEDS_ASYNC
              const ls = toStr(l)
              const rs = toStr(r)
              if (ls === NEEDS_ASYNC || rs === NEEDS_ASYNC) return NEEDS_ASYNC
              return (ls ?? "") + (rs ?? "")
            }
          case "=":
          case "!=": {
            const negate = node.value === "!="
            return (input) => {
              const l = lhs(input)
              if (l === NEEDS_ASYNC) return NEEDS_ASYNC
              const r = rhs(input)
              if (r === NEEDS_ASYNC) return NEEDS_ASYNC
              if (l === undefined || r === undefined) return false
              if (!isPrimitive(l) || !isPrimitive(r)) return NEEDS_ASYNC
              return negate ? l !== r : l === r
            }
          }
          case "<":
          case "<=":
          case ">":
          case ">=": {
            const op = node.value
            return (input) => {
              const l = lhs(input)
              if (l === NEEDS_ASYNC) return NEEDS_ASYNC
              const r = rhs(input)
              if (r === NEEDS_ASYNC) return NEEDS_ASYNC
              const lt = typeof l
              const rt = typeof r
              const lok = lt === "undefined" || lt === "string" || (lt === "number" && Number.isFinite(l))
              const rok = rt === "undefined" || rt === "string" || (rt === "number" && Number.isFinite(r))
              if (!lok || !rok) return NEEDS_ASYNC
              if (l === undefined || r === undefined) return undefined
              if (lt !== rt) return NEEDS_ASYNC
              const a = l as string | number
              const b = r as string | number
              return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b
            }
          }
          case "and":
          case "or": {
            const isAnd = node.value === "and"
            return (input) => {
              const l = lhs(input)
              if (l === NEEDS_ASYNC) return NEEDS_ASYNC
              const lb = toBoolean(l)
              if (lb === NEEDS_ASYNC) return NEEDS_ASYNC
              if (isAnd ? !lb : lb === true) return !isAnd
              const r = rhs(input)
              if (r === NEEDS_ASYNC) return NEEDS_ASYNC
              const rb = toBoolean(r)
              if (rb === NEEDS_ASYNC) return NEEDS_ASYNC
              return rb ?? false
            }
          }
          default:
            return undefined
        }
      }
      default:
        return undefined
    }
  }
  return go(root)
}
