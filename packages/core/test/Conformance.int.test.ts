/**
 * The differential conformance run against two real emulators on loopback (each on a manual clock the run moves
 * instead of waiting): against one in spec mode it finds exactly the documented recorded-vs-spec differences,
 * against one in the default mode none, and every way out (success, interruption, a killed run's journal) leaves no
 * active `anysource-conformance-` record and no open session behind.
 */
import {
  DEFAULT_API_TOKEN,
  DEFAULT_IDENTITY_SOURCE_ID,
  ManualClock,
  startEmulator,
  type RunningEmulator
} from "@anysource/okta-emulator"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Redacted } from "effect"
import * as Conformance from "../src/okta/Conformance.ts"
import { raw } from "./emulatorHarness.ts"

const T0 = Date.parse("2026-03-01T12:00:00.000Z")

const server = (responses: "recorded" | "spec") =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const clock = new ManualClock(T0)
      const emu = await startEmulator({ clock, responses, strict: true })
      return { emu, clock }
    }),
    ({ emu }) => Effect.promise(() => emu.close())
  )

const target = (
  label: string,
  s: { emu: RunningEmulator; clock: ManualClock },
  journal?: Conformance.ConformanceJournal
): Conformance.ConformanceTarget => ({
  label,
  orgUrl: s.emu.url,
  identitySourceId: DEFAULT_IDENTITY_SOURCE_ID,
  auth: { type: "ssws", token: Redacted.make(DEFAULT_API_TOKEN) },
  advance: (millis) => Effect.sync(() => s.clock.advance(millis)),
  ...(journal !== undefined ? { journal } : {})
})

/** An in-memory journal, with every save kept for inspection. */
const memoryJournal = (initial?: Conformance.Leftovers) => {
  let current = initial
  const saves: Array<Conformance.Leftovers> = []
  const journal: Conformance.ConformanceJournal = {
    load: Effect.sync(() => current),
    save: (l) => Effect.sync(() => void saves.push((current = l))),
    clear: Effect.sync(() => void (current = undefined))
  }
  return { journal, saves, current: () => current }
}

/** What a run may leave: deactivated users only (the Identity Sources API cannot delete a user). */
const leftBehind = (emu: RunningEmulator) => ({
  activeUsers: emu.directory
    .users()
    .filter((u) => u.externalId.startsWith(Conformance.externalIdPrefix) && u.status === "ACTIVE")
    .map((u) => u.externalId),
  groups: emu.directory
    .groups()
    .filter((g) => g.externalId.startsWith(Conformance.externalIdPrefix))
    .map((g) => g.externalId),
  openSessions: emu
    .sessions()
    .filter((s) => ["CREATED", "IN_PROGRESS", "TRIGGERED"].includes(s.status))
    .map((s) => s.id)
})
const nothing = { activeUsers: [], groups: [], openSessions: [] }

const DOCUMENTED = [
  "createSession201",
  "createUserBody",
  "deleteStatus",
  "flatGroupProfile",
  "identitySourceUserId",
  "nullBaseAttributes"
]

describe("anysource okta conformance (differential run)", () => {
  it.scopedLive(
    "against an emulator in spec mode: exactly the documented differences, and nothing left behind",
    () =>
      Effect.gen(function* () {
        const spec = yield* server("spec")
        const local = yield* server("recorded")
        const report = yield* Conformance.run({
          subject: target("org", spec),
          reference: target("emulator", local),
          runId: "spec1"
        })
        const unknown = report.differences.filter((d) => d.known === undefined)
        expect(unknown).toEqual([])
        expect([...new Set(report.differences.map((d) => d.known?.id))].sort()).toEqual(DOCUMENTED)
        // each as the table shows it
        expect(report.differences).toContainEqual(
          expect.objectContaining({
            step: "session.create",
            aspect: "status",
            subject: "200",
            reference: "201"
          })
        )
        expect(report.differences).toContainEqual(
          expect.objectContaining({
            step: "user.get",
            aspect: "body",
            path: "id",
            subject: "okta-id(00u)",
            reference: "okta-id(0ua)"
          })
        )
        expect(report.differences).toContainEqual(
          expect.objectContaining({
            step: "user.get",
            aspect: "body",
            path: "profile.mobilePhone",
            subject: "(absent)",
            reference: "null"
          })
        )
        expect(report.differences).toContainEqual(
          expect.objectContaining({
            step: "user.create",
            aspect: "body",
            path: "",
            subject: "(none)",
            reference: "object"
          })
        )
        expect(report.differences).toContainEqual(
          expect.objectContaining({
            step: "group.delete",
            aspect: "status",
            subject: "204",
            reference: "200"
          })
        )
        expect(report.differences).toContainEqual(
          expect.objectContaining({
            step: "group.create",
            aspect: "body",
            path: "profile.profile",
            subject: "object",
            reference: "(absent)"
          })
        )
        expect(leftBehind(spec.emu)).toEqual(nothing)
        expect(leftBehind(local.emu)).toEqual(nothing)
        expect(report.subject.cleanup.problems).toEqual([])
        expect(report.subject.cleanup.deactivatedUsers).toBeGreaterThanOrEqual(2)
      })
  )

  it.scopedLive(
    "against an emulator in the default mode: no difference; every UNCONFIRMED item and limit was observed",
    () =>
      Effect.gen(function* () {
        const org = yield* server("recorded")
        const local = yield* server("recorded")
        const report = yield* Conformance.run({
          subject: target("org", org),
          reference: target("emulator", local),
          includeSlow: true
        })
        expect(report.differences).toEqual([])
        const seen = new Map(report.reference.observations.map((o) => [o.step, o]))
        expect(seen.get("session.create.while-open")).toMatchObject({ status: 400, errorCode: "E0000001" })
        expect(seen.get("session.start-import.from-created")).toMatchObject({ status: 400 })
        expect(seen.get("session.get.unknown")).toMatchObject({ status: 404, errorCode: "E0000007" })
        expect(seen.get("bulk-delete.unknown-externalId")).toMatchObject({ status: 202 })
        expect(seen.get("session.state.after-unknown-delete")?.sessionStates).toEqual(["CREATED"])
        expect(seen.get("limit.entities.200")).toMatchObject({ status: 202 })
        expect(seen.get("limit.entities.201")).toMatchObject({ status: 400 })
        expect(seen.get("attributes.non-string")).toMatchObject({ status: 400 })
        // the identity source's schema lacks the attribute: refused, naming it (unknownAttributes: "reject")
        expect(seen.get("attributes.unknown")).toMatchObject({ status: 400, errorCode: "E0000001" })
        expect(seen.get("limit.bytes.over-204800")).toMatchObject({ status: 400 })
        expect(seen.get("limit.bytes.between-200000-and-204800")).toMatchObject({ status: 202 })
        expect(seen.get("limit.uploads.50")).toMatchObject({
          status: 400,
          facts: { acceptedUploads: 50, refused: true }
        })
        expect(seen.get("session.list.after-cancel")?.facts).toEqual({ listsCancelledSession: false })
        expect(seen.get("session.cancel.while-triggered")).toMatchObject({
          status: 400,
          errorCode: "E0000001"
        })
        expect(seen.get("upload.while-triggered")).toMatchObject({ status: 400 })
        expect(seen.get("session.create.while-triggered")).toMatchObject({
          status: 400,
          rule: expect.stringContaining("5-minute")
        })
        expect(seen.get("session.states.import")?.sessionStates).toEqual(["TRIGGERED", "COMPLETED"])
        expect(seen.get("import.memberships-named-in-the-same-session")?.facts).toEqual({ members: 2 })
        expect(seen.get("session.create.after-completed")).toMatchObject({ status: 201 })
        expect(seen.get("session.create.5-minutes-after-trigger")).toMatchObject({ status: 201 })
        expect(seen.get("user.create.undeclared-attribute")).toMatchObject({ status: 400 })
        expect(seen.get("user.get.undeclared-attribute")?.facts).toEqual({ keptUndeclaredAttribute: false })
        expect(seen.get("membership.add")).toMatchObject({ status: 204 })
        expect(seen.get("user.delete")).toMatchObject({ status: 200 })
        expect(seen.get("group.get.after-delete")).toMatchObject({ status: 404 })
        expect(seen.get("membership.delete.not-a-member")).toMatchObject({ status: 404 })
        // only prefixed externalIds ever reached either server
        for (const emu of [org.emu, local.emu]) {
          expect(
            emu.directory
              .users()
              .every((u) => u.externalId.startsWith(`${Conformance.externalIdPrefix}${report.runId}-`))
          ).toBe(true)
          expect(leftBehind(emu)).toEqual(nothing)
        }
      })
  )

  it.scopedLive("interrupted mid-import (Ctrl-C), still removes what it created and clears its journal", () =>
    Effect.gen(function* () {
      const org = yield* server("recorded")
      const local = yield* server("recorded")
      const j = memoryJournal()
      const reached = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(
        Conformance.run({
          subject: target("org", org, j.journal),
          reference: target("emulator", local),
          onObservation: (label, o) =>
            label === "org" && o.step === "session.start-import"
              ? Deferred.succeed(reached, undefined)
              : Effect.void
        })
      )
      yield* Deferred.await(reached)
      yield* Fiber.interrupt(fiber)
      expect(j.saves.at(-1)?.users.length).toBeGreaterThan(0)
      expect(j.current()).toBeUndefined()
      expect(
        org.emu.directory.users().some((u) => u.externalId.startsWith(Conformance.externalIdPrefix))
      ).toBe(true)
      expect(leftBehind(org.emu)).toEqual(nothing)
      expect(leftBehind(local.emu)).toEqual(nothing)
    })
  )

  it.scopedLive(
    "a killed run's journal is cleaned up (open session cancelled, users deactivated, groups deleted), touching nothing else",
    () =>
      Effect.gen(function* () {
        const org = yield* server("recorded")
        const p = Conformance.externalIdPrefix
        const other = {
          externalId: "HR-1",
          profile: { userName: "hr1@example.com", email: "hr1@example.com" }
        }
        yield* Effect.promise(() => raw(org.emu, "POST", "/users", other))
        yield* Effect.promise(() =>
          raw(org.emu, "POST", "/users", {
            externalId: `${p}k-u1`,
            profile: { userName: "k1@example.com", email: "k1@example.com" }
          })
        )
        yield* Effect.promise(() =>
          raw(org.emu, "POST", "/groups", { externalId: `${p}k-g1`, profile: { displayName: "k" } })
        )
        const session = (yield* Effect.promise(() => raw(org.emu, "POST", "/sessions"))).json.id as string
        const j = memoryJournal({
          sessions: [session],
          users: [`${p}k-u1`, `${p}k-u2`],
          groups: [`${p}k-g1`]
        })
        const result = yield* Conformance.cleanup(target("org", org, j.journal))
        expect(result).toMatchObject({
          cancelledSessions: 1,
          deactivatedUsers: 1,
          deletedGroups: 1,
          problems: []
        })
        expect(j.current()).toBeUndefined()
        expect(leftBehind(org.emu)).toEqual(nothing)
        expect(org.emu.directory.users().find((u) => u.externalId === "HR-1")?.status).toBe("ACTIVE")
        expect(yield* Conformance.cleanup(target("org", org, j.journal))).toBeUndefined()
      })
  )
})

describe("a re-run after a killed run", () => {
  it.scopedLive("removes the journal's leftovers first, reports them, then runs", () =>
    Effect.gen(function* () {
      const org = yield* server("recorded")
      const local = yield* server("recorded")
      const p = Conformance.externalIdPrefix
      yield* Effect.promise(() =>
        raw(org.emu, "POST", "/groups", { externalId: `${p}old-g1`, profile: { displayName: "old" } })
      )
      const j = memoryJournal({ sessions: [], users: [], groups: [`${p}old-g1`] })
      const report = yield* Conformance.run({
        subject: target("org", org, j.journal),
        reference: target("emulator", local)
      })
      expect(report.subject.earlier).toMatchObject({ deletedGroups: 1, problems: [] })
      expect(report.differences).toEqual([])
      expect(j.current()).toBeUndefined()
      expect(leftBehind(org.emu)).toEqual(nothing)
    })
  )
})

describe("conformance safety and shapes", () => {
  const owned = { groupIds: new Set(["00gOWNED000000000001"]), sessions: new Set(["apsMINE0000000000001"]) }
  it("refuses any request naming a record or session the run does not own", () => {
    const p = Conformance.externalIdPrefix
    expect(Conformance.refusal("DELETE", `/users/${p}r-u1`, undefined, owned)).toBeUndefined()
    expect(Conformance.refusal("DELETE", "/users/HR-1", undefined, owned)).toMatch(
      /not an anysource-conformance- record/
    )
    expect(Conformance.refusal("DELETE", "/groups/00gSOMEONE0000000001", undefined, owned)).toMatch(
      /not a group this run created/
    )
    expect(Conformance.refusal("DELETE", "/groups/00gOWNED000000000001", undefined, owned)).toBeUndefined()
    expect(Conformance.refusal("DELETE", "/sessions/apsOTHER000000000001", undefined, owned)).toMatch(
      /not a session this run created/
    )
    expect(
      Conformance.refusal(
        "POST",
        "/sessions/apsMINE0000000000001/bulk-delete",
        { entityType: "USERS", profiles: [{ externalId: `${p}x` }, { externalId: "E9" }] },
        owned
      )
    ).toMatch(/names E9/)
    expect(
      Conformance.refusal("POST", `/groups/${p}g/membership`, { memberExternalId: "E9" }, owned)
    ).toMatch(/names E9/)
    expect(
      Conformance.refusal(
        "POST",
        "/sessions/apsMINE0000000000001/bulk-group-memberships-upsert",
        { memberships: [{ groupExternalId: `${p}g`, memberExternalIds: [`${p}u`, "E2"] }] },
        owned
      )
    ).toMatch(/names E2/)
    expect(Conformance.externalIdsIn({ externalIds: ["a", "b"], profile: { userName: "x" } })).toEqual([
      "a",
      "b"
    ])
  })

  it("reduces bodies to their shape and names differences top-most only", () => {
    const recorded = Conformance.shapeOf(
      '{"id":"0uaxr8kpjfWHJpAKK1d7","created":"2026-04-19T16:52:09.000Z","profile":{"mobilePhone":null,"email":"a@b.c"}}'
    )
    expect(recorded).toEqual({
      "": "object",
      created: "date-time",
      id: "okta-id(0ua)",
      profile: "object",
      "profile.email": "string",
      "profile.mobilePhone": "null"
    })
    expect(Conformance.shapeOf("")).toEqual({ "": "(none)" })
    expect(Conformance.shapeOf("<html>")).toEqual({ "": "(not JSON)" })
    expect(Conformance.shapeOf('[{"id":"aps1qqonvr2SZv6o70h8"}]')).toEqual({
      "": "array",
      "[]": "object",
      "[].id": "okta-id(aps)"
    })
    expect(Conformance.diffShapes(Conformance.shapeOf(""), recorded)).toEqual([
      { path: "", left: "(none)", right: "object" }
    ])
    expect(
      Conformance.diffShapes(
        {
          "": "object",
          profile: "object",
          "profile.profile": "object",
          "profile.profile.displayName": "string"
        },
        { "": "object", profile: "object", "profile.displayName": "string" }
      )
    ).toEqual([
      { path: "profile.displayName", left: "(absent)", right: "string" },
      { path: "profile.profile", left: "object", right: "(absent)" }
    ])
  })
})
