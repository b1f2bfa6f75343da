import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { scaledClock, systemClock, type EmulatorClock } from "./Clock.ts"
import type { EmulatedGroup, EmulatedUser, SessionView, SimulationEntry } from "./Directory.ts"
import { Faults, type FaultInjector } from "./Faults.ts"
import { matches, oktaGroup, oktaUser, page, parseExpression, quickMatch } from "./internal/AdminApi.ts"
import {
  Auth,
  SCOPE_MANAGE,
  SCOPE_READ,
  type OAuthClientConfig,
  type Principal,
  type TokenConfig
} from "./internal/Auth.ts"
import { oktaTime, requestId as newRequestId } from "./internal/Ids.ts"
import {
  methodNotAllowed,
  notFound,
  OktaHttpError,
  rateLimited,
  serverError,
  validationFailed
} from "./internal/OktaError.ts"
import {
  Org,
  type GroupRecord,
  type SessionRecord,
  type StagedUpload,
  type UserRecord
} from "./internal/Org.ts"
import {
  BulkGroupsDelete,
  BulkGroupsUpsert,
  BulkMemberships,
  BulkUsersDelete,
  BulkUsersUpsert,
  decode,
  GroupCreate,
  GroupUpdate,
  MembershipCreate,
  parseJson,
  UserCreate,
  UserReplace
} from "./internal/Payloads.ts"
import { loadSnapshot, saveSnapshot } from "./internal/Persistence.ts"
import { Simulator, type SimulateOptions } from "./internal/Simulate.ts"
import { profileRoutes } from "./internal/ProfileRoutes.ts"
import type { CustomAttributesOption, UnknownAttributes } from "./internal/Profiles.ts"
import { RateLimiter } from "./internal/RateLimiter.ts"
import { loadGuard, type StrictGuard } from "./internal/Strict.ts"
import type { ResponsesMode } from "./OpenApi.ts"

export type { OAuthClientConfig, TokenConfig } from "./internal/Auth.ts"
export type { SimulateOptions } from "./internal/Simulate.ts"
export type { CustomAttributesOption, SchemaAttribute, UnknownAttributes } from "./internal/Profiles.ts"

/** The identity source every emulator has unless `identitySources` says otherwise. */
export const DEFAULT_IDENTITY_SOURCE_ID = "0oaEMULATED000000001"
/** The SSWS API token the emulator accepts unless `tokens` says otherwise. Not a secret: it only opens the local emulator. */
export const DEFAULT_API_TOKEN = "emulator-api-token"

export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string
  /**
   * Identity sources (Custom Identity Source app instances). Default: one, {@link DEFAULT_IDENTITY_SOURCE_ID}. Each
   * starts like a new one in a real org: the seven base attributes and the default mapping; `customAttributes`
   * declares more in its schema (names, for plain strings, or `{ name: { title, maxLength, … } }`), as an admin
   * would in the Profile Editor. Declared attributes are kept by a persisted org.
   */
  readonly identitySources?: ReadonlyArray<{
    readonly id: string
    readonly name?: string
    readonly customAttributes?: CustomAttributesOption
  }>
  /**
   * A user profile attribute the identity source's schema does not declare: `reject` (default) answers the upload
   * 400 `E0000001` naming it (`profiles[0].profile.departmnet: The attribute departmnet is not defined …`);
   * `ignore` accepts the upload, drops the attribute and notes it in the session's warnings. Okta's own behaviour is
   * unconfirmed (docs/okta/identity-sources-api.md §12).
   */
  readonly unknownAttributes?: UnknownAttributes
  /** Accepted `SSWS` API tokens (every scope unless `scopes` is given). Default: {@link DEFAULT_API_TOKEN}. */
  readonly tokens?: ReadonlyArray<TokenConfig>
  /** OAuth 2.0 service apps allowed to use `POST /oauth2/v1/token` (client credentials + private_key_jwt). */
  readonly oauthClients?: ReadonlyArray<OAuthClientConfig>
  /** Time source. Default: real time (sped up by `timeScale` when given). Tests pass a `ManualClock`. */
  readonly clock?: EmulatorClock
  /** What list-sessions returns: only CREATED/IN_PROGRESS/TRIGGERED sessions (default) or every session. */
  readonly listSessions?: "active" | "all"
  /** Bytes in the "200 KB" upload limit's kilobyte. Default 1024. */
  readonly kilobyte?: 1000 | 1024
  /** Requests per window on `/api/v1/*` (and separately on `/oauth2/v1/token`). Default 600 per 60 s. */
  readonly rateLimit?: { readonly limit: number; readonly windowMs?: number }
  /** Emulator time from TRIGGERED to COMPLETED/ERROR, per session, one session at a time. Default 200 ms. */
  readonly processingDelayMs?: number
  /** Speeds the real clock up for demos (60 = one real second is one emulator minute). Ignored when `clock` is given. */
  readonly timeScale?: number
  /** Load the org (directory and sessions) from this JSON file at start and save it after every change (atomic rename). */
  readonly persistPath?: string
  /** Keep `requests` (the request log, last 100,000 requests). Default true. */
  readonly requestLog?: boolean
  /**
   * Where traffic recorded from real orgs and Okta's spec disagree (docs/okta/identity-sources-api.md §10), answer as
   * `recorded` (default) or as the `spec` says. Recorded: create-session 201, `POST /users` 200 with the user,
   * `DELETE` user/group 200, identity-source user ids `0ua…`, user replies listing the base attributes as `null` when
   * unset, flat group profiles. Spec: 200, 200 without a body, 204, `00u…`, unset attributes left out, group profiles
   * nested under `profile.profile`. Strict mode validates with the allowances of the chosen mode.
   */
  readonly responses?: ResponsesMode
  /** Called with every request and the reply sent to it (for contract validation in tests). */
  readonly onExchange?: (exchange: Exchange) => void
  /**
   * Validate every request and reply of the Identity Sources, schema and mapping APIs against the OpenAPI subsets
   * the package ships (`spec/`, see `specPath()`), with the allowances for recorded traffic. A request
   * that violates it is answered 400 `E0000003` (`E0000001` for a bad path or query parameter) with one
   * `errorCauses` entry per field (`entityType: must be one of USERS, got "PEOPLE"`) and never reaches the org; a
   * reply that violates it is replaced by a 500 `E0000009` whose cause says the emulator is wrong. Requests outside
   * the spec (token endpoint, Users/Groups APIs) and deliberately off-contract `badBody` faults pass unchecked.
   * Default false: the validator (openapi-backend, Ajv) is only loaded when this is on.
   */
  readonly strict?: boolean
  /**
   * Trouble inside an org that answers every request correctly, for trying verification and drift checks:
   * `rejectShare` (0–1) of the users and groups each import upserts are rejected one by one while the session
   * still COMPLETES (per-record warnings in `sessions()`); after each completed import an admin edits
   * `adminEditShare` of the active users, and a second client writing to the identity source changes
   * `secondWriterShare` of the users and groups (an attribute; one member out, one in). `seed` picks the records.
   */
  readonly simulate?: SimulateOptions
}

export interface RequestLogEntry {
  readonly method: string
  /** Path and query string. */
  readonly path: string
  /** Reply status; 0 when the connection was dropped by a fault. */
  readonly status: number
  /** Size of the request body in bytes. */
  readonly bodyBytes: number
  /** Emulator time the request arrived, Okta-style ISO string. */
  readonly at: string
  readonly requestId: string
  /** The fault that shaped this reply, if any. */
  readonly fault?: string
}

/** One request and the reply sent to it, as seen on the wire. */
export interface Exchange {
  readonly method: string
  /** Path and query string. */
  readonly url: string
  readonly requestHeaders: IncomingHttpHeaders
  readonly requestBody: string
  /** 0 when the connection was dropped. */
  readonly status: number
  readonly responseHeaders: Readonly<Record<string, string>>
  readonly responseBody: string
  /** The injected fault that shaped the reply, if any (`badBody` replies are deliberately off-contract). */
  readonly fault?: string
}

export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:49152` (use it as the org URL). */
  readonly url: string
  readonly close: () => Promise<void>
  readonly clock: EmulatorClock
  /** Snapshots of the simulated directory (fresh arrays on every call). */
  readonly directory: {
    readonly users: (identitySourceId?: string) => Array<EmulatedUser>
    readonly groups: (identitySourceId?: string) => Array<EmulatedGroup>
    /** External ids of the users in the group with this external id, sorted. */
    readonly members: (groupExternalId: string, identitySourceId?: string) => Array<string>
  }
  /** Every session, oldest first, with staged counts, import results and warnings. */
  readonly sessions: (identitySourceId?: string) => Array<SessionView>
  readonly faults: FaultInjector
  /** The request log, oldest first (empty when `requestLog: false`). */
  readonly requests: Array<RequestLogEntry>
  /** Runs any due work (expiry, imports whose processing time has come) now. */
  readonly processPending: () => Promise<void>
  /** Make an admin or a second writer act now (whatever the `simulate` option says), on the default identity source unless given. */
  readonly simulate: {
    /** An admin edits `share` (0–1) of the active users; returns their externalIds. */
    readonly adminEdit: (share: number, identitySourceId?: string) => Array<string>
    /** A second client changes `share` of the users and groups; returns what it changed. */
    readonly secondWriter: (
      share: number,
      identitySourceId?: string
    ) => { readonly users: Array<string>; readonly groups: Array<string> }
  }
  /** What the simulation modes did, oldest first (rejections, admin edits, second-writer changes). */
  readonly simulations: () => Array<SimulationEntry>
}

interface Reply {
  readonly status: number
  readonly body?: unknown
  /** A raw body sent as is (fault injection only). */
  readonly raw?: string
  readonly headers?: Record<string, string>
}

interface Ctx {
  readonly method: string
  readonly url: URL
  readonly baseUrl: string
  readonly params: ReadonlyArray<string>
  readonly body: Buffer
  readonly principal: Principal
}

type Handler = (ctx: Ctx) => Reply | Promise<Reply>

interface Route {
  readonly pattern: RegExp
  readonly methods: Readonly<
    Record<string, { readonly scopes: ReadonlyArray<string>; readonly handler: Handler }>
  >
}

const IS = "/api/v1/identity-sources/([^/]+)"
const SEG = "([^/]+)"

const UPLOADS: ReadonlyArray<{ readonly path: string; readonly build: (body: unknown) => StagedUpload }> = [
  {
    path: "bulk-upsert",
    build: (b) => ({ kind: "usersUpsert", items: decode(BulkUsersUpsert, b).profiles })
  },
  {
    path: "bulk-delete",
    build: (b) => ({ kind: "usersDelete", items: decode(BulkUsersDelete, b).profiles })
  },
  {
    path: "bulk-groups-upsert",
    build: (b) => ({ kind: "groupsUpsert", items: decode(BulkGroupsUpsert, b).profiles })
  },
  {
    path: "bulk-groups-delete",
    build: (b) => ({ kind: "groupsDelete", items: decode(BulkGroupsDelete, b).externalIds })
  },
  {
    path: "bulk-group-memberships-upsert",
    build: (b) => ({ kind: "membershipsUpsert", items: decode(BulkMemberships, b).memberships })
  },
  {
    path: "bulk-group-memberships-delete",
    build: (b) => ({ kind: "membershipsDelete", items: decode(BulkMemberships, b).memberships })
  }
]

const sessionJson = (s: SessionRecord) => ({
  id: s.id,
  identitySourceId: s.identitySourceId,
  status: s.status,
  importType: "INCREMENTAL",
  created: oktaTime(s.created),
  lastUpdated: oktaTime(s.lastUpdated)
})

/**
 * The base attributes a real org lists in a user reply, `null` when never set, in the order of the genuine recording
 * (docs/okta/identity-sources-api.md §10.2). `homeAddress` is not among them: the recording does not show it.
 */
const RECORDED_BASE_ATTRIBUTES = [
  "firstName",
  "lastName",
  "mobilePhone",
  "secondEmail",
  "userName",
  "email"
] as const

const userJsonFor = (mode: ResponsesMode) => (u: UserRecord) => ({
  id: mode === "recorded" ? u.sourceUserId : u.id,
  externalId: u.externalId,
  created: oktaTime(u.created),
  lastUpdated: oktaTime(u.lastUpdated),
  profile:
    mode === "recorded"
      ? { ...Object.fromEntries(RECORDED_BASE_ATTRIBUTES.map((a) => [a, null])), ...u.profile }
      : { ...u.profile }
})

// Recorded: the flat profile real orgs return. Spec: nested under profile.profile (docs/okta/identity-sources-api.md §10.3).
const groupJsonFor = (mode: ResponsesMode) => (g: GroupRecord) => ({
  id: g.id,
  externalId: g.externalId,
  profile: mode === "recorded" ? { ...g.profile } : { profile: { ...g.profile } }
})

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

/** The request log keeps the most recent entries only, so a long-running emulator does not grow without bound. */
const MAX_LOG = 100_000

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Starts an emulated Okta org for the Identity Sources API. */
export const startEmulator = async (options: EmulatorOptions = {}): Promise<RunningEmulator> => {
  const mode: ResponsesMode = options.responses ?? "recorded"
  const guard: StrictGuard | undefined =
    options.strict === true ? await loadGuard({ responses: mode }) : undefined
  const clock =
    options.clock ?? (options.timeScale !== undefined ? scaledClock(options.timeScale) : systemClock)
  const kilobyte = options.kilobyte ?? 1024
  const maxUploadBytes = 200 * kilobyte
  const recorded = mode === "recorded"
  const createStatus = recorded ? 201 : 200
  const userJson = userJsonFor(mode)
  const groupJson = groupJsonFor(mode)
  const keepLog = options.requestLog ?? true
  const windowMs = options.rateLimit?.windowMs ?? 60_000
  const limit = options.rateLimit?.limit ?? 600
  const apiLimiter = new RateLimiter(limit, windowMs)
  const tokenLimiter = new RateLimiter(limit, windowMs)
  const faults = new Faults()
  const requests: Array<RequestLogEntry> = []
  // Client-made timestamps (assertion exp, DPoP iat) follow the injected clock in tests, but real time when the
  // emulator only runs sped up (timeScale), since clients sign with their own wall clock.
  const clientNow = options.clock === undefined ? () => Date.now() : clock.now
  const auth = new Auth(
    options.tokens ?? [{ token: DEFAULT_API_TOKEN }],
    options.oauthClients ?? [],
    clock.now,
    clientNow
  )
  const simulator = new Simulator(options.simulate ?? {})
  const org = new Org({
    now: clock.now,
    processingDelayMs: options.processingDelayMs ?? 200,
    listSessions: options.listSessions ?? "active",
    rejects: simulator.rejects,
    afterImport: simulator.afterImport,
    unknownAttributes: options.unknownAttributes ?? "reject"
  })
  simulator.attach(org)

  if (options.persistPath !== undefined) {
    const saved = loadSnapshot(options.persistPath)
    if (saved !== undefined) org.restore(saved)
  }
  for (const src of options.identitySources ?? [
    { id: DEFAULT_IDENTITY_SOURCE_ID, name: "Emulated identity source" }
  ]) {
    org.addSource(src.id, src.name ?? src.id, src.customAttributes)
  }

  const persist = (): void => {
    if (options.persistPath !== undefined && org.dirty) {
      saveSnapshot(options.persistPath, org.snapshot())
      org.dirty = false
    }
  }
  const tick = (): void => {
    org.tick()
    persist()
  }
  tick()

  // ------------------------------------------------------------------ handlers

  const upload =
    (build: (body: unknown) => StagedUpload): Handler =>
    ({ params, body }) => {
      const session = org.session(params[0]!, params[1]!)
      org.assertUploadable(session)
      if (body.length > maxUploadBytes) {
        throw validationFailed("payload", [
          `The request payload is ${body.length} bytes; an upload may be at most 200 KB (${maxUploadBytes} bytes).`
        ])
      }
      org.stage(session, build(parseJson(body)))
      return { status: 202 }
    }

  const deleted = (): Reply => ({ status: recorded ? 200 : 204 })

  const listUsers: Handler = ({ url, baseUrl }) => {
    const search = url.searchParams.get("search") ?? url.searchParams.get("filter")
    const q = url.searchParams.get("q")
    const conditions = search === null ? undefined : parseExpression(search)
    let users = org.allUsers().map((u) => ({ id: u.id, json: oktaUser(u, baseUrl, org.oktaProfileOf(u)) }))
    // Like Okta, a plain listing leaves DEPROVISIONED users out; search/filter see every status.
    if (conditions === undefined) users = users.filter((u) => u.json["status"] !== "DEPROVISIONED")
    else users = users.filter((u) => matches(u.json, conditions))
    if (q !== null)
      users = users.filter((u) => quickMatch(u.json, q, ["login", "email", "firstName", "lastName"]))
    const p = page(users, url, 200, 200)
    return { status: 200, body: p.items.map((u) => u.json), headers: { Link: p.link } }
  }

  const listGroups: Handler = ({ url, baseUrl }) => {
    const search = url.searchParams.get("search") ?? url.searchParams.get("filter")
    const q = url.searchParams.get("q")
    let groups = org.allGroups().map((g) => ({ id: g.id, json: oktaGroup(g, baseUrl) }))
    if (search !== null) {
      const conditions = parseExpression(search)
      groups = groups.filter((g) => matches(g.json, conditions))
    }
    if (q !== null) groups = groups.filter((g) => quickMatch(g.json, q, ["name"]))
    const p = page(groups, url, 200, 10_000)
    return { status: 200, body: p.items.map((g) => g.json), headers: { Link: p.link } }
  }

  const oktaGroupFor = (id: string): GroupRecord => {
    const g = org.groupById(id)
    if (g === undefined) throw notFound(id, "UserGroup")
    return g
  }

  const manage = [SCOPE_MANAGE]
  const read = [SCOPE_READ]
  const usersRead = ["okta.users.read", "okta.users.manage"]
  const groupsRead = ["okta.groups.read", "okta.groups.manage"]

  const routes: ReadonlyArray<Route> = [
    {
      pattern: new RegExp(`^${IS}/sessions$`),
      methods: {
        GET: {
          scopes: read,
          handler: ({ params }) => ({ status: 200, body: org.listSessions(params[0]!).map(sessionJson) })
        },
        POST: {
          scopes: manage,
          handler: ({ params }) => ({
            status: createStatus,
            body: sessionJson(org.createSession(params[0]!))
          })
        }
      }
    },
    {
      pattern: new RegExp(`^${IS}/sessions/${SEG}$`),
      methods: {
        GET: {
          scopes: read,
          handler: ({ params }) => ({ status: 200, body: sessionJson(org.session(params[0]!, params[1]!)) })
        },
        DELETE: {
          scopes: manage,
          handler: ({ params }) => {
            org.cancelSession(params[0]!, params[1]!)
            return { status: 204 }
          }
        }
      }
    },
    ...UPLOADS.map(
      (u): Route => ({
        pattern: new RegExp(`^${IS}/sessions/${SEG}/${u.path}$`),
        methods: { POST: { scopes: manage, handler: upload(u.build) } }
      })
    ),
    {
      pattern: new RegExp(`^${IS}/sessions/${SEG}/start-import$`),
      methods: {
        POST: {
          scopes: manage,
          handler: ({ params, method, url }) => {
            const s = org.session(params[0]!, params[1]!)
            // Only consume a sessionError fault when the trigger is going to succeed.
            const fail =
              s.status === "IN_PROGRESS" && faults.take("sessionError", method, url.pathname) !== undefined
            return { status: 200, body: sessionJson(org.startImport(params[0]!, params[1]!, fail)) }
          }
        }
      }
    },
    {
      pattern: new RegExp(`^${IS}/users$`),
      methods: {
        POST: {
          scopes: manage,
          handler: ({ params, body }) => {
            const req = decode(UserCreate, parseJson(body))
            const user = org.createUser(params[0]!, req.externalId, req.profile)
            return recorded ? { status: 200, body: userJson(user) } : { status: 200 }
          }
        }
      }
    },
    {
      pattern: new RegExp(`^${IS}/users/${SEG}$`),
      methods: {
        GET: {
          scopes: read,
          handler: ({ params }) => ({
            status: 200,
            body: userJson(org.userByExternalId(params[0]!, params[1]!))
          })
        },
        PUT: {
          scopes: manage,
          handler: ({ params, body }) => {
            org.userByExternalId(params[0]!, params[1]!)
            const req = decode(UserReplace, parseJson(body))
            return {
              status: 200,
              body: userJson(org.writeUser(params[0]!, params[1]!, req.profile, "replace"))
            }
          }
        },
        PATCH: {
          scopes: manage,
          handler: ({ params, body }) => {
            org.userByExternalId(params[0]!, params[1]!)
            const req = decode(UserReplace, parseJson(body))
            return {
              status: 200,
              body: userJson(org.writeUser(params[0]!, params[1]!, req.profile, "merge"))
            }
          }
        },
        DELETE: {
          scopes: manage,
          handler: ({ params }) => {
            org.deactivateUser(org.userByExternalId(params[0]!, params[1]!), org.now)
            return deleted()
          }
        }
      }
    },
    {
      pattern: new RegExp(`^${IS}/groups$`),
      methods: {
        POST: {
          scopes: manage,
          handler: ({ params, body }) => {
            const req = decode(GroupCreate, parseJson(body))
            return { status: 200, body: groupJson(org.createGroup(params[0]!, req.externalId, req.profile)) }
          }
        }
      }
    },
    {
      pattern: new RegExp(`^${IS}/groups/${SEG}$`),
      methods: {
        GET: {
          scopes: read,
          handler: ({ params }) => ({
            status: 200,
            body: groupJson(org.groupByIdOrExternalId(params[0]!, params[1]!))
          })
        },
        POST: {
          scopes: manage,
          handler: ({ params, body }) => {
            const g = org.groupByIdOrExternalId(params[0]!, params[1]!)
            const req = decode(GroupUpdate, parseJson(body))
            org.upsertGroup(params[0]!, g.externalId, req.profile, org.now)
            return { status: 200, body: groupJson(g) }
          }
        },
        DELETE: {
          scopes: manage,
          handler: ({ params }) => {
            org.deleteGroup(params[0]!, org.groupByIdOrExternalId(params[0]!, params[1]!).id)
            return deleted()
          }
        }
      }
    },
    {
      pattern: new RegExp(`^${IS}/groups/${SEG}/membership$`),
      methods: {
        GET: {
          scopes: read,
          handler: ({ params, url }) => {
            const g = org.groupByIdOrExternalId(params[0]!, params[1]!)
            const p = page(
              [...g.members].sort().map((id) => ({ id })),
              url,
              200,
              1000
            )
            return {
              status: 200,
              body: { memberExternalIds: p.items.map((m) => m.id) },
              headers: { Link: p.link }
            }
          }
        },
        POST: {
          scopes: manage,
          handler: ({ params, body }) => {
            org.groupByIdOrExternalId(params[0]!, params[1]!)
            const req = decode(MembershipCreate, parseJson(body))
            org.addMember(params[0]!, params[1]!, req.memberExternalId)
            return { status: 204 }
          }
        }
      }
    },
    {
      pattern: new RegExp(`^${IS}/groups/${SEG}/membership/${SEG}$`),
      methods: {
        DELETE: {
          scopes: manage,
          handler: ({ params }) => {
            org.removeMember(params[0]!, params[1]!, params[2]!)
            return { status: 204 }
          }
        }
      }
    },
    ...profileRoutes(org),
    { pattern: /^\/api\/v1\/users$/, methods: { GET: { scopes: usersRead, handler: listUsers } } },
    {
      pattern: new RegExp(`^/api/v1/users/${SEG}$`),
      methods: {
        GET: {
          scopes: usersRead,
          handler: ({ params, baseUrl }) => {
            const u = org.userByIdOrLogin(params[0]!)
            if (u === undefined) throw notFound(params[0]!, "User")
            return { status: 200, body: oktaUser(u, baseUrl, org.oktaProfileOf(u)) }
          }
        }
      }
    },
    { pattern: /^\/api\/v1\/groups$/, methods: { GET: { scopes: groupsRead, handler: listGroups } } },
    {
      pattern: new RegExp(`^/api/v1/groups/${SEG}$`),
      methods: {
        GET: {
          scopes: groupsRead,
          handler: ({ params, baseUrl }) => ({
            status: 200,
            body: oktaGroup(oktaGroupFor(params[0]!), baseUrl)
          })
        }
      }
    },
    {
      pattern: new RegExp(`^/api/v1/groups/${SEG}/users$`),
      methods: {
        GET: {
          scopes: [...groupsRead, ...usersRead],
          handler: ({ params, url, baseUrl }) => {
            const members = org
              .groupMembers(oktaGroupFor(params[0]!))
              .map((u) => ({ id: u.id, json: oktaUser(u, baseUrl, org.oktaProfileOf(u)) }))
            const p = page(members, url, 1000, 10_000)
            return { status: 200, body: p.items.map((m) => m.json), headers: { Link: p.link } }
          }
        }
      }
    }
  ]

  const route = async (
    method: string,
    url: URL,
    baseUrl: string,
    body: Buffer,
    headers: IncomingHttpHeaders
  ): Promise<Reply> => {
    if (url.pathname === "/oauth2/v1/token") {
      if (method !== "POST") throw methodNotAllowed()
      const form = new URLSearchParams(body.toString("utf8"))
      const dpop = typeof headers["dpop"] === "string" ? headers["dpop"] : undefined
      const tokenUrls = [...new Set([`${baseUrl}/oauth2/v1/token`, `${emulatorUrl}/oauth2/v1/token`])]
      return auth.token(form, dpop, tokenUrls)
    }
    const principal = await auth.authenticate(
      {
        authorization: headers.authorization,
        dpop: typeof headers["dpop"] === "string" ? headers["dpop"] : undefined
      },
      method,
      `${baseUrl}${url.pathname}`
    )
    for (const r of routes) {
      const m = r.pattern.exec(url.pathname)
      if (m === null) continue
      const entry = r.methods[method]
      if (entry === undefined) throw methodNotAllowed()
      auth.requireScope(principal, ...entry.scopes)
      const rejected = guard?.checkRequest(method, url.pathname + url.search, headers, body)
      if (rejected !== undefined) throw rejected
      const params = m.slice(1).map((p) => decodeURIComponent(p))
      return entry.handler({ method, url, baseUrl, params, body, principal })
    }
    throw notFound(url.pathname, "Resource")
  }

  // ------------------------------------------------------------------ server

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req)
    const method = (req.method ?? "GET").toUpperCase()
    const host = req.headers.host ?? new URL(emulatorUrl).host
    const baseUrl = `http://${host}`
    const url = new URL(req.url ?? "/", baseUrl)
    const requestId = newRequestId()
    const arrivedAt = clock.now()
    tick()

    let fault: string | undefined
    const latency = faults.take("latency", method, url.pathname)
    if (latency !== undefined) {
      fault = `latency ${latency.ms}ms`
      await sleep(latency.ms)
    }
    const drop = faults.take("drop", method, url.pathname)

    const finish = (status: number, headers: Record<string, string>, payload: string, dropped: boolean) => {
      if (keepLog) {
        if (requests.length >= MAX_LOG) requests.splice(0, requests.length - MAX_LOG + 1)
        requests.push({
          method,
          path: url.pathname + url.search,
          status,
          bodyBytes: body.length,
          at: oktaTime(arrivedAt),
          requestId,
          ...(fault === undefined ? {} : { fault })
        })
      }
      options.onExchange?.({
        method,
        url: url.pathname + url.search,
        requestHeaders: req.headers,
        requestBody: body.toString("utf8"),
        status: dropped ? 0 : status,
        responseHeaders: headers,
        responseBody: payload,
        ...(fault === undefined ? {} : { fault })
      })
    }

    if (drop !== undefined && drop.afterHandling !== true) {
      fault = "drop"
      finish(0, {}, "", true)
      req.socket.destroy()
      return
    }

    const limiter = url.pathname.startsWith("/oauth2/") ? tokenLimiter : apiLimiter
    let reply: Reply
    let rateHeaders: Record<string, string>
    const burst = faults.take("rateLimit", method, url.pathname)
    if (burst !== undefined) {
      fault = "rateLimit"
      const now = clock.now()
      const resetAt =
        burst.resetInMs === undefined
          ? Number(limiter.headers(now)["X-Rate-Limit-Reset"]) * 1000
          : now + burst.resetInMs
      const e = rateLimited()
      reply = { status: 429, body: e.body }
      rateHeaders = {
        "X-Rate-Limit-Limit": String(limiter.limit),
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Reset": String(Math.ceil(resetAt / 1000))
      }
    } else {
      const taken = limiter.take(clock.now())
      const injected = taken.allowed ? faults.take("status", method, url.pathname) : undefined
      const garbled =
        taken.allowed && injected === undefined ? faults.take("badBody", method, url.pathname) : undefined
      try {
        if (!taken.allowed) throw rateLimited()
        if (injected !== undefined) {
          fault = `status ${injected.status}`
          throw injected.status >= 500
            ? serverError(injected.status)
            : new OktaHttpError(injected.status, "E0000001", "Api validation failed: injected fault")
        }
        if (garbled !== undefined) {
          fault = "badBody"
          reply = {
            status: garbled.status ?? 200,
            raw: garbled.body ?? "<html><body><h1>502 Bad Gateway</h1></body></html>",
            headers: { "Content-Type": garbled.contentType ?? "text/html" }
          }
        } else {
          reply = await route(method, url, baseUrl, body, req.headers)
        }
      } catch (e) {
        if (!(e instanceof OktaHttpError)) throw e
        reply = { status: e.status, body: e.body, headers: { ...e.headers } }
      }
      rateHeaders = limiter.headers(clock.now())
    }
    tick()

    const render = (r: Reply) => {
      const text = r.raw ?? (r.body === undefined ? "" : JSON.stringify(r.body))
      const head: Record<string, string> = {
        Date: new Date(clock.now()).toUTCString(),
        "X-Okta-Request-Id": requestId,
        ...rateHeaders,
        ...(text === "" ? {} : { "Content-Type": "application/json" }),
        ...(r.headers ?? {}),
        // RFC 9110: no Content-Length on 204.
        ...(r.status === 204 ? {} : { "Content-Length": String(Buffer.byteLength(text)) })
      }
      return { payload: text, headers: head }
    }
    let { payload, headers } = render(reply)
    // Strict mode checks the reply too, unless a fault made it off-contract on purpose or it will never be sent.
    if (guard !== undefined && fault !== "badBody" && drop === undefined) {
      const broken = guard.checkResponse(
        { method, url: url.pathname + url.search },
        { status: reply.status, headers, body: payload }
      )
      if (broken !== undefined) {
        reply = { status: broken.status, body: broken.body }
        ;({ payload, headers } = render(reply))
      }
    }
    if (drop !== undefined) {
      fault = "drop after handling"
      finish(reply.status, headers, payload, true)
      req.socket.destroy()
      return
    }
    finish(reply.status, headers, payload, false)
    res.sendDate = false
    res.writeHead(reply.status, headers)
    res.end(payload)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // A bug in the emulator: answer 500 in Okta's shape rather than hanging the client.
      const err = serverError(500)
      const payload = JSON.stringify({
        ...err.body,
        errorCauses: [{ errorSummary: e instanceof Error ? e.message : String(e) }]
      })
      if (!res.headersSent)
        res.writeHead(500, { "Content-Type": "application/json", "X-Okta-Request-Id": newRequestId() })
      res.end(payload)
    })
  })
  server.keepAliveTimeout = 5_000

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const hostName = address.family === "IPv6" ? `[${address.address}]` : address.address
  const emulatorUrl = `http://${hostName}:${address.port}`

  const unsubscribe = clock.onAdvance?.(tick)
  const timer = setInterval(() => {
    try {
      tick()
    } catch {
      // A failed save stays dirty and is retried; a request hitting the same failure answers 500.
    }
  }, 20)
  timer.unref()

  const firstSource = (): string => [...org.sources.keys()][0] ?? DEFAULT_IDENTITY_SOURCE_ID
  let closed: Promise<void> | undefined
  return {
    url: emulatorUrl,
    clock,
    faults,
    requests,
    directory: {
      users: (isId) => org.allUsers(isId).map((u) => org.userView(u)),
      groups: (isId) => org.allGroups(isId).map((g) => org.groupView(g)),
      members: (groupExternalId, isId) => {
        const g = org.allGroups(isId).find((x) => x.externalId === groupExternalId)
        return g === undefined ? [] : [...g.members].sort()
      }
    },
    sessions: (isId) =>
      [...org.sessions.values()]
        .filter((s) => isId === undefined || s.identitySourceId === isId)
        .sort((a, b) => a.created - b.created)
        .map((s) => org.sessionView(s)),
    processPending: async () => tick(),
    simulate: {
      adminEdit: (share, isId) => {
        const edited = simulator.adminEdit(isId ?? firstSource(), share)
        persist()
        return edited
      },
      secondWriter: (share, isId) => {
        const changed = simulator.secondWriter(isId ?? firstSource(), share)
        persist()
        return changed
      }
    },
    simulations: () => [...simulator.log],
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        clearInterval(timer)
        unsubscribe?.()
        server.close((e) => {
          try {
            tick()
          } catch (persistError) {
            reject(persistError)
            return
          }
          if (e !== undefined) reject(e)
          else resolve()
        })
        server.closeAllConnections()
      })
      return closed
    }
  }
}
