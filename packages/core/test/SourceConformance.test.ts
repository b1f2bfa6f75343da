import { Effect, Exit, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { z } from "zod"
import { SourceError } from "../src/domain/Errors.ts"
import { defineSource, type SourceDefinition } from "../src/domain/Source.ts"
import { SourceConformance, TestSource } from "../src/testing.ts"

const people = [
  { id: "1", email: "ada@example.com" },
  { id: "2", email: "grace@example.com" },
  { id: "3", email: "linus@example.com" }
]

// The battery itself, against the in-memory fake (which must pass it: it is the reference adapter).
const fake = TestSource.fromRows(people)
SourceConformance.run({
  definition: fake,
  validConfig: {},
  invalidConfigs: [{ limit: -1 }, { failAt: "never" }, { unknownKey: true }],
  expectedRows: 3,
  failingConfig: { failAt: "read", failAfter: 1 },
  upstreamReads: () => fake.stats.opened,
  openResources: fake.openResources
})

// And with functions for configs (resolved lazily, after setup) and the default fd-based resource probe.
let limit = 0
SourceConformance.run({
  definition: TestSource.fromRows(people, { id: "test-lazy-config" }),
  setup: () => {
    limit = 2
  },
  validConfig: () => ({ limit }),
  invalidConfigs: [{ limit: "two" }],
  expectedRows: 2,
  failingConfig: () => ({ failAt: "make" })
})

// ---------------------------------------------------------------------------------------------------------------
// Broken adapters: each check must reject the adapter that breaks its rule.

const Config = z.strictObject({ rows: z.number().int().min(1).default(3) })
const rowsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ data: { id: String(i) }, location: `broken:${i + 1}` }))

const broken = (
  id: string,
  make: (config: z.output<typeof Config>) => ReturnType<SourceDefinition["make"]>
): SourceDefinition => defineSource({ id, displayName: id, config: Config, make })

const options = (
  definition: SourceDefinition,
  extra: Partial<SourceConformance.Options> = {}
): SourceConformance.Options => ({
  definition,
  validConfig: {},
  invalidConfigs: [{ rows: 0 }],
  releaseTimeoutMs: 200,
  interruptTimeoutMs: 300,
  ...extra
})

describe("SourceConformance rejects broken adapters", () => {
  it("an eager adapter that reads everything in make fails the laziness check", async () => {
    let reads = 0
    const eager = broken("eager", (config) =>
      Effect.sync(() => {
        reads++
        const rows = rowsOf(config.rows)
        return { check: Effect.void, read: Stream.fromIterable(rows) }
      })
    )
    await expect(SourceConformance.checkLazy(options(eager, { upstreamReads: () => reads }))).rejects.toThrow(
      /upstream was read before the stream ran/
    )
  })

  it("an adapter that opens a handle per read and never closes it fails the release checks", async () => {
    let open = 0
    const leaky = broken("leaky", (config) =>
      Effect.succeed({
        check: Effect.void,
        read: Stream.unwrap(Effect.sync(() => (open++, Stream.fromIterable(rowsOf(config.rows)))))
      })
    )
    const withProbe = options(leaky, { openResources: () => open })
    await expect(SourceConformance.checkReleaseOnTake(withProbe)).rejects.toThrow(
      /resource\(s\) still open after take\(1\)/
    )
    await expect(SourceConformance.checkReleaseOnInterrupt(withProbe)).rejects.toThrow(
      /still open after interrupting/
    )
  })

  it("an adapter whose read cannot be interrupted (a finalizer that hangs on interruption) fails the interruption check", async () => {
    const stuck = broken("stuck", () =>
      Effect.succeed({
        check: Effect.void,
        // Releasing the "connection" hangs forever when the read is interrupted (finalizers are uninterruptible).
        read: Stream.acquireRelease(Effect.void, (_, exit) =>
          Exit.isInterrupted(exit) ? Effect.never : Effect.void
        ).pipe(Stream.flatMap(() => Stream.fromIterable(rowsOf(3))))
      })
    )
    await expect(
      SourceConformance.checkReleaseOnInterrupt(options(stuck, { openResources: () => 0 }))
    ).rejects.toThrow(/did not finish within 300 ms/)
  })

  it("a read that dies (a thrown exception) fails the failure check: defects are not SourceErrors", async () => {
    const throwing = broken("throwing", () =>
      Effect.succeed({
        check: Effect.void,
        read: Stream.fromEffect(
          Effect.sync(() => {
            throw new Error("ECONNRESET")
          })
        )
      })
    )
    await expect(SourceConformance.checkFailure(options(throwing, { failingConfig: {} }))).rejects.toThrow(
      /is a defect/
    )
  })

  it("a read that fails with an untyped error fails the failure check", async () => {
    const untyped = broken("untyped", () =>
      Effect.succeed({ check: Effect.void, read: Stream.fail(new Error("nope") as unknown as SourceError) })
    )
    await expect(SourceConformance.checkFailure(options(untyped, { failingConfig: {} }))).rejects.toThrow(
      /expected a SourceError/
    )
  })

  it("a failing config that does not fail is reported", async () => {
    const fine = broken("fine", (config) =>
      Effect.succeed({ check: Effect.void, read: Stream.fromIterable(rowsOf(config.rows)) })
    )
    await expect(SourceConformance.checkFailure(options(fine, { failingConfig: {} }))).rejects.toThrow(
      /did not fail/
    )
  })

  it("rows without a location, or with non-object data, fail the read check", async () => {
    const noLocation = broken("no-location", () =>
      Effect.succeed({ check: Effect.void, read: Stream.make({ data: { id: "1" }, location: " " }) })
    )
    await expect(SourceConformance.checkRead(options(noLocation))).rejects.toThrow(
      /location must not be empty/
    )
    const arrayData = broken("array-data", () =>
      Effect.succeed({
        check: Effect.void,
        read: Stream.make({ data: ["1"] as unknown as Record<string, unknown>, location: "x:1" })
      })
    )
    await expect(SourceConformance.checkRead(options(arrayData))).rejects.toThrow(
      /data must be a plain object/
    )
    const fine = broken("count", (config) =>
      Effect.succeed({ check: Effect.void, read: Stream.fromIterable(rowsOf(config.rows)) })
    )
    await expect(SourceConformance.checkRead(options(fine, { expectedRows: 4 }))).rejects.toThrow(
      /rows emitted/
    )
  })

  it("an invalid config that parses, or a valid one that does not, is reported", async () => {
    const lax = broken("lax", (config) =>
      Effect.succeed({ check: Effect.void, read: Stream.fromIterable(rowsOf(config.rows)) })
    )
    await expect(
      SourceConformance.checkInvalidConfigs(options(lax, { invalidConfigs: [{ rows: 2 }] }))
    ).rejects.toThrow(/invalidConfigs\[0\] parses but should not/)
    await expect(
      SourceConformance.checkValidConfig(options(lax, { validConfig: { rows: "x" } }))
    ).rejects.toThrow(/source\.rows: expected a number, got a string/)
  })

  it("a check that fails with a SourceError fails the check test, naming the reason", async () => {
    const unauthorised = broken("unauthorised", () =>
      Effect.succeed({
        check: Effect.fail(
          new SourceError({ source: "unauthorised", reason: "Auth", message: "401 from upstream" })
        ),
        read: Stream.empty
      })
    )
    await expect(SourceConformance.checkCheck(options(unauthorised))).rejects.toThrow(
      /SourceError\(Auth\): 401 from upstream/
    )
  })

  it("a bad id is reported", async () => {
    const badId = broken("Bad Id", () => Effect.succeed({ check: Effect.void, read: Stream.empty }))
    await expect(SourceConformance.checkDefinition(options(badId))).rejects.toThrow(/kebab-case/)
  })
})

describe("TestSource", () => {
  it("emits rows with locations, counts what it does and releases everything", async () => {
    const source = TestSource.fromRows(people, { location: (i) => `people.csv:${i + 2}` })
    const rows = await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(source.make({ limit: 2 }, { baseDir: "/" }), (s) => Stream.runCollect(s.read))
      )
    )
    expect(Array.from(rows)).toEqual([
      { data: people[0], location: "people.csv:2" },
      { data: people[1], location: "people.csv:3" }
    ])
    expect(source.stats).toEqual({ made: 1, released: 1, opened: 1, closed: 1, pulled: 2 })
    expect(source.openResources()).toBe(0)
  })

  it("take(1) pulls exactly one row", async () => {
    const source = TestSource.fromRows(people)
    await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(source.make({}, { baseDir: "/" }), (s) => Stream.runCollect(Stream.take(s.read, 1)))
      )
    )
    expect(source.stats.pulled).toBe(1)
    expect(source.openResources()).toBe(0)
  })

  it("fails on demand with typed SourceErrors at make, check or read", async () => {
    const source = TestSource.fromRows(people)
    const run = (config: TestSource.TestSourceConfig) =>
      Effect.runPromise(
        Effect.flip(
          Effect.scoped(
            Effect.gen(function* () {
              const s = yield* source.make(config, { baseDir: "/" })
              yield* s.check
              return yield* Stream.runCollect(s.read)
            })
          )
        )
      )
    expect((await run({ failAt: "make" })).reason).toBe("Connect")
    expect((await run({ failAt: "check" })).reason).toBe("Auth")
    const read = await run({ failAt: "read", failAfter: 2 })
    expect(read).toBeInstanceOf(SourceError)
    expect(read.message).toContain("after 2 rows")
  })
})
