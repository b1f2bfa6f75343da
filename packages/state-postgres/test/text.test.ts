import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { decode, encode } from "../src/internal/text.ts"

describe("text encoding for PostgreSQL text columns", () => {
  it("round-trips every string and never produces U+0000", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("\u0000", "\u0001", "0", "1", "a", "é", "🙂") }), fc.string(), (tricky, any) => {
        for (const s of [tricky, any, tricky + any]) {
          const stored = encode(s)
          expect(stored.includes("\u0000")).toBe(false)
          expect(decode(stored)).toBe(s)
        }
      }),
      { numRuns: 500 }
    )
  })

  it("is injective (two strings never share a stored form)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("\u0000", "\u0001", "0", "1", "x") }), fc.string({ unit: fc.constantFrom("\u0000", "\u0001", "0", "1", "x") }), (a, b) => {
        if (a !== b) expect(encode(a)).not.toBe(encode(b))
      }),
      { numRuns: 500 }
    )
  })

  it("leaves ordinary strings unchanged, so the tables stay readable", () => {
    for (const s of ["E12345", "ada@example.com", "people.csv:2", "Zoë 🙂", "quote'\"", ""]) expect(encode(s)).toBe(s)
    expect(encode("a\u0000b")).toBe("a\u00010b")
    expect(encode("a\u0001b")).toBe("a\u00011b")
  })
})
