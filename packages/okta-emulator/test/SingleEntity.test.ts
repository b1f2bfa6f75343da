import { afterEach, describe, expect, it } from "vitest"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { closeAll, harness, user, type Harness } from "./helpers.ts"

afterEach(closeAll)

const u1 = user(1, { secondEmail: "second1@example.com", mobilePhone: "555-0100" })

const createUser = async (h: Harness, body: unknown = u1) => h.call("POST", h.is("/users"), { body })

describe("single-entity users", () => {
  it("by default answers as recorded: POST 200 with the user, 0ua ids, unset base attributes null, DELETE 200", async () => {
    const h = await harness()
    const c = await createUser(h, user(1))
    expect(c.status).toBe(200)
    const sourceUserId = h.emu.directory.users()[0]?.sourceUserId
    expect(sourceUserId).toMatch(/^0ua[0-9A-Za-z]{17}$/)
    // The genuine recording of GET /users/{externalId} (docs/okta/identity-sources-api.md §10.2), key for key.
    const recordedShape = {
      id: sourceUserId,
      externalId: user(1).externalId,
      created: "2026-03-01T12:00:00.000Z",
      lastUpdated: "2026-03-01T12:00:00.000Z",
      profile: { firstName: "First1", lastName: "Last1", mobilePhone: null, secondEmail: null, userName: "user1@example.com", email: "user1@example.com" }
    }
    expect(c.json).toEqual(recordedShape)
    const g = await h.call("GET", h.is(`/users/${user(1).externalId}`))
    expect(g.status).toBe(200)
    expect(g.json).toEqual(recordedShape)
    expect(Object.keys(g.json.profile)).toEqual(["firstName", "lastName", "mobilePhone", "secondEmail", "userName", "email"])
    // Set attributes, custom ones and homeAddress (not in the recording) appear only when set.
    const put = await h.call("PUT", h.is(`/users/${user(1).externalId}`), {
      body: { profile: { userName: "user1@example.com", email: "user1@example.com", mobilePhone: "555-0100", homeAddress: "1 Main St", costCenter: "42" } }
    })
    expect(put.json.profile).toEqual({
      firstName: null,
      lastName: null,
      mobilePhone: "555-0100",
      secondEmail: null,
      userName: "user1@example.com",
      email: "user1@example.com",
      homeAddress: "1 Main St",
      costCenter: "42"
    })
    // The Users API keeps the Okta user id.
    expect(h.emu.directory.users()[0]?.id).toMatch(/^00u/)
    const del = await h.call("DELETE", h.is(`/users/${user(1).externalId}`))
    expect(del.status).toBe(200)
    expect(del.text).toBe("")
    expect(h.emu.directory.users()[0]?.status).toBe("DEPROVISIONED")
  })

  it("in spec mode: POST 200 without a body, 00u ids, only the attributes set, DELETE 204", async () => {
    const h = await harness({ responses: "spec" })
    const c = await createUser(h)
    expect(c.status).toBe(200)
    expect(c.text).toBe("")
    const g = await h.call("GET", h.is(`/users/${u1.externalId}`))
    expect(g.status).toBe(200)
    expect(g.json).toEqual({
      id: h.emu.directory.users()[0]?.id,
      externalId: u1.externalId,
      created: "2026-03-01T12:00:00.000Z",
      lastUpdated: "2026-03-01T12:00:00.000Z",
      profile: u1.profile
    })
    expect(g.json.id).toMatch(/^00u/)
    const del = await h.call("DELETE", h.is(`/users/${u1.externalId}`))
    expect(del.status).toBe(204)
    expect(del.text).toBe("")
  })

  it("replaces, patches and deactivates a user; a PUT reactivates it", async () => {
    const h = await harness({ responses: "spec" })
    await createUser(h)
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
    await h.call("DELETE", h.is(`/users/${u1.externalId}`))
    expect(h.emu.directory.users()[0]?.status).toBe("DEPROVISIONED")
    // A PUT is an upsert of a known user: it reactivates, like bulk upsert.
    await h.call("PUT", h.is(`/users/${u1.externalId}`), { body: { profile: u1.profile } })
    expect(h.emu.directory.users()[0]?.status).toBe("ACTIVE")
  })

  it("keeps a user's 0ua id across a restart from the persisted org, and gives one to users saved without it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-0ua-"))
    const path = join(dir, "org.json")
    const first = await harness({ persistPath: path })
    await createUser(first, user(1))
    const before = (await first.call("GET", first.is(`/users/${user(1).externalId}`))).json.id
    await first.emu.close()
    const second = await harness({ persistPath: path })
    expect((await second.call("GET", second.is(`/users/${user(1).externalId}`))).json.id).toBe(before)
    await second.emu.close()
    const saved = JSON.parse(readFileSync(path, "utf8"))
    for (const u of saved.users) delete u.sourceUserId
    writeFileSync(path, JSON.stringify(saved))
    const third = await harness({ persistPath: path })
    expect((await third.call("GET", third.is(`/users/${user(1).externalId}`))).json.id).toMatch(/^0ua[0-9A-Za-z]{17}$/)
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
  it("creates, reads (by id or external id), updates and deletes a group with a flat profile (recorded, the default)", async () => {
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
    expect(del.status).toBe(200)
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

describe("single-entity groups in spec mode", () => {
  it("nests the group profile under profile.profile, as the spec's schema does, and answers DELETE 204", async () => {
    const h = await harness({ responses: "spec" })
    const c = await h.call("POST", h.is("/groups"), { body: { externalId: "G1", profile: { displayName: "West", description: "West coast" } } })
    expect(c.status).toBe(200)
    expect(c.json).toEqual({ id: expect.stringMatching(/^00g/), externalId: "G1", profile: { profile: { displayName: "West", description: "West coast" } } })
    expect((await h.call("GET", h.is("/groups/G1"))).json).toEqual(c.json)
    const up = await h.call("POST", h.is("/groups/G1"), { body: { profile: { displayName: "West Coast" } } })
    expect(up.json.profile).toEqual({ profile: { displayName: "West Coast", description: "West coast" } })
    expect((await h.call("DELETE", h.is("/groups/G1"))).status).toBe(204)
  })
})
