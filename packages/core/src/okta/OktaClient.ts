/**
 * The Okta Identity Sources client: one method per operation of Okta's OpenAPI subset (the emulator ships it as
 * packages/okta-emulator/spec/openapi-identity-sources.yaml; rules in docs/okta/identity-sources-api.md), over
 * @effect/platform's HttpClient.
 *
 * - Profiles are sent exactly as given (custom attributes included; the official SDK drops them).
 * - Every response's `X-Rate-Limit-*` headers are read; 429s wait until the reset (server `Date`), the bucket
 *   is never emptied (RateLimit.ts); 5xx and transport errors back off (Retry.ts). Counted in `metrics`.
 * - Errors are `OktaApiError` with a `reason`; tokens never appear in errors, logs or metrics.
 * - Every recorded-vs-spec variant is accepted (docs/okta/identity-sources-api.md §10): create-session 200 or 201,
 *   `POST /users` with or without the user, DELETE user/group 200 or 204, `0ua…` or `00u…` user ids, unset
 *   attributes `null` or left out (compare with ProfileCompare.ts), flat or nested group profiles, start-import's
 *   session as an object or a one-element array.
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import type { z } from "zod"
import type { OktaAuthConfig, OktaConfig } from "../config/Config.ts"
import { ConfigError, OktaApiError } from "../domain/Errors.ts"
import * as OktaAuth from "./OktaAuth.ts"
import * as RateLimit from "./RateLimit.ts"
import type * as Retry from "./Retry.ts"
import * as Errors from "./internal/oktaErrors.ts"
import {
  decodeJson,
  makeTransport,
  nextCursor,
  type Method,
  type RawResponse,
  type RequestSpec,
  type UploadBudget
} from "./internal/oktaHttp.ts"
import { makeRecorder, type ClientMetrics } from "./internal/oktaMetrics.ts"
import { makeProfileOperations } from "./internal/profileCalls.ts"
import type { ProfileOperations } from "./ProfileApi.ts"
import {
  bulkEndpoint,
  bulkPath,
  GroupMemberships,
  IdentitySourceGroup,
  IdentitySourceSession,
  IdentitySourceUser,
  serializeBody,
  SessionList,
  TriggeredSession,
  type BulkDeleteGroupsBody,
  type BulkDeleteUsersBody,
  type BulkMembershipsBody,
  type BulkUploadFor,
  type BulkUpload,
  type BulkUpsertGroupsBody,
  type BulkUpsertUsersBody,
  type GroupRequest,
  type UserRequest
} from "./Schemas.ts"
import type { Profile } from "../domain/Model.ts"

export type { ClientMetrics, EndpointMetrics } from "./internal/oktaMetrics.ts"
export { makeUploadBudget, nextCursor, type UploadBudget } from "./internal/oktaHttp.ts"
export type {
  BulkDeleteGroupsBody,
  BulkDeleteUsersBody,
  BulkKind,
  BulkMembershipsBody,
  BulkUpload,
  BulkUpsertGroupsBody,
  BulkUpsertUsersBody,
  GroupRequest,
  IdentitySourceGroup,
  IdentitySourceSession,
  IdentitySourceUser,
  MembershipItem,
  SessionStatus,
  UserRequest
} from "./Schemas.ts"
export type * from "./ProfileApi.ts"

export interface UploadOptions {
  /** The session's upload budget (50-uploads rule): every attempt is counted, retries stop when it is spent. */
  readonly budget?: UploadBudget
}

export interface MembershipPage {
  readonly memberExternalIds: ReadonlyArray<string>
  /** Cursor for the next page (from the `Link: <…after=…>; rel="next"` header), if any. */
  readonly after?: string
}

/** Identity Sources operations, plus the profile schema and mapping ones (`ProfileApi.ts`) that `setup` uses. */
export interface OktaClientService extends ProfileOperations {
  readonly orgUrl: string
  readonly identitySourceId: string

  // sessions
  readonly createSession: Effect.Effect<IdentitySourceSession, OktaApiError>
  readonly listSessions: Effect.Effect<ReadonlyArray<IdentitySourceSession>, OktaApiError>
  readonly getSession: (sessionId: string) => Effect.Effect<IdentitySourceSession, OktaApiError>
  readonly cancelSession: (sessionId: string) => Effect.Effect<void, OktaApiError>
  readonly startImport: (sessionId: string) => Effect.Effect<IdentitySourceSession, OktaApiError>

  // bulk uploads (202, empty body)
  readonly upsertUsers: (sessionId: string, body: BulkUpsertUsersBody, options?: UploadOptions) => Effect.Effect<void, OktaApiError>
  readonly deleteUsers: (sessionId: string, body: BulkDeleteUsersBody, options?: UploadOptions) => Effect.Effect<void, OktaApiError>
  readonly upsertGroups: (sessionId: string, body: BulkUpsertGroupsBody, options?: UploadOptions) => Effect.Effect<void, OktaApiError>
  readonly deleteGroups: (sessionId: string, body: BulkDeleteGroupsBody, options?: UploadOptions) => Effect.Effect<void, OktaApiError>
  readonly upsertMemberships: (sessionId: string, body: BulkMembershipsBody, options?: UploadOptions) => Effect.Effect<void, OktaApiError>
  readonly deleteMemberships: (sessionId: string, body: BulkMembershipsBody, options?: UploadOptions) => Effect.Effect<void, OktaApiError>
  /** Any of the six, by kind (what the orchestrator uses). */
  readonly upload: (sessionId: string, upload: BulkUpload, options?: UploadOptions) => Effect.Effect<void, OktaApiError>

  // single entities (verification, drift)
  /** The spec declares no body; recorded servers return the user. */
  readonly createUser: (user: UserRequest) => Effect.Effect<IdentitySourceUser | undefined, OktaApiError>
  readonly getUser: (externalId: string) => Effect.Effect<IdentitySourceUser, OktaApiError>
  readonly replaceUser: (externalId: string, user: { readonly externalId?: string; readonly profile: Profile }) => Effect.Effect<IdentitySourceUser, OktaApiError>
  readonly updateUser: (externalId: string, update: { readonly profile: Profile }) => Effect.Effect<IdentitySourceUser, OktaApiError>
  readonly deleteUser: (externalId: string) => Effect.Effect<void, OktaApiError>
  readonly createGroup: (group: GroupRequest) => Effect.Effect<IdentitySourceGroup, OktaApiError>
  readonly getGroup: (groupOrExternalId: string) => Effect.Effect<IdentitySourceGroup, OktaApiError>
  readonly updateGroup: (groupOrExternalId: string, group: GroupRequest) => Effect.Effect<IdentitySourceGroup, OktaApiError>
  readonly deleteGroup: (groupOrExternalId: string) => Effect.Effect<void, OktaApiError>
  readonly listGroupMembershipsPage: (
    groupOrExternalId: string,
    options?: { readonly after?: string; readonly limit?: number }
  ) => Effect.Effect<MembershipPage, OktaApiError>
  /** Every member, following the `Link` header's next pages. */
  readonly listGroupMemberships: (groupOrExternalId: string, options?: { readonly limit?: number }) => Effect.Effect<ReadonlyArray<string>, OktaApiError>
  readonly addGroupMembership: (groupOrExternalId: string, memberExternalId: string) => Effect.Effect<void, OktaApiError>
  readonly removeGroupMembership: (groupOrExternalId: string, memberExternalId: string) => Effect.Effect<void, OktaApiError>

  /** Requests, bytes, retries, 429s and waits, in total and per endpoint (for the run report). */
  readonly metrics: Effect.Effect<ClientMetrics>
  /** The server's clock (local Clock + the offset seen in the last `Date` header), epoch millis. */
  readonly serverTime: Effect.Effect<number>
}

export class OktaClient extends Context.Tag("@anysource/core/OktaClient")<OktaClient, OktaClientService>() {}

export interface OktaClientOptions {
  readonly orgUrl: string
  readonly identitySourceId: string
  readonly auth: OktaAuthConfig
  readonly requestTimeoutMs?: number
  readonly maxRetries?: number
  /** Slow down when fewer than this share of the rate-limit bucket remains (default 0.1). */
  readonly slowDownBelow?: number
  readonly userAgent?: string
  readonly backoff?: Retry.BackoffPolicy
  readonly waitPolicy?: RateLimit.WaitPolicy
}

export const defaultUserAgent = "anysource/0.1 (+https://github.com/anysource)"

/** Build the client over the HttpClient in context. */
export const make = (options: OktaClientOptions): Effect.Effect<OktaClientService, ConfigError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const orgUrl = options.orgUrl.replace(/\/+$/, "")
    const recorder = yield* makeRecorder
    const limiter = yield* RateLimit.makeLimiter(options.slowDownBelow ?? 0.1)
    const transport = makeTransport(
      http,
      {
        requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
        maxRetries: options.maxRetries ?? 6,
        userAgent: options.userAgent ?? defaultUserAgent,
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.waitPolicy ? { waitPolicy: options.waitPolicy } : {})
      },
      recorder,
      limiter
    )
    const auth = yield* OktaAuth.make({ orgUrl, auth: options.auth, send: transport.send })
    const base = `${orgUrl}/api/v1/identity-sources/${encodeURIComponent(options.identitySourceId)}`
    const enc = encodeURIComponent

    interface Call {
      readonly endpoint: string
      readonly method: Method
      readonly path: string
      readonly query?: Readonly<Record<string, string | number | undefined>>
      readonly body?: unknown
      readonly expect: ReadonlyArray<number>
      readonly retry: RequestSpec["retry"]
      readonly badRequest?: Errors.BadRequestKind
      readonly budget?: UploadBudget
      /** `org`: the path is from the org's root (`/api/v1/…`), not the identity source's. */
      readonly root?: "org"
      /** The scope a 403 names (default: the identity-source scope of the method). */
      readonly scope?: string
    }
    const urlOf = (c: Call) => `${c.root === "org" ? orgUrl : base}${c.path}`

    const call = (c: Call): Effect.Effect<RawResponse, OktaApiError> => {
      const url = new URL(urlOf(c))
      for (const [k, v] of Object.entries(c.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
      return transport.send({
        endpoint: c.endpoint,
        method: c.method,
        url: url.toString(),
        ...(c.body !== undefined ? { body: { text: serializeBody(c.body), contentType: "application/json" } } : {}),
        expect: c.expect,
        retry: c.retry,
        badRequest: c.badRequest ?? "other",
        ...(c.budget ? { budget: c.budget } : {}),
        scope: c.scope ?? (c.method === "GET" ? "okta.identitySources.read" : "okta.identitySources.manage"),
        auth
      })
    }

    const decode =
      <S extends z.ZodType>(schema: S, c: Call) =>
      (r: RawResponse): Effect.Effect<z.output<S>, OktaApiError> =>
        decodeJson(schema, ctxOf(c), r)
    const ctxOf = (c: Call): Errors.ErrorContext => ({ endpoint: c.endpoint, method: c.method, url: urlOf(c), badRequest: c.badRequest ?? "other" })
    const json = <S extends z.ZodType>(schema: S, c: Call) => Effect.flatMap(call(c), decode(schema, c))

    const session = (id: string) => `/sessions/${enc(id)}`

    const upload = (sessionId: string, u: BulkUpload, options?: UploadOptions): Effect.Effect<void, OktaApiError> =>
      Effect.asVoid(
        call({
          endpoint: bulkEndpoint[u.kind],
          method: "POST",
          path: `${session(sessionId)}/${bulkPath[u.kind]}`,
          body: u.body,
          expect: [202, 200, 204],
          retry: "upload",
          badRequest: "upload",
          ...(options?.budget ? { budget: options.budget } : {})
        })
      )
    const uploadOf =
      <K extends BulkUpload["kind"]>(kind: K) =>
      (sessionId: string, body: BulkUploadFor<K>, options?: UploadOptions) =>
        upload(sessionId, { kind, body } as BulkUpload, options)

    const membershipsPage = (group: string, options?: { readonly after?: string; readonly limit?: number }) => {
      const c: Call = {
        endpoint: "listGroupMemberships",
        method: "GET",
        path: `/groups/${enc(group)}/membership`,
        query: { after: options?.after, limit: options?.limit },
        expect: [200],
        retry: "idempotent"
      }
      return Effect.flatMap(call(c), (r) =>
        Effect.map(decode(GroupMemberships, c)(r), (body): MembershipPage => {
          const after = nextCursor(r.headers["link"])
          return { memberExternalIds: body.memberExternalIds, ...(after !== undefined ? { after } : {}) }
        })
      )
    }

    const service: OktaClientService = {
      orgUrl,
      identitySourceId: options.identitySourceId,
      createSession: json(IdentitySourceSession, {
        endpoint: "createSession",
        method: "POST",
        path: "/sessions",
        expect: [200, 201],
        retry: "rateLimitOnly",
        badRequest: "createSession"
      }),
      listSessions: json(SessionList, { endpoint: "listSessions", method: "GET", path: "/sessions", expect: [200], retry: "idempotent" }),
      getSession: (id) =>
        json(IdentitySourceSession, {
          endpoint: "getSession",
          method: "GET",
          path: session(id),
          expect: [200],
          retry: "idempotent",
          badRequest: "sessionState"
        }),
      cancelSession: (id) =>
        Effect.asVoid(
          call({
            endpoint: "cancelSession",
            method: "DELETE",
            path: session(id),
            expect: [204, 200],
            retry: "idempotent",
            badRequest: "sessionState"
          })
        ),
      startImport: (id) =>
        json(TriggeredSession, {
          endpoint: "startImport",
          method: "POST",
          path: `${session(id)}/start-import`,
          expect: [200, 201, 202],
          retry: "idempotent",
          badRequest: "sessionState"
        }),
      upsertUsers: uploadOf("userUpsert"),
      deleteUsers: uploadOf("userDelete"),
      upsertGroups: uploadOf("groupUpsert"),
      deleteGroups: uploadOf("groupDelete"),
      upsertMemberships: uploadOf("membershipUpsert"),
      deleteMemberships: uploadOf("membershipDelete"),
      upload,
      createUser: (user) => {
        const c: Call = { endpoint: "createUser", method: "POST", path: "/users", body: user, expect: [200, 201, 204], retry: "rateLimitOnly" }
        return Effect.flatMap(call(c), (r) =>
          r.text.trim() === "" ? Effect.succeed(undefined) : decode(IdentitySourceUser, c)(r)
        )
      },
      getUser: (id) => json(IdentitySourceUser, { endpoint: "getUser", method: "GET", path: `/users/${enc(id)}`, expect: [200], retry: "idempotent" }),
      replaceUser: (id, user) =>
        json(IdentitySourceUser, { endpoint: "replaceUser", method: "PUT", path: `/users/${enc(id)}`, body: user, expect: [200], retry: "idempotent" }),
      updateUser: (id, update) =>
        json(IdentitySourceUser, { endpoint: "updateUser", method: "PATCH", path: `/users/${enc(id)}`, body: update, expect: [200], retry: "idempotent" }),
      deleteUser: (id) =>
        Effect.asVoid(call({ endpoint: "deleteUser", method: "DELETE", path: `/users/${enc(id)}`, expect: [204, 200], retry: "idempotent" })),
      createGroup: (group) =>
        json(IdentitySourceGroup, { endpoint: "createGroup", method: "POST", path: "/groups", body: group, expect: [200, 201], retry: "rateLimitOnly" }),
      getGroup: (id) => json(IdentitySourceGroup, { endpoint: "getGroup", method: "GET", path: `/groups/${enc(id)}`, expect: [200], retry: "idempotent" }),
      updateGroup: (id, group) =>
        json(IdentitySourceGroup, { endpoint: "updateGroup", method: "POST", path: `/groups/${enc(id)}`, body: group, expect: [200], retry: "idempotent" }),
      deleteGroup: (id) =>
        Effect.asVoid(call({ endpoint: "deleteGroup", method: "DELETE", path: `/groups/${enc(id)}`, expect: [204, 200], retry: "idempotent" })),
      listGroupMembershipsPage: membershipsPage,
      listGroupMemberships: (group, options) =>
        Effect.gen(function* () {
          const all: Array<string> = []
          let after: string | undefined
          const seen = new Set<string>()
          do {
            const page = yield* membershipsPage(group, { ...(after !== undefined ? { after } : {}), ...(options?.limit ? { limit: options.limit } : {}) })
            all.push(...page.memberExternalIds)
            after = page.after
            if (after !== undefined) {
              if (seen.has(after)) break // a server repeating its cursor must not loop us forever
              seen.add(after)
            }
          } while (after !== undefined)
          return all
        }),
      addGroupMembership: (group, member) =>
        Effect.asVoid(
          call({
            endpoint: "addGroupMembership",
            method: "POST",
            path: `/groups/${enc(group)}/membership`,
            body: { memberExternalId: member },
            expect: [204, 200],
            retry: "idempotent"
          })
        ),
      removeGroupMembership: (group, member) =>
        Effect.asVoid(
          call({
            endpoint: "removeGroupMembership",
            method: "DELETE",
            path: `/groups/${enc(group)}/membership/${enc(member)}`,
            expect: [204, 200],
            retry: "idempotent"
          })
        ),
      ...makeProfileOperations(options.identitySourceId, { call: (c) => call({ ...c, root: "org" }), decode: (schema, c) => decode(schema, { ...c, root: "org" }) }),
      metrics: Effect.flatMap(limiter.state, (s) => recorder.snapshot(s)),
      serverTime: limiter.serverNow
    }
    return service
  })

/** The client over a given HttpClient (tests provide their own). */
export const layerWithHttp = (options: OktaClientOptions): Layer.Layer<OktaClient, ConfigError, HttpClient.HttpClient> =>
  Layer.effect(OktaClient, make(options))

/** The client over `fetch` (FetchHttpClient). */
export const layer = (options: OktaClientOptions): Layer.Layer<OktaClient, ConfigError> =>
  Layer.provide(layerWithHttp(options), FetchHttpClient.layer)

/** From the pipeline's `okta` config (needs `auth`; `orgUrl: embedded` is resolved by the app before this). */
export const layerConfig = (config: OktaConfig): Layer.Layer<OktaClient, ConfigError> => {
  if (config.orgUrl === "embedded" || config.auth === undefined) {
    return Layer.fail(
      new ConfigError({
        reason: "Invalid",
        path: config.auth === undefined ? "okta.auth" : "okta.orgUrl",
        message:
          config.auth === undefined
            ? "okta.auth is required for a real Okta org"
            : "okta.orgUrl `embedded` must be resolved to the local emulator's URL before building the client"
      })
    )
  }
  return layer({
    orgUrl: config.orgUrl,
    identitySourceId: config.identitySourceId,
    auth: config.auth,
    requestTimeoutMs: config.requestTimeoutMs,
    maxRetries: config.maxRetries
  })
}

/** Type guard used by callers deciding what to do with a failed call. */
export const isOktaApiError = (u: unknown): u is OktaApiError => u instanceof OktaApiError
