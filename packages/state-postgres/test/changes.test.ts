import type { StateStore } from "@anysource/core"
import { describe, expect, it } from "vitest"
import { net } from "../src/internal/changes.ts"

const up = (externalId: string, hash: string, kind: "user" | "group" = "user"): StateStore.CommittedChange => ({
  kind,
  op: "upsert",
  externalId,
  hash,
  profile: { v: hash }
})
const off = (externalId: string, kind: "user" | "group" = "user"): StateStore.CommittedChange => ({ kind, op: "deactivate", externalId })

describe("net effect of one commit's changes", () => {
  it("keeps the last upsert per record and whether a deactivation followed it", () => {
    const result = net([up("a", "1"), off("a"), up("b", "1"), off("b"), up("b", "2"), off("c"), up("a", "3", "group")])
    expect(result.upserts.map((u) => [u.kind, u.externalId, u.hash, u.status])).toEqual([
      ["user", "a", "1", "DEACTIVATED"],
      ["user", "b", "2", "ACTIVE"],
      ["group", "a", "3", "ACTIVE"]
    ])
    expect(result.deactivations).toEqual([{ kind: "user", externalId: "c" }])
  })

  it("keeps the last membership operation per pair", () => {
    const result = net([
      { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ["a", "b", "b"] },
      { kind: "membership", op: "remove", groupExternalId: "g", memberExternalIds: ["a", "z"] },
      { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ["a"] },
      { kind: "membership", op: "remove", groupExternalId: "g", memberExternalIds: ["b"] }
    ])
    expect(result.memberAdds).toEqual([{ group: "g", member: "a" }])
    expect(result.memberRemoves).toEqual([
      { group: "g", member: "b" },
      { group: "g", member: "z" }
    ])
  })

  it("a forget voids what came before it for the record, including memberships naming it; what follows applies", () => {
    const forget = (externalId: string, kind: "user" | "group" = "user"): StateStore.CommittedChange => ({ kind, op: "forget", externalId })
    const result = net([
      up("a", "1"),
      { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ["a", "b"] },
      { kind: "membership", op: "add", groupExternalId: "h", memberExternalIds: ["a"] },
      forget("a"),
      up("b", "1"),
      forget("b"),
      up("b", "2"),
      { kind: "membership", op: "add", groupExternalId: "g", memberExternalIds: ["b"] },
      forget("h", "group"),
      off("c"),
      forget("c")
    ])
    expect(result.forgets).toEqual([
      { kind: "user", externalId: "a" },
      { kind: "user", externalId: "b" },
      { kind: "group", externalId: "h" },
      { kind: "user", externalId: "c" }
    ])
    expect(result.upserts.map((u) => [u.externalId, u.hash, u.status])).toEqual([["b", "2", "ACTIVE"]])
    expect(result.deactivations).toEqual([])
    // g+a was voided by a's forget; g+b was voided by b's forget and added again after it; h went with its group
    expect(result.memberAdds).toEqual([{ group: "g", member: "b" }])
    expect(result.memberRemoves).toEqual([])
  })
})
