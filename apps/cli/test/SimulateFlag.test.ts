import { describe, expect, it } from "vitest"
import * as SimulateFlag from "../src/internal/SimulateFlag.ts"

describe("emulator --simulate", () => {
  it("reads the three shares and the seed, in any order, with nothing simulated by default", () => {
    expect(SimulateFlag.parse("")).toEqual({ rejectShare: 0, adminEditShare: 0, secondWriterShare: 0, seed: "anysource" })
    expect(SimulateFlag.parse("seed=e2e, second-writer=0.1,reject=0.05,admin-edit=1")).toEqual({
      rejectShare: 0.05,
      adminEditShare: 1,
      secondWriterShare: 0.1,
      seed: "e2e"
    })
  })

  it("names the part that is wrong and what to write instead", () => {
    expect(SimulateFlag.parse("reject=5")).toEqual({ error: "--simulate reject=5: use a share from 0 to 1 (reject=0.05 is 5%)" })
    expect(SimulateFlag.parse("reject=")).toMatchObject({ error: expect.stringContaining("use a share from 0 to 1") })
    expect(SimulateFlag.parse("admin-edit=lots")).toMatchObject({ error: expect.stringContaining("admin-edit=lots") })
    expect(SimulateFlag.parse("rejects=0.1")).toEqual({ error: "--simulate rejects=0.1: use reject=, admin-edit=, second-writer= (shares 0–1) or seed=" })
  })

  it("describes what is simulated for the banner", () => {
    expect(SimulateFlag.describe({ rejectShare: 0.05, adminEditShare: 0, secondWriterShare: 0.1, seed: "x" })).toBe(
      "5% of imported records rejected; a second writer changes 10% of users and groups after each import"
    )
    expect(SimulateFlag.describe({ rejectShare: 0, adminEditShare: 0, secondWriterShare: 0, seed: "x" })).toBe("")
  })
})
