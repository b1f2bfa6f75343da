/**
 * The scripted conformance scenario, run the same way against each server. Three phases:
 *
 * A. session rules and limits, in a session that is cancelled at the end (nothing it stages is ever imported):
 *    one open session, trigger from CREATED, an unknown session id, an unknown externalId in bulk-delete, 200 and
 *    201 entities, non-string and undeclared attributes, the 200 KB limit (and which kilobyte), 50 uploads, cancel,
 *    and whether list-sessions shows the cancelled session;
 * B. an import: groups, users and memberships naming them in one session, cancel and upload while TRIGGERED, the
 *    5-minute rule while TRIGGERED and right after COMPLETED (and, with `includeSlow`, five minutes after the
 *    trigger), the session states seen while it is processed;
 * C. single-entity create, read and delete of users, groups and memberships.
 *
 * Every externalId is `anysource-conformance-<run>-…`; what the run creates is put in the journal before the
 * request that may create it, and removed by `cleanup` (conformanceCleanup.ts).
 */
import { Effect } from "effect"
import type { Observation } from "./conformanceTypes.ts"
import type { Answer } from "./conformanceProbe.ts"
import { PREFIX, UNKNOWN_SESSION_ID } from "./conformanceProbe.ts"
import { shapeOf } from "./conformanceShape.ts"
import type { Side } from "./conformanceCleanup.ts"

export interface ScenarioOptions {
  readonly includeSlow: boolean
  readonly pollIntervalMillis: number
  readonly completionTimeoutMillis: number
}

/** The externalIds of one run. */
export const idsFor = (run: string) => {
  const id = (what: string) => `${PREFIX}${run}-${what}`
  return {
    users: { imported: [id("u1"), id("u2")], single: [id("u3"), id("u4"), id("u5")] },
    groups: { imported: [id("g1"), id("g2")], single: [id("g3")] },
    unknown: (n: number) => id(`unknown-${n}`),
    staged: (n: number) => id(`staged-${n}`)
  }
}
export type RunIds = ReturnType<typeof idsFor>

const TERMINAL = new Set(["COMPLETED", "ERROR", "CLOSED", "EXPIRED"])
const USERS = "/users"

const statusOf = (a: Answer): string | undefined => {
  const s = (a.json as { status?: unknown } | undefined)?.status
  return typeof s === "string" ? s : undefined
}
const idOf = (a: Answer): string | undefined => {
  const s = (a.json as { id?: unknown } | undefined)?.id
  return typeof s === "string" ? s : undefined
}
const ok = (a: Answer) => a.status >= 200 && a.status < 300

const person = (externalId: string, extra: Record<string, unknown> = {}) => ({
  externalId,
  profile: {
    userName: `${externalId}@example.com`,
    email: `${externalId}@example.com`,
    firstName: "Conformance",
    lastName: "Run",
    ...extra
  } as Record<string, unknown>
})

/** A bulk-upsert of `n` users whose JSON is exactly `bytes` long (homeAddress pads it; at most 4096 each). */
export const upsertOfSize = (ids: RunIds, bytes: number) => {
  const n = Math.ceil(bytes / 4000)
  const profiles = Array.from({ length: n }, (_, i) => person(ids.staged(i), { homeAddress: "" }))
  const body = { entityType: "USERS", profiles }
  let rest = bytes - JSON.stringify(body).length
  for (const p of profiles) {
    const pad = Math.min(4000, rest)
    p.profile.homeAddress = "x".repeat(pad)
    rest -= pad
  }
  return body
}

export const runScenario = (side: Side, ids: RunIds, options: ScenarioOptions): Effect.Effect<void> =>
  Effect.gen(function* () {
    const { probe } = side
    const observe = side.observe
    /** One request, observed as `step`. */
    const step = (name: string, request: string, answer: Answer, extra: Partial<Observation> = {}) =>
      observe({
        step: name,
        request,
        status: answer.status,
        shape: shapeOf(answer.text),
        ...(answer.errorCode !== undefined ? { errorCode: answer.errorCode } : {}),
        ...(answer.detail !== undefined ? { detail: answer.detail } : {}),
        ...extra
      })
    const call = (
      name: string,
      method: "GET" | "POST" | "PUT" | "DELETE",
      path: string,
      template: string,
      body?: unknown,
      extra?: Partial<Observation>
    ) => Effect.tap(probe.send(method, path, body), (a) => step(name, `${method} ${template}`, a, extra))
    const sessionStatus = (id: string) => Effect.map(probe.send("GET", `/sessions/${id}`), statusOf)
    const createSession = (name: string, extra?: Partial<Observation>) =>
      Effect.gen(function* () {
        const a = yield* call(name, "POST", "/sessions", "/sessions", undefined, extra)
        const id = ok(a) ? idOf(a) : undefined
        if (id !== undefined) {
          yield* probe.ownSession(id)
          yield* side.remember({ sessions: [id] })
        }
        return id
      })
    const waitForEnd = (id: string, name: string) =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        let waited = 0
        for (;;) {
          const s = (yield* sessionStatus(id)) ?? "(unreadable)"
          if (seen.at(-1) !== s) seen.push(s)
          if (TERMINAL.has(s) || waited >= options.completionTimeoutMillis) break
          yield* side.wait(options.pollIntervalMillis)
          waited += options.pollIntervalMillis
        }
        yield* observe({
          step: name,
          request: "GET /sessions/{id} until it ends",
          sessionStates: seen,
          ...(TERMINAL.has(seen.at(-1) ?? "") ? {} : { detail: `still ${seen.at(-1)} after ${waited} ms` })
        })
        return seen.at(-1)
      })
    const upload = (
      name: string,
      session: string,
      path: string,
      body: unknown,
      extra?: Partial<Observation>
    ) => call(name, "POST", `/sessions/${session}/${path}`, `/sessions/{id}/${path}`, body, extra)
    const deleteUnknown = (session: string, from: number, count: number) => ({
      entityType: "USERS",
      profiles: Array.from({ length: count }, (_, i) => ({ externalId: ids.unknown(from + i) }))
    })

    // ---------------------------------------------------------------- A. session rules and limits
    const a = yield* createSession("session.create")
    if (a === undefined)
      return yield* observe({
        step: "scenario",
        request: "-",
        skipped: "no session could be created; nothing else was tried"
      })
    yield* createSession("session.create.while-open")
    yield* call("session.list", "GET", "/sessions", "/sessions")
    yield* call("session.get", "GET", `/sessions/${a}`, "/sessions/{id}")
    yield* call("session.get.unknown", "GET", `/sessions/${UNKNOWN_SESSION_ID}`, "/sessions/{unknown id}")
    yield* call(
      "session.start-import.from-created",
      "POST",
      `/sessions/${a}/start-import`,
      "/sessions/{id}/start-import"
    )
    let accepted = 0
    const counted = (x: Answer) => Effect.sync(() => void (accepted += ok(x) ? 1 : 0))
    yield* Effect.flatMap(
      upload("bulk-delete.unknown-externalId", a, "bulk-delete", deleteUnknown(a, 0, 1)),
      counted
    )
    yield* observe({
      step: "session.state.after-unknown-delete",
      request: "GET /sessions/{id}",
      sessionStates: [(yield* sessionStatus(a)) ?? "(unreadable)"]
    })
    yield* Effect.flatMap(upload("limit.entities.200", a, "bulk-delete", deleteUnknown(a, 1, 200)), counted)
    yield* Effect.flatMap(upload("limit.entities.201", a, "bulk-delete", deleteUnknown(a, 201, 201)), counted)
    yield* Effect.flatMap(
      upload("attributes.non-string", a, "bulk-upsert", {
        entityType: "USERS",
        profiles: [person(ids.staged(900), { costCenter: 42 })]
      }),
      counted
    )
    yield* Effect.flatMap(
      upload("limit.bytes.over-204800", a, "bulk-upsert", upsertOfSize(ids, 205_000)),
      counted
    )
    yield* Effect.flatMap(
      upload("limit.bytes.between-200000-and-204800", a, "bulk-upsert", upsertOfSize(ids, 202_000)),
      counted
    )
    yield* Effect.flatMap(
      upload("attributes.unknown", a, "bulk-upsert", {
        entityType: "USERS",
        profiles: [person(ids.staged(901), { anysourceConformanceUndeclared: "x" })]
      }),
      counted
    )
    let refused: Answer | undefined
    for (let n = accepted; n < 60 && refused === undefined; n++) {
      const x = yield* probe.send("POST", `/sessions/${a}/bulk-delete`, deleteUnknown(a, 1000 + n, 1))
      if (ok(x)) accepted += 1
      else refused = x
    }
    if (refused === undefined)
      yield* observe({
        step: "limit.uploads.50",
        request: "POST /sessions/{id}/bulk-delete × n",
        facts: { acceptedUploads: accepted, refused: false }
      })
    else
      yield* step("limit.uploads.50", "POST /sessions/{id}/bulk-delete × n", refused, {
        facts: { acceptedUploads: accepted, refused: true }
      })
    yield* call("session.cancel", "DELETE", `/sessions/${a}`, "/sessions/{id}")
    yield* observe({
      step: "session.state.after-cancel",
      request: "GET /sessions/{id}",
      sessionStates: [(yield* sessionStatus(a)) ?? "(unreadable)"]
    })
    const listed = yield* probe.send("GET", "/sessions")
    const listedIds = Array.isArray(listed.json) ? listed.json.map((s) => (s as { id?: unknown }).id) : []
    yield* step("session.list.after-cancel", "GET /sessions", listed, {
      facts: { listsCancelledSession: listedIds.includes(a) }
    })

    // ---------------------------------------------------------------- B. an import
    const b = yield* createSession("session.create.after-cancel")
    if (b !== undefined) {
      const [g1, g2] = ids.groups.imported as [string, string]
      const [u1, u2] = ids.users.imported as [string, string]
      yield* side.remember({ users: ids.users.imported, groups: ids.groups.imported })
      yield* upload("bulk-groups-upsert", b, "bulk-groups-upsert", {
        profiles: [g1, g2].map((g) => ({
          externalId: g,
          profile: { displayName: g, description: "anysource conformance run" }
        }))
      })
      yield* upload("bulk-upsert", b, "bulk-upsert", {
        entityType: "USERS",
        profiles: [person(u1), person(u2, { mobilePhone: "555-0100" })]
      })
      yield* upload("bulk-group-memberships-upsert", b, "bulk-group-memberships-upsert", {
        memberships: [{ groupExternalId: g1, memberExternalIds: [u1, u2] }]
      })
      yield* observe({
        step: "session.state.after-uploads",
        request: "GET /sessions/{id}",
        sessionStates: [(yield* sessionStatus(b)) ?? "(unreadable)"]
      })
      yield* call(
        "session.start-import",
        "POST",
        `/sessions/${b}/start-import`,
        "/sessions/{id}/start-import"
      )
      yield* call("session.cancel.while-triggered", "DELETE", `/sessions/${b}`, "/sessions/{id}")
      yield* upload("upload.while-triggered", b, "bulk-groups-delete", { externalIds: [ids.unknown(5000)] })
      yield* createSession("session.create.while-triggered", {
        rule: "5-minute rule: a new session while the last one is TRIGGERED"
      })
      yield* waitForEnd(b, "session.states.import")
      const members = yield* probe.send("GET", `/groups/${g1}/membership`)
      const memberIds = (members.json as { memberExternalIds?: unknown } | undefined)?.memberExternalIds
      yield* step(
        "import.memberships-named-in-the-same-session",
        "GET /groups/{externalId}/membership",
        members,
        {
          facts: { members: Array.isArray(memberIds) ? memberIds.length : -1 }
        }
      )
      const c = yield* createSession("session.create.after-completed", {
        rule: "5-minute rule: a new session right after the last one COMPLETED"
      })
      if (c !== undefined) yield* call("session.cancel.again", "DELETE", `/sessions/${c}`, "/sessions/{id}")
      if (options.includeSlow) {
        yield* side.wait(5 * 60_000)
        const d = yield* createSession("session.create.5-minutes-after-trigger", {
          rule: "5-minute rule: a new session 5 minutes after the trigger"
        })
        if (d !== undefined)
          yield* call("session.cancel.after-5-minutes", "DELETE", `/sessions/${d}`, "/sessions/{id}")
      }
    }

    // ---------------------------------------------------------------- C. single entities
    const [u3, u4, u5] = ids.users.single as [string, string, string]
    const [g3] = ids.groups.single as [string]
    yield* side.remember({ users: ids.users.single, groups: ids.groups.single })
    yield* call("user.create", "POST", USERS, USERS, person(u3))
    yield* call("user.create.duplicate", "POST", USERS, USERS, person(u3))
    yield* call("user.get", "GET", `${USERS}/${u3}`, "/users/{externalId}")
    yield* call("user.get.unknown", "GET", `${USERS}/${ids.unknown(6000)}`, "/users/{unknown externalId}")
    // the undeclared-attribute probe has its own user: refused (the emulator's default) or not, u4 exists for the
    // membership steps below
    yield* call("user.create.member", "POST", USERS, USERS, person(u4))
    yield* call(
      "user.create.undeclared-attribute",
      "POST",
      USERS,
      USERS,
      person(u5, { anysourceConformanceUndeclared: "x" })
    )
    const kept = yield* probe.send("GET", `${USERS}/${u5}`)
    const profile = (kept.json as { profile?: Record<string, unknown> } | undefined)?.profile
    yield* step("user.get.undeclared-attribute", "GET /users/{externalId}", kept, {
      facts: { keptUndeclaredAttribute: profile !== undefined && "anysourceConformanceUndeclared" in profile }
    })
    yield* call("user.delete", "DELETE", `${USERS}/${u3}`, "/users/{externalId}")
    yield* call("user.get.after-delete", "GET", `${USERS}/${u3}`, "/users/{externalId}")
    const group = yield* call("group.create", "POST", "/groups", "/groups", {
      externalId: g3,
      profile: { displayName: g3, description: "anysource conformance run" }
    })
    const groupId = idOf(group)
    if (groupId !== undefined) yield* probe.ownGroupId(groupId)
    yield* call("group.get", "GET", `/groups/${g3}`, "/groups/{externalId}")
    if (groupId !== undefined) yield* call("group.get.by-id", "GET", `/groups/${groupId}`, "/groups/{id}")
    yield* call("membership.add", "POST", `/groups/${g3}/membership`, "/groups/{externalId}/membership", {
      memberExternalId: u4
    })
    yield* call(
      "membership.add.unknown-user",
      "POST",
      `/groups/${g3}/membership`,
      "/groups/{externalId}/membership",
      { memberExternalId: ids.unknown(6001) }
    )
    yield* call("membership.list", "GET", `/groups/${g3}/membership`, "/groups/{externalId}/membership")
    yield* call(
      "membership.delete",
      "DELETE",
      `/groups/${g3}/membership/${u4}`,
      "/groups/{externalId}/membership/{memberExternalId}"
    )
    yield* call(
      "membership.delete.not-a-member",
      "DELETE",
      `/groups/${g3}/membership/${u4}`,
      "/groups/{externalId}/membership/{memberExternalId}"
    )
    yield* call("group.delete", "DELETE", `/groups/${g3}`, "/groups/{externalId}")
    yield* call("group.get.after-delete", "GET", `/groups/${g3}`, "/groups/{externalId}")
  })
