import { afterEach, describe, expect, it } from "vitest"
import { allowances, defaultAllowances } from "../src/testing/index.ts"
import { closeAll, harness, user, type Harness } from "./helpers.ts"

afterEach(closeAll)

const u1 = user(1, { secondEmail: "second1@example.com", mobilePhone: "555-0100" })

const createUser = async (h: Harness, body: unknown = u1) => h.call("POST", h.is("/users"), { body })

describe("single-entity users", () => {
  it("creates (200, no body per spec), reads, replaces, patches and deactivates a user", async () => {
    const h = await harness()
    const c = await createUser(h)
    expect(c.status).toBe(200)
    expect(c.text).toBe("")
    const g = await h.call("GET", h.is(`/users/${u1.externalId}`))
    expect(g.status).toBe(200)
    expect(g.json).toEqual({
      id: expect.stringMatching(/^00u/),
      externalId: u1.externalId,
      created: "2026-03-01T12:00:00.000Z",
      lastUpdated: "2026-03-01T12:00:00.000Z",
      profile: u1.profile
    })
    h.clock.advance(5_000)
    const put = await h.call("PUT", h.is(`/users/${u1.externalId}`), {
      body: { profile: { userName: "user1@example.com", email: "new@example.com", firstName: "Emily" } }
    })
    expect(put.status).toBe(200)
    expect(put.json.profile).toEqual({ userName: "user1@example.com", email: "new@example.com", firstName: "Emily" })
    expect(put.json.lastUpdated).toBe("2026-03-01T12:00:05.000Z")
    const patch = await h.call("PATCH", h.is(`/users/${u1.externalId}`), {
      body: { profile: { userName: "user1@example.com", email: "new@example.com", lastName: "Brock" } }
    })
    expect(patch.json.profile).toEqual({ userName: "user1@example.com", email: "new@example.com", firstName: "Emily", lastName: "Brock" })
    const del = await h.call("DELETE", h.is(`/users/${u1.externalId}`))
    expect(del.status).toBe(204)
    expect(del.text).toBe("")
    expect(h.emu.directory.users()[0]?.status).toBe("DEPROVISIONED")
    // A PUT is an upsert of a known user: it reactivates, like bulk upsert.
    await h.call("PUT", h.is(`/users/${u1.externalId}`), { body: { profile: u1.profile } })
    expect(h.emu.directory.users()[0]?.status).toBe("ACTIVE")
  })

  it("answers 404 for unknown users and 400 for duplicates and invalid bodies", async () => {
    // The emulator's own answers to invalid bodies (a strict emulator answers E0000003 first: Strict.test.ts).
    const h = await harness({ strict: false })
    for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
      const r = await h.call(method, h.is("/users/NOBODY"), method === "PUT" || method === "PATCH" ? { body: { profile: u1.profile } } : {})
      expect(r.status, method).toBe(404)
      expect(r.json.errorCode).toBe("E0000007")
    }
    await createUser(h)
    const dup = await createUser(h)
    expect(dup.status).toBe(400)
    expect(dup.json.errorCauses[0].errorSummary).toBe(`externalId: A user with externalId ${u1.externalId} already exists.`)
    const noEmail = await createUser(h, { externalId: "E2", profile: { userName: "x@example.com" } })
    expect(noEmail.status).toBe(400)
    expect(noEmail.json.errorCauses[0].errorSummary).toBe("profile.email: The attribute email is required.")
    const patch = await h.call("PATCH", h.is(`/users/${u1.externalId}`), { body: { profile: { firstName: "x" } } })
    expect(patch.status).toBe(400)
    const malformed = await h.call("PUT", h.is(`/users/${u1.externalId}`), { body: "{" })
    expect(malformed.status).toBe(400)
    expect(malformed.json.errorCode).toBe("E0000003")
  })
})

describe("single-entity groups and memberships", () => {
  it("creates, reads (by id or external id), updates and deletes a group with a flat profile", async () => {
    const h = await harness()
    const c = await h.call("POST", h.is("/groups"), { body: { externalId: "G1", profile: { displayName: "West", description: "West coast" } } })
    expect(c.status).toBe(200)
    expect(c.json).toEqual({ id: expect.stringMatching(/^00g/), externalId: "G1", profile: { displayName: "West", description: "West coast" } })
    const byId = await h.call("GET", h.is(`/groups/${c.json.id}`))
    const byExt = await h.call("GET", h.is("/groups/G1"))
    expect(byId.json).toEqual(c.json)
    expect(byExt.json).toEqual(c.json)
    const up = await h.call("POST", h.is("/groups/G1"), { body: { profile: { displayName: "West Coast", description: null } } })
    expect(up.json.profile).toEqual({ displayName: "West Coast" })
    const dup = await h.call("POST", h.is("/groups"), { body: { externalId: "G1", profile: { displayName: "Again" } } })
    expect(dup.status).toBe(400)
    const del = await h.call("DELETE", h.is(`/groups/${c.json.id}`))
    expect(del.status).toBe(204)
    expect((await h.call("GET", h.is("/groups/G1"))).status).toBe(404)
    expect((await h.call("DELETE", h.is("/groups/G1"))).status).toBe(404)
  })

  it("adds, lists (paged) and removes members", async () => {
    const h = await harness()
    for (let i = 1; i <= 3; i++) await createUser(h, user(i))
    await h.call("POST", h.is("/groups"), { body: { externalId: "G1", profile: { displayName: "One" } } })
    for (let i = 1; i <= 3; i++) {
      const r = await h.call("POST", h.is("/groups/G1/membership"), { body: { memberExternalId: user(i).externalId } })
      expect(r.status).toBe(204)
    }
    const first = await h.call("GET", h.is("/groups/G1/membership?limit=2"))
    expect(first.json).toEqual({ memberExternalIds: ["EXT00001", "EXT00002"] })
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1]
    expect(next).toBeDefined()
    const second = await h.call("GET", next!.slice(h.emu.url.length))
    expect(second.json).toEqual({ memberExternalIds: ["EXT00003"] })
    expect(second.headers.get("link")).not.toContain('rel="next"')
    expect((await h.call("DELETE", h.is("/groups/G1/membership/EXT00002"))).status).toBe(204)
    expect(h.emu.directory.members("G1")).toEqual(["EXT00001", "EXT00003"])
    expect((await h.call("DELETE", h.is("/groups/G1/membership/EXT00002"))).status).toBe(404)
    const ghost = await h.call("POST", h.is("/groups/G1/membership"), { body: { memberExternalId: "GHOST" } })
    expect(ghost.status).toBe(400)
    expect(ghost.json.errorCode).toBe("E0000001")
    expect((await h.call("POST", h.is("/groups/NOPE/membership"), { body: { memberExternalId: "EXT00001" } })).status).toBe(404)
    expect((await h.call("GET", h.is("/groups/NOPE/membership"))).status).toBe(404)
  })
})

describe("recorded single-entity responses", () => {
  it("answers POST user 200 with the user and DELETE 200 when singleEntityResponses is recorded", async () => {
    const h = await harness({ singleEntityResponses: "recorded" }, { allowances: [...defaultAllowances, allowances.recordedSingleEntity] })
    const c = await createUser(h)
    expect(c.status).toBe(200)
    expect(c.json).toMatchObject({ externalId: u1.externalId, profile: u1.profile })
    expect((await h.call("DELETE", h.is(`/users/${u1.externalId}`))).status).toBe(200)
    await h.call("POST", h.is("/groups"), { body: { externalId: "G1", profile: { displayName: "One" } } })
    expect((await h.call("DELETE", h.is("/groups/G1"))).status).toBe(200)
  })
})
