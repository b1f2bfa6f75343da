import { afterEach, describe, expect, it } from "vitest"
import { closeAll, harness, T0, user } from "./helpers.ts"

afterEach(closeAll)

describe("rate limits", () => {
  it("sends X-Rate-Limit-Limit/Remaining/Reset, Date and a fresh X-Okta-Request-Id on every response", async () => {
    const h = await harness({ rateLimit: { limit: 5 } })
    const ids = new Set<string>()
    const windowEnd = String(Math.ceil((Math.floor(T0 / 60_000) * 60_000 + 60_000) / 1000))
    for (let i = 1; i <= 3; i++) {
      const r = await h.call(i === 2 ? "POST" : "GET", h.is(i === 3 ? "/sessions/apsUNKNOWN" : "/sessions"))
      expect(r.headers.get("x-rate-limit-limit")).toBe("5")
      expect(r.headers.get("x-rate-limit-remaining")).toBe(String(5 - i))
      expect(r.headers.get("x-rate-limit-reset")).toBe(windowEnd)
      expect(r.headers.get("date")).toBe(new Date(h.clock.now()).toUTCString())
      ids.add(r.headers.get("x-okta-request-id") ?? "")
    }
    expect(ids.size).toBe(3)
  })

  it("answers 429 E0000047 with a single X-Rate-Limit-Reset once the window is used up, and recovers at the reset", async () => {
    const h = await harness({ rateLimit: { limit: 3, windowMs: 60_000 } })
    for (let i = 0; i < 3; i++) expect((await h.call("GET", h.is("/sessions"))).status).toBe(200)
    const r = await h.call("GET", h.is("/sessions"))
    expect(r.status).toBe(429)
    expect(r.json).toMatchObject({
      errorCode: "E0000047",
      errorSummary: "API call exceeded rate limit due to too many requests.",
      errorLink: "E0000047",
      errorCauses: []
    })
    const reset = r.headers.get("x-rate-limit-reset")!
    expect(reset).toMatch(/^\d+$/)
    expect(r.headers.get("x-rate-limit-remaining")).toBe("0")
    // Wait exactly as a client would: reset (epoch seconds) minus the server's Date.
    const wait = Number(reset) * 1000 - Date.parse(r.headers.get("date")!)
    expect(wait).toBe(60_000)
    h.clock.advance(wait - 1_000)
    expect((await h.call("GET", h.is("/sessions"))).status).toBe(429)
    h.clock.advance(1_000)
    const after = await h.call("GET", h.is("/sessions"))
    expect(after.status).toBe(200)
    expect(after.headers.get("x-rate-limit-remaining")).toBe("2")
  })

  it("counts the token endpoint in its own bucket", async () => {
    const h = await harness({ rateLimit: { limit: 1 } })
    expect((await h.call("GET", h.is("/sessions"))).status).toBe(200)
    const t = await h.call("POST", "/oauth2/v1/token", { body: "grant_type=client_credentials", headers: { "Content-Type": "application/x-www-form-urlencoded" } })
    expect(t.status).toBe(401)
    expect(t.headers.get("x-rate-limit-remaining")).toBe("0")
    expect((await h.call("GET", h.is("/sessions"))).status).toBe(429)
  })
})

describe("fault injection", () => {
  it("injects 429 bursts with a reset the client can honour", async () => {
    const h = await harness()
    h.emu.faults.inject({ kind: "rateLimit", times: 2, resetInMs: 2_500, path: /bulk-upsert$/ })
    const id = await h.newSession()
    const body = { entityType: "USERS", profiles: [user(1)] }
    for (let i = 0; i < 2; i++) {
      const r = await h.call("POST", h.is(`/sessions/${id}/bulk-upsert`), { body })
      expect(r.status).toBe(429)
      expect(r.json.errorCode).toBe("E0000047")
      expect(r.headers.get("x-rate-limit-remaining")).toBe("0")
      expect(r.headers.get("x-rate-limit-reset")).toBe(String(Math.ceil((h.clock.now() + 2_500) / 1000)))
    }
    expect((await h.call("POST", h.is(`/sessions/${id}/bulk-upsert`), { body })).status).toBe(202)
    expect(h.emu.faults.pending()).toEqual([])
    expect(h.emu.sessions()[0]?.uploads).toBe(1)
  })

  it("injects 5xx replies for matching requests only, then behaves again", async () => {
    const h = await harness()
    h.emu.faults.inject({ kind: "status", status: 503, times: 2, method: "POST", path: /\/sessions$/ })
    expect((await h.call("GET", h.is("/sessions"))).status).toBe(200)
    for (let i = 0; i < 2; i++) {
      const r = await h.call("POST", h.is("/sessions"))
      expect(r.status).toBe(503)
      expect(r.json).toMatchObject({ errorCode: "E0000010", errorLink: "E0000010", errorCauses: [] })
      expect(r.headers.get("x-okta-request-id")).toBeTruthy()
    }
    expect((await h.call("POST", h.is("/sessions"))).status).toBe(201)
    h.emu.faults.inject({ kind: "status", status: 500 })
    expect((await h.call("GET", h.is("/sessions"))).json.errorCode).toBe("E0000009")
  })

  it("drops connections, before or after handling the request", async () => {
    const h = await harness()
    const id = await h.newSession()
    const body = { entityType: "USERS", profiles: [user(1)] }
    h.emu.faults.inject({ kind: "drop", path: /bulk-upsert$/ })
    await expect(h.call("POST", h.is(`/sessions/${id}/bulk-upsert`), { body })).rejects.toThrow()
    expect(h.emu.sessions()[0]).toMatchObject({ status: "CREATED", uploads: 0 })
    h.emu.faults.inject({ kind: "drop", path: /bulk-upsert$/, afterHandling: true })
    await expect(h.call("POST", h.is(`/sessions/${id}/bulk-upsert`), { body })).rejects.toThrow()
    // The upload was accepted even though the client never saw the 202.
    expect(h.emu.sessions()[0]).toMatchObject({ status: "IN_PROGRESS", uploads: 1 })
    const log = h.emu.requests.filter((r) => r.path.endsWith("bulk-upsert"))
    expect(log.map((r) => [r.status, r.fault])).toEqual([
      [0, "drop"],
      [202, "drop after handling"]
    ])
  })

  it("answers with a body that is not Okta JSON, for decode-error tests", async () => {
    const h = await harness()
    h.emu.faults.inject({ kind: "badBody", path: /\/sessions$/, method: "POST" })
    const r = await h.call("POST", h.is("/sessions"))
    expect(r.status).toBe(200)
    expect(r.headers.get("content-type")).toBe("text/html")
    expect(r.text).toContain("Bad Gateway")
    expect(r.headers.get("x-okta-request-id")).toBeTruthy()
    expect(h.recorder.skipped()).toBe(1)
    expect(h.emu.sessions()).toEqual([])
    expect((await h.call("POST", h.is("/sessions"))).status).toBe(201)
  })

  it("adds latency", async () => {
    const h = await harness()
    h.emu.faults.inject({ kind: "latency", ms: 150, times: 1 })
    const started = performance.now()
    expect((await h.call("GET", h.is("/sessions"))).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    h.emu.faults.inject({ kind: "latency", ms: 10_000, times: Infinity, path: /never/ })
    h.emu.faults.clear()
    expect(h.emu.faults.pending()).toEqual([])
  })
})

describe("request log", () => {
  it("records method, path, status, body size, time and request id", async () => {
    const h = await harness()
    const id = await h.newSession()
    const r = await h.call("POST", h.is(`/sessions/${id}/bulk-upsert`), { body: { entityType: "USERS", profiles: [user(1)] } })
    const last = h.emu.requests.at(-1)!
    expect(last).toEqual({
      method: "POST",
      path: h.is(`/sessions/${id}/bulk-upsert`),
      status: 202,
      bodyBytes: JSON.stringify({ entityType: "USERS", profiles: [user(1)] }).length,
      at: "2026-03-01T12:00:00.000Z",
      requestId: r.headers.get("x-okta-request-id")
    })
    expect(h.emu.requests).toHaveLength(2)
  })

  it("keeps no log with requestLog: false", async () => {
    const h = await harness({ requestLog: false })
    await h.newSession()
    expect(h.emu.requests).toEqual([])
  })
})
