/**
 * Cron schedules (croner): parse and validate a pattern, compute the next fire time, and a loop that
 * calls `onTick` at every fire time. Time comes from Effect's Clock, so tests drive it with TestClock.
 *
 * Patterns: 5 fields (`*\/15 * * * *`, minute precision), 6 fields with seconds first
 * (`*\/10 * * * * *`), or nicknames (`@hourly`, `@daily`, …). An optional IANA `timezone`
 * (`Europe/Berlin`) applies to the pattern; the default is UTC.
 */
import { Cron } from "croner"
import { Clock, Duration, Effect } from "effect"

export interface Schedule {
  readonly pattern: string
  readonly timezone: string
  /** The first fire time strictly after `after` (epoch millis), or undefined when the pattern never fires again. */
  readonly next: (after: number) => number | undefined
}

/** Parse a pattern; returns the reason when it is invalid. */
export const parse = (pattern: string, timezone = "UTC"): { readonly schedule: Schedule } | { readonly error: string } => {
  if (!isTimezone(timezone)) return { error: `unknown time zone ${JSON.stringify(timezone)} (use an IANA name such as Europe/Berlin)` }
  let cron: Cron
  try {
    cron = new Cron(pattern, { paused: true, timezone, mode: "5-or-6-parts" })
  } catch (error) {
    return { error: `invalid cron pattern ${JSON.stringify(pattern)}: ${error instanceof Error ? error.message : String(error)}` }
  }
  if (cron.nextRun(new Date()) === null) return { error: `cron pattern ${JSON.stringify(pattern)} never fires` }
  return {
    schedule: {
      pattern,
      timezone,
      next: (after) => {
        const next = cron.nextRun(new Date(after))
        return next === null ? undefined : Math.max(next.getTime(), after + 1)
      }
    }
  }
}

export const isTimezone = (timezone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone })
    return true
  } catch {
    return false
  }
}

/**
 * Call `onTick(fireTime)` at every fire time, forever (interrupt the fiber to stop). `onTick` must not
 * block for long: the worker starts runs in the background and records a busy tick as skipped. A tick
 * missed because the process was busy past it is not replayed: the loop continues from "now".
 */
export const loop = <E, R>(schedule: Schedule, onTick: (fireTime: number) => Effect.Effect<void, E, R>): Effect.Effect<void, E, R> =>
  Effect.gen(function* () {
    let last = yield* Clock.currentTimeMillis
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const next = schedule.next(Math.max(now, last))
      if (next === undefined) return
      yield* Effect.sleep(Duration.millis(Math.max(0, next - now)))
      last = next
      yield* onTick(next)
    }
  })
