import { afterEach, describe, expect, it } from "vitest"
import { closeAll, harness, HOUR, IS, MINUTE, T0, user } from "./helpers.ts"

afterEach(closeAll)

const CONFLICT = "Only one active import session per identity source is allowed to be created every 5 minutes"

const expectOktaError = (r: { status: number; json: any; headers: Headers }, status: number, code: string) => {
  expect(r.status).toBe(status)
  expect(r.headers.get("content-type")).toContain("application/json")
  expect(r.json.errorCode).toBe(code)
  expect(r.json.errorLink).toBe(code)
  expect(r.json.errorId).toMatch(/^oae[0-9A-Za-z]{22}$/)
  expect(Array.isArray(r.json.errorCauses)).toBe(true)
  expect(typeof r.json.errorSummary).toBe("string")
}

describe("create session", () => {
  it("answers 201 with a CREATED INCREMENTAL session and Okta's headers", async () => {
    const h = await harness()
    const r = await h.call("POST", h.is("/sessions"))
    expect(r.status).toBe(201)
    expect(r.json).toEqual({
      id: expect.stringMatching(/^aps[0-9A-Za-z]{17}$/),
      identitySourceId: IS,
      status: "CREATED",
      importType: "INCREMENTAL",
      created: "2026-03-01T12:00:00.000Z",
      lastUpdated: "2026-03-01T12:00:00.000Z"
    })
    expect(r.headers.get("date")).toBe(new Date(T0).toUTCString())
    expect(r.headers.get("x-okta-request-id")).toMatch(/^[0-9A-Za-z]{27}$/)
    expect(r.headers.get("x-rate-limit-limit")).toBe("600")
  })

  it("answers 200 in spec mode (the spec's code; recorded orgs answer 201)", async () => {
    const h = await harness({ responses: "spec" })
    const r = await h.call("POST", h.is("/sessions"))
    expect(r.status).toBe(200)
    expect(r.json.status).toBe("CREATED")
  })

  it("refuses a second session while one is CREATED or IN_PROGRESS (400 E0000001)", async () => {
    const h = await harness()
    const id = await h.newSession()
    const second = await h.call("POST", h.is("/sessions"))
    expectOktaError(second, 400, "E0000001")
    expect(second.json.errorCauses).toEqual([{ errorSummary: CONFLICT }])
    await h.call("POST", h.is(`/sessions/${id}/bulk-upsert`), { body: { entityType: "USERS", profiles: [user(1)] } })
    expect((await h.call("GET", h.is(`/sessions/${id}`))).json.status).toBe("IN_PROGRESS")
    expectOktaError(await h.call("POST", h.is("/sessions")), 400, "E0000001")
  })

  it("enforces the 5-minute rule only while the earlier session is still TRIGGERED", async () => {
    const h = await harness({ processingDelayMs: 10 * MINUTE })
    await h.importUsers([user(1)]) // triggered at T0, clock now T0+1s
    h.clock.advance(5 * MINUTE - 1_001)
    const early = await h.call("POST", h.is("/sessions"))
    expectOktaError(early, 400, "E0000001")
    expect(early.json.errorCauses[0].errorSummary).toBe(CONFLICT)
    h.clock.advance(1)
    expect(h.emu.sessions()[0]?.status).toBe("TRIGGERED")
    expect((await h.call("POST", h.is("/sessions"))).status).toBe(201)
  })

  it("allows a new session as soon as the triggered one has COMPLETED", async () => {
    const h = await harness({ processingDelayMs: 500 })
    await h.importUsers([user(1)])
    expect(h.emu.sessions()[0]?.status).toBe("COMPLETED")
    expect((await h.call("POST", h.is("/sessions"))).status).toBe(201)
  })

  it("answers 404 E0000007 for an unknown identity source on every session operation", async () => {
    const h = await harness()
    const base = "/api/v1/identity-sources/0oaUNKNOWN0000000000"
    const create = await h.call("POST", `${base}/sessions`)
    expectOktaError(create, 404, "E0000007")
    expect(create.json.errorSummary).toBe("Not found: Resource not found: 0oaUNKNOWN0000000000 (App)")
    expectOktaError(await h.call("GET", `${base}/sessions`), 404, "E0000007")
    expectOktaError(await h.call("GET", `${base}/sessions/aps00000000000000000`), 404, "E0000007")
    expectOktaError(
      await h.call("POST", `${base}/sessions/aps00000000000000000/bulk-upsert`, { body: { entityType: "USERS", profiles: [user(1)] } }),
      404,
      "E0000007"
    )
  })

  it("answers 404 E0000007 for an unknown session, and for a session of another identity source", async () => {
    const other = "0oaOTHER000000000001"
    const h = await harness({ identitySources: [{ id: IS }, { id: other }] })
    const unknown = await h.call("GET", h.is("/sessions/aps00000000000000000"))
    expectOktaError(unknown, 404, "E0000007")
    expect(unknown.json.errorSummary).toBe("Not found: Resource not found: aps00000000000000000 (IdentitySourceSession)")
    const id = await h.newSession()
    expectOktaError(await h.call("GET", `/api/v1/identity-sources/${other}/sessions/${id}`), 404, "E0000007")
    expectOktaError(await h.call("POST", h.is("/sessions/aps00000000000000000/start-import")), 404, "E0000007")
    expectOktaError(await h.call("DELETE", h.is("/sessions/aps00000000000000000")), 404, "E0000007")
  })
})

describe("state machine", () => {
  it("runs CREATED → IN_PROGRESS → TRIGGERED → COMPLETED", async () => {
    const h = await harness({ processingDelayMs: 1_000 })
    const id = await h.newSession()
    h.clock.advance(2_000)
    const up = await h.call("POST", h.is(`/sessions/${id}/bulk-upsert`), { body: { entityType: "USERS", profiles: [user(1)] } })
    expect(up.status).toBe(202)
    expect(up.text).toBe("")
    const s = (await h.call("GET", h.is(`/sessions/${id}`))).json
    expect(s.status).toBe("IN_PROGRESS")
    expect(s.lastUpdated).toBe("2026-03-01T12:00:02.000Z")
    const t = await h.call("POST", h.is(`/sessions/${id}/start-import`))
    expect(t.status).toBe(200)
    expect(t.json).toMatchObject({ id, status: "TRIGGERED", importType: "INCREMENTAL" })
    h.clock.advance(999)
    expect((await h.call("GET", h.is(`/sessions/${id}`))).json.status).toBe("TRIGGERED")
    h.clock.advance(1)
    const done = (await h.call("GET", h.is(`/sessions/${id}`))).json
    expect(done.status).toBe("COMPLETED")
    expect(done.lastUpdated).toBe("2026-03-01T12:00:03.000Z")
  })

  it("refuses start-import on a CREATED session (400 E0000001)", async () => {
    const h = await harness()
    const id = await h.newSession()
    const r = await h.call("POST", h.is(`/sessions/${id}/start-import`))
    expectOktaError(r, 400, "E0000001")
    expect(r.json.errorCauses[0].errorSummary).toBe("Only a session that is in IN_PROGRESS status can be triggered.")
  })

  it("keeps a session CREATED after a delete-only upload that matches nothing", async () => {
    const h = await harness()
    const id = await h.newSession()
    const del = await h.call("POST", h.is(`/sessions/${id}/bulk-delete`), {
      body: { entityType: "USERS", profiles: [{ externalId: "NOBODY" }] }
    })
    expect(del.status).toBe(202)
    const gdel = await h.call("POST", h.is(`/sessions/${id}/bulk-groups-delete`), { body: { externalIds: ["NOGROUP"] } })
    expect(gdel.status).toBe(202)
    expect((await h.call("GET", h.is(`/sessions/${id}`))).json.status).toBe("CREATED")
    expectOktaError(await h.call("POST", h.is(`/sessions/${id}/start-import`)), 400, "E0000001")
  })

  it("moves to IN_PROGRESS on a delete that names a known user", async () => {
    const h = await harness()
    await h.importUsers([user(1)])
    const id = await h.newSession()
    await h.call("POST", h.is(`/sessions/${id}/bulk-delete`), { body: { entityType: "USERS", profiles: [{ externalId: user(1).externalId }] } })
    expect((await h.call("GET", h.is(`/sessions/${id}`))).json.status).toBe("IN_PROGRESS")
  })

  it("refuses uploads and cancellation once TRIGGERED, with the recorded cause text", async () => {
    const h = await harness({ processingDelayMs: HOUR })
    const id = await h.importUsers([user(1)])
    const up = await h.call("POST", h.is(`/sessions/${id}/bulk-upsert`), { body: { entityType: "USERS", profiles: [user(2)] } })
    expectOktaError(up, 400, "E0000001")
    const del = await h.call("DELETE", h.is(`/sessions/${id}`))
    expectOktaError(del, 400, "E0000001")
    expect(del.json.errorSummary).toBe("Api validation failed: importSessionId")
    expect(del.json.errorCauses).toEqual([{ errorSummary: "Only a session that is in CREATED or IN_PROGRESS status can be canceled." }])
    expectOktaError(await h.call("POST", h.is(`/sessions/${id}/start-import`)), 400, "E0000001")
  })

  it("cancels CREATED and IN_PROGRESS sessions: 204, CLOSED, staged data discarded", async () => {
    const h = await harness()
    const a = await h.newSession()
    const r = await h.call("DELETE", h.is(`/sessions/${a}`))
    expect(r.status).toBe(204)
    expect(r.text).toBe("")
    expect((await h.call("GET", h.is(`/sessions/${a}`))).json.status).toBe("CLOSED")
    const b = await h.newSession()
    await h.call("POST", h.is(`/sessions/${b}/bulk-upsert`), { body: { entityType: "USERS", profiles: [user(1)] } })
    expect((await h.call("DELETE", h.is(`/sessions/${b}`))).status).toBe(204)
    expectOktaError(
      await h.call("POST", h.is(`/sessions/${b}/bulk-upsert`), { body: { entityType: "USERS", profiles: [user(2)] } }),
      400,
      "E0000001"
    )
    expectOktaError(await h.call("DELETE", h.is(`/sessions/${b}`)), 400, "E0000001")
    await h.emu.processPending()
    expect(h.emu.directory.users()).toEqual([])
    expect(h.emu.sessions().map((s) => s.status)).toEqual(["CLOSED", "CLOSED"])
    expect((await h.call("POST", h.is("/sessions"))).status).toBe(201)
  })

  it("expires CREATED and IN_PROGRESS sessions after 24 hours without API calls", async () => {
    const h = await harness()
    const a = await h.newSession()
    h.clock.advance(24 * HOUR - 1)
    expect(h.emu.sessions()[0]?.status).toBe("CREATED")
    h.clock.advance(1)
    expect(h.emu.sessions()[0]?.status).toBe("EXPIRED")
    const s = (await h.call("GET", h.is(`/sessions/${a}`))).json
    expect(s.status).toBe("EXPIRED")
    expect(s.lastUpdated).toBe("2026-03-02T12:00:00.000Z")
    const b = await h.newSession()
    await h.call("POST", h.is(`/sessions/${b}/bulk-upsert`), { body: { entityType: "USERS", profiles: [user(1)] } })
    h.clock.advance(23 * HOUR)
    await h.call("GET", h.is(`/sessions/${b}`)) // API activity restarts the 24 hours
    h.clock.advance(23 * HOUR)
    expect((await h.call("GET", h.is(`/sessions/${b}`))).json.status).toBe("IN_PROGRESS")
    h.clock.advance(24 * HOUR)
    expect((await h.call("GET", h.is(`/sessions/${b}`))).json.status).toBe("EXPIRED")
    expectOktaError(
      await h.call("POST", h.is(`/sessions/${b}/bulk-upsert`), { body: { entityType: "USERS", profiles: [user(2)] } }),
      400,
      "E0000001"
    )
    expect(h.emu.directory.users()).toEqual([])
  })

  it("lists only active sessions by default, every session with listSessions: all", async () => {
    for (const mode of ["active", "all"] as const) {
      const h = await harness({ listSessions: mode, processingDelayMs: 10 * MINUTE })
      const closed = await h.newSession()
      await h.call("DELETE", h.is(`/sessions/${closed}`))
      const triggered = await h.importUsers([user(1)])
      h.clock.advance(5 * MINUTE)
      const open = await h.newSession()
      const list = await h.call("GET", h.is("/sessions"))
      expect(list.status).toBe(200)
      const ids = list.json.map((s: { id: string }) => s.id)
      expect(ids).toEqual(mode === "active" ? [triggered, open] : [closed, triggered, open])
    }
  })
})

describe("processing queue", () => {
  it("processes triggered sessions one at a time, in trigger order", async () => {
    const h = await harness({ processingDelayMs: 10 * MINUTE })
    const first = await h.importUsers([user(1, { firstName: "First" })]) // triggered at T0
    h.clock.advance(5 * MINUTE)
    const second = await h.importUsers([user(1, { firstName: "Second" })]) // triggered at T0+5m+1s
    // Without the queue the second would finish at T0+15m+1s; it has to wait for the first (done at T0+10m).
    h.clock.advance(5 * MINUTE) // T0+10m+2s
    const views = () => Object.fromEntries(h.emu.sessions().map((s) => [s.id, s]))
    expect(views()[first]?.status).toBe("COMPLETED")
    expect(views()[second]?.status).toBe("TRIGGERED")
    expect(h.emu.directory.users()[0]?.profile["firstName"]).toBe("First")
    h.clock.advance(10 * MINUTE - 3_000) // T0+19m59s
    expect(views()[second]?.status).toBe("TRIGGERED")
    h.clock.advance(1_000) // T0+20m
    expect(views()[second]?.status).toBe("COMPLETED")
    expect(views()[second]?.finishedAt).toBe("2026-03-01T12:20:00.000Z")
    expect(h.emu.directory.users()[0]?.profile["firstName"]).toBe("Second")
  })

  it("ends a session in ERROR on an injected sessionError, leaving the directory untouched", async () => {
    const h = await harness()
    h.emu.faults.inject({ kind: "sessionError" })
    const failed = await h.importUsers([user(1)])
    const s = (await h.call("GET", h.is(`/sessions/${failed}`))).json
    expect(s.status).toBe("ERROR")
    expect(h.emu.directory.users()).toEqual([])
    const ok = await h.importUsers([user(1)])
    expect((await h.call("GET", h.is(`/sessions/${ok}`))).json.status).toBe("COMPLETED")
    expect(h.emu.directory.users()).toHaveLength(1)
  })
})
