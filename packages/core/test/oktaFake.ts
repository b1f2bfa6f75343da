/**
 * Test doubles for the Okta client's unit tests: an in-process HttpClient whose responses come from a handler
 * (time from Effect's Clock, so TestClock drives `Date` headers), and `MiniOkta`, a tiny model of the
 * Identity Sources session rules for orchestrator tests. The real emulator is used by *.int.test.ts.
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { Clock, Effect, Layer, Redacted } from "effect"
import * as OktaClient from "../src/okta/OktaClient.ts"
import type { GroupChange, MembershipChange, Plan, UserChange } from "../src/plan/Plan.ts"
import * as PlanJson from "../src/plan/PlanJson.ts"
import type { Profile } from "../src/domain/Model.ts"

export const ORG = "https://fake.okta.test"
export const SOURCE = "0oaFAKESOURCE0000001"
export const TOKEN = "00SECRET-ssws-token-value-abcdef"

export interface FakeRequest {
  readonly method: string
  readonly url: URL
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly at: number
}

export interface FakeResponse {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: unknown
}

/** `"drop"` simulates a dropped connection; `"hang"` never answers (for timeouts). */
export type Handler = (req: FakeRequest) => Effect.Effect<FakeResponse | "drop" | "hang">

export interface Fake {
  readonly requests: Array<FakeRequest>
  readonly layer: Layer.Layer<HttpClient.HttpClient>
}

const decoder = new TextDecoder()

export interface FakeHttpOptions {
  /** The server's clock runs this far ahead of the client's (negative: behind): `Date` headers and MiniOkta times. */
  readonly serverClockOffsetMillis?: number
}

export const fakeHttp = (handler: Handler, options: FakeHttpOptions = {}): Fake => {
  const requests: Array<FakeRequest> = []
  const offset = options.serverClockOffsetMillis ?? 0
  const client = HttpClient.make((request, url) =>
    Effect.gen(function* () {
      const at = (yield* Clock.currentTimeMillis) + offset
      const body = request.body._tag === "Uint8Array" ? decoder.decode(request.body.body) : ""
      const req: FakeRequest = { method: request.method, url, path: url.pathname, headers: { ...request.headers }, body, at }
      requests.push(req)
      const res = yield* handler(req)
      if (res === "hang") return yield* Effect.never
      if (res === "drop")
        return yield* Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("socket hang up") })
        )
      const text = res.body === undefined ? null : typeof res.body === "string" ? res.body : JSON.stringify(res.body)
      const headers = new Headers({ date: new Date(at).toUTCString(), "x-okta-request-id": `req-${requests.length}`, ...res.headers })
      if (text !== null && !headers.has("content-type")) headers.set("content-type", "application/json")
      return HttpClientResponse.fromWeb(request, new Response(res.status === 204 ? null : text, { status: res.status, headers }))
    })
  )
  return { requests, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

export const oktaError = (status: number, errorCode: string, errorSummary: string, causes: Array<string> = []): FakeResponse => ({
  status,
  body: { errorCode, errorSummary, errorLink: errorCode, errorId: `oae${errorCode}x`, errorCauses: causes.map((c) => ({ errorSummary: c })) }
})

export const ssws = { type: "ssws" as const, token: Redacted.make(TOKEN) }

export const clientLayer = (fake: Fake, options: Partial<OktaClient.OktaClientOptions> = {}) =>
  OktaClient.layerWithHttp({
    orgUrl: ORG,
    identitySourceId: SOURCE,
    auth: ssws,
    requestTimeoutMs: 10_000,
    maxRetries: 3,
    ...options
  }).pipe(Layer.provide(fake.layer), Layer.orDie)

// ---------------------------------------------------------------------------------------------
// MiniOkta: the session rules that matter to the orchestrator.

export type Status = "CREATED" | "IN_PROGRESS" | "TRIGGERED" | "COMPLETED" | "CLOSED" | "EXPIRED" | "ERROR"

export interface MiniSession {
  id: string
  status: Status
  created: number
  lastUpdated: number
  triggeredAt?: number
  uploads: Array<{ kind: string; body: any }>
}

export interface MiniOktaOptions {
  /** Import takes this long after start-import (TestClock time). */
  readonly processingMillis?: number
  /** Apply the 5-minute gap after any session creation (stricter reading of the rule). */
  readonly gapAfterCreateMillis?: number
  /** Sessions (by creation order, 0-based) that end in ERROR instead of COMPLETED. */
  readonly errorSessions?: ReadonlySet<number>
}

export const makeMiniOkta = (options: MiniOktaOptions = {}) => {
  const sessions: Array<MiniSession> = []
  const users = new Map<string, { profile: Record<string, string | null>; status: "ACTIVE" | "DEPROVISIONED" }>()
  const groups = new Map<string, Record<string, string | null>>()
  const members = new Map<string, Set<string>>()
  const faults: Array<(req: FakeRequest) => FakeResponse | "drop" | undefined> = []
  let seq = 0
  const iso = (t: number) => new Date(Math.floor(t / 1000) * 1000).toISOString()
  const view = (s: MiniSession) => ({
    id: s.id,
    identitySourceId: SOURCE,
    status: s.status,
    importType: "INCREMENTAL",
    created: iso(s.created),
    lastUpdated: iso(s.lastUpdated)
  })
  const process = (s: MiniSession, index: number) => {
    if (options.errorSessions?.has(index)) {
      s.status = "ERROR"
      return
    }
    for (const u of s.uploads) {
      if (u.kind === "bulk-upsert") for (const p of u.body.profiles) users.set(p.externalId, { profile: p.profile, status: "ACTIVE" })
      if (u.kind === "bulk-delete")
        for (const p of u.body.profiles) {
          const x = users.get(p.externalId)
          if (x) x.status = "DEPROVISIONED"
        }
      if (u.kind === "bulk-groups-upsert") for (const p of u.body.profiles) groups.set(p.externalId, p.profile)
      if (u.kind === "bulk-groups-delete") for (const id of u.body.externalIds) groups.delete(id)
      if (u.kind === "bulk-group-memberships-upsert")
        for (const m of u.body.memberships) {
          const set = members.get(m.groupExternalId) ?? new Set()
          for (const id of m.memberExternalIds) set.add(id)
          members.set(m.groupExternalId, set)
        }
      if (u.kind === "bulk-group-memberships-delete")
        for (const m of u.body.memberships) for (const id of m.memberExternalIds) members.get(m.groupExternalId)?.delete(id)
    }
    s.status = "COMPLETED"
  }
  const tick = (now: number) => {
    sessions.forEach((s, i) => {
      if (s.status === "TRIGGERED" && now - (s.triggeredAt ?? now) >= (options.processingMillis ?? 1000)) {
        s.lastUpdated = now
        process(s, i)
      }
    })
  }
  const conflict = oktaError(400, "E0000001", "Api validation failed: Only one active import session per identity source is allowed to be created every 5 minutes")

  /** Rewrite a response after the model handled the request (e.g. accept an upload but answer 500). */
  const after: Array<(req: FakeRequest, res: FakeResponse) => FakeResponse | "drop" | undefined> = []
  const handler: Handler = (req) =>
    Effect.map(inner(req), (res) => {
      if (res === "drop" || res === "hang") return res
      for (const f of after) {
        const r = f(req, res)
        if (r !== undefined) return r
      }
      return res
    })
  const inner: Handler = (req) =>
    Effect.sync(() => {
      const now = req.at
      tick(now)
      for (const f of faults) {
        const r = f(req)
        if (r !== undefined) return r
      }
      const base = `/api/v1/identity-sources/${SOURCE}/sessions`
      if (!req.path.startsWith(base)) return { status: 404, body: { errorCode: "E0000007", errorSummary: "Not found" } }
      const rest = req.path.slice(base.length).split("/").filter(Boolean)
      if (rest.length === 0 && req.method === "POST") {
        const blocking = sessions.some(
          (s) =>
            s.status === "CREATED" ||
            s.status === "IN_PROGRESS" ||
            (s.status === "TRIGGERED" && now - (s.triggeredAt ?? 0) < 5 * 60_000) ||
            (options.gapAfterCreateMillis !== undefined && now - s.created < options.gapAfterCreateMillis)
        )
        if (blocking) return conflict
        const s: MiniSession = { id: `aps${String(++seq).padStart(17, "0")}`, status: "CREATED", created: now, lastUpdated: now, uploads: [] }
        sessions.push(s)
        return { status: 201, body: view(s) }
      }
      if (rest.length === 0 && req.method === "GET")
        return { status: 200, body: sessions.filter((s) => ["CREATED", "IN_PROGRESS", "TRIGGERED"].includes(s.status)).map(view) }
      const s = sessions.find((x) => x.id === rest[0])
      if (!s) return oktaError(404, "E0000007", `Not found: Resource not found: ${rest[0]} (IdentitySourceSession)`)
      if (rest.length === 1 && req.method === "GET") return { status: 200, body: view(s) }
      if (rest.length === 1 && req.method === "DELETE") {
        if (s.status !== "CREATED" && s.status !== "IN_PROGRESS")
          return oktaError(400, "E0000001", "Api validation failed: importSessionId", ["Only a session that is in CREATED or IN_PROGRESS status can be canceled."])
        s.status = "CLOSED"
        s.uploads = []
        return { status: 204 }
      }
      if (rest[1] === "start-import") {
        if (s.status !== "IN_PROGRESS") return oktaError(400, "E0000001", "Api validation failed: importSessionId", [`Session is ${s.status}`])
        s.status = "TRIGGERED"
        s.triggeredAt = now
        s.lastUpdated = now
        return { status: 200, body: view(s) }
      }
      if (rest[1]?.startsWith("bulk-")) {
        if (s.status !== "CREATED" && s.status !== "IN_PROGRESS")
          return oktaError(400, "E0000001", "Api validation failed: importSessionId", [`Session is ${s.status}`])
        if (s.uploads.length >= 50) return oktaError(400, "E0000001", "Api validation failed: upload limit of this session reached")
        const body = JSON.parse(req.body)
        s.uploads.push({ kind: rest[1], body })
        s.status = "IN_PROGRESS"
        s.lastUpdated = now
        return { status: 202 }
      }
      return { status: 405, body: { errorCode: "E0000022", errorSummary: "method" } }
    })

  return {
    sessions,
    users,
    groups,
    members,
    faults,
    after,
    handler,
    /** A session created by someone else. */
    addForeign: (status: Status, at: number) => {
      const s: MiniSession = { id: `apsFOREIGN${String(++seq).padStart(10, "0")}`, status, created: at, lastUpdated: at, uploads: [] }
      if (status === "TRIGGERED") s.triggeredAt = at
      sessions.push(s)
      return s
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Plans built by hand (the planner is tested elsewhere).


export const userProfile = (i: number, extra: Record<string, string | null> = {}): Profile => ({
  userName: `user${i}@example.com`,
  email: `user${i}@example.com`,
  firstName: `First${i}`,
  lastName: `Last${i}`,
  department: `Dept ${i % 17}`,
  costCenter: `CC-${i % 101}`,
  ...extra
})

export const createUser = (i: number, extra: Record<string, string | null> = {}): UserChange => ({
  op: "create",
  externalId: `EXT${String(i).padStart(6, "0")}`,
  profile: userProfile(i, extra),
  hash: `h${i}`,
  location: `people.csv:${i + 2}`
})

export const deactivateUser = (i: number): UserChange => ({ op: "deactivate", externalId: `EXT${String(i).padStart(6, "0")}`, reason: "missing" })

export const createGroup = (id: string, name = id): GroupChange => ({
  op: "create",
  externalId: id,
  profile: { displayName: name, description: `${name} group` },
  hash: `g-${id}`,
  location: "groups"
})

export const makePlan = (parts: {
  users?: ReadonlyArray<UserChange>
  groups?: ReadonlyArray<GroupChange>
  memberships?: ReadonlyArray<MembershipChange>
  identitySourceId?: string
  hash?: string
}): Plan => {
  const users = parts.users ?? []
  const groups = parts.groups ?? []
  const memberships = parts.memberships ?? []
  const counts = (xs: ReadonlyArray<UserChange>) => ({
    create: xs.filter((x) => x.op === "create").length,
    update: xs.filter((x) => x.op === "update").length,
    reactivate: xs.filter((x) => x.op === "reactivate").length,
    deactivate: xs.filter((x) => x.op === "deactivate").length,
    unchanged: 0
  })
  const body: Omit<Plan, "hash"> = {
    version: 1,
    identitySourceId: parts.identitySourceId ?? SOURCE,
    createdAt: "2026-01-01T00:00:00.000Z",
    inputs: { configHash: "c", stateHash: "s" },
    users,
    groups,
    memberships,
    summary: {
      users: counts(users),
      groups: counts(groups),
      memberships: {
        add: memberships.filter((m) => m.op === "add").reduce((n, m) => n + m.memberExternalIds.length, 0),
        remove: memberships.filter((m) => m.op === "remove").reduce((n, m) => n + m.memberExternalIds.length, 0)
      },
      rowsRead: users.length,
      excluded: {},
      invalid: 0
    },
    issues: []
  }
  // the real content hash, so a journal's plan reads back through PlanJson.parse
  return { ...body, hash: parts.hash ?? PlanJson.hash(body) }
}

export const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from)
