import type { Sync } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel } from "effect"
import * as SyncLog from "../src/SyncLog.ts"

interface Line {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

/** Log `events` through one run's event logger; collect level, message and annotations. */
const logged = (events: ReadonlyArray<Sync.SyncEvent>) => {
  const lines: Array<Line> = []
  const logger = Logger.make(({ logLevel, message, annotations }) => {
    const text = Array.isArray(message) ? message.join(" ") : String(message)
    lines.push({ level: logLevel.label, message: text, annotations: Object.fromEntries(annotations) })
  })
  const onEvent = SyncLog.make()
  return Effect.forEach(events, onEvent, { discard: true }).pipe(
    Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
    Logger.withMinimumLogLevel(LogLevel.All),
    Effect.as(lines)
  )
}

const summary = {
  users: { create: 3, update: 1, reactivate: 0, deactivate: 2, unchanged: 10 },
  groups: { create: 1, update: 0, deactivate: 0, unchanged: 2 },
  memberships: { add: 4, remove: 1 },
  rowsRead: 17,
  invalid: 1
}
const apply = (event: Record<string, unknown>) => ({ _tag: "Apply", event }) as unknown as Sync.SyncEvent

describe("SyncLog", () => {
  it.effect("one line per event worth reading, structured fields as annotations", () =>
    Effect.gen(function* () {
      const lines = yield* logged([
        { _tag: "Planned", plan: { hash: "sha256:abc", summary } } as unknown as Sync.SyncEvent,
        apply({ _tag: "SessionCreated", index: 0, total: 3, sessionId: "aps1" }),
        apply({ _tag: "BatchUploaded", sessionIndex: 0, batch: 1, batches: 4, entities: 200, bytes: 51200 }),
        apply({ _tag: "SessionTriggered", sessionId: "aps1" }),
        apply({ _tag: "SessionStatus", sessionId: "aps1", status: "IN_PROGRESS" }),
        apply({ _tag: "WaitingForSessionGap", remainingMillis: 90_500, reason: "Okta's 5-minute session rule" }),
        apply({ _tag: "RateLimited", waitMillis: 1_500 }),
        apply({ _tag: "Retrying", attempt: 2, reason: "HTTP 503" }),
        apply({ _tag: "SessionCompleted", sessionId: "aps1", index: 0 }),
        apply({ _tag: "Committed", index: 0, changes: 412 }),
        apply({ _tag: "Resumed", runId: "run-1", fromSession: 2 })
      ])
      expect(lines.map((l) => [l.level, l.message])).toEqual([
        ["INFO", "planned: users +3 ~1 ↺0 -2, groups +1 ~0 -0, memberships +4 -1"],
        ["INFO", "Okta session 1/3 created"],
        ["DEBUG", "uploaded batch 2/4 of session 1"],
        ["INFO", "import started"],
        ["DEBUG", "session aps1 is IN_PROGRESS"],
        ["INFO", "waiting 91 s before the next Okta session (Okta's 5-minute session rule)"],
        ["WARN", "rate limited by Okta: waiting 2 s"],
        ["WARN", "retrying (attempt 2): HTTP 503"],
        ["INFO", "Okta session 1 completed"],
        ["INFO", "committed 412 changes of session 1"],
        ["INFO", "resuming the unfinished apply of run-1 from session 3"]
      ])
      expect(lines[0]!.annotations).toEqual({ planHash: "sha256:abc", rowsRead: 17, invalid: 1 })
      expect(lines[1]!.annotations).toEqual({ sessionId: "aps1" })
      expect(lines[2]!.annotations).toEqual({ entities: 200, bytes: 51200 })
      expect(lines[9]!.annotations).toEqual({ changes: 412 })
    })
  )

  it.effect("read progress: one debug line each time the count passes another 10,000 rows", () =>
    Effect.gen(function* () {
      // Sync reports per chunk, so the counts are seldom round
      const lines = yield* logged([1_024, 9_216, 10_240, 11_264, 19_456, 20_480, 45_056, 45_100].map((rows) => ({ _tag: "ReadProgress", rows }) as const))
      expect(lines.map((l) => [l.level, l.message])).toEqual([
        ["DEBUG", "read 10240 rows"],
        ["DEBUG", "read 20480 rows"],
        ["DEBUG", "read 45056 rows"]
      ])
    })
  )
})
