/**
 * One Okta HTTP exchange with rate limiting, retries, timeouts and metrics. Used for the API and the token
 * endpoint. Request headers (which carry credentials) are never copied into errors, logs or metrics.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, FiberRef, Ref } from "effect"
import type { z } from "zod"
import type { OktaApiError } from "../../domain/Errors.ts"
import * as RateLimit from "../RateLimit.ts"
import * as Retry from "../Retry.ts"
import * as Errors from "./oktaErrors.ts"
import type { MetricsRecorder } from "./oktaMetrics.ts"

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

/** Counts uploads into one session against the 50-uploads rule (every attempt counts: the server may have). */
export interface UploadBudget {
  /** Uploads still allowed in this session. */
  readonly remaining: Effect.Effect<number>
  /** Count one upload attempt. */
  readonly use: Effect.Effect<void>
  /** Give one back: the attempt was answered 429, so Okta did not take it. */
  readonly refund: Effect.Effect<void>
}

export const makeUploadBudget = (max: number, used = 0): Effect.Effect<UploadBudget> =>
  Effect.map(Ref.make(used), (ref) => ({
    remaining: Effect.map(Ref.get(ref), (n) => Math.max(0, max - n)),
    use: Ref.update(ref, (n) => n + 1),
    refund: Ref.update(ref, (n) => Math.max(0, n - 1))
  }))

export type RetryPolicy = "idempotent" | "rateLimitOnly" | "upload"

export interface Authorizer {
  readonly headers: (method: Method, url: string) => Effect.Effect<Record<string, string>, OktaApiError>
  /** A 401 came back: drop cached credentials; true when a fresh attempt may succeed. */
  readonly invalidate: Effect.Effect<boolean>
  /** Every API response's headers (DPoP nonces). */
  readonly observe: (headers: Readonly<Record<string, string>>) => Effect.Effect<void>
}

export interface RequestSpec {
  readonly endpoint: string
  readonly method: Method
  readonly url: string
  readonly body?: { readonly text: string; readonly contentType: string }
  readonly headers?: Readonly<Record<string, string>>
  /** Statuses returned as success (others become `OktaApiError`). */
  readonly expect: ReadonlyArray<number>
  readonly retry: RetryPolicy
  readonly badRequest: Errors.BadRequestKind
  readonly budget?: UploadBudget
  readonly auth?: Authorizer
  /** The OAuth scope the call needs: a 403 names it. */
  readonly scope?: string
}

export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly requestId?: string
}

export interface TransportOptions {
  readonly requestTimeoutMs: number
  readonly maxRetries: number
  readonly userAgent: string
  readonly backoff?: Retry.BackoffPolicy
  readonly waitPolicy?: RateLimit.WaitPolicy
}

export interface Transport {
  readonly send: (spec: RequestSpec) => Effect.Effect<RawResponse, OktaApiError>
  readonly limiter: RateLimit.Limiter
}

export const makeTransport = (
  client: HttpClient.HttpClient,
  options: TransportOptions,
  metrics: MetricsRecorder,
  limiter: RateLimit.Limiter
): Transport => {
  const waitPolicy = options.waitPolicy ?? RateLimit.defaultWaitPolicy

  const attempt = (spec: RequestSpec): Effect.Effect<RawResponse, OktaApiError> =>
    Effect.gen(function* () {
      const observer = yield* FiberRef.get(Retry.currentRetryObserver)
      const hold = yield* limiter.reserve
      if (hold > 0) {
        yield* metrics.add(spec.endpoint, { slowDowns: 1, waitedMillis: hold })
        yield* observer({ _tag: "SlowedDown", endpoint: spec.endpoint, waitMillis: hold })
        yield* Effect.sleep(hold)
      }
      const ctx: Errors.ErrorContext = {
        endpoint: spec.endpoint,
        method: spec.method,
        url: spec.url,
        badRequest: spec.badRequest,
        ...(spec.scope !== undefined ? { scope: spec.scope } : {})
      }
      const authHeaders = spec.auth ? yield* spec.auth.headers(spec.method, spec.url) : {}
      let request = HttpClientRequest.make(spec.method)(spec.url).pipe(
        HttpClientRequest.setHeaders({
          accept: "application/json",
          "user-agent": options.userAgent,
          ...spec.headers,
          ...authHeaders
        })
      )
      const bytes = spec.body ? Buffer.byteLength(spec.body.text, "utf8") : 0
      if (spec.body) request = HttpClientRequest.bodyText(request, spec.body.text, spec.body.contentType)
      if (spec.budget) yield* spec.budget.use
      yield* metrics.add(spec.endpoint, { requests: 1, bytesSent: bytes })
      const exchange = Effect.flatMap(client.execute(request), (response) =>
        Effect.map(response.text, (text) => ({ status: response.status, headers: response.headers, text }))
      )
      const raw = yield* exchange.pipe(
        Effect.mapError((e) => Errors.transport(ctx, describeTransport(e))),
        Effect.timeoutFail({
          duration: options.requestTimeoutMs,
          onTimeout: () => Errors.timeout(ctx, options.requestTimeoutMs)
        }),
        Effect.tapError(() => metrics.add(spec.endpoint, { errors: 1 }))
      )
      const headers = raw.headers as Readonly<Record<string, string>>
      const info = RateLimit.parseHeaders(headers)
      yield* limiter.observe(info)
      if (spec.auth) yield* spec.auth.observe(headers)
      const requestId = headers["x-okta-request-id"]
      const response: RawResponse = { status: raw.status, headers, text: raw.text, ...(requestId ? { requestId } : {}) }
      if (spec.expect.includes(raw.status)) return response
      yield* metrics.add(spec.endpoint, { errors: 1, ...(raw.status === 429 ? { rateLimited: 1 } : {}) })
      if (raw.status === 429 && spec.budget) yield* spec.budget.refund
      const retryAfterMillis = raw.status === 429 ? yield* RateLimit.waitAfter429(info, waitPolicy) : undefined
      return yield* Effect.fail(Errors.fromResponse(ctx, raw.status, raw.text, requestId, retryAfterMillis, headers["www-authenticate"]))
    })

  const send = (spec: RequestSpec): Effect.Effect<RawResponse, OktaApiError> =>
    Effect.gen(function* () {
      const refreshed = yield* Ref.make(false)
      const observer = yield* FiberRef.get(Retry.currentRetryObserver)
      const shouldRetry = (e: OktaApiError): Effect.Effect<boolean> =>
        Effect.gen(function* () {
          switch (e.reason) {
            case "RateLimited":
              return true
            case "Unauthorized": {
              if (!spec.auth || (yield* Ref.get(refreshed))) return false
              yield* Ref.set(refreshed, true)
              return yield* spec.auth.invalidate
            }
            case "Server":
            case "Transport":
            case "Timeout":
              if (spec.retry === "idempotent") return true
              if (spec.retry === "upload") return spec.budget ? (yield* spec.budget.remaining) > 0 : true
              return false
            default:
              return false
          }
        })
      const schedule = Retry.okta({
        maxRetries: options.maxRetries,
        ...(options.backoff ? { backoff: options.backoff } : {}),
        shouldRetry,
        onRetry: (e, n, waitMillis) =>
          Effect.gen(function* () {
            yield* metrics.add(spec.endpoint, { retries: 1, waitedMillis: waitMillis })
            if (e.reason === "RateLimited")
              yield* observer({ _tag: "RateLimited", endpoint: spec.endpoint, waitMillis, attempt: n })
            else
              yield* observer({ _tag: "Retrying", endpoint: spec.endpoint, attempt: n, reason: e.reason, waitMillis })
          })
      })
      return yield* Effect.retry(attempt(spec), schedule)
    })

  return { send, limiter }
}

/** A response body through its zod schema; not JSON, or not the shape, is `OktaApiError` `Decode`. */
export const decodeJson = <S extends z.ZodType>(
  schema: S,
  ctx: Errors.ErrorContext,
  r: RawResponse
): Effect.Effect<z.output<S>, OktaApiError> => {
  let json: unknown
  try {
    json = JSON.parse(r.text)
  } catch {
    return Effect.fail(Errors.decode(ctx, r.status, "not JSON", r.requestId))
  }
  const parsed = schema.safeParse(json)
  if (parsed.success) return Effect.succeed(parsed.data)
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
  return Effect.fail(Errors.decode(ctx, r.status, issues.join("; "), r.requestId))
}

/** `<https://…/membership?after=abc&limit=2>; rel="next"` → `abc`. */
export const nextCursor = (link: string | undefined): string | undefined => {
  if (!link) return undefined
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim())
    if (!m || !/rel="?next"?/i.test(m[2] ?? "")) continue
    try {
      return new URL(m[1] ?? "", "http://x").searchParams.get("after") ?? undefined
    } catch {
      return undefined
    }
  }
  return undefined
}

const describeTransport = (e: unknown): string => {
  // HttpClientError's own message names the method and URL only; its `cause` (e.g. ECONNREFUSED) is kept short.
  const err = e as { reason?: string; cause?: unknown; description?: string }
  const cause = err.cause as { message?: string; cause?: { code?: string; message?: string } } | undefined
  const code = cause?.cause?.code ?? cause?.cause?.message ?? cause?.message ?? err.description
  return `${err.reason ?? "Transport"} error${code ? `: ${code}` : ""}`
}
