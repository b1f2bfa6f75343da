import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import jsonata from "jsonata"
import * as Expr from "../src/pipeline/Expr.ts"
import { compileSync, NEEDS_ASYNC } from "../src/pipeline/internal/jsonataSync.ts"

// JSONata loads on first use (asynchronously): loaded here, so the compiles below can run synchronously
await Effect.runPromise(Expr.loadJsonata)

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(e)
const evalNow = async (c: Expr.Compiled, row: Record<string, unknown>) => await c.evaluate(row)

describe("Expr.compile", () => {
  it("copies a column for a plain identifier, synchronously", () => {
    const c = run(Expr.compile("email", "mapping.profile.email"))
    expect(c.kind).toBe("column")
    expect(c.alwaysSync).toBe(true)
    expect(c.evaluate({ email: "a@b.co" })).toBe("a@b.co")
    expect(c.evaluate({})).toBeUndefined()
    // own properties only: no prototype lookups
    expect(run(Expr.compile("constructor", "p")).evaluate({})).toBeUndefined()
  })

  it("treats true/false/null as JSONata literals, not columns", async () => {
    const c = run(Expr.compile("true", "p"))
    expect(c.kind).toBe("expression")
    expect(await evalNow(c, { true: "column" })).toBe(true)
  })

  it("supports {column} for names that are not identifiers, {const} and {expr}", async () => {
    expect(run(Expr.compile({ column: "Employee ID" }, "p")).evaluate({ "Employee ID": 42 })).toBe(42)
    expect(run(Expr.compile({ const: "Acme" }, "p")).evaluate({})).toBe("Acme")
    expect(run(Expr.compile({ const: null }, "p")).evaluate({ x: 1 })).toBeNull()
    const e = run(Expr.compile({ expr: "first" }, "p"))
    expect(e.kind).toBe("expression")
    expect(await evalNow(e, { first: "Ann" })).toBe("Ann")
  })

  it("evaluates common expressions synchronously", () => {
    const c = run(Expr.compile("first & ' ' & last", "mapping.profile.displayName"))
    const v = c.evaluate({ first: "Ann", last: "Lee" })
    expect(v).toBe("Ann Lee")
    expect(v instanceof Promise).toBe(false)
  })

  it("falls back to jsonata's evaluator for the rest, with the same result", async () => {
    const c = run(Expr.compile("$join(tags, ',')", "p"))
    const v = c.evaluate({ tags: ["a", "b"] })
    expect(v).toBeInstanceOf(Promise)
    expect(await v).toBe("a,b")
    // inside the sync subset, but an array value: deferred to jsonata for this row only
    const path = run(Expr.compile("tags", "p")).evaluate({ tags: ["x"] })
    expect(path).toEqual(["x"]) // a plain identifier is a column copy: the raw value
    const arr = run(Expr.compile("tags & ''", "p")).evaluate({ tags: ["x", "y"] })
    expect(arr).toBeInstanceOf(Promise)
    expect(await arr).toBe('["x","y"]')
  })

  it("names the config path and position of a syntax error", () => {
    const exit = Effect.runSyncExit(Expr.compile("first & ", "mapping.profile.displayName"))
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
    expect(error?._tag).toBe("ConfigError")
    expect(error?.path).toBe("mapping.profile.displayName")
    expect(error?.message).toMatch(/^mapping\.profile\.displayName: invalid JSONata expression at position \d+: .*\(S0\d+\)/)
  })

  it("returns runtime failures as EvalError values, never throws or rejects", async () => {
    const c = run(Expr.compile("age > 1", "filter"))
    const v = await c.evaluate({ age: "x" })
    expect(Expr.isEvalError(v)).toBe(true)
    expect((v as Expr.EvalError).code).toBe("T2009")
    expect((v as Expr.EvalError).position).toBeTypeOf("number")
  })

  it("recognises column names", () => {
    expect(Expr.isColumnName("first_name")).toBe(true)
    expect(Expr.isColumnName("Employee ID")).toBe(false)
    expect(Expr.isColumnName("a.b")).toBe(false)
    expect(Expr.isColumnName("null")).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------------
// The synchronous subset must agree with jsonata wherever it answers.

const names = ["a", "b", "c", "s", "n"]
const scalar = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("", " x  y ", "ÄÖ", "true", "1"),
  fc.integer({ min: -5, max: 5 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.constantFrom(0.1 + 0.2, 1e21, -0),
  fc.boolean(),
  fc.constant(null)
)
const value = fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }) }, {
  weight: 1,
  arbitrary: fc.dictionary(fc.constantFrom("a", "b"), scalar, { maxKeys: 2, noNullPrototype: true })
})
const rowArb = fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 5, noNullPrototype: true })

const exprArb: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...names),
    fc.constantFrom("a.b", "`a`", "'x'", "\"\"", "1", "2.5", "-3", "true", "false", "null"),
    fc.tuple(tie("e"), fc.constantFrom("&", "=", "!=", "<", "<=", ">", ">=", "and", "or"), tie("e")).map(
      ([l, op, r]) => `(${l} ${op} ${r})`
    ),
    fc.tuple(fc.constantFrom("lowercase", "uppercase", "trim", "string", "exists", "not", "boolean"), tie("e")).map(
      ([f, x]) => `$${f}(${x})`
    ),
    fc.tuple(tie("e"), tie("e"), tie("e")).map(([c, t, f]) => `(${c} ? ${t} : ${f})`),
    fc.tuple(tie("e"), tie("e")).map(([c, t]) => `(${c} ? ${t})`)
  )
})).e

describe("jsonataSync", () => {
  it("compiles the supported subset and rejects the rest", () => {
    expect(compileSync(jsonata("$lowercase(a) & '@x' & b.c").ast())).toBeDefined()
    expect(compileSync(jsonata("a[0]").ast())).toBeUndefined()
    expect(compileSync(jsonata("$substring(a, 1)").ast())).toBeUndefined()
    expect(compileSync(jsonata("$").ast())).toBeUndefined()
  })

  it("agrees with jsonata on every expression and row it answers", async () => {
    let answered = 0
    await fc.assert(
      fc.asyncProperty(exprArb, rowArb, async (src, row) => {
        const expr = jsonata(src)
        const fast = compileSync(expr.ast())
        if (!fast) return
        const got = fast(row)
        if (got === NEEDS_ASYNC) return
        answered++
        const want = await expr.evaluate(row).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e })
        )
        expect(want.ok, `jsonata failed on ${src} where the sync evaluator answered ${JSON.stringify(got)}`).toBe(true)
        if (want.ok) expect(got).toStrictEqual(want.v)
      }),
      { numRuns: 3000 }
    )
    // the property is not vacuous: most generated cases are answered synchronously
    expect(answered).toBeGreaterThan(1000)
  })

  it("answers most simple mapping/filter expressions without jsonata", () => {
    const row = { first: "Ann", last: "Lee", status: "active", age: 41, dept: "Eng" }
    for (const src of ["first & ' ' & last", "status = 'active'", "$lowercase(dept)", "age >= 18 and status != 'x'", "dept ? dept : 'none'"]) {
      const fast = compileSync(jsonata(src).ast())
      expect(fast, src).toBeDefined()
      expect(fast!(row), src).not.toBe(NEEDS_ASYNC)
    }
  })
})
