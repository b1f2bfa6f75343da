/**
 * Filter: which source rows become Okta records. Either one JSONata expression (its rule name is
 * `filter`) or named rules `[{name, include}]`, checked in order: the first rule that yields `false`
 * excludes the row and is reported as the reason. Every rule must yield a boolean: anything else is a
 * config mistake and stops the run at the first row where it happens, naming the rule.
 *
 * Rules see the raw source row (column names as the source gives them), not the mapped profile.
 */
import { Effect } from "effect"
import type { FilterConfig } from "../config/Config.ts"
import { ConfigError, type RecordIssue } from "../domain/Errors.ts"
import * as Expr from "./Expr.ts"
import { all, map, type Maybe } from "./Maybe.ts"
import { describeValue } from "./Mapping.ts"
import type { SourceRow } from "../domain/Model.ts"

export interface Rule {
  readonly name: string
  readonly path: string
  readonly expr: Expr.Compiled
}

export interface Filter {
  readonly rules: ReadonlyArray<Rule>
}

/** The rule name used when `filter` is a single expression. */
export const defaultRuleName = "filter"

export const none: Filter = { rules: [] }

export const compile = (config: FilterConfig | undefined): Effect.Effect<Filter, ConfigError> =>
  Effect.gen(function* () {
    if (config === undefined) return none
    if (typeof config === "string") return { rules: [{ name: defaultRuleName, path: "filter", expr: yield* Expr.compileExpression(config, "filter") }] }
    const seen = new Set<string>()
    const rules: Array<Rule> = []
    for (let i = 0; i < config.length; i++) {
      const r = config[i]!
      if (seen.has(r.name))
        return yield* Effect.fail(
          new ConfigError({ reason: "Invalid", path: `filter[${i}].name`, message: `filter[${i}].name: rule name "${r.name}" is used twice; names are the reasons reported for excluded rows` })
        )
      seen.add(r.name)
      rules.push({ name: r.name, path: `filter[${i}].include`, expr: yield* Expr.compileExpression(r.include, `filter[${i}].include`) })
    }
    return { rules }
  })

export type Outcome =
  | { readonly _tag: "Included" }
  | { readonly _tag: "Excluded"; readonly rule: string }
  /** A rule failed at runtime for this row: the row cannot be classified (it is held, never deactivated). */
  | { readonly _tag: "Failed"; readonly issue: RecordIssue }
  | { readonly _tag: "Fatal"; readonly error: ConfigError }

const INCLUDED: Outcome = { _tag: "Included" }

/** Classify one row. All rules are evaluated; the first non-`true` one (in order) decides. */
export const apply = (filter: Filter, row: SourceRow): Maybe<Outcome> => {
  const rules = filter.rules
  if (rules.length === 0) return INCLUDED
  if (rules.length === 1) return map(rules[0]!.expr.evaluate(row.data), (v) => decide(rules, [v], row))
  const raws: Array<unknown> = new Array(rules.length)
  for (let i = 0; i < rules.length; i++) raws[i] = rules[i]!.expr.evaluate(row.data)
  return map(all(raws), (vs) => decide(rules, vs, row))
}

const decide = (rules: ReadonlyArray<Rule>, values: ReadonlyArray<unknown>, row: SourceRow): Outcome => {
  for (let i = 0; i < rules.length; i++) {
    const v = values[i]
    const rule = rules[i]!
    if (v === true) continue
    if (v === false) return { _tag: "Excluded", rule: rule.name }
    if (Expr.isEvalError(v))
      return {
        _tag: "Failed",
        issue: {
          kind: "mapping",
          location: row.location,
          field: rule.path,
          message: `filter rule "${rule.name}" failed${v.code ? ` (${v.code})` : ""}: ${v.message}`
        }
      }
    return {
      _tag: "Fatal",
      error: new ConfigError({
        reason: "Invalid",
        path: rule.path,
        message: `${rule.path}: filter rule "${rule.name}" must yield true or false, but yielded ${describeValue(v)} for row ${row.location}; compare explicitly (e.g. status = 'active') or wrap it in $boolean(...)`
      })
    }
  }
  return INCLUDED
}
