/**
 * One source row → one outcome, with the pipeline compiled once per run: map → filter → normalize → validate.
 * Pure and synchronous unless an expression needs JSONata's async evaluator (then a Promise, see `Maybe`).
 * Also the column check: a column the mapping copies that no row has is a config mistake, not invalid rows.
 */
import { Effect } from "effect"
import type { PipelineConfig } from "../config/Config.ts"
import { ConfigError as ConfigErrorClass, type ConfigError, type RecordIssue } from "../domain/Errors.ts"
import * as Hash from "../domain/Hash.ts"
import type { SourceLocation, SourceRow } from "../domain/Model.ts"
import * as Filter from "../pipeline/Filter.ts"
import * as Mapping from "../pipeline/Mapping.ts"
import { isPromise, type Maybe } from "../pipeline/Maybe.ts"
import * as Validate from "../pipeline/Validate.ts"

/** Everything compiled once per run. */
export interface Compiled {
  readonly mapping: Mapping.Mapping
  readonly filter: Filter.Filter
  readonly validator: Validate.Validator
  readonly strict: boolean
}

export const compile = (
  config: Pick<PipelineConfig, "mapping" | "groups" | "normalize" | "schema" | "filter" | "validation">
): Effect.Effect<Compiled, ConfigError> =>
  Effect.gen(function* () {
    const validator = yield* Validate.make(config)
    const mapping = yield* Mapping.compile(config)
    const filter = yield* Filter.compile(config.filter)
    return { mapping, filter, validator, strict: config.validation.strict }
  })

export type RowOutcome =
  | {
      readonly t: "user"
      readonly location: SourceLocation
      readonly externalId: string
      readonly profile: Record<string, string | null>
      readonly hash: string
      readonly groups: ReadonlyArray<Mapping.MappedGroup>
      readonly issues: ReadonlyArray<RecordIssue>
    }
  | {
      readonly t: "invalid"
      readonly location: SourceLocation
      readonly externalId: string | undefined
      readonly groups: ReadonlyArray<Mapping.MappedGroup>
      readonly issues: ReadonlyArray<RecordIssue>
    }
  | {
      readonly t: "excluded"
      readonly location: SourceLocation
      readonly externalId: string | undefined
      readonly rule: string
    }
  | { readonly t: "fatal"; readonly error: ConfigError }

const withId = (issue: RecordIssue, externalId: string | undefined): RecordIssue =>
  externalId === undefined || issue.externalId !== undefined ? issue : { ...issue, externalId }

const NO_ISSUES: ReadonlyArray<RecordIssue> = []

const finish = (
  c: Compiled,
  row: SourceRow,
  id: Mapping.ExternalIdResult,
  p: Mapping.MappedProfile,
  g: Mapping.MappedGroups
): RowOutcome => {
  if (g.fatal) return { t: "fatal", error: g.fatal }
  const externalId = typeof id === "string" ? id : undefined
  let issues: Array<RecordIssue> | undefined
  if (externalId === undefined) (issues ??= []).push((id as { issue: RecordIssue }).issue)
  else {
    const bad = c.validator.userExternalId(externalId)
    if (bad)
      (issues ??= []).push({
        kind: "invalid",
        location: row.location,
        externalId,
        field: "externalId",
        message: bad
      })
  }
  if (!Mapping.isProfile(p)) for (const i of p) (issues ??= []).push(i)
  else if (issues === undefined) {
    const fieldIssues = c.validator.user(p)
    for (const f of fieldIssues)
      (issues ??= []).push({
        kind: "invalid",
        location: row.location,
        field: f.field,
        message: f.message,
        ...(externalId !== undefined ? { externalId } : {})
      })
  }
  const groupIssues = g.issues.length === 0 ? NO_ISSUES : g.issues.map((i) => withId(i, externalId))
  if (issues !== undefined || !Mapping.isProfile(p) || externalId === undefined)
    return {
      t: "invalid",
      location: row.location,
      externalId,
      groups: g.groups,
      issues: [...(issues ?? []), ...groupIssues]
    }
  return {
    t: "user",
    location: row.location,
    externalId,
    profile: p,
    hash: Hash.profileHash(p),
    groups: g.groups,
    issues: groupIssues
  }
}

const afterFilter = (
  c: Compiled,
  row: SourceRow,
  id: Mapping.ExternalIdResult,
  f: Filter.Outcome
): Maybe<RowOutcome> => {
  const externalId = typeof id === "string" ? id : undefined
  switch (f._tag) {
    case "Fatal":
      return { t: "fatal", error: f.error }
    case "Excluded":
      return { t: "excluded", location: row.location, externalId, rule: f.rule }
    case "Failed":
      return {
        t: "invalid",
        location: row.location,
        externalId,
        groups: [],
        issues: [withId(f.issue, externalId)]
      }
  }
  const pM = Mapping.profile(c.mapping, row, externalId)
  const gM = Mapping.groups(c.mapping, row)
  if (!isPromise(pM) && !isPromise(gM)) return finish(c, row, id, pM, gM)
  return Promise.all([pM, gM]).then(([p, g]) => finish(c, row, id, p, g))
}

/** One row → its outcome; synchronous unless an expression needs JSONata's async evaluator. */
export const processRow = (c: Compiled, row: SourceRow): Maybe<RowOutcome> => {
  const idM = Mapping.externalId(c.mapping, row)
  const fM = Filter.apply(c.filter, row)
  if (!isPromise(idM) && !isPromise(fM)) return afterFilter(c, row, idM, fM)
  return Promise.all([idM, fM]).then(([id, f]) => afterFilter(c, row, id, f))
}

/**
 * Columns the mapping copies that no row has yet: a wrong column name (or a wrong delimiter) would otherwise show
 * up as every row being invalid. Rows are checked until each column has been seen once.
 */
export class ColumnCheck {
  /** column → the config path that copies it */
  private readonly missing = new Map<string, string>()
  private firstRow: SourceRow | undefined

  constructor(c: Compiled) {
    for (const compiled of [c.mapping.externalId, ...c.mapping.values])
      if (compiled.column !== undefined && !this.missing.has(compiled.column))
        this.missing.set(compiled.column, compiled.path)
  }

  see(rows: ReadonlyArray<SourceRow>): void {
    if (this.firstRow === undefined) this.firstRow = rows[0]
    if (this.missing.size === 0) return
    for (const row of rows) {
      for (const name of this.missing.keys())
        if (Object.prototype.hasOwnProperty.call(row.data, name)) this.missing.delete(name)
      if (this.missing.size === 0) break
    }
  }

  /** The `ConfigError` when rows were read and a copied column never showed up. */
  error(): ConfigError | undefined {
    const firstRow = this.firstRow
    if (firstRow === undefined || this.missing.size === 0) return undefined
    const [column, path] = [...this.missing][0]!
    const others = [...this.missing.keys()].slice(1)
    const has = Object.keys(firstRow.data)
    return new ConfigErrorClass({
      reason: "Invalid",
      path,
      message:
        `${path} copies the column ${JSON.stringify(column)}, but no row of the source has it ` +
        `(${firstRow.location} has ${
          has.length === 0
            ? "no columns"
            : `the columns ${has
                .slice(0, 12)
                .map((k) => JSON.stringify(k))
                .join(", ")}${has.length > 12 ? ", …" : ""}`
        }).` +
        (others.length > 0 ? ` Also missing: ${others.map((k) => JSON.stringify(k)).join(", ")}.` : "") +
        " Fix the column name in the config, or check the file's header row and delimiter. Nothing was sent to Okta."
    })
  }
}
