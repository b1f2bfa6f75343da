/**
 * End-to-end (issue 15): the quickstart's export cut mid-row, as a sync reads it while the HR system is still writing
 * it — 96 % of people.csv, ending in the middle of row E1288 (`Zürich` → `Zü`) with no final line break. The BUILT
 * binary must refuse it with the located mid-record error (on the main thread and in the bundle's decode worker),
 * send nothing and deactivate nobody; `allowUnterminatedLastRecord: true` is the explicit way to take such a file.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { copyQuickstart, emulatorOf, ensureBuilt, removeTempDirs, run, show } from "./support/cli.ts"

beforeAll(ensureBuilt, 120_000)
afterAll(removeTempDirs)

const MESSAGE =
  "people.csv:289: the file ends mid-record: was the export still being written? The last record (line 289) has no line break after it, so it may be cut short and the rows after it missing: nothing from this read is synced. Export the file again; if the program that writes it never ends its last line, set allowUnterminatedLastRecord: true"

describe.sequential("an export cut mid-row", () => {
  const dir = copyQuickstart()
  const csv = path.join(dir, "people.csv")
  const original = fs.readFileSync(csv, "utf8")
  // the end of the file is inside E1288's last field: the row still has every column
  const cutAt = original.indexOf("Zürich", original.indexOf("\nE1288,")) + "Zü".length
  const cut = original.slice(0, cutAt)

  it("the whole export is applied first", async () => {
    const r = await run(dir, ["apply", "--yes"])
    expect(r.code, show(r)).toBe(0)
  })

  it("plan and apply refuse the cut file with the located mid-record error (exit 4), main thread and decode worker alike", async () => {
    fs.writeFileSync(csv, cut)
    const before = emulatorOf(dir)
    for (const worker of ["0", "1"]) {
      for (const args of [["plan"], ["apply", "--yes"]]) {
        const r = await run(dir, args, { ANYSOURCE_DECODE_WORKER: worker })
        const where = `${args.join(" ")} (ANYSOURCE_DECODE_WORKER=${worker})\n${show(r)}`
        expect(r.code, where).toBe(4)
        expect(r.stderr, where).toMatch(/Error: .*people\.csv:289/)
        expect(r.stderr, where).toContain(MESSAGE)
        expect(r.stderr.match(/Error:/g) ?? [], where).toHaveLength(1)
        expect(r.stderr, where).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/)
      }
    }
    const after = emulatorOf(dir)
    expect(after.sessions).toHaveLength(before.sessions.length)
    expect(after.users.filter((u) => u.status !== "ACTIVE")).toEqual([])
    expect(after.users.find((u) => u.externalId === "E1288")?.profile.city).toBe("Zürich")
  })

  it("allowUnterminatedLastRecord: true takes the file as it is: the cut value and the missing rows are in the plan", async () => {
    const config = path.join(dir, "anysource.yaml")
    const yaml = fs.readFileSync(config, "utf8")
    fs.writeFileSync(config, yaml.replace(/^( {2}path: people\.csv.*)$/m, "$1\n  allowUnterminatedLastRecord: true"))
    const r = await run(dir, ["plan", "--json"])
    fs.writeFileSync(config, yaml)
    fs.writeFileSync(csv, original)
    expect(r.code, show(r)).toBe(2)
    const plan = JSON.parse(r.stdout)
    expect(plan.summary.users.deactivate).toBe(12)
    const e1288 = plan.users.find((u: { externalId: string }) => u.externalId === "E1288")
    expect(e1288?.fields).toEqual([{ field: "city", before: "Zürich", after: "Zü" }])
  })
})
