/**
 * Verification after apply against the emulator over HTTP: what a COMPLETED session does not prove. Records
 * rejected one by one inside a completed import are caught as missing, a second writer right after the import
 * as differing (with the field-level difference); the sample, the request budget and the rate-limit headroom
 * bound what it costs; an error never fails the apply it checks.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { OktaClient } from "../src/okta/OktaClient.ts"
import * as Sample from "../src/verify/Sample.ts"
import * as Verify from "../src/verify/Verify.ts"
import { clientFor } from "./emulatorHarness.ts"
import { load, mutableSource, org, people, reads } from "./proofHarness.ts"

describe("verify after apply", () => {
  it.scopedLive(
    "reads back a bounded sample of what was sent (default 100) and finds everything as sent",
    () =>
      Effect.gen(function* () {
        const { h, sync } = yield* org()
        const source = mutableSource(people(150))
        const loaded = yield* load(source.definition, h.emu.url)
        const before = reads(h)
        // initial: a first sync on purpose (no lost-state probe, whose reads would count here)
        const { report, error } = yield* sync({ loaded, mode: "apply", initial: true })
        expect(Option.isNone(error)).toBe(true)
        const v = report.verification!
        // 150 users, 2 groups and 2 membership changes can be read back; 100 of them are
        expect(v).toMatchObject({
          sample: "100",
          changed: 154,
          notReadable: 0,
          sampled: 100,
          checked: 100,
          verified: 100,
          differs: 0,
          missing: 0,
          unchecked: 0
        })
        expect(v.stopped).toBeUndefined()
        expect(v.records).toEqual([])
        expect(v.requests).toBe(100)
        expect(reads(h) - before).toBe(100)
        // the run history keeps the counts
        expect(report.outcome).toBe("applied")
      }),
    60_000
  )

  it.scopedLive(
    "records rejected one by one inside a COMPLETED import are reported missing, each by externalId",
    () =>
      Effect.gen(function* () {
        const { h, sync, store } = yield* org({ simulate: { rejectShare: 0.2, seed: "verify" } })
        const loaded = yield* load(mutableSource(people(40)).definition, h.emu.url, {
          verify: { sample: "100%" }
        })
        const { report } = yield* sync({ loaded, mode: "apply" })
        expect(h.emu.sessions().every((s) => s.status === "COMPLETED")).toBe(true)
        const rejectedOf = (entity: string) =>
          h.emu
            .simulations()
            .filter((s) => s.kind === "reject" && s.entity === entity)
            .map((s) => s.externalId)
            .sort()
        const rejected = rejectedOf("user")
        const rejectedGroups = rejectedOf("group")
        expect(rejected.length).toBeGreaterThan(0)
        const v = report.verification!
        // a rejected group is missing twice over: as a group and as the group whose members were sent
        expect(v.missing).toBe(rejected.length + 2 * rejectedGroups.length)
        expect(
          v.records
            .filter((r) => r.kind === "user" && r.outcome === "missing")
            .map((r) => r.externalId)
            .sort()
        ).toEqual(rejected)
        // the members sent to the groups that exist lack the rejected users
        const inKeptGroups = people(40).filter(
          (p) => rejected.includes(p.id) && !rejectedGroups.includes(`dept-${p.dept.toLowerCase()}`)
        )
        const groups = v.records.filter((r) => r.kind === "membership" && r.outcome === "differs")
        expect(groups.flatMap((g) => g.missingMembers ?? []).sort()).toEqual(
          inKeptGroups.map((p) => p.id).sort()
        )
        expect(v.verified).toBe(v.checked - v.missing - v.differs)
        const history = yield* store().history(1)
        expect(history[0]?.counts).toMatchObject({
          verified: v.verified,
          verifyMissing: v.missing,
          verifyDiffers: v.differs
        })
      }),
    60_000
  )

  it.scopedLive(
    "a second writer right after the import shows as differs, with the attribute sent and the one Okta holds",
    () =>
      Effect.gen(function* () {
        const { h, sync } = yield* org({ simulate: { secondWriterShare: 0.25, seed: "w2" } })
        const loaded = yield* load(mutableSource(people(30)).definition, h.emu.url, {
          verify: { sample: "100%" }
        })
        const { report } = yield* sync({ loaded, mode: "apply" })
        const written = h.emu
          .simulations()
          .filter((s) => s.kind === "secondWriter" && s.entity === "user")
          .map((s) => s.externalId)
        expect(written.length).toBeGreaterThan(0)
        const v = report.verification!
        const differing = v.records.filter((r) => r.kind === "user")
        expect(differing.map((r) => r.externalId).sort()).toEqual([...written].sort())
        expect(differing[0]!.differences).toEqual([
          {
            attribute: "firstName",
            expected: expect.stringMatching(/^First/),
            actual: "Written by another client"
          }
        ])
        expect(v.differs).toBeGreaterThanOrEqual(written.length)
      }),
    60_000
  )

  it.scopedLive(
    "stops cleanly at verify.maxRequests and reports what it did not check; after: never reads nothing",
    () =>
      Effect.gen(function* () {
        const { h, sync } = yield* org()
        const source = mutableSource(people(30))
        const loaded = yield* load(source.definition, h.emu.url, {
          verify: { sample: "100%", maxRequests: 5 }
        })
        const before = reads(h)
        const v = (yield* sync({ loaded, mode: "apply", initial: true })).report.verification!
        expect(v).toMatchObject({ sampled: 34, checked: 5, unchecked: 29, stopped: "budget", requests: 5 })
        expect(reads(h) - before).toBe(5)

        source.state.rows = people(30, "Manager")
        const off = yield* load(source.definition, h.emu.url, { verify: { after: "never" } })
        const beforeOff = reads(h)
        const { report } = yield* sync({ loaded: off, mode: "apply" })
        expect(report.summary?.users.update).toBe(30)
        expect(report.verification).toBeUndefined()
        expect(reads(h)).toBe(beforeOff)
        // and the run's own switch wins over the config
        source.state.rows = people(30, "Director")
        const on = yield* load(source.definition, h.emu.url)
        expect(
          (yield* sync({ loaded: on, mode: "apply", verify: false })).report.verification
        ).toBeUndefined()
      }),
    60_000
  )

  it.scopedLive(
    "keeps rate-limit headroom: past its share of the window it pauses until the reset, and never meets a 429",
    () =>
      Effect.gen(function* () {
        const { h, sync } = yield* org({ rateLimit: { limit: 20, windowMs: 2_000 } })
        const loaded = yield* load(mutableSource(people(12)).definition, h.emu.url, {
          verify: { after: "never" }
        })
        yield* sync({ loaded, mode: "apply" })
        const { targets } = Verify.targetsOfPlan(
          (yield* sync({ loaded, mode: "plan", initial: true })).report.plan!
        )
        expect(targets).toEqual([]) // nothing left to change: verify the users directly
        const users = h.emu.directory.users().map((u) => ({
          kind: "user" as const,
          externalId: u.externalId,
          op: "update" as const,
          profile: { email: u.profile["email"]!, userName: u.profile["userName"]! }
        }))
        const report = yield* Verify.verifyTargets(users, 0, {
          sample: Sample.all,
          rateLimitShare: 50,
          concurrency: 1,
          seed: "headroom"
        }).pipe(Effect.provide(clientFor(h.emu)))
        expect(report).toMatchObject({ checked: 12, verified: 12, unchecked: 0 })
        expect(report.pausedMillis).toBeGreaterThan(0)
        const metrics = yield* Effect.flatMap(OktaClient, (c) => c.metrics).pipe(
          Effect.provide(clientFor(h.emu))
        )
        expect(metrics.rateLimited).toBe(0)
        expect(h.emu.requests.filter((r) => r.status === 429)).toEqual([])
      }),
    60_000
  )

  it.scopedLive(
    "an Okta error stops verification (reported with what it checked) but never fails the apply",
    () =>
      Effect.gen(function* () {
        const { h, sync } = yield* org()
        const loaded = yield* load(mutableSource(people(10)).definition, h.emu.url, {
          verify: { sample: "100%", concurrency: 1 }
        })
        h.emu.faults.inject({ kind: "status", status: 403, method: "GET", path: /\/users\/E005$/ })
        const { report, error } = yield* sync({ loaded, mode: "apply" })
        expect(Option.isNone(error)).toBe(true)
        expect(report.outcome).toBe("applied")
        const v = report.verification!
        expect(v.stopped).toBe("error")
        expect(v.error).toMatchObject({ tag: "OktaApiError", reason: "Forbidden" })
        expect(v.checked).toBe(4)
        expect(v.unchecked).toBe(v.sampled - 4)
      }),
    60_000
  )

  it.scopedLive(
    "without a plan, the last applied run is verified from what state recorded for it",
    () =>
      Effect.gen(function* () {
        const { h, sync, withOkta } = yield* org()
        const source = mutableSource(people(12))
        const loaded = yield* load(source.definition, h.emu.url, { verify: { after: "never" } })
        yield* sync({ loaded, mode: "apply" })
        source.state.rows = people(12)
          .map((p) => (p.id === "E003" ? { ...p, title: "Manager" } : p))
          .filter((p) => p.id !== "E012")
        const second = yield* sync({ loaded, mode: "apply" })
        const last = yield* withOkta(Verify.lastApplied())
        expect(last?.runId).toBe(second.report.runId)
        const { targets, notReadable } = yield* withOkta(Verify.targetsOfRun(last!.runId))
        // E003 updated, E012 deactivated (not readable); the groups were not written by this run
        expect(targets.map((t) => `${t.kind}:${t.externalId}`)).toEqual(["user:E003"])
        expect(notReadable).toBe(1)
        const options = { sample: Sample.all, rateLimitShare: 50, concurrency: 2, seed: "last" }
        expect(yield* withOkta(Verify.verifyTargets(targets, notReadable, options))).toMatchObject({
          verified: 1,
          differs: 0
        })
        h.emu.simulate.adminEdit(1)
        const after = yield* withOkta(Verify.verifyTargets(targets, notReadable, options))
        expect(after).toMatchObject({
          verified: 0,
          differs: 1,
          records: [{ externalId: "E003", outcome: "differs" }]
        })
      }),
    60_000
  )
})
