/**
 * One side of a conformance run (a server, its probe, its observations and its journal), and the removal of what
 * the run created there: open sessions cancelled (a TRIGGERED one is waited out first, since its import may still
 * create records), then every user and group deleted through the single-entity endpoints. If those are not
 * available, one bulk session deletes them instead. Users end deactivated: the Identity Sources API cannot delete
 * a user (docs/okta/identity-sources-api.md §4).
 */
import { Effect, Ref } from "effect"
import type { ConformanceJournal, Leftovers, Observation } from "./conformanceTypes.ts"
import type { Answer, Probe } from "./conformanceProbe.ts"

export interface Side {
  readonly label: string
  readonly probe: Probe
  readonly observations: Ref.Ref<ReadonlyArray<Observation>>
  /** Adds an observation (and reports it as progress). */
  readonly observe: (observation: Observation) => Effect.Effect<void>
  /** What the run created or may be about to create; saved to the journal (if any) before the request. */
  readonly leftovers: Ref.Ref<Leftovers>
  readonly remember: (more: Partial<Leftovers>) => Effect.Effect<void>
  /** Let `millis` pass on this server: a real wait, or an emulator's clock moved on. */
  readonly wait: (millis: number) => Effect.Effect<void>
  readonly journal?: ConformanceJournal
}

export const emptyLeftovers: Leftovers = { sessions: [], users: [], groups: [] }

export const merge = (a: Leftovers, b: Partial<Leftovers>): Leftovers => ({
  sessions: [...new Set([...a.sessions, ...(b.sessions ?? [])])],
  users: [...new Set([...a.users, ...(b.users ?? [])])],
  groups: [...new Set([...a.groups, ...(b.groups ?? [])])]
})

export const isEmpty = (l: Leftovers): boolean => l.sessions.length + l.users.length + l.groups.length === 0

export interface CleanupResult {
  /** What is still there (the journal keeps it for the next run or `--cleanup`). */
  readonly remaining: Leftovers
  readonly cancelledSessions: number
  readonly deactivatedUsers: number
  readonly deletedGroups: number
  readonly problems: ReadonlyArray<string>
}

const gone = (a: Answer) => (a.status >= 200 && a.status < 300) || a.status === 404
const statusOf = (a: Answer) => (a.json as { status?: unknown } | undefined)?.status

/** Removes everything in `leftovers` from the side's server; never fails (what it could not remove is returned). */
export const removeLeftovers = (
  side: Side,
  leftovers: Leftovers,
  options: { readonly pollIntervalMillis: number; readonly completionTimeoutMillis: number }
): Effect.Effect<CleanupResult> =>
  Effect.gen(function* () {
    const { probe } = side
    const problems: Array<string> = []
    const remaining = {
      sessions: [] as Array<string>,
      users: [] as Array<string>,
      groups: [] as Array<string>
    }
    let cancelledSessions = 0
    for (const id of leftovers.sessions) {
      yield* probe.ownSession(id)
      let waited = 0
      let status = statusOf(yield* probe.send("GET", `/sessions/${id}`))
      while (status === "TRIGGERED" && waited < options.completionTimeoutMillis) {
        yield* side.wait(options.pollIntervalMillis)
        waited += options.pollIntervalMillis
        status = statusOf(yield* probe.send("GET", `/sessions/${id}`))
      }
      if (status === "CREATED" || status === "IN_PROGRESS") {
        const r = yield* probe.send("DELETE", `/sessions/${id}`)
        if (r.status >= 200 && r.status < 300) cancelledSessions += 1
        else {
          remaining.sessions.push(id)
          problems.push(`session ${id} could not be cancelled (${r.status} ${r.errorCode ?? ""})`)
        }
      } else if (status === "TRIGGERED") {
        remaining.sessions.push(id)
        problems.push(
          `session ${id} was still TRIGGERED after ${waited} ms; its records are removed by the next cleanup`
        )
      }
    }
    let deactivatedUsers = 0
    let deletedGroups = 0
    const failed = { users: [] as Array<string>, groups: [] as Array<string> }
    for (const user of leftovers.users) {
      const r = yield* probe.send("DELETE", `/users/${user}`)
      if (r.status >= 200 && r.status < 300) deactivatedUsers += 1
      else if (!gone(r)) failed.users.push(user)
    }
    for (const group of leftovers.groups) {
      const r = yield* probe.send("DELETE", `/groups/${group}`)
      if (r.status >= 200 && r.status < 300) deletedGroups += 1
      else if (!gone(r)) failed.groups.push(group)
    }
    if (failed.users.length + failed.groups.length > 0 && remaining.sessions.length === 0) {
      // the single-entity endpoints refused: one bulk session removes the rest
      const bulk = yield* bulkRemove(side, failed, options)
      if (bulk === undefined) {
        deactivatedUsers += failed.users.length
        deletedGroups += failed.groups.length
      } else {
        problems.push(bulk)
        remaining.users.push(...failed.users)
        remaining.groups.push(...failed.groups)
      }
    } else {
      remaining.users.push(...failed.users)
      remaining.groups.push(...failed.groups)
    }
    return { remaining, cancelledSessions, deactivatedUsers, deletedGroups, problems }
  })

/** Deletes users and groups in one import session, waiting out the 5-minute rule; the reason it failed, or undefined. */
const bulkRemove = (
  side: Side,
  what: { readonly users: ReadonlyArray<string>; readonly groups: ReadonlyArray<string> },
  options: { readonly pollIntervalMillis: number; readonly completionTimeoutMillis: number }
): Effect.Effect<string | undefined> =>
  Effect.gen(function* () {
    const { probe } = side
    let waited = 0
    let id: string | undefined
    for (;;) {
      const created = yield* probe.send("POST", "/sessions")
      id = (created.json as { id?: unknown } | undefined)?.id as string | undefined
      if (created.status >= 200 && created.status < 300 && id !== undefined) break
      if (waited >= options.completionTimeoutMillis)
        return `no session for the bulk cleanup (${created.status} ${created.errorCode ?? ""})`
      yield* side.wait(options.pollIntervalMillis)
      waited += options.pollIntervalMillis
    }
    yield* probe.ownSession(id)
    yield* side.remember({ sessions: [id] })
    if (what.users.length > 0)
      yield* probe.send("POST", `/sessions/${id}/bulk-delete`, {
        entityType: "USERS",
        profiles: what.users.map((externalId) => ({ externalId }))
      })
    if (what.groups.length > 0)
      yield* probe.send("POST", `/sessions/${id}/bulk-groups-delete`, { externalIds: what.groups })
    const started = yield* probe.send("POST", `/sessions/${id}/start-import`)
    if (started.status < 200 || started.status >= 300) {
      yield* probe.send("DELETE", `/sessions/${id}`)
      return `the bulk cleanup could not be started (${started.status} ${started.errorCode ?? ""})`
    }
    for (waited = 0; waited < options.completionTimeoutMillis; waited += options.pollIntervalMillis) {
      const s = statusOf(yield* probe.send("GET", `/sessions/${id}`))
      if (s === "COMPLETED") return undefined
      if (s !== "TRIGGERED") return `the bulk cleanup session ended ${String(s)}`
      yield* side.wait(options.pollIntervalMillis)
    }
    return "the bulk cleanup session did not finish in time"
  })
