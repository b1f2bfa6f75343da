/**
 * Fault injection: make the emulator misbehave on purpose so clients can be tested against it.
 * Every fault applies `times` times (default 1; `Infinity` for always) to requests whose method
 * and path (without query) match, then disappears.
 */
interface Match {
  /** Only requests whose path (without query string) matches. */
  readonly path?: RegExp
  /** Only requests with this HTTP method (case-insensitive). */
  readonly method?: string
  /** How many matching requests the fault applies to. Default 1. */
  readonly times?: number
}

export type Fault =
  /** Reply with this status and an Okta error body instead of handling the request (5xx: E0000009 / E0000010). */
  | (Match & { readonly kind: "status"; readonly status: number })
  /** Reply 429 E0000047 with `X-Rate-Limit-Remaining: 0` and a reset `resetInMs` ahead (default: end of the current window). */
  | (Match & { readonly kind: "rateLimit"; readonly resetInMs?: number })
  /**
   * Destroy the connection without a reply. With `afterHandling: true` the request is processed first
   * (an upload is accepted) and only the reply is lost, which is what a client must survive without duplicating work.
   */
  | (Match & { readonly kind: "drop"; readonly afterHandling?: boolean })
  /** Delay the reply by `ms` real milliseconds. */
  | (Match & { readonly kind: "latency"; readonly ms: number })
  /**
   * Reply with a body that is not Okta JSON (default: 200 with an HTML proxy page) instead of handling the
   * request, to test a client's decoding errors. Such exchanges are deliberately outside the contract.
   */
  | (Match & { readonly kind: "badBody"; readonly status?: number; readonly body?: string; readonly contentType?: string })
  /** The next `times` sessions triggered with start-import end in ERROR (no change reaches the directory). */
  | { readonly kind: "sessionError"; readonly times?: number }

export type FaultKind = Fault["kind"]

export interface FaultInjector {
  inject(fault: Fault): void
  /** Removes every pending fault. */
  clear(): void
  /** Faults still waiting to fire, with how many times each will still apply. */
  readonly pending: () => ReadonlyArray<{ readonly fault: Fault; readonly remaining: number }>
}

interface Entry {
  readonly fault: Fault
  remaining: number
}

/** @internal used by the server */
export class Faults implements FaultInjector {
  #entries: Array<Entry> = []

  inject(fault: Fault): void {
    const times = fault.times ?? 1
    if (!(times > 0)) throw new RangeError("fault.times must be positive")
    if (fault.kind === "status" && (fault.status < 400 || fault.status > 599)) throw new RangeError("status faults need a 4xx or 5xx status")
    this.#entries.push({ fault, remaining: times })
  }

  clear(): void {
    this.#entries = []
  }

  readonly pending = (): ReadonlyArray<{ readonly fault: Fault; readonly remaining: number }> =>
    this.#entries.map((e) => ({ fault: e.fault, remaining: e.remaining }))

  /** Finds and consumes the first pending fault of `kind` matching the request. */
  take<K extends FaultKind>(kind: K, method: string, path: string): Extract<Fault, { kind: K }> | undefined {
    const index = this.#entries.findIndex((e) => {
      if (e.fault.kind !== kind) return false
      if (e.fault.kind === "sessionError") return true
      const f = e.fault
      if (f.method !== undefined && f.method.toUpperCase() !== method.toUpperCase()) return false
      if (f.path !== undefined) {
        f.path.lastIndex = 0
        if (!f.path.test(path)) return false
      }
      return true
    })
    if (index < 0) return undefined
    const entry = this.#entries[index]!
    entry.remaining -= 1
    if (entry.remaining <= 0) this.#entries.splice(index, 1)
    return entry.fault as Extract<Fault, { kind: K }>
  }
}
