import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { clock, describeApplyEvent, make } from "../src/Progress.ts"
import * as Style from "../src/internal/Style.ts"
import { samplePlan } from "./fixtures.ts"

describe("Progress", () => {
  it("describes each orchestrator event in one line", () => {
    expect(describeApplyEvent({ _tag: "SessionCreated", index: 0, total: 3, sessionId: "aps1" })).toBe("session 1/3 (aps1) created")
    expect(describeApplyEvent({ _tag: "SessionStatus", sessionId: "aps1", status: "TRIGGERED" })).toBe("session (aps1) is TRIGGERED")
    expect(describeApplyEvent({ _tag: "Committed", index: 1, changes: 412 })).toBe("session 2: state committed (412 changes)")
    expect(describeApplyEvent({ _tag: "Resumed", runId: "run-1", fromSession: 1 })).toBe("resuming the unfinished apply of run-1 from session 2")
    expect(describeApplyEvent({ _tag: "BatchUploaded", sessionIndex: 1, batch: 2, batches: 7, entities: 200, bytes: 51200 })).toBe(
      "session 2: uploaded batch 3/7 (200 entities, 50.0 KB)"
    )
    expect(describeApplyEvent({ _tag: "WaitingForSessionGap", remainingMillis: 272_000, reason: "previous session triggered at 10:00" })).toBe(
      "waiting 4:32 before the next session (previous session triggered at 10:00)"
    )
    expect(describeApplyEvent({ _tag: "RateLimited", waitMillis: 1500 })).toBe("rate-limited by Okta: waiting 0:02")
    expect(describeApplyEvent({ _tag: "SomethingNew" })).toBeUndefined()
    expect(clock(61_000)).toBe("1:01")
    expect(clock(-5)).toBe("0:00")
  })

  it("without a terminal, writes plain log lines (throttling read progress)", async () => {
    const lines: Array<string> = []
    const ui = make({ interactive: false, style: Style.plain, log: (m) => Effect.sync(() => void lines.push(m)) })
    await Effect.runPromise(
      Effect.gen(function* () {
        for (let rows = 1000; rows <= 120_000; rows += 1000) yield* ui.onEvent({ _tag: "ReadProgress", rows })
        yield* ui.onEvent({ _tag: "Planned", plan: samplePlan() })
        yield* ui.onEvent({ _tag: "Apply", event: { _tag: "SessionCompleted", index: 0, sessionId: "aps1" } as never })
        yield* ui.stop
      })
    )
    expect(lines).toEqual([
      "read 50000 rows",
      "read 100000 rows",
      // the membership count is member additions/removals, as in the plan's summary (it was the number of groups)
      "planned: read 300 rows; 4 user and 1 group changes, 2 membership additions and 0 removals",
      "session 1 (aps1) completed"
    ])
  })

  it("on a terminal, draws bars on the given stream and stops cleanly", async () => {
    const chunks: Array<string> = []
    const stream = Object.assign(new (await import("node:stream")).Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) }), {
      isTTY: true,
      columns: 120,
      cursorTo: () => true,
      moveCursor: () => true,
      clearLine: () => true,
      clearScreenDown: () => true
    })
    const ui = make({ interactive: true, style: Style.plain, log: () => Effect.void, stream: stream as never })
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* ui.onEvent({ _tag: "ReadProgress", rows: 1000 })
        yield* ui.onEvent({ _tag: "Planned", plan: samplePlan() })
        yield* ui.onEvent({ _tag: "Apply", event: { _tag: "BatchUploaded", sessionIndex: 0, batch: 0, batches: 2, entities: 200, bytes: 1024 } as never })
        yield* ui.onEvent({ _tag: "Apply", event: { _tag: "WaitingForSessionGap", remainingMillis: 90_000 } as never })
        yield* ui.stop
        yield* ui.stop
      })
    )
    const out = chunks.join("")
    expect(out).toContain("read")
    expect(out).toContain("300/300 rows")
    expect(out).toContain("upload")
    expect(out).toContain("1/2 batches")
    expect(out).toMatch(/waiting 1:(30|29) for Okta's 5-minute session rule/)
  })
})
