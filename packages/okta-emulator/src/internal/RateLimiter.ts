/** A fixed-window request counter with Okta's `X-Rate-Limit-*` headers. Windows are aligned to multiples of `windowMs`. */
export class RateLimiter {
  readonly limit: number
  readonly windowMs: number
  #windowStart = Number.NEGATIVE_INFINITY
  #used = 0

  constructor(limit: number, windowMs: number) {
    if (!(limit > 0) || !(windowMs > 0)) throw new RangeError("rateLimit.limit and rateLimit.windowMs must be positive")
    this.limit = limit
    this.windowMs = windowMs
  }

  #roll(now: number): void {
    const start = Math.floor(now / this.windowMs) * this.windowMs
    if (start !== this.#windowStart) {
      this.#windowStart = start
      this.#used = 0
    }
  }

  /** Counts one request. Returns whether it is allowed and the headers to send with the reply. */
  take(now: number): { readonly allowed: boolean; readonly headers: Record<string, string> } {
    this.#roll(now)
    const allowed = this.#used < this.limit
    if (allowed) this.#used += 1
    return { allowed, headers: this.headers(now) }
  }

  headers(now: number): Record<string, string> {
    this.#roll(now)
    return {
      "X-Rate-Limit-Limit": String(this.limit),
      "X-Rate-Limit-Remaining": String(Math.max(0, this.limit - this.#used)),
      "X-Rate-Limit-Reset": String(Math.ceil((this.#windowStart + this.windowMs) / 1000))
    }
  }
}
