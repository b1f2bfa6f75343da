import { describe, expect, it } from "vitest"
import fc from "fast-check"
import {
  normalizeReadProfile,
  profileDifferences,
  profilesEqual,
  type AnyProfile
} from "../src/okta/ProfileCompare.ts"

const attribute = fc.constantFrom(
  "userName",
  "email",
  "firstName",
  "lastName",
  "mobilePhone",
  "secondEmail",
  "homeAddress",
  "costCenter",
  "nickName"
)
const value = fc.constantFrom("a", "b", "", " ", "Zoë", "0")
/** A stored or sent profile: only attributes that have a value. */
const stored = fc.dictionary(attribute, value, { maxKeys: 9 })

/** How Okta may answer the same profile: unset attributes listed as null, cleared ones too, or left out. */
const answered = (profile: Readonly<Record<string, string>>): fc.Arbitrary<AnyProfile> =>
  fc
    .record({
      nulls: fc.subarray([
        "firstName",
        "lastName",
        "mobilePhone",
        "secondEmail",
        "homeAddress",
        "costCenter"
      ]),
      undefs: fc.subarray(["nickName", "x"])
    })
    .map(({ nulls, undefs }) => {
      const out: Record<string, string | null | undefined> = {}
      for (const n of nulls) if (!(n in profile)) out[n] = null
      for (const u of undefs) if (!(u in profile)) out[u] = undefined
      return { ...out, ...profile }
    })

describe("null means absent", () => {
  it("a profile equals any answer that lists its unset attributes as null (or undefined)", () => {
    fc.assert(
      fc.property(
        stored.chain((p) => fc.tuple(fc.constant(p), answered(p))),
        ([sent, read]) => {
          expect(profilesEqual(sent, read)).toBe(true)
          expect(profilesEqual(read, sent)).toBe(true)
          expect(profileDifferences(sent, read)).toEqual([])
          expect(normalizeReadProfile(read)).toEqual(sent)
        }
      )
    )
  })

  it("any real change of a value is found, whatever nulls surround it, and named with both sides", () => {
    fc.assert(
      fc.property(
        stored.chain((p) => fc.tuple(fc.constant(p), answered(p))),
        attribute,
        fc.option(value, { nil: null }),
        ([sent, read], changed, to) => {
          const before = sent[changed]
          fc.pre((to ?? undefined) !== before)
          const drifted = { ...read, [changed]: to }
          expect(profilesEqual(sent, drifted)).toBe(false)
          expect(profileDifferences(sent, drifted)).toEqual([
            { attribute: changed, expected: before, actual: to ?? undefined }
          ])
        }
      )
    )
  })

  it("is symmetric and, with attributes given, ignores everything else", () => {
    fc.assert(
      fc.property(
        stored,
        stored,
        fc.subarray(["userName", "email", "firstName", "costCenter"]),
        (a, b, only) => {
          expect(profilesEqual(a, b)).toBe(profilesEqual(b, a))
          const diffs = profileDifferences(a, b, { attributes: only })
          expect(diffs.every((d) => only.includes(d.attribute))).toBe(true)
          expect(profilesEqual(a, b, { attributes: only })).toBe(only.every((n) => a[n] === b[n]))
        }
      )
    )
  })

  it("reads the recorded GET user answer as the profile that was sent", () => {
    const sent = {
      userName: "testuser1@example.com",
      email: "testuser1@example.com",
      firstName: "Test",
      lastName: "User"
    }
    const recorded = {
      firstName: "Test",
      lastName: "User",
      mobilePhone: null,
      secondEmail: null,
      userName: "testuser1@example.com",
      email: "testuser1@example.com"
    }
    expect(profilesEqual(sent, recorded)).toBe(true)
    expect(profileDifferences({ ...sent, mobilePhone: "555" }, recorded)).toEqual([
      { attribute: "mobilePhone", expected: "555", actual: undefined }
    ])
    // an inherited name is not an attribute
    expect(profilesEqual({}, Object.create({ toString: "x" }) as AnyProfile)).toBe(true)
  })
})
