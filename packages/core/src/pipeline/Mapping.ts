/**
 * Mapping: a source row → `{externalId, profile, groups}` using `config.mapping` and `config.groups`,
 * with values normalized (see `Normalize`). Expressions are compiled once (`compile`); evaluation is
 * synchronous unless an expression needs JSONata's async evaluator for that row (`Maybe`).
 *
 * Group derivation: every `GroupRule` yields, per row, a group `{externalId, displayName, description}`
 * and the row's user joins it when `when` is true (no `when` = always). A rule whose externalId is empty
 * for a row yields no group for that row. `when` must yield a boolean (anything else is a config error).
 */
import { Effect } from "effect"
import type { GroupRule, MappingConfig, PipelineConfig } from "../config/Config.ts"
import { ConfigError, type RecordIssue } from "../domain/Errors.ts"
import * as Expr from "./Expr.ts"
import { all, isPromise, map, type Maybe } from "./Maybe.ts"
import type { SourceRow } from "../domain/Model.ts"
import * as Normalize from "./Normalize.ts"

export interface CompiledGroupRule {
  readonly index: number
  /** `name` or `groups[i]`, for messages. */
  readonly label: string
  readonly externalId: Expr.Compiled
  readonly displayName: Expr.Compiled
  readonly description?: Expr.Compiled
  readonly when?: Expr.Compiled
}

export interface Mapping {
  readonly externalId: Expr.Compiled
  /** Profile attributes, sorted; `values[i]` computes `fields[i]`. */
  readonly fields: ReadonlyArray<string>
  readonly values: ReadonlyArray<Expr.Compiled>
  readonly groups: ReadonlyArray<CompiledGroupRule>
  readonly userOptions: Normalize.Options
  readonly groupOptions: Normalize.Options
}

export const compile = (
  config: Pick<PipelineConfig, "mapping" | "groups" | "normalize" | "schema">
): Effect.Effect<Mapping, ConfigError> =>
  Effect.gen(function* () {
    const mapping: MappingConfig = config.mapping
    const externalId = yield* Expr.compile(mapping.externalId, "mapping.externalId")
    const fields = Object.keys(mapping.profile).sort()
    const values: Array<Expr.Compiled> = []
    for (const f of fields) values.push(yield* Expr.compile(mapping.profile[f]!, `mapping.profile.${f}`))
    const groups: Array<CompiledGroupRule> = []
    for (let i = 0; i < config.groups.length; i++) {
      const rule: GroupRule = config.groups[i]!
      const p = `groups[${i}]`
      const description = rule.description === undefined ? undefined : yield* Expr.compile(rule.description, `${p}.description`)
      const when = rule.when === undefined ? undefined : yield* Expr.compileExpression(rule.when, `${p}.when`)
      groups.push({
        index: i,
        label: rule.name ?? p,
        externalId: yield* Expr.compile(rule.externalId, `${p}.externalId`),
        displayName: yield* Expr.compile(rule.displayName, `${p}.displayName`),
        ...(description ? { description } : {}),
        ...(when ? { when } : {})
      })
    }
    return {
      externalId,
      fields,
      values,
      groups,
      userOptions: Normalize.userOptions(config),
      groupOptions: Normalize.groupOptions(config)
    }
  })

const evalIssue = (compiled: Expr.Compiled, error: Expr.EvalError, row: SourceRow, field: string, externalId?: string): RecordIssue => ({
  kind: "mapping",
  location: row.location,
  field,
  message: `${compiled.path}: expression failed${error.code ? ` (${error.code}` : ""}${
    error.position !== undefined ? `${error.code ? ", " : " ("}at position ${error.position})` : error.code ? ")" : ""
  }: ${error.message}`,
  ...(externalId !== undefined ? { externalId } : {})
})

/** A normalized externalId, or the issue that prevents one. */
export type ExternalIdResult = string | { readonly issue: RecordIssue }

/** Evaluate and normalize the externalId (trim + NFC; never lower-cased). Empty is an issue. */
export const externalId = (mapping: Mapping, row: SourceRow): Maybe<ExternalIdResult> => {
  const raw = mapping.externalId.evaluate(row.data)
  return isPromise(raw) ? raw.then((r) => toExternalId(mapping, row, r)) : toExternalId(mapping, row, raw)
}

const toExternalId = (mapping: Mapping, row: SourceRow, raw: unknown): ExternalIdResult => {
  if (typeof raw === "string") {
    const s = Normalize.string(raw, true)
    if (s.length > 0) return s
  }
  if (Expr.isEvalError(raw)) return { issue: evalIssue(mapping.externalId, raw, row, "externalId") }
  const n = Normalize.value(raw, "externalId", Normalize.idOptions)
  if (n instanceof Normalize.Failure)
    return { issue: { kind: "mapping", location: row.location, field: "externalId", message: `externalId ${n.message}` } }
  if (n === null) return { issue: { kind: "invalid", location: row.location, field: "externalId", message: "externalId is empty" } }
  return n
}

/** A normalized profile (keys sorted), or the issues that prevent one. */
export type MappedProfile = Record<string, string | null> | ReadonlyArray<RecordIssue>

export const isProfile = (p: MappedProfile): p is Record<string, string | null> => !Array.isArray(p)

/** Evaluate and normalize the user profile. */
export const profile = (mapping: Mapping, row: SourceRow, externalId?: string): Maybe<MappedProfile> => {
  const n = mapping.values.length
  const raws: Array<unknown> = new Array(n)
  let pending = false
  for (let i = 0; i < n; i++) {
    const v = mapping.values[i]!.evaluate(row.data)
    if (isPromise(v)) pending = true
    raws[i] = v
  }
  return pending ? Promise.all(raws).then((vs) => toProfile(mapping, row, vs, externalId)) : toProfile(mapping, row, raws, externalId)
}

const toProfile = (mapping: Mapping, row: SourceRow, values: Array<unknown>, externalId?: string): MappedProfile => {
  let issues: Array<RecordIssue> | undefined
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (Expr.isEvalError(v)) {
      ;(issues ??= []).push(evalIssue(mapping.values[i]!, v, row, mapping.fields[i]!, externalId))
      values[i] = undefined
    }
  }
  const n = Normalize.profile(mapping.fields, values, mapping.userOptions)
  for (const e of n.errors)
    (issues ??= []).push({
      kind: "mapping",
      location: row.location,
      field: e.field,
      message: `${e.field} ${e.message}`,
      ...(externalId !== undefined ? { externalId } : {})
    })
  return issues ?? n.profile
}

export interface MappedGroup {
  readonly externalId: string
  /** `displayName` and (when the rule maps one) `description`, normalized, keys sorted. */
  readonly profile: Record<string, string | null>
  readonly rule: CompiledGroupRule
  /** Whether the row's user joins this group (`when`). */
  readonly member: boolean
}

export interface MappedGroups {
  readonly groups: ReadonlyArray<MappedGroup>
  readonly issues: ReadonlyArray<RecordIssue>
  /** A `when` that yields a non-boolean is a config mistake: the run stops. */
  readonly fatal?: ConfigError
}

const EMPTY_GROUPS: MappedGroups = { groups: [], issues: [] }
const withDescription: ReadonlyArray<string> = ["description", "displayName"]
const nameOnly: ReadonlyArray<string> = ["displayName"]

/** One rule's result for one row. */
interface RuleOutcome {
  readonly group?: MappedGroup
  readonly issues?: ReadonlyArray<RecordIssue>
  readonly fatal?: ConfigError
  /** For a clean outcome (no issues): the outcome as the whole `MappedGroups` of a one-rule mapping. */
  readonly alone?: MappedGroups
}

/** Most distinct inputs remembered per group rule (a department per row: a handful; a manager per row: many). */
const MEMO_LIMIT = 10_000

/**
 * Group rules usually read one or two low-cardinality columns (a department, a cost center), so their clean
 * outcomes are remembered by those columns' values: a row whose values were seen before reuses the outcome and
 * its objects (no evaluation, no allocation). Only string values are keys; anything else is evaluated.
 */
class RuleMemo {
  private readonly map = new Map<string, RuleOutcome>()
  constructor(private readonly columns: ReadonlyArray<string>) {}

  key(data: Readonly<Record<string, unknown>>): string | undefined {
    const cs = this.columns
    if (cs.length === 1) {
      const v = data[cs[0]!]
      return typeof v === "string" ? v : undefined
    }
    let key = ""
    for (let i = 0; i < cs.length; i++) {
      const v = data[cs[i]!]
      if (typeof v !== "string") return undefined
      // length-prefixed, so ("a:b", "c") and ("a", "b:c") differ
      key += `${v.length}:${v}`
    }
    return key
  }

  get(key: string): RuleOutcome | undefined {
    return this.map.get(key)
  }

  remember(key: string, outcome: RuleOutcome): void {
    if (outcome.issues === undefined && outcome.fatal === undefined && this.map.size < MEMO_LIMIT) this.map.set(key, outcome)
  }
}

const memos = new WeakMap<CompiledGroupRule, RuleMemo | null>()

/** The rule's memo, when every expression of it depends on the row's columns only. */
const memoOf = (rule: CompiledGroupRule): RuleMemo | undefined => {
  let memo = memos.get(rule)
  if (memo === undefined) {
    const parts = [rule.externalId, rule.displayName, rule.description, rule.when]
    const columns = new Set<string>()
    let pure = true
    for (const p of parts) {
      if (p === undefined) continue
      if (p.columns === undefined) pure = false
      else for (const c of p.columns) columns.add(c)
    }
    memo = pure ? new RuleMemo([...columns].sort()) : null
    memos.set(rule, memo)
  }
  return memo ?? undefined
}

const clean = (group: MappedGroup | undefined): RuleOutcome => ({
  ...(group !== undefined ? { group } : {}),
  alone: group !== undefined ? { groups: [group], issues: [] } : EMPTY_GROUPS
})

/** One rule's outcome from its four evaluated values (externalId, displayName, description, when). */
const ruleOutcome = (mapping: Mapping, rule: CompiledGroupRule, values: ReadonlyArray<unknown>, row: SourceRow): RuleOutcome => {
  const [rawId, rawName, rawDescription, rawWhen] = values
  let issues: Array<RecordIssue> | undefined
  for (let j = 0; j < 4; j++) {
    const v = values[j]
    if (!Expr.isEvalError(v)) continue
    const c = j === 0 ? rule.externalId : j === 1 ? rule.displayName : j === 2 ? rule.description! : rule.when!
    ;(issues ??= []).push(evalIssue(c, v, row, c.path))
  }
  if (issues !== undefined) return { issues }
  if (typeof rawWhen !== "boolean")
    return {
      fatal: new ConfigError({
        reason: "Invalid",
        path: `groups[${rule.index}].when`,
        message: `groups[${rule.index}].when (${rule.label}) must yield true or false, but yielded ${describeValue(rawWhen)} for row ${row.location}; compare explicitly (e.g. status = 'active') or wrap it in $boolean(...)`
      })
    }
  const id = Normalize.value(rawId, "externalId", Normalize.idOptions)
  if (id instanceof Normalize.Failure)
    return {
      issues: [{ kind: "mapping", location: row.location, field: `groups[${rule.index}].externalId`, message: `group externalId ${id.message}` }]
    }
  if (id === null) return clean(undefined)
  const p = rule.description
    ? Normalize.profile(withDescription, [rawDescription, rawName], mapping.groupOptions)
    : Normalize.profile(nameOnly, [rawName], mapping.groupOptions)
  if (p.errors.length > 0)
    return {
      issues: p.errors.map((e) => ({
        kind: "mapping" as const,
        location: row.location,
        field: `groups[${rule.index}].${e.field}`,
        message: `group ${JSON.stringify(id)} ${e.field} ${e.message}`
      }))
    }
  return clean({ externalId: id, profile: p.profile, rule, member: rawWhen })
}

/** Evaluate one rule for a row (or reuse the outcome of a row with the same inputs). */
const evaluateRule = (mapping: Mapping, rule: CompiledGroupRule, row: SourceRow): Maybe<RuleOutcome> => {
  const memo = memoOf(rule)
  const key = memo?.key(row.data)
  if (key !== undefined) {
    const hit = memo!.get(key)
    if (hit !== undefined) return hit
  }
  const raws: Array<unknown> = [
    rule.externalId.evaluate(row.data),
    rule.displayName.evaluate(row.data),
    rule.description ? rule.description.evaluate(row.data) : undefined,
    rule.when ? rule.when.evaluate(row.data) : true
  ]
  const pending = isPromise(raws[0]) || isPromise(raws[1]) || isPromise(raws[2]) || isPromise(raws[3])
  if (pending) return Promise.all(raws).then((values) => ruleOutcome(mapping, rule, values, row))
  const outcome = ruleOutcome(mapping, rule, raws, row)
  if (key !== undefined) memo!.remember(key, outcome)
  return outcome
}

const combine = (outcomes: ReadonlyArray<RuleOutcome>): MappedGroups => {
  const out: Array<MappedGroup> = []
  let issues: Array<RecordIssue> | undefined
  for (const o of outcomes) {
    if (o.fatal !== undefined) return { groups: [], issues: [], fatal: o.fatal }
    if (o.issues !== undefined) (issues ??= []).push(...o.issues)
    if (o.group !== undefined) out.push(o.group)
  }
  return { groups: out, issues: issues ?? [] }
}

/** Evaluate every group rule for a row. */
export const groups = (mapping: Mapping, row: SourceRow): Maybe<MappedGroups> => {
  const rules = mapping.groups
  if (rules.length === 0) return EMPTY_GROUPS
  if (rules.length === 1) return map(evaluateRule(mapping, rules[0]!, row), (o) => o.alone ?? combine([o]))
  const outcomes: Array<Maybe<RuleOutcome>> = []
  for (const rule of rules) outcomes.push(evaluateRule(mapping, rule, row))
  return map(all(outcomes), combine)
}

/** A short description of a value for messages. */
export const describeValue = (v: unknown): string => {
  if (v === undefined) return "nothing (undefined: is the column missing?)"
  if (v === null) return "null"
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`
  if (Array.isArray(v)) return "a list"
  if (typeof v === "object") return "an object"
  return `the ${typeof v} ${String(v)}`
}
