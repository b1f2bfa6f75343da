import { Effect, Ref } from "effect"
import type { BucketState } from "../RateLimit.ts"

export interface EndpointMetrics {
  /** HTTP requests sent (every attempt counts). */
  readonly requests: number
  /** Bytes of request bodies sent. */
  readonly bytesSent: number
  /** Attempts that were retried (429, 5xx, transport, token refresh). */
  readonly retries: number
  /** 429 responses received. */
  readonly rateLimited: number
  /** Requests held back because the rate-limit bucket was running low. */
  readonly slowDowns: number
  /** Time spent waiting before retries and slow-downs. */
  readonly waitedMillis: number
  /** Failed attempts (any non-success, including retried ones). */
  readonly errors: number
}

export interface ClientMetrics extends EndpointMetrics {
  readonly byEndpoint: Readonly<Record<string, EndpointMetrics>>
  /** The last rate-limit bucket seen (no token or secret is ever recorded here). */
  readonly rateLimit?: BucketState
}

export const emptyEndpoint: EndpointMetrics = {
  requests: 0,
  bytesSent: 0,
  retries: 0,
  rateLimited: 0,
  slowDowns: 0,
  waitedMillis: 0,
  errors: 0
}

export interface MetricsRecorder {
  readonly add: (endpoint: string, delta: Partial<EndpointMetrics>) => Effect.Effect<void>
  readonly snapshot: (rateLimit: BucketState | undefined) => Effect.Effect<ClientMetrics>
}

const plus = (a: EndpointMetrics, d: Partial<EndpointMetrics>): EndpointMetrics => ({
  requests: a.requests + (d.requests ?? 0),
  bytesSent: a.bytesSent + (d.bytesSent ?? 0),
  retries: a.retries + (d.retries ?? 0),
  rateLimited: a.rateLimited + (d.rateLimited ?? 0),
  slowDowns: a.slowDowns + (d.slowDowns ?? 0),
  waitedMillis: a.waitedMillis + (d.waitedMillis ?? 0),
  errors: a.errors + (d.errors ?? 0)
})

export const makeRecorder: Effect.Effect<MetricsRecorder> = Effect.map(
  Ref.make<Readonly<Record<string, EndpointMetrics>>>({}),
  (ref) => ({
    add: (endpoint, delta) =>
      Ref.update(ref, (m) => ({ ...m, [endpoint]: plus(m[endpoint] ?? emptyEndpoint, delta) })),
    snapshot: (rateLimit) =>
      Effect.map(Ref.get(ref), (byEndpoint) => {
        const total = Object.values(byEndpoint).reduce(plus, emptyEndpoint)
        return { ...total, byEndpoint, ...(rateLimit !== undefined ? { rateLimit } : {}) }
      })
  })
)
