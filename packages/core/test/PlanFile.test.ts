import { describe, expect, it } from "@effect/vitest"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { afterAll } from "vitest"
import type { ConfigError } from "../src/domain/Errors.ts"
import { SpilledChanges } from "../src/plan/internal/spill.ts"
import type { Plan, UserChange } from "../src/plan/Plan.ts"
import * as PlanFile from "../src/plan/PlanFile.ts"
import * as PlanJson from "../src/plan/PlanJson.ts"

const dir = mkdtempSync(join(tmpdir(), "anysource-planfile-test-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const users: Array<UserChange> = [
  ...Array.from(
    { length: 30 },
    (_, i): UserChange => ({
      op: "create",
      externalId: `E${String(i).padStart(3, "0")}`,
      profile: {
        email: `u${i}@x.co`,
        firstName: i % 2 === 0 ? "Zoë" : 'quote " and \\ slash',
        lastName: null
      },
      hash: `h${i}`,
      location: `people.csv:${i + 2}`
    })
  ),
  {
    op: "update",
    externalId: "E900",
    profile: { email: "b@x.co" },
    hash: "h",
    location: "people.csv:99",
    fields: [{ field: "email", before: "a@x.co", after: "b@x.co" }]
  },
  {
    op: "deactivate",
    externalId: "E901",
    reason: "filtered",
    filterRule: "active",
    lastLocation: "people.csv:9"
  }
]
const body: Omit<Plan, "hash"> = {
  version: 1,
  identitySourceId: "0oa1",
  createdAt: "2026-01-01T00:00:00.000Z",
  inputs: { configHash: "cfg", stateHash: "st" },
  users,
  groups: [
    {
      op: "create",
      externalId: "dept-eng",
      profile: { displayName: "Eng" },
      hash: "g",
      location: "people.csv:2"
    }
  ],
  memberships: [{ op: "add", groupExternalId: "dept-eng", memberExternalIds: ["E000", "E001"] }],
  summary: {
    users: { create: 30, update: 1, reactivate: 0, deactivate: 1, unchanged: 0, held: 0 },
    groups: { create: 1, update: 0, reactivate: 0, deactivate: 0, unchanged: 0, held: 0 },
    memberships: { add: 2, remove: 0 },
    rowsRead: 31,
    excluded: {},
    invalid: 0
  },
  issues: [{ kind: "invalid", location: "people.csv:40", field: "email", message: "bad" }]
}
const plan: Plan = { ...body, hash: PlanJson.hash(body) }

let n = 0
const file = (text: string) => {
  const path = join(dir, `plan-${n++}.json`)
  writeFileSync(path, text)
  return path
}
const read = (path: string, after?: number) =>
  Effect.runPromise(PlanFile.read(path, after !== undefined ? { spill: { after, dir } } : {}))
const failure = async (path: string): Promise<ConfigError> => {
  const exit = await Effect.runPromiseExit(PlanFile.read(path))
  if (Exit.isFailure(exit) && exit.cause._tag === "Fail") return exit.cause.error
  throw new Error("expected a ConfigError")
}
const edited = (f: (p: Record<string, any>) => void): string => {
  const p = JSON.parse(PlanJson.stringify(plan)) as Record<string, any>
  f(p)
  return JSON.stringify(p, null, 2)
}

describe("PlanFile.read", () => {
  it("reads a plan as written (sorted keys, indented or compact): the same plan, hash checked", async () => {
    for (const text of [PlanJson.stringify(plan, 2), PlanJson.stringify(plan)]) {
      const back = await read(file(text))
      expect({ ...back, users: [...back.users] }).toEqual(plan)
      expect(Array.isArray(back.users)).toBe(true)
    }
  })

  it("keeps many users in a temporary file, not in memory", async () => {
    const back = await read(file(PlanJson.stringify(plan, 2)), 4)
    expect(back.users).toBeInstanceOf(SpilledChanges)
    expect([...back.users]).toEqual(users)
    expect(PlanJson.hash(back)).toBe(plan.hash)
  })

  it("reads a file in another key order whole, as PlanJson.parse does", async () => {
    const reversed = JSON.parse(PlanJson.stringify(plan)) as Record<string, unknown>
    const text = JSON.stringify(Object.fromEntries(Object.entries(reversed).reverse()))
    const back = await read(file(text))
    expect({ ...back, users: [...back.users] }).toEqual(plan)
  })

  it("refuses an edited plan, a wrong shape (naming the item), another version, a cut file and bad JSON", async () => {
    const changed = await failure(file(edited((p) => (p["users"][3].profile.email = "x@y.co"))))
    expect(changed.path).toBe("hash")
    expect(changed.message).toContain("it was edited after it was made")
    const shape = await failure(file(edited((p) => (p["users"][5].op = "delete"))))
    expect(shape.reason).toBe("Invalid")
    expect(shape.path).toBe("users[5].op")
    const version = await failure(file(edited((p) => (p["version"] = 2))))
    expect(version.reason).toBe("Unsupported")
    expect(version.message).toContain("plan version 2 is not supported")
    const notList = await failure(file(edited((p) => (p["users"] = 5))))
    expect(notList.path).toBe("users")
    const missing = await failure(file(edited((p) => delete p["issues"])))
    expect(missing.path).toBe("issues")
    const text = PlanJson.stringify(plan, 2)
    const cut = await failure(file(text.slice(0, text.length / 2)))
    expect(cut.reason).toBe("Parse")
    expect(cut.message).toContain("ends early")
    const bad = await failure(file(`${text.slice(0, 100)}}}}`))
    expect(bad.reason).toBe("Parse")
    const absent = await failure(join(dir, "nope.json"))
    expect(absent.reason).toBe("NotFound")
    expect(absent.message).toContain("nope.json: no such file")
  })
})
