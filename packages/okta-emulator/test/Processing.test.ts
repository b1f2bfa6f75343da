import { afterEach, describe, expect, it } from "vitest"
import { closeAll, harness, IS, user, type Harness } from "./helpers.ts"

afterEach(closeAll)

/** Opens a session, posts the uploads in order, triggers it and lets it complete. Returns the session view. */
const run = async (h: Harness, uploads: ReadonlyArray<[string, unknown]>) => {
  const id = await h.newSession()
  for (const [path, body] of uploads) {
    const r = await h.call("POST", h.is(`/sessions/${id}/${path}`), { body })
    expect(r.status, `${path}: ${r.text}`).toBe(202)
  }
  const t = await h.call("POST", h.is(`/sessions/${id}/start-import`))
  expect(t.status, t.text).toBe(200)
  h.clock.advance(1_000)
  const view = h.emu.sessions().find((s) => s.id === id)!
  expect(view.status).toBe("COMPLETED")
  return view
}

const users = (...profiles: Array<unknown>): [string, unknown] => ["bulk-upsert", { entityType: "USERS", profiles }]
const deletes = (...ids: Array<string>): [string, unknown] => ["bulk-delete", { entityType: "USERS", profiles: ids.map((externalId) => ({ externalId })) }]
const groups = (...gs: Array<[string, string]>): [string, unknown] => [
  "bulk-groups-upsert",
  { profiles: gs.map(([externalId, displayName]) => ({ externalId, profile: { displayName } })) }
]
const members = (kind: "upsert" | "delete", groupExternalId: string, ...memberExternalIds: Array<string>): [string, unknown] => [
  `bulk-group-memberships-${kind}`,
  { memberships: [{ groupExternalId, memberExternalIds }] }
]

const byExt = (h: Harness) => Object.fromEntries(h.emu.directory.users().map((u) => [u.externalId, u]))

describe("import processing", () => {
  it("creates users ACTIVE with Okta ids and merges later upserts into their profile", async () => {
    const h = await harness()
    const first = await run(h, [users(user(1, { costCenter: "CC1", mobilePhone: "555" }), user(2))])
    expect(first.result).toMatchObject({ usersCreated: 2, usersUpdated: 0 })
    const u1 = byExt(h)["EXT00001"]!
    expect(u1).toMatchObject({ status: "ACTIVE", login: "user1@example.com", identitySourceId: IS })
    expect(u1.id).toMatch(/^00u[0-9A-Za-z]{17}$/)

    // Attributes that are not sent are kept; null clears; unchanged profiles count as unchanged.
    const second = await run(h, [users({ externalId: "EXT00001", profile: { firstName: "Renamed", mobilePhone: null } }, user(2))])
    expect(second.result).toMatchObject({ usersCreated: 0, usersUpdated: 1, usersUnchanged: 1 })
    const again = byExt(h)["EXT00001"]!
    expect(again.id).toBe(u1.id)
    expect(again.profile).toEqual({
      userName: "user1@example.com",
      email: "user1@example.com",
      firstName: "Renamed",
      lastName: "Last1",
      costCenter: "CC1"
    })
  })

  it("deactivates on bulk-delete, ignores unknown externalIds, and reactivates on a later upsert", async () => {
    const h = await harness()
    await run(h, [users(user(1), user(2))])
    const del = await run(h, [deletes("EXT00001", "NOBODY")])
    expect(del.result).toMatchObject({ usersDeactivated: 1, ignored: 1 })
    expect(del.warnings).toEqual([])
    expect(byExt(h)["EXT00001"]?.status).toBe("DEPROVISIONED")
    expect(byExt(h)["EXT00002"]?.status).toBe("ACTIVE")
    expect(h.emu.directory.users()).toHaveLength(2) // deactivated, not removed
    const back = await run(h, [users(user(1))])
    expect(back.result).toMatchObject({ usersReactivated: 1 })
    expect(byExt(h)["EXT00001"]?.status).toBe("ACTIVE")
  })

  it("skips users it cannot create and says why in the session's warnings", async () => {
    const h = await harness()
    const view = await run(h, [
      users(
        { externalId: "NOLOGIN", profile: { firstName: "No", email: "no@example.com" } },
        user(1),
        { externalId: "CLASH", profile: { userName: "user1@example.com", email: "other@example.com" } }
      )
    ])
    expect(view.result).toMatchObject({ usersCreated: 1, usersSkipped: 2 })
    expect(view.warnings).toEqual([
      "user NOLOGIN: skipped: userName and email are required to create a user",
      "user CLASH: skipped: login user1@example.com already belongs to another user"
    ])
  })

  it("creates, updates and deletes groups; deleting a group removes its memberships", async () => {
    const h = await harness()
    const v = await run(h, [groups(["G1", "Engineering"], ["G2", "Sales"]), users(user(1), user(2)), members("upsert", "G1", "EXT00001", "EXT00002")])
    expect(v.result).toMatchObject({ groupsCreated: 2, membershipsAdded: 2 })
    const [g1] = h.emu.directory.groups().filter((g) => g.externalId === "G1")
    expect(g1?.id).toMatch(/^00g[0-9A-Za-z]{17}$/)
    expect(g1?.profile).toEqual({ displayName: "Engineering" })
    expect(h.emu.directory.members("G1")).toEqual(["EXT00001", "EXT00002"])

    const u = await run(h, [groups(["G1", "Platform Engineering"]), members("delete", "G1", "EXT00002")])
    expect(u.result).toMatchObject({ groupsUpdated: 1, membershipsRemoved: 1 })
    expect(h.emu.directory.groups().find((g) => g.externalId === "G1")?.profile["displayName"]).toBe("Platform Engineering")
    expect(h.emu.directory.members("G1")).toEqual(["EXT00001"])

    const d = await run(h, [["bulk-groups-delete", { externalIds: ["G1", "NOPE"] }]])
    expect(d.result).toMatchObject({ groupsDeleted: 1, ignored: 1 })
    expect(h.emu.directory.groups().map((g) => g.externalId)).toEqual(["G2"])
    expect(h.emu.directory.members("G1")).toEqual([])
    // Recreating the external id makes a new Okta group, without the old members.
    await run(h, [groups(["G1", "Engineering"])])
    const again = h.emu.directory.groups().find((g) => g.externalId === "G1")
    expect(again?.id).not.toBe(g1?.id)
    expect(again?.memberCount).toBe(0)
  })

  it("processes a session in a fixed order: groups, users, memberships, then deletes", async () => {
    const h = await harness()
    // Uploaded in the "wrong" order: memberships first, then the users and groups they reference, then deletes.
    const v = await run(h, [
      members("upsert", "G1", "EXT00001", "EXT00002"),
      deletes("EXT00002"),
      users(user(1), user(2)),
      groups(["G1", "One"])
    ])
    expect(v.warnings).toEqual([])
    expect(v.result).toMatchObject({ usersCreated: 2, groupsCreated: 1, membershipsAdded: 2, usersDeactivated: 1 })
    expect(h.emu.directory.members("G1")).toEqual(["EXT00001", "EXT00002"])
    expect(byExt(h)["EXT00002"]?.status).toBe("DEPROVISIONED")
  })

  it("ignores memberships naming unknown users or groups and records a warning for each", async () => {
    const h = await harness()
    await run(h, [users(user(1)), groups(["G1", "One"])])
    const v = await run(h, [members("upsert", "G1", "EXT00001", "GHOST"), members("upsert", "NOGROUP", "EXT00001"), members("delete", "G1", "GHOST")])
    expect(v.result).toMatchObject({ membershipsAdded: 1 })
    expect(v.warnings).toEqual([
      "membership: user GHOST is unknown; not added to group G1",
      "membership: group NOGROUP is unknown; 1 member(s) ignored",
      "membership: user GHOST is unknown; not removed from group G1"
    ])
    expect(h.emu.directory.members("G1")).toEqual(["EXT00001"])
  })

  it("keeps separate directories per identity source", async () => {
    const other = "0oaOTHER000000000001"
    const h = await harness({ identitySources: [{ id: IS }, { id: other }] })
    await run(h, [users(user(1))])
    expect(h.emu.directory.users(IS)).toHaveLength(1)
    expect(h.emu.directory.users(other)).toHaveLength(0)
  })
})

describe("read-only Users and Groups APIs", () => {
  const seed = async () => {
    const h = await harness()
    await run(h, [
      groups(["G1", "Engineering"], ["G2", "Sales"]),
      users(...Array.from({ length: 5 }, (_, i) => user(i + 1))),
      members("upsert", "G1", "EXT00001", "EXT00002", "EXT00003")
    ])
    await run(h, [deletes("EXT00003")])
    return h
  }

  it("lists users like Okta: DEPROVISIONED left out unless searched for, profile mapped with login", async () => {
    const h = await seed()
    const r = await h.call("GET", "/api/v1/users")
    expect(r.status).toBe(200)
    expect(r.json.map((u: any) => u.profile.externalId)).toEqual(["EXT00001", "EXT00002", "EXT00004", "EXT00005"])
    const one = r.json[0]
    expect(one).toMatchObject({
      id: expect.stringMatching(/^00u/),
      status: "ACTIVE",
      profile: { login: "user1@example.com", email: "user1@example.com", firstName: "First1", lastName: "Last1", externalId: "EXT00001" }
    })
    expect(one.profile.userName).toBeUndefined()
    const s = await h.call("GET", `/api/v1/users?search=${encodeURIComponent('profile.externalId eq "EXT00003"')}`)
    expect(s.json).toHaveLength(1)
    expect(s.json[0].status).toBe("DEPROVISIONED")
    const both = await h.call("GET", `/api/v1/users?search=${encodeURIComponent('status eq "ACTIVE" and profile.firstName sw "first"')}`)
    expect(both.json).toHaveLength(4)
    const q = await h.call("GET", "/api/v1/users?q=user5")
    expect(q.json.map((u: any) => u.profile.externalId)).toEqual(["EXT00005"])
  })

  it("pages with limit and Link rel=next", async () => {
    const h = await seed()
    const seen: Array<string> = []
    let next: string | undefined = `${h.emu.url}/api/v1/users?limit=2`
    let pages = 0
    while (next !== undefined) {
      const r: Awaited<ReturnType<typeof h.call>> = await h.call("GET", next.slice(h.emu.url.length))
      pages += 1
      seen.push(...r.json.map((u: any) => u.profile.externalId))
      const link = r.headers.get("link") ?? ""
      expect(link).toContain('rel="self"')
      next = /<([^>]+)>; rel="next"/.exec(link)?.[1]
    }
    expect(pages).toBe(2)
    expect(seen).toEqual(["EXT00001", "EXT00002", "EXT00004", "EXT00005"])
  })

  it("gets a user by id or by login, and 404s otherwise", async () => {
    const h = await seed()
    const id = byExt(h)["EXT00002"]!.id
    expect((await h.call("GET", `/api/v1/users/${id}`)).json.profile.externalId).toBe("EXT00002")
    expect((await h.call("GET", `/api/v1/users/${encodeURIComponent("user2@example.com")}`)).json.id).toBe(id)
    const nf = await h.call("GET", "/api/v1/users/00uNOPE")
    expect(nf.status).toBe(404)
    expect(nf.json.errorCode).toBe("E0000007")
  })

  it("lists groups and group members", async () => {
    const h = await seed()
    const g = await h.call("GET", "/api/v1/groups")
    expect(g.json.map((x: any) => x.profile.name)).toEqual(["Engineering", "Sales"])
    expect(g.json[0]).toMatchObject({ type: "APP_GROUP", source: { id: IS }, profile: { externalId: "G1" } })
    const byName = await h.call("GET", `/api/v1/groups?search=${encodeURIComponent('profile.name eq "sales"')}`)
    expect(byName.json.map((x: any) => x.profile.externalId)).toEqual(["G2"])
    expect((await h.call("GET", "/api/v1/groups?q=Eng")).json).toHaveLength(1)
    const id = g.json[0].id
    expect((await h.call("GET", `/api/v1/groups/${id}`)).json.profile.name).toBe("Engineering")
    const m = await h.call("GET", `/api/v1/groups/${id}/users`)
    expect(m.json.map((u: any) => [u.profile.externalId, u.status])).toEqual([
      ["EXT00001", "ACTIVE"],
      ["EXT00002", "ACTIVE"],
      ["EXT00003", "DEPROVISIONED"]
    ])
    expect((await h.call("GET", "/api/v1/groups/00gNOPE/users")).status).toBe(404)
  })

  it("answers 400 E0000031 to search syntax it does not support", async () => {
    const h = await seed()
    const r = await h.call("GET", `/api/v1/users?search=${encodeURIComponent("profile.firstName gt 3")}`)
    expect(r.status).toBe(400)
    expect(r.json.errorCode).toBe("E0000031")
  })
})
