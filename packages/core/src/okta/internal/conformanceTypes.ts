/** The data of a conformance run, shared by its modules (published through Conformance.ts). */
import type { Effect } from "effect"
import type { Shape } from "./conformanceShape.ts"

/** What one server answered to one step of the scenario. */
export interface Observation {
  /** The step's name, e.g. `session.create.while-open`. */
  readonly step: string
  /** The request, with ids as placeholders: `POST /sessions/{id}/bulk-delete`. */
  readonly request: string
  /** HTTP status; 0 when no reply came. */
  readonly status?: number
  readonly errorCode?: string
  /** The reply body's type at each path (data left out). */
  readonly shape?: Shape
  /** Session statuses seen, in order (repeats folded). */
  readonly sessionStates?: ReadonlyArray<string>
  /** Rule outcomes the step measured (`acceptedUploads: 50`, `listsCancelledSession: false`). */
  readonly facts?: Readonly<Record<string, string | number | boolean>>
  /** The timing rule this step checks (its outcome is compared as allowed / refused). */
  readonly rule?: string
  /** Okta's error text, or why no reply came: for a bug report, never compared. */
  readonly detail?: string
  /** Why the step did not run. */
  readonly skipped?: string
}

/** What a run created on one server (or may have): removed at its end, or by the next run. */
export interface Leftovers {
  readonly sessions: ReadonlyArray<string>
  readonly users: ReadonlyArray<string>
  readonly groups: ReadonlyArray<string>
}

/**
 * Where a run writes what it is about to create, before the request, so a run that is killed (SIGKILL, power) leaves
 * a list for the next run, or `anysource okta conformance --cleanup`, to remove. The CLI keeps it in a file.
 */
export interface ConformanceJournal {
  readonly load: Effect.Effect<Leftovers | undefined>
  readonly save: (leftovers: Leftovers) => Effect.Effect<void>
  readonly clear: Effect.Effect<void>
}
