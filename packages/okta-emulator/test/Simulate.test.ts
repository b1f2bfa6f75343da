/**
 * The simulation modes: per-record rejections inside a completed import, admin edits and a second writer after
 * each import. Each is what `anysource verify` or `anysource drift` must catch, so these tests pin what the org
 * looks like afterwards through the same single-entity reads a client makes.
 */
import { afterEach, describe, expect, it } from "vitest"
import { startEmulator } from "../src/index.ts"
import { chosenBelow } from "../src/internal/Simulate.ts"
import { closeAll, DECLARED, harness, type Harness, IS } from "./helpers.ts"

afterEach(closeAll)

/** The people below carry `title`, which an identity source declares as a custom attribute (it is not one of the seven base ones). */
const simHarness = (options: Parameters<typeof harness>[0] = {}) =>
  harness({ identitySources: [{ id: IS, customAttributes: [...DECLARED, "title"] }], ...options })

const people = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    externalId: `P${String(i + 1).padStart(3, "0")}`,
    profile: {
      userName: `p${i + 1}@example.com`,
      email: `p${i + 1}@example.com`,
      firstName: `First${i + 1}`,
      title: "Engineer"
    }
  }))

/** One session: groups, users and memberships, triggered and processed; returns its view. */
const importAll = async (
  h: Harness,
  users: ReadonlyArray<{ externalId: string; profile: Record<string, string> }>,
  groups: ReadonlyArray<string> = []
) => {
  const id = await h.newSession()
  const post = async (path: string, body: unknown) =>
    expect((await h.call("POST", h.is(`/sessions/${id}/${path}`), { body })).status).toBe(202)
  if (groups.length > 0)
    await post("bulk-groups-upsert", {
      profiles: groups.map((g) => ({ externalId: g, profile: { displayName: g } }))
    })
  await post("bulk-upsert", { entityType: "USERS", profiles: users })
  for (const g of groups)
    await post("bulk-group-memberships-upsert", {
      memberships: [{ groupExternalId: g, memberExternalIds: users.slice(0, 5).map((u) => u.externalId) }]
    })
  expect((await h.call("POST", h.is(`/sessions/${id}/start-import`))).status).toBe(200)
  h.clock.advance(1_000)
  return h.emu.sessions().find((s) => s.id === id)!
}

describe("simulate.rejectShare", () => {
  it("rejects a share of the records one by one while the session COMPLETES; reads show them missing or unchanged", async () => {
    const h = await simHarness({ simulate: { rejectShare: 0.3, seed: "s1" } })
    const all = people(40)
    const view = await importAll(h, all)
    expect(view.status).toBe("COMPLETED")
    const rejected = all
      .filter((p) => chosenBelow("s1", "reject", `user:${p.externalId}`, 0.3))
      .map((p) => p.externalId)
    expect(rejected.length).toBeGreaterThan(3)
    expect(rejected.length).toBeLessThan(25)
    expect(view.result).toMatchObject({ usersCreated: 40 - rejected.length, usersRejected: rejected.length })
    expect(view.warnings).toContain(
      `user ${rejected[0]}: rejected (simulated per-record error: the record was not imported)`
    )
    expect((await h.call("GET", h.is(`/users/${rejected[0]}`))).status).toBe(404)
    const kept = all.find((p) => !rejected.includes(p.externalId))!
    expect((await h.call("GET", h.is(`/users/${kept.externalId}`))).status).toBe(200)
    expect(
      h.emu
        .simulations()
        .filter((s) => s.kind === "reject")
        .map((s) => s.externalId)
        .sort()
    ).toEqual([...rejected].sort())
  })

  it("a rejected update keeps the old values; the same seed rejects the same records, another seed others", async () => {
    const h = await simHarness({ simulate: { rejectShare: 1 } })
    // created through the single-entity API (not an import), then updated by an import that rejects everything
    const [p] = people(1)
    expect((await h.call("POST", h.is("/users"), { body: p })).status).toBe(200)
    const view = await importAll(h, [
      { externalId: p!.externalId, profile: { ...p!.profile, title: "Director" } }
    ])
    expect(view.result).toMatchObject({ usersUpdated: 0, usersRejected: 1 })
    expect((await h.call("GET", h.is(`/users/${p!.externalId}`))).json.profile.title).toBe("Engineer")
    const all = people(60)
    const pick = (seed: string) =>
      all.filter((q) => chosenBelow(seed, "reject", `user:${q.externalId}`, 0.5)).map((q) => q.externalId)
    expect(pick("a")).toEqual(pick("a"))
    expect(pick("a")).not.toEqual(pick("b"))
    expect(pick("a").length).toBeGreaterThan(15)
    expect(pick("a").length).toBeLessThan(45)
  })
})

describe("simulate: admin edits and a second writer after each import", () => {
  it("an admin edits one non-login attribute of a share of the active users, after the import completed", async () => {
    const h = await simHarness({ simulate: { adminEditShare: 0.25, seed: "edit" } })
    await importAll(h, people(40))
    const edited = h.emu.simulations().filter((s) => s.kind === "adminEdit")
    expect(edited.length).toBeGreaterThan(3)
    for (const e of edited) {
      const r = await h.call("GET", h.is(`/users/${e.externalId}`))
      expect(r.json.profile).toMatchObject({ firstName: "Edited by an admin", title: "Engineer" })
      expect(r.json.profile.userName).toMatch(/@example\.com$/)
    }
    const untouched = h.emu.directory
      .users()
      .filter((u) => !edited.some((e) => e.externalId === u.externalId))
    expect(untouched.every((u) => u.profile["firstName"]!.startsWith("First"))).toBe(true)
  })

  it("a second writer changes attributes and swaps a member in a share of the groups", async () => {
    const h = await simHarness({ simulate: { secondWriterShare: 1, seed: "w" } })
    await importAll(h, people(8), ["G1", "G2"])
    const byGroup = (g: string) => h.emu.directory.members(g)
    for (const g of ["G1", "G2"]) {
      // P001 (the first member) is out, P006 (the first active non-member) is in
      expect(byGroup(g)).toEqual(["P002", "P003", "P004", "P005", "P006"])
    }
    expect(h.emu.directory.users().every((u) => u.profile["firstName"] === "Written by another client")).toBe(
      true
    )
  })

  it("on demand: simulate.adminEdit and simulate.secondWriter act now and are logged", async () => {
    const h = await simHarness()
    await importAll(h, people(10), ["G1"])
    expect(h.emu.simulations()).toEqual([])
    expect(h.emu.simulate.adminEdit(1).length).toBe(10)
    expect(h.emu.simulate.adminEdit(1)).toEqual([]) // already edited: nothing changes
    expect(h.emu.simulate.secondWriter(1).groups).toEqual(["G1"])
    expect(h.emu.simulations().map((s) => s.kind)).toContain("secondWriter")
  })

  it("refuses a share outside 0..1", async () => {
    await expect(startEmulator({ simulate: { rejectShare: 1.5 } })).rejects.toThrow(
      "simulate.rejectShare must be between 0 and 1"
    )
  })
})
