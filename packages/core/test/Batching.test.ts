import { describe, expect, it } from "vitest"
import * as Batching from "../src/apply/Batching.ts"
import { stableStringify } from "../src/domain/Hash.ts"
import { createGroup, createUser, deactivateUser, makePlan, range } from "./oktaFake.ts"

const bodyBytes = (b: Batching.Batch | Omit<Batching.Batch, "index">) => Buffer.byteLength(JSON.stringify(b.upload.body), "utf8")

const itemsOf = (b: Omit<Batching.Batch, "index">): ReadonlyArray<unknown> => {
  const body = b.upload.body as any
  return body.profiles ?? body.externalIds ?? body.memberships
}

describe("Batching.pack", () => {
  it("a 25,000-user plan goes through 3 sessions with the minimum 125 uploads", () => {
    const plan = makePlan({ users: range(25_000).map((i) => createUser(i)) })
    const sessions = Batching.pack(plan)
    const bound = Batching.minimumUploads(plan)
    const uploads = sessions.reduce((n, s) => n + s.batches.length, 0)
    expect(bound).toMatchObject({ uploads: 125, sessions: 3 })
    expect(uploads).toBe(bound.uploads)
    expect(sessions).toHaveLength(bound.sessions)
    expect(sessions.map((s) => s.batches.length)).toEqual([42, 42, 41])
    for (const s of sessions) {
      expect(s.entities).toBeLessThanOrEqual(10_000)
      expect(s.batches.length).toBeLessThanOrEqual(50)
      s.batches.forEach((b, i) => {
        expect(b.index).toBe(i)
        expect(b.entities).toBeLessThanOrEqual(200)
        expect(b.bytes).toBe(bodyBytes(b))
        expect(b.bytes).toBeLessThanOrEqual(200_000)
        expect(b.upload.kind).toBe("userUpsert")
      })
    }
    expect(sessions.reduce((n, s) => n + s.entities, 0)).toBe(25_000)
    const ids = sessions.flatMap((s) => s.batches.flatMap((b) => b.changes.map((c) => ("externalId" in c ? c.externalId : ""))))
    expect(new Set(ids).size).toBe(25_000)
  })

  it("packs by bytes when profiles are large, reaching the optimum for uniform items", () => {
    const big = "x".repeat(2_900)
    const plan = makePlan({ users: range(1_000).map((i) => createUser(i, { homeAddress: big })) })
    const all = Batching.uploads(plan)
    for (const b of all) {
      expect(b.bytes).toBe(bodyBytes(b))
      expect(b.bytes).toBeLessThanOrEqual(200_000)
    }
    const itemBytes = Buffer.byteLength(JSON.stringify(itemsOf(all[0]!)[0]))
    const perUpload = Math.floor((200_000 - Buffer.byteLength('{"entityType":"USERS","profiles":[]}') + 1) / (itemBytes + 1))
    expect(all[0]!.entities).toBe(perUpload)
    expect(all.length).toBe(Math.ceil(1_000 / perUpload))
    expect(all.length).toBeGreaterThanOrEqual(Batching.minimumUploads(plan).uploads)
    expect(all.length - Batching.minimumUploads(plan).uploads).toBeLessThanOrEqual(1)
  })

  it("orders group upserts, user upserts, membership upserts, membership deletes, user deletes, group deletes", () => {
    const plan = makePlan({
      users: [createUser(1), deactivateUser(2), createUser(3)],
      groups: [createGroup("g1"), { op: "deactivate", externalId: "g-old", reason: "missing" }],
      memberships: [
        { op: "remove", groupExternalId: "g1", memberExternalIds: ["EXT000009"] },
        { op: "add", groupExternalId: "g1", memberExternalIds: ["EXT000001", "EXT000003"] }
      ]
    })
    const all = Batching.uploads(plan)
    expect(all.map((b) => b.upload.kind)).toEqual([
      "groupUpsert",
      "userUpsert",
      "membershipUpsert",
      "membershipDelete",
      "userDelete",
      "groupDelete"
    ])
    expect(all[4]!.upload.body).toEqual({ entityType: "USERS", profiles: [{ externalId: "EXT000002" }] })
    expect(all[5]!.upload.body).toEqual({ externalIds: ["g-old"] })
    expect(all[5]!.changes).toEqual([{ kind: "group", op: "deactivate", externalId: "g-old" }])
    expect(all[3]!.changes).toEqual([{ kind: "membership", op: "remove", groupExternalId: "g1", memberExternalIds: ["EXT000009"] }])
    // one session holds all six uploads
    expect(Batching.pack(plan)).toHaveLength(1)
  })

  it("sends custom attributes and nulls untouched", () => {
    const plan = makePlan({ users: [createUser(7, { costCenter: "CC-7", nickName: null, "custom.attr": "v" })] })
    const [b] = Batching.uploads(plan)
    const profile = (b!.upload.body as any).profiles[0].profile
    expect(profile).toMatchObject({ costCenter: "CC-7", nickName: null, "custom.attr": "v", department: "Dept 7" })
  })

  it("splits a membership too large for one upload and keeps every member exactly once", () => {
    const members = range(30_000).map((i) => `EXT${String(i).padStart(6, "0")}`)
    const plan = makePlan({
      memberships: [
        { op: "add", groupExternalId: "small", memberExternalIds: members.slice(0, 10) },
        { op: "add", groupExternalId: "everyone", memberExternalIds: members }
      ]
    })
    const all = Batching.uploads(plan)
    const bound = Batching.minimumUploads(plan)
    expect(all.length).toBe(bound.uploads)
    expect(all.length).toBeGreaterThan(1)
    const seen: Array<string> = []
    for (const b of all) {
      expect(b.bytes).toBe(bodyBytes(b))
      expect(b.bytes).toBeLessThanOrEqual(200_000)
      for (const m of (b.upload.body as any).memberships) if (m.groupExternalId === "everyone") seen.push(...m.memberExternalIds)
    }
    expect(seen).toEqual(members)
    // every upload but the last is filled to within one member id of the limit
    for (const b of all.slice(0, -1)) expect(200_000 - b.bytes).toBeLessThan(12)
    const changes = all.flatMap((b) => b.changes)
    expect(changes.every((c) => c.kind === "membership" && c.op === "add")).toBe(true)
  })

  it("respects a smaller entity limit (a membership item is one entity)", () => {
    const plan = makePlan({
      memberships: range(450).map((g) => ({ op: "add" as const, groupExternalId: `g${g}`, memberExternalIds: ["a", "b", "c"] }))
    })
    const all = Batching.uploads(plan)
    expect(all.map((b) => b.entities)).toEqual([200, 200, 50])
  })

  it("rolls over sessions at the upload limit and spreads uploads evenly", () => {
    const limits = { maxEntitiesPerUpload: 10, maxUploadBytes: 200_000, maxUploadsPerSession: 4 }
    const plan = makePlan({ users: range(95).map((i) => createUser(i)) })
    const sessions = Batching.pack(plan, limits)
    expect(sessions.map((s) => s.batches.length)).toEqual([4, 3, 3])
    expect(Batching.minimumUploads(plan, limits)).toMatchObject({ uploads: 10, sessions: 3 })
    expect(sessions.flatMap((s) => s.batches.map((b) => b.index))).toEqual([0, 1, 2, 3, 0, 1, 2, 0, 1, 2])
  })

  it("is deterministic, also for the plan read back from the journal's stable JSON", () => {
    const plan = makePlan({ users: range(500).map((i) => createUser(i)), groups: [createGroup("g")] })
    const again = JSON.parse(stableStringify(plan))
    const a = Batching.pack(plan)
    const b = Batching.pack(again)
    expect(b.map((s) => s.batches.map((x) => JSON.stringify(x.upload.body)))).toEqual(
      a.map((s) => s.batches.map((x) => JSON.stringify(x.upload.body)))
    )
  })

  it("an empty plan needs no session", () => {
    expect(Batching.pack(makePlan({}))).toEqual([])
    expect(Batching.minimumUploads(makePlan({}))).toMatchObject({ uploads: 0, sessions: 0 })
  })
})
