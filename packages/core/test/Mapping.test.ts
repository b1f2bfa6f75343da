import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { PipelineConfig } from "../src/config/Config.ts"
import * as Mapping from "../src/pipeline/Mapping.ts"
import * as Expr from "../src/pipeline/Expr.ts"

// JSONata loads on first use (asynchronously): loaded here, so the compiles below can run synchronously
await Effect.runPromise(Expr.loadJsonata)

const config = (extra: Record<string, unknown> = {}) =>
  PipelineConfig.parse({
    version: 1,
    okta: { orgUrl: "embedded", identitySourceId: "0oa1" },
    source: { type: "file" },
    mapping: {
      externalId: { column: "Employee ID" },
      profile: { userName: "email", email: "email", firstName: "first", lastName: "last", displayName: "first & ' ' & last" }
    },
    ...extra
  })
const compile = (extra?: Record<string, unknown>) => Effect.runSync(Mapping.compile(config(extra)))
const row = (data: Record<string, unknown>, location = "people.csv:2") => ({ data, location })
const sync = <A>(m: A | Promise<A>): A => {
  if (m instanceof Promise) throw new Error("expected a synchronous result")
  return m
}

describe("Mapping.externalId", () => {
  const m = compile()
  it("normalizes ids: trimmed, NFC, numbers stringified, case kept", () => {
    expect(sync(Mapping.externalId(m, row({ "Employee ID": " E-1 " })))).toBe("E-1")
    expect(sync(Mapping.externalId(m, row({ "Employee ID": 42 })))).toBe("42")
    expect(sync(Mapping.externalId(m, row({ "Employee ID": "Ae\u0301" })))).toBe("Aé")
  })
  it("reports an empty or unusable id with the row location", () => {
    expect(sync(Mapping.externalId(m, row({ "Employee ID": "  " }, "people.csv:7")))).toEqual({
      issue: { kind: "invalid", location: "people.csv:7", field: "externalId", message: "externalId is empty" }
    })
    expect(sync(Mapping.externalId(m, row({ "Employee ID": ["a"] })))).toEqual({
      issue: expect.objectContaining({ kind: "mapping", field: "externalId", message: expect.stringMatching(/^externalId is a list/) })
    })
  })
})

describe("Mapping.profile", () => {
  const m = compile({ schema: { users: { attributes: { displayName: {} } } } })
  it("maps, normalizes and sorts attributes", () => {
    const p = sync(Mapping.profile(m, row({ email: " Ann@X.co ", first: "Ann", last: "Lee " }), "E1"))
    expect(p).toEqual({ displayName: "Ann Lee", email: "ann@x.co", firstName: "Ann", lastName: "Lee", userName: "ann@x.co" })
    expect(Object.keys(p)).toEqual(["displayName", "email", "firstName", "lastName", "userName"])
  })
  it("missing columns become null", () => {
    expect(sync(Mapping.profile(m, row({ email: "a@b.co" })))).toMatchObject({ firstName: null, lastName: null, displayName: null })
  })
  it("reports expression failures and non-string values as mapping issues with the location", async () => {
    const bad = compile({ mapping: { externalId: "id", profile: { userName: "email", email: "email", firstName: "$number(first) + 1" } } })
    const p = await Mapping.profile(bad, row({ email: "a@b.co", first: "x" }, "people.csv:9"), "E9")
    expect(Mapping.isProfile(p)).toBe(false)
    expect(p).toEqual([
      {
        kind: "mapping",
        location: "people.csv:9",
        externalId: "E9",
        field: "firstName",
        message: expect.stringMatching(/^mapping\.profile\.firstName: expression failed \(D3030/)
      }
    ])
    const obj = await Mapping.profile(m, row({ email: "a@b.co", first: { x: 1 } }, "people.csv:3"))
    expect(obj).toEqual([expect.objectContaining({ field: "firstName", location: "people.csv:3", message: expect.stringMatching(/^firstName is an object/) })])
  })
})

describe("Mapping.groups", () => {
  const m = compile({
    groups: [
      { name: "departments", externalId: "'dept-' & $lowercase(dept)", displayName: "dept", description: "'Department ' & dept" },
      { externalId: { const: "managers" }, displayName: { const: "Managers" }, when: "isManager = 'yes'" }
    ]
  })
  it("derives one group per rule and row, membership when `when` is true", () => {
    const g = sync(Mapping.groups(m, row({ dept: "Eng", isManager: "no" })))
    expect(g.issues).toEqual([])
    expect(g.groups.map((x) => [x.externalId, x.profile, x.member])).toEqual([
      ["dept-eng", { description: "Department Eng", displayName: "Eng" }, true],
      ["managers", { displayName: "Managers" }, false]
    ])
  })
  it("an empty group id yields no group", () => {
    const g = sync(Mapping.groups(m, row({ dept: "", isManager: "yes" })))
    expect(g.groups.map((x) => x.externalId)).toEqual(["dept-", "managers"])
    const m2 = compile({ groups: [{ externalId: "dept", displayName: "dept" }] })
    expect(sync(Mapping.groups(m2, row({ dept: " " }))).groups).toEqual([])
  })
  it("a `when` that is not boolean is a config error naming the rule", () => {
    const g = sync(Mapping.groups(m, row({ dept: "Eng" }, "people.csv:4")))
    // isManager missing: `isManager = 'yes'` is false, not an error
    expect(g.fatal).toBeUndefined()
    const m2 = compile({ groups: [{ externalId: "dept", displayName: "dept", when: "isManager" }] })
    const bad = sync(Mapping.groups(m2, row({ dept: "Eng", isManager: "yes" }, "people.csv:5")))
    expect(bad.fatal?.path).toBe("groups[0].when")
    expect(bad.fatal?.message).toBe(
      "groups[0].when (groups[0]) must yield true or false, but yielded the string \"yes\" for row people.csv:5; compare explicitly (e.g. status = 'active') or wrap it in $boolean(...)"
    )
  })
  it("rows with the same group columns share one outcome; other rows still get their own issues and values", () => {
    const m2 = compile({
      groups: [{ externalId: "'dept-' & $lowercase(dept)", displayName: "dept & ' (' & site & ')'", when: "role = 'lead'" }]
    })
    const a = sync(Mapping.groups(m2, row({ dept: "Eng", site: "Oslo", role: "lead" }, "people.csv:2")))
    const b = sync(Mapping.groups(m2, row({ dept: "Eng", site: "Oslo", role: "lead", other: "x" }, "people.csv:3")))
    expect(b).toBe(a)
    expect(a.groups.map((g) => [g.externalId, g.profile.displayName, g.member])).toEqual([["dept-eng", "Eng (Oslo)", true]])
    // one column differs: another outcome
    const c = sync(Mapping.groups(m2, row({ dept: "Eng", site: "Oslo", role: "ic" }, "people.csv:4")))
    expect(c.groups.map((g) => g.member)).toEqual([false])
    // values are told apart by length: "Englead" + "" is not "Eng" + "lead"
    const d = sync(Mapping.groups(m2, row({ dept: "Englead", site: "Oslo", role: "" }, "people.csv:5")))
    expect(d.groups.map((g) => [g.externalId, g.member])).toEqual([["dept-englead", false]])
    // a number is not a key: evaluated every time, with JSONata's own rules
    const e = sync(Mapping.groups(m2, row({ dept: "Eng", site: 7, role: "lead" }, "people.csv:6")))
    expect(e.groups.map((g) => g.profile.displayName)).toEqual(["Eng (7)"])
    // failures are never remembered: each row reports its own location
    const bad1 = sync(Mapping.groups(m2, row({ dept: "Eng", site: "Oslo\u202e", role: "lead" }, "people.csv:7")))
    const bad2 = sync(Mapping.groups(m2, row({ dept: "Eng", site: "Oslo\u202e", role: "lead" }, "people.csv:8")))
    expect([...bad1.issues, ...bad2.issues].map((i) => i.location)).toEqual(["people.csv:7", "people.csv:8"])
    const fatal = sync(Mapping.groups(compile({ groups: [{ externalId: "dept", displayName: "dept", when: "role" }] }), row({ dept: "Eng", role: "x" }, "people.csv:9")))
    const again = sync(Mapping.groups(compile({ groups: [{ externalId: "dept", displayName: "dept", when: "role" }] }), row({ dept: "Eng", role: "x" }, "people.csv:10")))
    expect([fatal.fatal?.message, again.fatal?.message].map((msg) => /people\.csv:\d+/.exec(msg ?? "")?.[0])).toEqual(["people.csv:9", "people.csv:10"])
  })
  it("compile errors name the rule's path", () => {
    const exit = Effect.runSyncExit(Mapping.compile(config({ groups: [{ externalId: "dept &", displayName: "dept" }] })))
    expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.path).toBe("groups[0].externalId")
  })
})
