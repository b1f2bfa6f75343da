import { describe, expect, it } from "vitest"
import { PipelineConfig } from "../src/config/Config.ts"
import * as Hash from "../src/domain/Hash.ts"
import * as Normalize from "../src/pipeline/Normalize.ts"

const config = (extra: Record<string, unknown> = {}) =>
  PipelineConfig.parse({
    version: 1,
    okta: { orgUrl: "embedded", identitySourceId: "0oa1" },
    source: { type: "file" },
    mapping: { externalId: "id", profile: { userName: "email", email: "email" } },
    ...extra
  })

const user = Normalize.userOptions(config())
const v = (raw: unknown, field = "firstName", options = user) => Normalize.value(raw, field, options)

describe("Normalize.value", () => {
  it("trims and turns empty strings into null", () => {
    expect(v("  Ann  ")).toBe("Ann")
    expect(v("")).toBeNull()
    expect(v("   \t")).toBeNull()
    expect(v(undefined)).toBeNull()
    expect(v(null)).toBeNull()
  })

  it("keeps whitespace and empty strings when configured", () => {
    const keep = Normalize.userOptions(config({ normalize: { trim: false, emptyAsNull: false } }))
    expect(v("  Ann ", "firstName", keep)).toBe("  Ann ")
    expect(v("", "firstName", keep)).toBe("")
  })

  it("applies Unicode NFC so NFD and NFC spellings hash equal", () => {
    const nfd = "Zoe\u0308 Mu\u0308ller" // combining diaeresis
    const nfc = "Zoë Müller"
    expect(nfd).not.toBe(nfc)
    expect(v(nfd)).toBe(nfc)
    expect(Hash.profileHash({ firstName: v(nfd) as string })).toBe(Hash.profileHash({ firstName: v(nfc) as string }))
  })

  it("rejects bidirectional override/embedding/isolate controls, naming the character; keeps joiners and marks", () => {
    for (const [ch, name] of [
      ["\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"],
      ["\u202a", "U+202A LEFT-TO-RIGHT EMBEDDING"],
      ["\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"],
      ["\u2069", "U+2069 POP DIRECTIONAL ISOLATE"]
    ] as const) {
      const r = v(`Sm${ch}ith`)
      expect(r).toBeInstanceOf(Normalize.Failure)
      expect((r as Normalize.Failure).message).toContain(`${name} at character 3`)
    }
    // in ids too (a group or user id that displays as another)
    expect(Normalize.value("E\u202e100", "externalId", Normalize.idOptions)).toBeInstanceOf(Normalize.Failure)
    // zero-width joiner / non-joiner (Persian, Indic scripts, emoji) and the LRM/RLM marks are ordinary text
    expect(v("An\u200dna")).toBe("An\u200dna")
    expect(v("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")).toBe("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")
    expect(v("Ann\u200f")).toBe("Ann\u200f")
  })

  it("lower-cases email-like attributes only", () => {
    expect(v(" Ann.Lee@Example.COM ", "email")).toBe("ann.lee@example.com")
    expect(v("Ann@X.co", "secondEmail")).toBe("ann@x.co")
    expect(v("Ann@X.co", "userName")).toBe("ann@x.co")
    expect(v("ALee", "userName")).toBe("ALee")
    expect(v("Ann", "firstName")).toBe("Ann")
  })

  it("lower-cases normalize.lowercase and schema format:email attributes", () => {
    const o = Normalize.userOptions(
      config({ normalize: { lowercase: ["login"] }, schema: { users: { attributes: { workEmail: { format: "email" } } } } })
    )
    expect(v("ABC", "login", o)).toBe("abc")
    expect(v("A@B.CO", "workEmail", o)).toBe("a@b.co")
    expect(v("A@B.CO", "email", o)).toBe("a@b.co")
  })

  it("stringifies numbers deterministically, never with an exponent for integers", () => {
    expect(v(42)).toBe("42")
    expect(v(-0)).toBe("0")
    expect(v(1.5)).toBe("1.5")
    expect(v(1e21)).toBe("1000000000000000000000")
    expect(v(123456789012345680000)).toBe("123456789012345680000")
    expect(v(2 ** 70)).toBe("1180591620717411303424")
    expect(v(0.1 + 0.2)).toBe("0.30000000000000004")
    expect(v(12345678901234567890n)).toBe("12345678901234567890")
  })

  it("rejects NaN and infinities", () => {
    expect(Normalize.isFailure(v(Number.NaN))).toBe(true)
    expect((v(Number.POSITIVE_INFINITY) as Normalize.Failure).message).toMatch(/Infinity/)
  })

  it("stringifies booleans and dates", () => {
    expect(v(true)).toBe("true")
    expect(v(false)).toBe("false")
    expect(v(new Date(Date.UTC(2024, 0, 31)))).toBe("2024-01-31T00:00:00.000Z")
    expect((v(new Date("nope")) as Normalize.Failure).message).toBe("is an invalid date")
  })

  it("rejects lists and objects: Okta attributes are strings only", () => {
    expect((v(["a", "b"]) as Normalize.Failure).message).toMatch(/^is a list; .*\$join/)
    expect((v({ city: "X" }) as Normalize.Failure).message).toMatch(/^is an object/)
  })

  it("never lower-cases ids", () => {
    expect(Normalize.value(" E-42 ", "externalId", Normalize.idOptions)).toBe("E-42")
    expect(Normalize.value(42, "externalId", Normalize.idOptions)).toBe("42")
  })
})

describe("Normalize.profile", () => {
  it("builds a profile with sorted keys and collects per-field errors", () => {
    const r = Normalize.profile(["email", "firstName", "lastName"], ["A@B.co", " Ann ", ["x"]], user)
    expect(r.profile).toEqual({ email: "a@b.co", firstName: "Ann" })
    expect(Object.keys(r.profile)).toEqual(["email", "firstName"])
    expect(r.errors).toEqual([{ field: "lastName", message: expect.stringMatching(/^is a list/) }])
  })
})
