import { ConfigLoader, type RunReport, StateStore } from "@anysource/core"
import { TestSource } from "@anysource/core/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Layers from "../src/Layers.ts"
import * as Report from "../src/Report.ts"
import * as Run from "../src/Run.ts"

const rows = Array.from({ length: 4 }, (_, i) => ({ id: `E${i}`, email: `e${i}@example.com` }))
const load = (orgUrl: string) =>
  ConfigLoader.parse(
    {
      version: 1,
      // no Okta behind the URL: the schema check, which reads Okta before every run, is off
      okta: { orgUrl, identitySourceId: "0oaRUN", schemaCheck: false, ...(orgUrl === "embedded" ? {} : { auth: { type: "ssws", token: "tok-0123456789" } }) },
      source: { type: "test" },
      mapping: { externalId: "id", profile: { userName: "email", email: "email" } },
      state: { type: "memory" }
    },
    { env: {}, sources: [TestSource.fromRows(rows)], baseDir: "." }
  )

describe("Run.runWithReport", () => {
  it.effect("runs Sync with the Okta client built for this run", () =>
    Effect.gen(function* () {
      const loaded = yield* load("http://127.0.0.1:9")
      const store = yield* StateStore.makeMemory("0oaRUN")
      // initial: an empty state would otherwise ask the (unreachable) org whether it already holds these people
      const result = yield* Run.runWithReport({ loaded, mode: "plan", runId: "run-plan", initial: true }, Layers.oktaLayer(loaded)).pipe(
        Effect.provideService(StateStore.StateStore, store)
      )
      expect(Option.isNone(result.error)).toBe(true)
      expect(result.report).toMatchObject({ runId: "run-plan", outcome: "planned", summary: { users: { create: 4 } } })
    })
  )

  it.effect("a client that cannot be built is a failed run with a report, and its error can be caught by tag", () =>
    Effect.gen(function* () {
      const loaded = yield* load("embedded")
      const store = yield* StateStore.makeMemory("0oaRUN")
      const result = yield* Run.runWithReport({ loaded, mode: "apply", runId: "run-x" }, Layers.oktaLayer(loaded, { runtime: "the worker" })).pipe(
        Effect.provideService(StateStore.StateStore, store)
      )
      expect(result.report).toMatchObject({ runId: "run-x", mode: "apply", outcome: "failed", sessions: [], error: { tag: "ConfigError", reason: "Unsupported" } })
      expect(result.report.error?.message).toContain("the worker needs a real org URL")
      const caught = yield* Run.failed(result.error).pipe(
        Effect.as("none"),
        Effect.catchTag("ConfigError", (e) => Effect.succeed(`config: ${e.path}`)),
        Effect.orElseSucceed(() => "other")
      )
      expect(caught).toBe("config: okta.orgUrl")
      // nothing started: the history is untouched
      expect(yield* store.history(10)).toEqual([])
      expect(yield* Run.failed(Option.none()).pipe(Effect.as("ok"))).toBe("ok")
    })
  )
})

describe("Report.compact", () => {
  it("drops the plan and keeps the first issues, counting them all", () => {
    const issues = Array.from({ length: 120 }, (_, i) => ({ kind: "invalid", location: `people.csv:${i + 2}`, message: "bad email" }))
    const report = { runId: "r", outcome: "planned", plan: { changes: "…" }, issues, sessions: [] } as unknown as RunReport.RunReport
    const compact = Report.compact(report)
    expect("plan" in compact).toBe(false)
    expect(compact.issues).toHaveLength(50)
    expect(compact.issues[0]).toEqual(issues[0])
    expect(compact.issuesTotal).toBe(120)
    expect(Report.compact(report, 5).issues).toHaveLength(5)
    expect("verification" in compact).toBe(false)
  })

  it("keeps the verification's counts and the first of the records that differ or are missing", () => {
    const records = Array.from({ length: 72 }, (_, i) => ({ kind: "user", externalId: `E${i}`, outcome: "missing" }))
    const verification = { verified: 10, differs: 2, missing: 70, unchecked: 1, records }
    const report = { runId: "r", outcome: "applied", issues: [], sessions: [], verification } as unknown as RunReport.RunReport
    const compact = Report.compact(report)
    expect(compact.verification).toMatchObject({ verified: 10, differs: 2, missing: 70, unchecked: 1 })
    expect(compact.verification?.records).toHaveLength(50)
    expect(compact.verification?.records[0]).toEqual(records[0])
  })
})
