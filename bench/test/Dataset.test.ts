import { describe, expect, it } from "vitest"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { csvLine, employees, withChanges } from "../src/Dataset.ts"
import { prepareData, writeCsv } from "../src/PlanData.ts"
import { csvFile } from "../src/PlanFiles.ts"

describe("Dataset", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const a = [...employees(200, 1)].map(csvLine).join("")
    const b = [...employees(200, 1)].map(csvLine).join("")
    const c = [...employees(200, 2)].map(csvLine).join("")
    expect(a).toBe(b)
    expect(a).not.toBe(c)
  })
  it("has unique ids and emails, non-ASCII names and managers that exist", () => {
    const rows = [...employees(5000)]
    expect(new Set(rows.map((r) => r.employee_id)).size).toBe(5000)
    expect(new Set(rows.map((r) => r.email)).size).toBe(5000)
    expect(rows.some((r) => [...(r.first_name + r.last_name)].some((c) => c.codePointAt(0)! > 0x7f))).toBe(
      true
    )
    const ids = new Set(rows.map((r) => r.employee_id))
    expect(rows.filter((r) => r.manager_id !== "").every((r) => ids.has(r.manager_id))).toBe(true)
  })
  it("applies updates, leavers and joiners in the requested proportions", () => {
    const n = 20_000
    const base = [...employees(n)]
    const next = [...withChanges(base, n, { updates: 0.01, leavers: 0.02, joiners: 0.005 })]
    const baseIds = new Set(base.map((r) => r.employee_id))
    const nextIds = new Set(next.map((r) => r.employee_id))
    const leavers = base.filter((r) => !nextIds.has(r.employee_id)).length
    const joiners = next.filter((r) => !baseIds.has(r.employee_id)).length
    const byId = new Map(base.map((r) => [r.employee_id, r]))
    const updated = next.filter(
      (r) => byId.has(r.employee_id) && csvLine(byId.get(r.employee_id)!) !== csvLine(r)
    ).length
    expect(joiners).toBe(100)
    expect(leavers / n).toBeGreaterThan(0.015)
    expect(leavers / n).toBeLessThan(0.025)
    expect(updated / n).toBeGreaterThan(0.007)
    expect(updated / n).toBeLessThan(0.013)
  })
})

describe("withChanges joinerStart", () => {
  it("keeps ids unique when a changed dataset is changed again", () => {
    const n = 2_000
    const day1 = [...withChanges(employees(n), n, { updates: 0, leavers: 0, joiners: 0.05, seed: 1 })]
    const day2 = [
      ...withChanges(day1, n, { updates: 0, leavers: 0, joiners: 0.05, seed: 2, joinerStart: 2 * n })
    ]
    expect(new Set(day2.map((r) => r.employee_id)).size).toBe(day2.length)
    expect(day2.length).toBe(n + 200)
  })
})

describe("the data files", () => {
  it("a CSV that cannot be written fails at once instead of waiting for a drain that never comes", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "bench-data-")), "missing", "dir")
    await expect(writeCsv(dir, 10)).rejects.toThrow(/ENOENT/)
    await prepareData(dir, 10, true, false, false)
    expect(readFileSync(csvFile(dir, 10), "utf8").split("\n")).toHaveLength(12)
  })
})
