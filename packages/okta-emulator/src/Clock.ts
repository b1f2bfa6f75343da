/**
 * The emulator's notion of time. Every rule that depends on time (the 5-minute session rule,
 * 24-hour expiry, processing delay, token lifetime, rate-limit windows, the `Date` header) reads
 * `now()` from one clock, so tests can move time with a {@link ManualClock}.
 */
export interface EmulatorClock {
  /** Current emulator time, epoch milliseconds. */
  readonly now: () => number
  /** Called by the emulator to learn about manual jumps in time (optional). Returns an unsubscribe function. */
  readonly onAdvance?: (listener: () => void) => () => void
}

/** Real wall-clock time. */
export const systemClock: EmulatorClock = { now: () => Date.now() }

/**
 * Wall-clock time sped up by `timeScale` from `start` on: with `timeScale: 60`, one real second is
 * one emulator minute, so the 5-minute rule lasts 5 real seconds. For demos.
 */
export const scaledClock = (timeScale: number, start: number = Date.now()): EmulatorClock => {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`)
  return { now: () => Math.floor(start + (Date.now() - start) * timeScale) }
}

/** A clock that only moves when told to. `advance` notifies the emulator, which then runs any work that became due. */
export class ManualClock implements EmulatorClock {
  #now: number
  readonly #listeners = new Set<() => void>()

  constructor(start: number = Date.now()) {
    this.#now = start
  }

  readonly now = (): number => this.#now

  /** Moves time forward by `ms` (must be >= 0) and runs whatever became due. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance needs a non-negative number, got ${ms}`)
    this.#now += ms
    for (const listener of [...this.#listeners]) listener()
  }

  /** Jumps to an absolute time (never backwards). */
  set(epochMs: number): void {
    this.advance(epochMs - this.#now)
  }

  readonly onAdvance = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }
}
