/**
 * What a response says about rate limits, in milliseconds to wait. Pure: the caller passes the local "now".
 *
 * - `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3); a date is measured against the server's
 *   `Date` header when present (the machines' clocks may disagree), else against the local clock.
 * - `X-RateLimit-Remaining` / `X-RateLimit-Reset` (GitHub, many HR APIs; also `X-Rate-Limit-*`) and the IETF
 *   draft's `RateLimit-Remaining` / `RateLimit-Reset` or the structured `RateLimit: limit=…, remaining=…, reset=…`
 *   / `RateLimit: "policy";r=…;t=…`. A reset above 10^12 is epoch milliseconds, above 10^9 epoch seconds,
 *   anything smaller a number of seconds from now.
 */
export type Headers = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

export interface RateLimitHints {
  /** `Retry-After`, in milliseconds from now. */
  readonly retryAfterMillis?: number
  /** Requests left in the current window. */
  readonly remaining?: number
  /** Milliseconds from now until the window resets. */
  readonly resetMillis?: number
}

export const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name.toLowerCase()]
  const text = Array.isArray(value) ? value[0] : (value as string | undefined)
  return text === undefined ? undefined : text.trim()
}

const number = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

const httpDate = (text: string | undefined): number | undefined => {
  if (text === undefined || /^\d/.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isFinite(at) ? at : undefined
}

/** `limit=100, remaining=0, reset=5` (draft-03) or `"default";r=0;t=5` (later drafts). */
const structured = (text: string | undefined): { remaining?: number; reset?: number } => {
  if (text === undefined) return {}
  const out: { remaining?: number; reset?: number } = {}
  for (const part of text.split(/[;,]/)) {
    const [key, value] = part.split("=").map((s) => s.trim().toLowerCase())
    const n = number(value)
    if (n === undefined) continue
    if ((key === "remaining" || key === "r") && out.remaining === undefined) out.remaining = n
    if ((key === "reset" || key === "t") && out.reset === undefined) out.reset = n
  }
  return out
}

const first = <A>(...values: ReadonlyArray<A | undefined>): A | undefined => values.find((v) => v !== undefined)

export const parseRateLimit = (headers: Headers, nowMillis: number): RateLimitHints => {
  const serverNow = httpDate(header(headers, "date")) ?? nowMillis
  const retryAfterText = header(headers, "retry-after")
  let retryAfterMillis: number | undefined
  const seconds = number(retryAfterText)
  if (seconds !== undefined) retryAfterMillis = Math.round(seconds * 1000)
  else {
    const at = httpDate(retryAfterText)
    if (at !== undefined) retryAfterMillis = Math.max(0, at - serverNow)
  }
  const fields = structured(header(headers, "ratelimit"))
  const remaining = first(
    number(header(headers, "x-ratelimit-remaining")),
    number(header(headers, "x-rate-limit-remaining")),
    number(header(headers, "ratelimit-remaining")),
    fields.remaining
  )
  const reset = first(
    number(header(headers, "x-ratelimit-reset")),
    number(header(headers, "x-rate-limit-reset")),
    number(header(headers, "ratelimit-reset")),
    fields.reset
  )
  let resetMillis: number | undefined
  if (reset !== undefined) {
    if (reset > 1e12) resetMillis = Math.max(0, reset - serverNow)
    else if (reset > 1e9) resetMillis = Math.max(0, reset * 1000 - serverNow)
    else resetMillis = Math.round(reset * 1000)
  }
  return {
    ...(retryAfterMillis !== undefined ? { retryAfterMillis } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(resetMillis !== undefined ? { resetMillis } : {})
  }
}

/** How long to wait before retrying a 429: `Retry-After`, else the window's reset; undefined = back off. */
export const waitAfter429 = (hints: RateLimitHints): number | undefined =>
  hints.retryAfterMillis ?? (hints.remaining === undefined || hints.remaining <= 0 ? hints.resetMillis : undefined)

/** How long to hold the next request after a successful one: until the reset when the window is used up. */
export const waitBeforeNext = (hints: RateLimitHints): number =>
  hints.remaining !== undefined && hints.remaining <= 0 && hints.resetMillis !== undefined ? hints.resetMillis : 0
