/**
 * Reading records back from Okta, one at a time, without starving anybody: every read of verification, drift,
 * refresh and `state rebuild` goes through here.
 *
 * - It shares the client's limiter (the same `OktaClient`), and on top keeps headroom: when fewer than
 *   `(100 − rateLimitShare)%` of the window's requests are left (`X-Rate-Limit-Remaining` against
 *   `X-Rate-Limit-Limit`), it pauses until the window resets (`X-Rate-Limit-Reset`, on the server's clock as the
 *   limiter translated it). So these reads take at most `rateLimitShare`% of any window they start in full, and
 *   the next run (or another client of the org) always finds the rest.
 * - `maxRequests` is a hard budget: once spent, reads answer `OverBudget` without a request, so a caller stops
 *   cleanly and reports what it did not check.
 * - 404 means "Okta does not hold this record" (`Absent`), except when Okta says the identity source itself is
 *   unknown (`… (App)`): that is an error, or every record would look missing.
 */
import { Clock, Effect, Ref } from "effect"
import type { OktaApiError } from "../domain/Errors.ts"
import type { IdentitySourceGroup, IdentitySourceUser, OktaClientService } from "../okta/OktaClient.ts"
import * as Progress from "./Progress.ts"

export type ReadResult<A> =
  | { readonly _tag: "Found"; readonly value: A }
  | { readonly _tag: "Absent" }
  | { readonly _tag: "OverBudget" }

export interface ReadLimits {
  /** Most requests to send (each membership page counts); no limit when absent. */
  readonly maxRequests?: number
  /** Most of each rate-limit window (percent of its limit) to use; pauses until the reset beyond it. */
  readonly rateLimitShare: number
}

export interface ReadUsage {
  /** Requests sent through this reader (one per read, one per membership page). */
  readonly requests: number
  /** Pauses for headroom and their total length. */
  readonly pauses: number
  readonly pausedMillis: number
  /** A read was refused because `maxRequests` was spent. */
  readonly overBudget: boolean
}

export interface Reader {
  readonly user: (externalId: string) => Effect.Effect<ReadResult<IdentitySourceUser>, OktaApiError>
  readonly group: (externalId: string) => Effect.Effect<ReadResult<IdentitySourceGroup>, OktaApiError>
  /** Every member of the group (all pages, 1,000 per page); `OverBudget` when the budget ran out part-way. */
  readonly members: (groupExternalId: string) => Effect.Effect<ReadResult<ReadonlySet<string>>, OktaApiError>
  readonly usage: Effect.Effect<ReadUsage>
}

/** Margin after the reset before reading again (the reset has one-second granularity). */
const RESET_MARGIN_MILLIS = 250
const MEMBERS_PAGE = 1_000

const overBudget: ReadResult<never> = { _tag: "OverBudget" }
const absent: ReadResult<never> = { _tag: "Absent" }

/** 404 for the record, not for the identity source (`Not found: Resource not found: 0oa… (App)`). */
const isAbsent = (e: OktaApiError): boolean =>
  e.reason === "NotFound" && !/\(App\)\s*$/.test(e.errorSummary ?? "")

/** How long to hold the next read so the window keeps `100 − share` % of its requests (0: go). */
export const headroomWait = (
  bucket:
    | { readonly limit: number; readonly remaining: number; readonly resetAtLocalMillis: number }
    | undefined,
  now: number,
  share: number
): number => {
  if (bucket === undefined || bucket.limit <= 0 || now >= bucket.resetAtLocalMillis) return 0
  const keep = Math.ceil((bucket.limit * (100 - share)) / 100)
  return bucket.remaining > keep ? 0 : bucket.resetAtLocalMillis - now + RESET_MARGIN_MILLIS
}

export const make = (
  client: OktaClientService,
  limits: ReadLimits,
  onPause: (millis: number) => Effect.Effect<void> = () => Effect.void
): Effect.Effect<Reader> =>
  Effect.gen(function* () {
    // `pausedUntil`: concurrent reads that wait for the same reset count as one pause of wall time
    const usage = yield* Ref.make<ReadUsage & { readonly pausedUntil: number }>({
      requests: 0,
      pauses: 0,
      pausedMillis: 0,
      overBudget: false,
      pausedUntil: 0
    })

    /** One slot of the budget, after any pause for headroom; false when the budget is spent. */
    const slot: Effect.Effect<boolean> = Effect.gen(function* () {
      const granted = yield* Ref.modify(usage, (u) =>
        limits.maxRequests !== undefined && u.requests >= limits.maxRequests
          ? [false, { ...u, overBudget: true }]
          : [true, { ...u, requests: u.requests + 1 }]
      )
      if (!granted) return false
      for (;;) {
        const metrics = yield* client.metrics
        const now = yield* Clock.currentTimeMillis
        const wait = headroomWait(metrics.rateLimit, now, limits.rateLimitShare)
        if (wait <= 0) return true
        const until = now + wait
        const added = yield* Ref.modify(usage, (u) => {
          const add = Math.max(0, until - Math.max(now, u.pausedUntil))
          return [
            add,
            {
              ...u,
              pauses: u.pauses + (add > 0 ? 1 : 0),
              pausedMillis: u.pausedMillis + add,
              pausedUntil: Math.max(u.pausedUntil, until)
            }
          ]
        })
        if (added > 0) yield* onPause(wait)
        yield* Effect.sleep(wait)
      }
    })

    const read = <A>(call: Effect.Effect<A, OktaApiError>): Effect.Effect<ReadResult<A>, OktaApiError> =>
      Effect.flatMap(slot, (ok) =>
        ok
          ? call.pipe(
              Effect.map((value): ReadResult<A> => ({ _tag: "Found", value })),
              Effect.catchIf(isAbsent, () => Effect.succeed(absent))
            )
          : Effect.succeed(overBudget)
      )

    const members = (group: string): Effect.Effect<ReadResult<ReadonlySet<string>>, OktaApiError> =>
      Effect.gen(function* () {
        const all = new Set<string>()
        const seen = new Set<string>()
        let after: string | undefined
        do {
          const page = yield* read(
            client.listGroupMembershipsPage(group, {
              limit: MEMBERS_PAGE,
              ...(after !== undefined ? { after } : {})
            })
          )
          if (page._tag !== "Found") return page
          for (const m of page.value.memberExternalIds) all.add(m)
          after = page.value.after
          // a server repeating its cursor must not keep us here
          if (after !== undefined && seen.has(after)) break
          if (after !== undefined) seen.add(after)
        } while (after !== undefined)
        return { _tag: "Found", value: all } as const
      })

    return {
      user: (id) => read(client.getUser(id)),
      group: (id) => read(client.getGroup(id)),
      members,
      usage: Effect.map(Ref.get(usage), ({ pausedUntil: _, ...u }) => u)
    }
  })

/**
 * The start every read-back shares (verify, refresh, drift): a reader whose pauses are reported for `task`, the
 * `ReadBackStarted` event for `total` records of `what`, and the progress counter.
 */
export const start = (
  client: OktaClientService,
  limits: ReadLimits,
  report: {
    readonly task: Progress.Task
    readonly what: string
    readonly total: number
    readonly onEvent: Progress.OnEvent
  }
): Effect.Effect<{ readonly reader: Reader; readonly tick: Effect.Effect<void> }> =>
  Effect.gen(function* () {
    const { task, what, total, onEvent } = report
    const reader = yield* make(client, limits, (millis) => onEvent({ _tag: "ReadBackPaused", task, millis }))
    yield* onEvent({ _tag: "ReadBackStarted", task, what, total })
    const progress = yield* Progress.counter(task, total, onEvent)
    return { reader, tick: progress.tick }
  })
