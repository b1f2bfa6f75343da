/**
 * The conformance run's view of one server: raw Identity Sources exchanges (status, error code, body) over the
 * client's own transport and auth (rate limits, 429 waits, retries of idempotent calls, redaction), with a guard
 * that refuses to send anything naming a record the run does not own.
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { Effect, Ref } from "effect"
import type { OktaAuthConfig } from "../../config/Config.ts"
import type { ConfigError, OktaApiError } from "../../domain/Errors.ts"
import * as OktaAuth from "../OktaAuth.ts"
import * as RateLimit from "../RateLimit.ts"
import { serializeBody } from "../Schemas.ts"
import { makeTransport, type Method, type RetryPolicy } from "./oktaHttp.ts"
import { makeRecorder } from "./oktaMetrics.ts"

/** Every externalId the run sends starts with this. */
export const PREFIX = "anysource-conformance-"

/** A session id the run asks about to see how an unknown one is answered (GET only; it owns no such session). */
export const UNKNOWN_SESSION_ID = "apsANYSOURCECONF0000"

export interface Answer {
  /** 0 when no reply came (transport failure or time-out after the retries). */
  readonly status: number
  readonly text: string
  readonly json: unknown
  readonly errorCode?: string
  /** Okta's errorSummary and causes, or why no reply came: for the bug report, never compared. */
  readonly detail?: string
}

export interface Probe {
  readonly send: (method: Method, path: string, body?: unknown) => Effect.Effect<Answer>
  /** Records a group id (`00g…`) answered for a group the run created, so it may be named in a path. */
  readonly ownGroupId: (id: string) => Effect.Effect<void>
  readonly ownSession: (id: string) => Effect.Effect<void>
  /** Requests sent (for the report). */
  readonly requests: Effect.Effect<number>
}

export interface ProbeTarget {
  readonly orgUrl: string
  readonly identitySourceId: string
  readonly auth: OktaAuthConfig
  readonly requestTimeoutMs?: number
}

const ID_KEYS = new Set([
  "externalId",
  "groupExternalId",
  "memberExternalId",
  "externalIds",
  "memberExternalIds"
])

/** Every externalId a request body names (in any of the API's fields for one). */
export const externalIdsIn = (body: unknown): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (value: unknown, key: string | undefined): void => {
    if (Array.isArray(value)) for (const v of value) walk(v, key)
    else if (value !== null && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, k)
    else if (key !== undefined && ID_KEYS.has(key)) out.push(String(value))
  }
  walk(body, undefined)
  return out
}

/**
 * Why this request must not be sent, or undefined: every externalId (path or body) must carry the prefix, a group
 * named by id must be one the run created, and a session the run did not create may only be read.
 */
export const refusal = (
  method: Method,
  path: string,
  body: unknown,
  owned: { readonly groupIds: ReadonlySet<string>; readonly sessions: ReadonlySet<string> }
): string | undefined => {
  const segments = path
    .split("/")
    .filter((s) => s !== "")
    .map(decodeURIComponent)
  for (let i = 0; i < segments.length - 1; i++) {
    const [kind, value] = [segments[i]!, segments[i + 1]!]
    if ((kind === "users" || kind === "membership") && !value.startsWith(PREFIX))
      return `${kind}/${value} is not an ${PREFIX} record`
    if (kind === "groups" && !value.startsWith(PREFIX) && !owned.groupIds.has(value))
      return `groups/${value} is not a group this run created`
    if (kind === "sessions") {
      const mine = owned.sessions.has(value) || (value === UNKNOWN_SESSION_ID && method === "GET")
      if (!mine) return `sessions/${value} is not a session this run created`
    }
  }
  const foreign = externalIdsIn(body).find((id) => !id.startsWith(PREFIX))
  return foreign === undefined ? undefined : `the body names ${foreign}, which is not an ${PREFIX} record`
}

/** Every status is an answer to look at, except 429 (waited out and retried like any client call). */
const EXPECT = Array.from({ length: 400 }, (_, i) => 200 + i).filter((s) => s !== 429)

const parse = (text: string): unknown => {
  try {
    return text.trim() === "" ? undefined : (JSON.parse(text) as unknown)
  } catch {
    return undefined
  }
}

const detailOf = (json: unknown): string | undefined => {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return undefined
  const e = json as { errorSummary?: unknown; errorCauses?: unknown }
  if (typeof e.errorSummary !== "string") return undefined
  const causes = Array.isArray(e.errorCauses)
    ? e.errorCauses.flatMap((c) =>
        typeof (c as { errorSummary?: unknown })?.errorSummary === "string"
          ? [(c as { errorSummary: string }).errorSummary]
          : []
      )
    : []
  return [e.errorSummary, ...causes].join(" | ")
}

export const makeProbe = (target: ProbeTarget): Effect.Effect<Probe, ConfigError> =>
  Effect.gen(function* () {
    const orgUrl = target.orgUrl.replace(/\/+$/, "")
    const recorder = yield* makeRecorder
    const limiter = yield* RateLimit.makeLimiter(0.1)
    const http = yield* HttpClient.HttpClient
    const transport = makeTransport(
      http,
      {
        requestTimeoutMs: target.requestTimeoutMs ?? 30_000,
        maxRetries: 4,
        userAgent: "anysource-conformance/0.1"
      },
      recorder,
      limiter
    )
    const auth = yield* OktaAuth.make({ orgUrl, auth: target.auth, send: transport.send })
    const base = `${orgUrl}/api/v1/identity-sources/${encodeURIComponent(target.identitySourceId)}`
    const groupIds = yield* Ref.make(new Set<string>())
    const sessions = yield* Ref.make(new Set<string>())
    const count = yield* Ref.make(0)

    const send = (method: Method, path: string, body?: unknown): Effect.Effect<Answer> =>
      Effect.gen(function* () {
        const why = refusal(method, path, body, {
          groupIds: yield* Ref.get(groupIds),
          sessions: yield* Ref.get(sessions)
        })
        // a bug in the scenario, never a server's doing: stop before anything is sent
        if (why !== undefined)
          return yield* Effect.dieMessage(`conformance: refusing ${method} ${path}: ${why}`)
        yield* Ref.update(count, (n) => n + 1)
        const retry: RetryPolicy = method === "GET" || method === "DELETE" ? "idempotent" : "rateLimitOnly"
        return yield* transport
          .send({
            endpoint: "conformance",
            method,
            url: `${base}${path}`,
            ...(body !== undefined
              ? { body: { text: serializeBody(body), contentType: "application/json" } }
              : {}),
            expect: EXPECT,
            retry,
            badRequest: "other",
            auth
          })
          .pipe(
            Effect.map((r): Answer => {
              const json = parse(r.text)
              const code = (json as { errorCode?: unknown } | undefined)?.errorCode
              const detail = detailOf(json)
              return {
                status: r.status,
                text: r.text,
                json,
                ...(typeof code === "string" ? { errorCode: code } : {}),
                ...(detail !== undefined ? { detail } : {})
              }
            }),
            Effect.catchAll((e: OktaApiError) =>
              Effect.succeed<Answer>({
                status: e.status ?? 0,
                text: "",
                json: undefined,
                ...(e.errorCode !== undefined ? { errorCode: e.errorCode } : {}),
                detail: e.message
              })
            )
          )
      })

    const probe: Probe = {
      send,
      ownGroupId: (id) => Ref.update(groupIds, (s) => new Set(s).add(id)),
      ownSession: (id) => Ref.update(sessions, (s) => new Set(s).add(id)),
      requests: Ref.get(count)
    }
    return probe
  }).pipe(Effect.provide(FetchHttpClient.layer))
