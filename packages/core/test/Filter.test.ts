import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as Filter from "../src/pipeline/Filter.ts"
import * as Expr from "../src/pipeline/Expr.ts"

// JSONata loads on first use (asynchronously): loaded here, so the compiles below can run synchronously
await Effect.runPromise(Expr.loadJsonata)

const row = (data: Record<string, unknown>, location = "people.csv:2") => ({ data, location })
const compile = (c: Parameters<typeof Filter.compile>[0]) => Effect.runSync(Filter.compile(c))

describe("Filter", () => {
  it("includes everything without a filter", async () => {
    expect(await Filter.apply(compile(undefined), row({}))).toEqual({ _tag: "Included" })
  })

  it("a single expression is the rule named `filter`", async () => {
    const f = compile("status = 'active'")
    expect(await Filter.apply(f, row({ status: "active" }))).toEqual({ _tag: "Included" })
    expect(await Filter.apply(f, row({ status: "terminated" }))).toEqual({ _tag: "Excluded", rule: "filter" })
    expect(await Filter.apply(f, row({}))).toEqual({ _tag: "Excluded", rule: "filter" })
  })

  it("named rules: the first one that is false is the reason", async () => {
    const f = compile([
      { name: "active", include: "status = 'active'" },
      { name: "employees", include: "type = 'employee'" }
    ])
    expect(await Filter.apply(f, row({ status: "active", type: "employee" }))).toEqual({ _tag: "Included" })
    expect(await Filter.apply(f, row({ status: "active", type: "contractor" }))).toEqual({ _tag: "Excluded", rule: "employees" })
    expect(await Filter.apply(f, row({ status: "gone", type: "contractor" }))).toEqual({ _tag: "Excluded", rule: "active" })
  })

  it("a non-boolean result is a config error naming the rule and the row", async () => {
    const f = compile([{ name: "active", include: "status" }])
    const r = await Filter.apply(f, row({ status: "active" }, "people.csv:3"))
    expect(r._tag).toBe("Fatal")
    if (r._tag !== "Fatal") return
    expect(r.error.path).toBe("filter[0].include")
    expect(r.error.message).toBe(
      "filter[0].include: filter rule \"active\" must yield true or false, but yielded the string \"active\" for row people.csv:3; compare explicitly (e.g. status = 'active') or wrap it in $boolean(...)"
    )
    const missing = await Filter.apply(compile("active"), row({}))
    expect(missing._tag === "Fatal" && missing.error.message).toContain("nothing (undefined: is the column missing?)")
  })

  it("a rule that fails at runtime marks the row as failed, not excluded", async () => {
    const r = await Filter.apply(compile("age > 18"), row({ age: "x" }, "people.csv:4"))
    expect(r).toEqual({
      _tag: "Failed",
      issue: { kind: "mapping", location: "people.csv:4", field: "filter", message: expect.stringMatching(/^filter rule "filter" failed \(T2009\)/) }
    })
  })

  it("rejects duplicate rule names and bad expressions at compile time", () => {
    const dup = Effect.runSyncExit(Filter.compile([{ name: "a", include: "true" }, { name: "a", include: "false" }]))
    expect(Exit.isFailure(dup) && dup.cause._tag === "Fail" && dup.cause.error.path).toBe("filter[1].name")
    const bad = Effect.runSyncExit(Filter.compile([{ name: "a", include: "status = " }]))
    expect(Exit.isFailure(bad) && bad.cause._tag === "Fail" && bad.cause.error.path).toBe("filter[0].include")
  })
})
