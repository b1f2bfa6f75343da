/**
 * The in-process sync harness the steady-state benchmark and the reliability suite share: an Okta emulator on a
 * manual clock, anysource's `Sync.runWithReport` on the same (virtual) time, a SQLite state file, and the checks
 * "directory equals source" and "state agrees with the directory".
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ConfigLoader, OktaClient, Sync, type RunReport, StateStore } from "@anysource/core"
import {
  DEFAULT_API_TOKEN,
  DEFAULT_IDENTITY_SOURCE_ID,
  ManualClock,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator
} from "@anysource/okta-emulator"
import { FileSource } from "@anysource/source-file"
import { SqliteStateStore } from "@anysource/state-sqlite"
import { FetchHttpClient } from "@effect/platform"
import { Cause, Effect, Exit, Layer, Option, Redacted } from "effect"
import { csvHeader, csvLine, employeeMapping, type Employee } from "./Dataset.ts"
import * as VirtualTime from "./VirtualTime.ts"

export const SOURCE_ID = DEFAULT_IDENTITY_SOURCE_ID
export const API_TOKEN = DEFAULT_API_TOKEN
/** The attributes `employeeMapping` sends beyond the identity source's seven base ones. */
export const CUSTOM_ATTRIBUTES: ReadonlyArray<string> = ["department", "title", "city", "managerId"]
/** Monday 2026-01-05 09:00 UTC: where every manual clock starts. */
export const EPOCH = Date.UTC(2026, 0, 5, 9, 0, 0)

export interface Org {
  readonly emu: RunningEmulator
  readonly clock: ManualClock
  readonly vt: VirtualTime.VirtualTime
  readonly close: () => Promise<void>
}

export interface OrgOptions extends Omit<EmulatorOptions, "clock"> {
  /**
   * Let the manual clock follow real time (for runs with `time: "real"`, where request timeouts must fire).
   * Default false: the clock moves only when a virtual-time run sleeps, or when a test advances it.
   */
  readonly realTime?: boolean
}

/** An emulator on a manual clock (processing takes `processingDelayMs` of emulator time, default 30 s). */
export const startOrg = async (options: OrgOptions = {}): Promise<Org> => {
  const { realTime, ...emulatorOptions } = options
  const clock = new ManualClock(EPOCH)
  const emu = await startEmulator({
    processingDelayMs: realTime ? 50 : 30_000,
    // the employee mapping's custom attributes, declared on the identity source as `anysource setup apply` would
    identitySources: [{ id: SOURCE_ID, customAttributes: CUSTOM_ATTRIBUTES }],
    ...emulatorOptions,
    clock
  })
  const vt = VirtualTime.make(clock)
  let follow: NodeJS.Timeout | undefined
  if (realTime) {
    const startedAt = Date.now()
    follow = setInterval(() => {
      const target = EPOCH + (Date.now() - startedAt)
      if (target > clock.now()) clock.set(target)
    }, 10)
  }
  return {
    emu,
    clock,
    vt,
    close: async () => {
      if (follow !== undefined) clearInterval(follow)
      vt.close()
      await emu.close()
    }
  }
}

/** The mapping every harness config uses (employee CSV columns → Okta profile). */
export { employeeMapping }

/** The profile anysource should leave in Okta for one employee (what the mapping + normalization produce). */
export const expectedProfile = (e: Employee): Record<string, string> => {
  const p: Record<string, string | null> = {
    userName: e.email.toLowerCase(),
    email: e.email.toLowerCase(),
    firstName: e.first_name,
    lastName: e.last_name,
    department: e.department,
    title: e.title,
    city: e.location,
    managerId: e.manager_id === "" ? null : e.manager_id
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(p)) if (v !== null) out[k] = v.normalize("NFC").trim()
  return out
}

export interface ConfigOptions {
  /** The source file, relative to `baseDir`. */
  readonly path: string
  readonly baseDir: string
  readonly groups?: boolean
  readonly foreignSessionPolicy?: "wait" | "cancel"
  readonly sessionTimeoutMs?: number
  /** Extra top-level config (safeguards, validation, …). */
  readonly extra?: Record<string, unknown>
  /** Extra source settings (format, csv, …). */
  readonly source?: Record<string, unknown>
  readonly mapping?: Record<string, unknown>
}

/** The raw pipeline config for an employee file synced into the harness org (SSWS; `orgUrl` filled per run). */
export const employeeConfig = (o: ConfigOptions, orgUrl: string): Record<string, unknown> => ({
  version: 1,
  name: "harness",
  okta: {
    orgUrl,
    identitySourceId: SOURCE_ID,
    auth: { type: "ssws", token: API_TOKEN },
    foreignSessionPolicy: o.foreignSessionPolicy ?? "wait",
    ...(o.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: o.sessionTimeoutMs } : {})
  },
  source: { type: "file", path: o.path, ...o.source },
  mapping: o.mapping ?? employeeMapping,
  ...(o.groups
    ? {
        groups: [
          {
            name: "departments",
            externalId: "'dept-' & $lowercase(department)",
            displayName: "department & ' (HR)'"
          }
        ]
      }
    : {}),
  schema: { users: { required: ["userName", "email", "firstName", "lastName"], attributes: { department: {}, title: {}, city: {}, managerId: {} } } },
  state: { type: "sqlite", path: "state.db" },
  ...o.extra
})

export const loadConfig = (raw: Record<string, unknown>, baseDir: string): Promise<ConfigLoader.LoadedConfig> =>
  Effect.runPromise(ConfigLoader.parse(raw, { env: {}, sources: [FileSource], baseDir }))

export interface RunOptions {
  readonly org: Org
  readonly loaded: ConfigLoader.LoadedConfig
  /** The SQLite state file. */
  readonly statePath: string
  readonly mode?: "plan" | "apply"
  readonly allowDeletes?: boolean
  /** Client options over the config's (timeouts, backoff). */
  readonly okta?: Partial<OktaClient.OktaClientOptions>
  /** `virtual` (default): anysource sleeps on the emulator's manual clock; `real`: on the real clock (request timeouts fire). */
  readonly time?: "virtual" | "real"
  readonly onEvent?: Sync.SyncOptions["onEvent"]
  readonly stopBefore?: Sync.SyncOptions["stopBefore"]
}

export interface RunResult {
  readonly report: RunReport.RunReport
  /** The typed error (`report.error` describes it too). */
  readonly error: Option.Option<Sync.SyncError>
  /** Virtual milliseconds the run spent (emulator clock), 0 for real-time runs. */
  readonly virtualMillis: number
}

const oktaLayer = (o: RunOptions) => {
  const okta = o.loaded.config.okta
  const client = OktaClient.layerWithHttp({
    orgUrl: o.org.emu.url,
    identitySourceId: okta.identitySourceId,
    auth: okta.auth ?? { type: "ssws", token: Redacted.make(API_TOKEN) },
    requestTimeoutMs: okta.requestTimeoutMs,
    maxRetries: okta.maxRetries,
    ...o.okta
  })
  const http = (o.time ?? "virtual") === "virtual" ? Layer.provide(FetchHttpClient.layer, Layer.succeed(FetchHttpClient.Fetch, o.org.vt.fetch)) : FetchHttpClient.layer
  return Layer.provide(client, http)
}

/**
 * One `Sync.runWithReport` (plan or apply). A defect (a bug: an exception, a die) rejects the promise with the
 * pretty cause, so tests see it as a crash rather than a typed outcome.
 */
export const runSync = async (o: RunOptions): Promise<RunResult> => {
  const layer = Layer.merge(
    oktaLayer(o),
    SqliteStateStore.layer({ path: o.statePath, identitySourceId: o.loaded.config.okta.identitySourceId })
  )
  const before = o.org.clock.now()
  let program = Sync.runWithReport({
    loaded: o.loaded,
    mode: o.mode ?? "apply",
    ...(o.allowDeletes !== undefined ? { allowDeletes: o.allowDeletes } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.stopBefore ? { stopBefore: o.stopBefore } : {})
  }).pipe(Effect.provide(layer))
  if ((o.time ?? "virtual") === "virtual") program = o.org.vt.run(program)
  const exit = await Effect.runPromiseExit(program)
  if (Exit.isFailure(exit)) throw new Error(`the run crashed (defect or layer failure):\n${Cause.pretty(exit.cause)}`)
  return { ...exit.value, virtualMillis: (o.time ?? "virtual") === "virtual" ? o.org.clock.now() - before : 0 }
}

// ---------------------------------------------------------------------------------------------------------------
// State and directory checks

export interface StateSnapshot {
  readonly users: ReadonlyArray<{ readonly externalId: string; readonly status: string; readonly hash: string; readonly profile: Readonly<Record<string, string | null>> }>
  readonly groups: ReadonlyArray<{ readonly externalId: string; readonly status: string; readonly hash: string }>
  readonly memberships: ReadonlyArray<readonly [string, ReadonlyArray<string>]>
  readonly journal: string | undefined
}

/** Everything the state file says, sorted (to compare before/after a failed run). */
export const readState = (statePath: string): Promise<StateSnapshot> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* StateStore.StateStore
      const users = yield* store.list("user")
      const groups = yield* store.list("group")
      const members = yield* store.memberships
      const journal = yield* store.journal
      const byId = <A extends { externalId: string }>(a: A, b: A) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0)
      return {
        users: users.map((u) => ({ externalId: u.externalId, status: u.status, hash: u.hash, profile: u.profile })).sort(byId),
        groups: groups.map((g) => ({ externalId: g.externalId, status: g.status, hash: g.hash })).sort(byId),
        memberships: [...members].map(([g, ms]) => [g, [...ms].sort()] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
        journal: Option.isSome(journal) ? journal.value.planHash : undefined
      }
    }).pipe(Effect.provide(SqliteStateStore.layer({ path: statePath, identitySourceId: SOURCE_ID })))
  )

/** Differences between the emulator's directory and the source (empty = equal). */
export const directoryVersusSource = (emu: RunningEmulator, source: ReadonlyArray<Employee>): Array<string> => {
  const problems: Array<string> = []
  const users = emu.directory.users()
  const byId = new Map(users.map((u) => [u.externalId, u]))
  if (byId.size !== users.length) problems.push(`${users.length - byId.size} duplicated externalIds in the directory`)
  const logins = new Set<string>()
  for (const u of users) {
    if (logins.has(u.login)) problems.push(`login ${u.login} appears twice`)
    logins.add(u.login)
  }
  const wanted = new Set<string>()
  for (const e of source) {
    wanted.add(e.employee_id)
    const u = byId.get(e.employee_id)
    if (u === undefined) problems.push(`${e.employee_id}: missing from the directory`)
    else if (u.status !== "ACTIVE") problems.push(`${e.employee_id}: ${u.status} but in the source`)
    else {
      const want = expectedProfile(e)
      for (const k of new Set([...Object.keys(want), ...Object.keys(u.profile)]))
        if (want[k] !== u.profile[k]) problems.push(`${e.employee_id}.${k}: ${JSON.stringify(u.profile[k])} in Okta, ${JSON.stringify(want[k])} in the source`)
    }
    if (problems.length > 20) break
  }
  for (const u of users) if (!wanted.has(u.externalId) && u.status === "ACTIVE") problems.push(`${u.externalId}: ACTIVE but not in the source`)
  return problems.slice(0, 25)
}

/** Differences between the state file and the emulator's directory (empty = they agree). */
export const stateVersusDirectory = (state: StateSnapshot, emu: RunningEmulator): Array<string> => {
  const problems: Array<string> = []
  const dir = new Map(emu.directory.users().map((u) => [u.externalId, u]))
  for (const s of state.users) {
    const u = dir.get(s.externalId)
    const okta = u === undefined ? "absent" : u.status === "ACTIVE" ? "ACTIVE" : "DEACTIVATED"
    if (okta !== s.status) problems.push(`${s.externalId}: state ${s.status}, Okta ${u?.status ?? "absent"}`)
    else if (u && s.status === "ACTIVE") {
      for (const [k, v] of Object.entries(s.profile)) if ((v ?? undefined) !== u.profile[k]) problems.push(`${s.externalId}.${k}: state ${JSON.stringify(v)}, Okta ${JSON.stringify(u.profile[k])}`)
    }
  }
  const known = new Set(state.users.map((u) => u.externalId))
  for (const u of dir.values()) if (!known.has(u.externalId) && u.status === "ACTIVE") problems.push(`${u.externalId}: ACTIVE in Okta, unknown to state`)
  return problems.slice(0, 25)
}

// ---------------------------------------------------------------------------------------------------------------
// Files

export const csvOf = (rows: Iterable<Employee>): string => {
  let out = csvHeader()
  for (const r of rows) out += csvLine(r)
  return out
}

export const tempDir = (prefix: string): { readonly path: string; readonly remove: () => void } => {
  const path = mkdtempSync(join(tmpdir(), `anysource-${prefix}-`))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}
