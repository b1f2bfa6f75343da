import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as Hash from "../src/domain/Hash.ts"
import { SortedSpill, SpilledChanges } from "../src/plan/internal/spill.ts"

const dir = mkdtempSync(join(tmpdir(), "anysource-spill-test-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Item {
  readonly externalId: string
  readonly value: string
}

const collect = (items: ReadonlyArray<Item>, after: number) => {
  const spill = new SortedSpill<Item>({ after, dir })
  for (const i of items) spill.add(i)
  return spill.finish()
}

describe("SortedSpill", () => {
  const items: Array<Item> = [
    { externalId: "b", value: "x".repeat(200_000) }, // a line larger than the read buffer
    { externalId: 'q"uote\\back\tslash', value: "1" },
    { externalId: "Zoë 😀", value: "2" },
    { externalId: "a", value: "line\nbreak" },
    ...Array.from({ length: 40 }, (_, i) => ({
      externalId: `id-${String(39 - i).padStart(2, "0")}`,
      value: String(i)
    }))
  ]
  const sorted = [...items].sort((a, b) =>
    a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0
  )

  it("keeps a list that fits its buffer in memory, as a sorted array", () => {
    const list = collect(items, 1_000)
    expect(Array.isArray(list)).toBe(true)
    expect(list).toEqual(sorted)
  })

  it("spills the rest to runs in a file and merges them back in externalId order, as often as asked", () => {
    for (const after of [1, 3, 7]) {
      const list = collect(items, after)
      expect(list).toBeInstanceOf(SpilledChanges)
      expect(list.length).toBe(items.length)
      expect([...list]).toEqual(sorted)
      expect([...list]).toEqual(sorted)
      expect(Hash.stableStringify({ list })).toBe(Hash.stableStringify({ list: sorted }))
      expect(Hash.stableHash({ list })).toBe(Hash.stableHash({ list: sorted }))
      expect(JSON.stringify(list)).toBe(JSON.stringify(sorted))
    }
  })

  it("leaves no file behind in its folder, and a closed list cannot be read", () => {
    const list = collect(items, 2) as SpilledChanges<Item>
    expect(readdirSync(dir)).toEqual([])
    list.close()
    expect(() => [...list]).toThrow()
  })
})
