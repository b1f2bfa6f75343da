import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as Hash from "../src/domain/Hash.ts"

describe("Hash", () => {
  it("stableStringify sorts keys at every depth and drops undefined like JSON", () => {
    expect(Hash.stableStringify({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"z":1}]},"b":1}')
    expect(Hash.stableStringify([undefined, "x"])).toBe('[null,"x"]')
    expect(Hash.stableStringify("é\n")).toBe(JSON.stringify("é\n"))
  })

  it("stableStringify round-trips and does not depend on key insertion order", () => {
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverseKeys)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reverseKeys((v as Record<string, unknown>)[k])]))
          : v
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const s = Hash.stableStringify(v)
        expect(JSON.parse(s)).toStrictEqual(JSON.parse(JSON.stringify(v)))
        expect(Hash.stableStringify(reverseKeys(v))).toBe(s)
      })
    )
  })

  it("sha256 is hex sha256; stableHash hashes the stable JSON", () => {
    expect(Hash.sha256("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    const big = { users: Array.from({ length: 5000 }, (_, i) => ({ id: `u${i}`, name: "x".repeat(30) })) }
    expect(Hash.stableHash(big)).toBe(createHash("sha256").update(Hash.stableStringify(big)).digest("hex"))
  })

  it("profileHash ignores key order and distinguishes null from absent", () => {
    const a = Hash.profileHash({ email: "a@b.co", firstName: "Ann" })
    expect(Hash.profileHash({ firstName: "Ann", email: "a@b.co" })).toBe(a)
    expect(a).toBe(Hash.sha256('{"email":"a@b.co","firstName":"Ann"}'))
    expect(Hash.profileHash({ email: "a@b.co", firstName: null })).not.toBe(Hash.profileHash({ email: "a@b.co" }))
  })

  it("MultisetDigest is independent of order and sensitive to content and part boundaries", () => {
    const items = Array.from({ length: 200 }, (_, i) => [`id${i}`, i % 3 ? "ACTIVE" : "DEACTIVATED", `h${i * 7}`] as const)
    const digest = (xs: ReadonlyArray<readonly [string, string, string]>) => {
      const d = new Hash.MultisetDigest()
      for (const [a, b, c] of xs) d.add(a, b, c)
      return d.digest()
    }
    const base = digest(items)
    expect(digest([...items].reverse())).toBe(base)
    expect(digest(items.slice(1))).not.toBe(base)
    expect(digest(items.map((x, i) => (i === 3 ? ([x[0], "ACTIVE", x[2]] as const) : x)))).not.toBe(base)
    const ab = new Hash.MultisetDigest()
    ab.add("ab", "c")
    const a = new Hash.MultisetDigest()
    a.add("a", "bc")
    expect(ab.digest()).not.toBe(a.digest())
  })
})

describe("Hash.profileHash fast path", () => {
  it("equals sha256 of the stable JSON for any flat profile", () => {
    const str = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom('a"b', "back\\slash", "tab\t", "\u0000", "\ud800", "😀", "é"))
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom("10", "9", "é", '"')), fc.oneof(str, fc.constant(null))), (profile) => {
        const sorted = Object.fromEntries(Object.keys(profile).sort().map((k) => [k, profile[k]!]))
        expect(Hash.profileHash(sorted)).toBe(Hash.sha256(Hash.stableStringify(profile)))
        expect(Hash.profileHash(profile)).toBe(Hash.sha256(Hash.stableStringify(profile)))
      }),
      { numRuns: 2000 }
    )
  })
})
