/**
 * One reliability scenario: an emulated org, a source file of synthetic employees, a SQLite state, and the
 * verdict every run must earn: either the directory equals the source (and the state agrees with it), or the run
 * failed with a typed error and left the state's records exactly as they were.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { employees, withChanges, type ChangeSpec, type Employee } from "@anysource/bench/Dataset"
import * as H from "@anysource/bench/Harness"
import type { ConfigLoader } from "@anysource/core"

export type { Employee } from "@anysource/bench/Dataset"

/** The tags of the typed errors `Sync` may fail with: anything else is a defect. */
export const typedErrors: ReadonlySet<string> = new Set([
  "ConfigError",
  "SourceError",
  "ValidationError",
  "SafeguardTripped",
  "OktaApiError",
  "StateError",
  "PlanDriftError",
  "ApplyError"
])

export interface ScenarioOptions {
  /** Employees on day 0 (default 1,000). */
  readonly n?: number
  readonly seed?: number
  readonly org?: H.OrgOptions
  readonly config?: Omit<H.ConfigOptions, "path" | "baseDir">
}

export interface Scenario {
  readonly org: H.Org
  readonly dir: string
  readonly statePath: string
  readonly day0: ReadonlyArray<Employee>
  /** Day 0 with 20% updates, 5% leavers and 10% joiners. */
  readonly day1: ReadonlyArray<Employee>
  /** Write `rows` as the source file (people.csv). */
  readonly write: (rows: ReadonlyArray<Employee>) => void
  readonly loaded: (config?: Omit<H.ConfigOptions, "path" | "baseDir">) => Promise<ConfigLoader.LoadedConfig>
  readonly run: (options?: Partial<Omit<H.RunOptions, "org" | "statePath">> & { readonly config?: Omit<H.ConfigOptions, "path" | "baseDir"> }) => Promise<H.RunResult>
  readonly state: () => Promise<H.StateSnapshot>
  readonly close: () => Promise<void>
}

export const dailyChange: ChangeSpec = { updates: 0.2, leavers: 0.05, joiners: 0.1, seed: 5 }

export const make = async (options: ScenarioOptions = {}): Promise<Scenario> => {
  const n = options.n ?? 1000
  const tmp = H.tempDir("reliability")
  // Strict: the emulator answers anything off the OpenAPI contract with a 400 (request) or a 500 (its own reply).
  const org = await H.startOrg({ strict: true, ...options.org })
  const day0 = [...employees(n, options.seed ?? 42)]
  const day1 = [...withChanges(day0, n, dailyChange)]
  const statePath = join(tmp.path, "state.db")
  const loaded = (config = options.config) =>
    H.loadConfig(H.employeeConfig({ path: "people.csv", baseDir: tmp.path, ...config }, org.emu.url), tmp.path)
  return {
    org,
    dir: tmp.path,
    statePath,
    day0,
    day1,
    write: (rows) => writeFileSync(join(tmp.path, "people.csv"), H.csvOf(rows)),
    loaded,
    run: async (o = {}) => {
      const { config, ...rest } = o
      return H.runSync({ org, statePath, loaded: rest.loaded ?? (await loaded(config ?? options.config)), ...rest })
    },
    state: () => H.readState(statePath),
    close: async () => {
      await org.close()
      tmp.remove()
    }
  }
}

export type Verdict =
  | { readonly kind: "converged"; readonly outcome: string }
  | { readonly kind: "failed-typed"; readonly tag: string; readonly reason?: string; readonly message: string }
  | { readonly kind: "violation"; readonly problems: ReadonlyArray<string> }

/** The records of a state snapshot (what "state unchanged" compares; the resume journal is not a record). */
export const records = (s: H.StateSnapshot) => ({ users: s.users, groups: s.groups, memberships: s.memberships })

/**
 * Judge a finished run: `converged` (directory = source, state = directory, no journal left), `failed-typed`
 * (a typed error and the state's records unchanged; Okta may be ahead of the state, e.g. an import that completed
 * while the client could not read its status: the journal lets the next run catch up), or `violation`.
 */
export const judge = async (
  s: Scenario,
  result: H.RunResult,
  source: ReadonlyArray<Employee>,
  before: H.StateSnapshot
): Promise<Verdict> => {
  const after = await s.state()
  const { report } = result
  if (report.outcome === "applied" || report.outcome === "no-changes") {
    const problems = [...H.directoryVersusSource(s.org.emu, source), ...H.stateVersusDirectory(after, s.org.emu)]
    if (after.journal !== undefined) problems.push(`a journal is left behind after outcome ${report.outcome}`)
    return problems.length === 0 ? { kind: "converged", outcome: report.outcome } : { kind: "violation", problems }
  }
  const problems: Array<string> = []
  const tag = report.error?.tag ?? "(none)"
  if (!typedErrors.has(tag)) problems.push(`outcome ${report.outcome} with error ${tag}: ${report.error?.message ?? ""}`)
  if (JSON.stringify(records(after)) !== JSON.stringify(records(before))) problems.push("the state's records changed although the run failed")
  return problems.length === 0
    ? { kind: "failed-typed", tag, ...(report.error?.reason !== undefined ? { reason: report.error.reason } : {}), message: report.error?.message ?? "" }
    : { kind: "violation", problems }
}
