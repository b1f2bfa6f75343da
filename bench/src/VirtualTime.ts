/**
 * Virtual time shared by an in-process anysource run and the Okta emulator.
 *
 * The emulator runs on a `ManualClock`; anysource runs on an Effect `Clock` that reads the same manual clock.
 * A sleep (poll interval, backoff, the 5-minute countdown, a 429 wait) does not wait in real time: when the
 * process is idle — no HTTP request in flight, no fiber runnable (the Effect `Scheduler` has no task queued), no
 * file I/O pending, and nothing happened for a few event-loop turns and at least 5 ms — the clock jumps to the earliest pending
 * sleep and wakes it. Requests and CPU work take the real time they take and add no virtual time, so at the end
 * `elapsedMillis()` is exactly the time the session rules, polls and waits forced, as the emulator counts it.
 *
 * Run the program with `Effect.withClock(vt.clock)` and `Effect.withScheduler(vt.scheduler)`, and send requests
 * through `vt.fetch` (give it to `FetchHttpClient.Fetch`): a request in flight holds time still, so a request
 * timeout never fires because of a jump, and a fiber busy planning is never mistaken for an idle one (a
 * background sleeper, such as a lock lease renewal, would otherwise be woken early).
 */
import type { ManualClock } from "@anysource/okta-emulator"
import { Clock, Duration, Effect, Scheduler } from "effect"

export interface VirtualTime {
  /** The Effect clock to run anysource on (`Effect.withClock(vt.clock)`). */
  readonly clock: Clock.Clock
  /** The Effect scheduler to run anysource on (`Effect.withScheduler(vt.scheduler)`): it tells runnable from idle. */
  readonly scheduler: Scheduler.Scheduler
  /** `Effect.withClock` + `Effect.withScheduler` in one. */
  readonly run: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** A fetch that holds virtual time still while a request is in flight (for `FetchHttpClient.Fetch`). */
  readonly fetch: typeof globalThis.fetch
  /** The manual clock both sides read. */
  readonly manual: ManualClock
  /** Virtual milliseconds elapsed since `make` (every jump, plus any manual `advance`). */
  readonly elapsedMillis: () => number
  /** Number of jumps made (each one woke at least one sleeper). */
  readonly jumps: () => number
  /** Stop driving (pending sleepers stay asleep). */
  readonly close: () => void
}

interface Sleeper {
  readonly deadline: number
  readonly wake: () => void
}

/** Event-loop turns with no request, no runnable fiber and no new activity before the clock may jump… */
const QUIET_TURNS = 3
/** …spanning at least this many real milliseconds (a read from disk is not idleness). */
const QUIET_MS = 5

/** A file read or write in flight (a source being read from disk) is not idleness either. */
const fileIoPending = (): boolean => process.getActiveResourcesInfo().some((r) => r.startsWith("FSReq"))

export const make = (manual: ManualClock): VirtualTime => {
  const start = manual.now()
  const sleepers = new Set<Sleeper>()
  let inflight = 0
  let runnable = 0
  let activity = 0
  let quietSince = 0
  let jumps = 0
  let closed = false
  let timer: NodeJS.Timeout | undefined
  let quiet = 0
  let seen = -1

  const check = () => {
    timer = undefined
    if (closed || sleepers.size === 0) return
    if (inflight > 0) return // the request's completion reschedules
    if (activity !== seen || runnable > 0 || fileIoPending()) {
      seen = activity
      quiet = 0
      quietSince = Date.now()
    } else quiet++
    if (quiet < QUIET_TURNS || Date.now() - quietSince < QUIET_MS) {
      timer = setTimeout(check, 0)
      return
    }
    quiet = 0
    let next = Number.POSITIVE_INFINITY
    for (const s of sleepers) if (s.deadline < next) next = s.deadline
    if (next > manual.now()) manual.set(next)
    jumps++
    const now = manual.now()
    for (const s of [...sleepers]) {
      if (s.deadline <= now) {
        sleepers.delete(s)
        s.wake()
      }
    }
    activity++
    schedule()
  }

  const schedule = () => {
    if (timer === undefined && !closed) timer = setTimeout(check, 0)
  }

  const sleep = (duration: Duration.Duration): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      const millis = Duration.toMillis(duration)
      activity++
      if (!(millis > 0)) {
        resume(Effect.void)
        return
      }
      const sleeper: Sleeper = { deadline: manual.now() + Math.ceil(millis), wake: () => resume(Effect.void) }
      sleepers.add(sleeper)
      schedule()
      return Effect.sync(() => {
        sleepers.delete(sleeper)
        activity++
      })
    })

  const inner = Scheduler.defaultScheduler
  const scheduler: Scheduler.Scheduler = {
    shouldYield: (fiber) => inner.shouldYield(fiber),
    scheduleTask: (task, priority, fiber) => {
      runnable++
      activity++
      inner.scheduleTask(
        () => {
          runnable--
          activity++
          task()
        },
        priority,
        fiber
      )
    }
  }

  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => manual.now(),
    currentTimeMillis: Effect.sync(() => manual.now()),
    unsafeCurrentTimeNanos: () => BigInt(Math.floor(manual.now())) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(Math.floor(manual.now())) * 1_000_000n),
    sleep
  }

  const fetchVirtual: typeof globalThis.fetch = async (input, init) => {
    inflight++
    activity++
    try {
      const res = await globalThis.fetch(input, init)
      // read the whole body while time is held, so a request timeout cannot race the body
      const body = await res.arrayBuffer()
      const empty = res.status === 204 || res.status === 205 || res.status === 304
      return new Response(empty ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers })
    } finally {
      inflight--
      activity++
      schedule()
    }
  }

  return {
    clock,
    scheduler,
    run: (self) => self.pipe(Effect.withClock(clock), Effect.withScheduler(scheduler)),
    fetch: fetchVirtual,
    manual,
    elapsedMillis: () => manual.now() - start,
    jumps: () => jumps,
    close: () => {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
    }
  }
}
