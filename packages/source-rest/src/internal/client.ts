/**
 * One HTTP exchange with everything around it: pacing, authorisation, the rate-limit headers, the mapping of
 * statuses to typed errors and the retry policy. Every retry and every wait is counted in `Stats`.
 */
import { Clock, Effect, Ref } from "effect"
import { SourceError } from "@anysource/core"
import { AttemptFailure, sourceError } from "./errors.ts"
import type { Scope } from "effect"
import type { HttpClient, HttpRequest, HttpResponse, OpenResponse, TransportFailure } from "./http.ts"
import type { Pacer } from "./pacer.ts"
import { parseRateLimit, waitAfter429, waitBeforeNext, type RateLimitHints } from "./rateLimit.ts"
import * as Retry from "./retry.ts"

export interface Stats {
  /** HTTP requests sent to the API (token requests not included). */
  readonly requests: number
  /** Requests sent to the OAuth token endpoint. */
  readonly tokenRequests: number
  readonly pages: number
  readonly records: number
  /** Attempts repeated after a 429, a 5xx, a transport error or an expired token. */
  readonly retries: number
  /** 429 responses seen. */
  readonly rateLimited: number
  /** Time spent waiting: backoff, Retry-After, rate-limit resets and pacing. */
  readonly waitedMillis: number
}

export const emptyStats: Stats = {
  requests: 0,
  tokenRequests: 0,
  pages: 0,
  records: 0,
  retries: 0,
  rateLimited: 0,
  waitedMillis: 0
}

export interface ExchangeOptions {
  /** The URL as shown to people (credentials redacted). */
  readonly display: string
  /** Counted as `tokenRequests` and not paced (the token endpoint is not the API). */
  readonly token?: boolean
  /** Called on the first 401: drop a cached token so the retry fetches a new one. */
  readonly onUnauthorized?: Effect.Effect<void>
  /** Maps a non-2xx status to a failure; the default covers APIs. */
  readonly classify?: (response: HttpResponse, hints: RateLimitHints, display: string) => AttemptFailure
}

export interface Exchanger {
  readonly exchange: (
    build: Effect.Effect<HttpRequest, SourceError>,
    options: ExchangeOptions
  ) => Effect.Effect<HttpResponse, SourceError>
  /** `exchange`, with a 2xx body handed over unread (`stream`) and closed with the scope. */
  readonly open: (
    build: Effect.Effect<HttpRequest, SourceError>,
    options: ExchangeOptions
  ) => Effect.Effect<OpenResponse, SourceError, Scope.Scope>
  readonly stats: Ref.Ref<Stats>
}

export interface ExchangerOptions {
  readonly http: HttpClient
  readonly pacer: Pacer
  readonly retry: Retry.RetryPolicy
  readonly maxWaitMillis: number
  /** Statuses that mean "slow down" (429, and e.g. BambooHR's 503). */
  readonly throttleStatuses?: ReadonlyArray<number>
  /** What to check when the API refuses the credentials (ends the Auth error's message). */
  readonly authHelp?: string
}

const reasonPhrase = (response: HttpResponse) =>
  `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`

/**
 * Statuses of the API: 401/403 Auth, 404 NotFound, 408 Timeout, 429 (and any other `throttleStatuses`)
 * RateLimited, 5xx Http (retried).
 */
export const classifyStatus =
  (maxWaitMillis: number, throttleStatuses: ReadonlyArray<number> = [429], authHelp?: string) =>
  (response: HttpResponse, hints: RateLimitHints, display: string): AttemptFailure => {
    const status = response.status
    const what = `${display}: ${reasonPhrase(response)}`
    if (status === 401 || status === 403) {
      return new AttemptFailure(
        sourceError("Auth", `${what} — ${authHelp ?? "check the credentials under source.auth"}`)
      )
    }
    if (status === 404) return new AttemptFailure(sourceError("NotFound", `${what} — check baseUrl and path`))
    // A Retry-After longer than maxWaitSeconds on a 408/5xx is not waited for either.
    const serverWait = hints.retryAfterMillis
    const waitable = serverWait === undefined || serverWait <= maxWaitMillis
    if (status === 408)
      return new AttemptFailure(sourceError("Timeout", what, { retryable: true }), serverWait, waitable)
    if (status === 429 || throttleStatuses.includes(status)) {
      const wait = waitAfter429(hints)
      if (wait !== undefined && wait > maxWaitMillis) {
        // Not waited for here (a run must not be parked for hours), but a later run may well succeed.
        return new AttemptFailure(
          sourceError(
            "RateLimited",
            `${what}; the server asks to wait ${Math.ceil(wait / 1000)} s, more than maxWaitSeconds (${Math.round(maxWaitMillis / 1000)})`,
            { retryable: true }
          ),
          undefined,
          false
        )
      }
      return new AttemptFailure(sourceError("RateLimited", what, { retryable: true }), wait)
    }
    if (status >= 500)
      return new AttemptFailure(sourceError("Http", what, { retryable: true }), serverWait, waitable)
    return new AttemptFailure(sourceError("Http", what))
  }

const transportFailure = (display: string, failure: TransportFailure): AttemptFailure => {
  switch (failure.kind) {
    case "Timeout":
      return new AttemptFailure(
        sourceError("Timeout", `${display}: ${failure.message}`, { retryable: true, cause: failure.cause })
      )
    case "Connect":
      return new AttemptFailure(
        sourceError("Connect", `${display}: ${failure.message}`, { retryable: true, cause: failure.cause })
      )
    case "Tls":
      return new AttemptFailure(
        sourceError("Connect", `${display}: ${failure.message}`, { cause: failure.cause })
      )
    case "TooLarge":
      return new AttemptFailure(
        sourceError("Decode", `${display}: ${failure.message}`, { location: display })
      )
  }
}

export const make = (options: ExchangerOptions): Effect.Effect<Exchanger> =>
  Effect.gen(function* () {
    const stats = yield* Ref.make(emptyStats)
    const count = (f: (s: Stats) => Partial<Stats>) => Ref.update(stats, (s) => ({ ...s, ...f(s) }))
    const defaultClassify = classifyStatus(options.maxWaitMillis, options.throttleStatuses, options.authHelp)
    const throttled = (status: number) => status === 429 || (options.throttleStatuses ?? []).includes(status)

    const onRetry: Retry.OnRetry = (failure, retry, waitMillis) =>
      Effect.zipRight(
        count((s) => ({
          retries: s.retries + 1,
          waitedMillis: s.waitedMillis + waitMillis
        })),
        Effect.logWarning(`rest: ${failure.error.message}; retry ${retry} in ${waitMillis} ms`)
      )

    const run = <Response extends HttpResponse, R>(
      send: (request: HttpRequest) => Effect.Effect<Response, TransportFailure, R>,
      build: Effect.Effect<HttpRequest, SourceError>,
      exchangeOptions: ExchangeOptions
    ): Effect.Effect<Response, SourceError, R> =>
      Effect.gen(function* () {
        const attempts = yield* Ref.make(0)
        const refreshed = yield* Ref.make(false)
        const classify = exchangeOptions.classify ?? defaultClassify
        const attempt = Effect.gen(function* () {
          yield* Ref.update(attempts, (n) => n + 1)
          if (exchangeOptions.token !== true) {
            const waited = yield* options.pacer.acquire
            if (waited > 0) yield* count((s) => ({ waitedMillis: s.waitedMillis + waited }))
          }
          const request = yield* Effect.mapError(build, (error) => new AttemptFailure(error))
          yield* count((s) =>
            exchangeOptions.token === true
              ? { tokenRequests: s.tokenRequests + 1 }
              : { requests: s.requests + 1 }
          )
          const response = yield* Effect.mapError(send(request), (failure) =>
            transportFailure(`${request.method} ${exchangeOptions.display}`, failure)
          )
          const hints = parseRateLimit(response.headers, yield* Clock.currentTimeMillis)
          if (exchangeOptions.token !== true) {
            const hold = Math.min(waitBeforeNext(hints), options.maxWaitMillis)
            if (hold > 0) yield* options.pacer.hold(hold)
          }
          if (response.status >= 200 && response.status < 300) return response
          if (exchangeOptions.token === true ? response.status === 429 : throttled(response.status)) {
            yield* count((s) => ({ rateLimited: s.rateLimited + 1 }))
          }
          if (
            response.status === 401 &&
            exchangeOptions.onUnauthorized !== undefined &&
            !(yield* Ref.get(refreshed))
          ) {
            yield* Ref.set(refreshed, true)
            yield* exchangeOptions.onUnauthorized
            return yield* Effect.fail(
              new AttemptFailure(
                sourceError(
                  "Auth",
                  `${request.method} ${exchangeOptions.display}: 401, fetching a new token`
                ),
                0,
                true
              )
            )
          }
          return yield* Effect.fail(classify(response, hints, `${request.method} ${exchangeOptions.display}`))
        })
        return yield* attempt.pipe(
          Effect.retry(Retry.schedule(options.retry, onRetry)),
          Effect.catchAll((failure) =>
            Effect.flatMap(Ref.get(attempts), (n) =>
              Effect.fail(
                n > 1 && failure.retry
                  ? new SourceError({
                      ...failure.error,
                      message: `${failure.error.message} (gave up after ${n - 1} retries)`
                    })
                  : failure.error
              )
            )
          )
        )
      })

    const exchange = (build: Effect.Effect<HttpRequest, SourceError>, exchangeOptions: ExchangeOptions) =>
      run(options.http.send, build, exchangeOptions)
    const open = (build: Effect.Effect<HttpRequest, SourceError>, exchangeOptions: ExchangeOptions) =>
      run(options.http.open, build, exchangeOptions)

    return { exchange, open, stats }
  })
