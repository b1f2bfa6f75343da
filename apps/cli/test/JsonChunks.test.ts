import { Hash, PlanJson } from "@anysource/core"
import { Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { planJsonChunks } from "../src/commands/PlanApply.ts"
import { jsonChunks, jsonText } from "../src/internal/JsonChunks.ts"
import { emptyPlan, samplePlan, sampleReport } from "./fixtures.ts"

describe("jsonChunks", () => {
  it("writes exactly JSON.stringify's text, compact and indented", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (value, indent) => {
        expect(jsonText(value, { indent })).toBe(JSON.stringify(value, null, indent))
      }),
      { numRuns: 300 }
    )
    const odd = {
      a: undefined,
      f: () => 1,
      d: new Date(0),
      list: [undefined, () => 1, 1, Number.NaN],
      nested: { toJSON: () => ({ z: 1 }) },
      e: {},
      l: []
    }
    for (const indent of [0, 2]) expect(jsonText(odd, { indent })).toBe(JSON.stringify(odd, null, indent))
    expect(jsonText(sampleReport(), { indent: 2 })).toBe(JSON.stringify(sampleReport(), null, 2))
  })

  it("with sortKeys, writes the plan's stable JSON (core's stableStringify) at every depth", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonText(value, { sortKeys: true })).toBe(Hash.stableStringify(value))
      }),
      { numRuns: 300 }
    )
    // keys that look like array indexes sort as strings too, as in the plan's hash
    expect(jsonText({ b: 1, 10: "x", 2: "y", a: { d: 1, c: 2 } }, { sortKeys: true })).toBe(
      '{"10":"x","2":"y","a":{"c":2,"d":1},"b":1}'
    )
  })

  it("cuts a large value into chunks of about the requested size", () => {
    const users = Array.from({ length: 5_000 }, (_, i) => ({
      externalId: `E${i}`,
      profile: { email: `u${i}@example.com`, title: "Engineer" }
    }))
    const chunks = [...jsonChunks({ users }, { indent: 2, chunkSize: 16_384 })]
    expect(chunks.length).toBeGreaterThan(10)
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(16_384)
      expect(c.length).toBeLessThan(16_384 + 1_024)
    }
    expect(chunks.join("")).toBe(JSON.stringify({ users }, null, 2))
  })

  it("writes a list that is not an array (a large plan's changes) item by item, without collecting it", () => {
    let collected = false
    const lazy = (items: ReadonlyArray<unknown>) => ({
      length: items.length,
      *[Symbol.iterator]() {
        yield* items
      },
      toJSON() {
        collected = true
        return items
      }
    })
    const users = [{ b: 1, a: [1, { d: null, c: "x" }] }, "two", null, [], {}]
    for (const indent of [0, 2])
      for (const sortKeys of [false, true]) {
        const expected = sortKeys
          ? JSON.stringify(JSON.parse(Hash.stableStringify({ users, none: [] })), null, indent)
          : JSON.stringify({ users, none: [] }, null, indent)
        expect(jsonText({ users: lazy(users), none: lazy([]) }, { indent, sortKeys })).toBe(expected)
      }
    expect(collected).toBe(false)
  })

  it("a plan written in chunks parses back to the same plan with a valid content hash", async () => {
    for (const fixture of [samplePlan(), emptyPlan()]) {
      const plan = { ...fixture, hash: PlanJson.hash(fixture) }
      const text = [...planJsonChunks(plan)].join("")
      // the same object as before the streaming writer (key order aside, which the hash does not see)
      expect(JSON.parse(text)).toEqual(JSON.parse(PlanJson.stringify(plan, 2)))
      const back = await Effect.runPromise(PlanJson.parse(text, "plan.json"))
      expect(back).toEqual(plan)
    }
  })
})
