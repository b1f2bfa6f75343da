/**
 * The test battery every source adapter runs: `SourceConformance.run({ definition, validConfig, ... })` inside a
 * vitest test file registers one `describe` block that checks the adapter keeps the `Source` contract:
 *
 * - its config parses, and bad configs fail with readable, path-named issues (through `ConfigLoader`);
 * - `check` succeeds against the valid config;
 * - `read` emits valid `SourceRow`s (plain data, non-empty location), `expectedRows` of them when given;
 * - `read` is lazy: building the stream reads and opens nothing; taking one row and stopping, or interrupting a
 *   consumer mid-stream, releases every resource (checked with `openResources`, by default this process's open
 *   file descriptors on Linux, and with `upstreamReads` when the test can count them);
 * - an upstream failure surfaces as a typed `SourceError` in the error channel, never a defect or a throw.
 *
 * Each check is also exported as a function (returning a Promise that rejects on failure), so a test can run
 * one check alone or prove that a broken adapter fails it.
 */
import * as Fs from "node:fs"
import { Cause, Deferred, Duration, Effect, Exit, Fiber, Option, type Scope, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ConfigLoader from "../config/ConfigLoader.ts"
import { ConfigError, SourceError } from "../domain/Errors.ts"
import type { SourceRow } from "../domain/Model.ts"
import type { Source, SourceDefinition } from "../domain/Source.ts"

/** A config value, or a function giving it (for configs that depend on `setup`, e.g. a server's port). */
export type ConfigInput = unknown

export interface Options<C = any> {
  readonly definition: SourceDefinition<C>
  /** A config (the `source` block minus `type`) that parses and reads successfully. */
  readonly validConfig: ConfigInput
  /** Configs that must be rejected with readable issues. */
  readonly invalidConfigs: ReadonlyArray<unknown>
  /** Rows `read` must emit with `validConfig` (default: at least one). */
  readonly expectedRows?: number
  /** A config that parses but whose upstream fails (missing file, refused connection, 500s). */
  readonly failingConfig?: ConfigInput
  readonly setup?: () => void | Promise<void>
  readonly teardown?: () => void | Promise<void>
  /** Passed to `make` as `context.baseDir` (default: the process's working directory). */
  readonly baseDir?: string
  /** Optional probe: how often the upstream was read (requests served, files opened). Proves `read` is lazy. */
  readonly upstreamReads?: () => number
  /** Optional probe: resources (connections, handles) held open now. Default: open file descriptors (Linux). */
  readonly openResources?: () => number
  /** Milliseconds to wait for resources to be released after a stream stops (default 2000). */
  readonly releaseTimeoutMs?: number
  /** Milliseconds an interrupted read may take to stop (default 5000). */
  readonly interruptTimeoutMs?: number
}

// ---------------------------------------------------------------------------------------------------------------
// the battery

/** Register the conformance `describe` block for one adapter. Call it at the top level of a test file. */
export const run = <C>(options: Options<C>): void => {
  describe(`SourceConformance: ${options.definition.id}`, () => {
    if (options.setup) beforeAll(options.setup)
    if (options.teardown) afterAll(options.teardown)

    it("has an id, a display name and a zod config schema", () => checkDefinition(options))
    it("parses the valid config (alone and inside a pipeline config)", () => checkValidConfig(options))
    it("rejects each invalid config with readable, path-named issues", () => checkInvalidConfigs(options))
    it("check succeeds", () => checkCheck(options))
    it("read emits valid SourceRows", () => checkRead(options))
    it("read is lazy: building the stream reads and opens nothing", () => checkLazy(options))
    it("taking one row and stopping releases every resource", () => checkReleaseOnTake(options))
    it("interrupting a consumer mid-stream releases every resource", () => checkReleaseOnInterrupt(options))
    if (options.failingConfig !== undefined) {
      it("an upstream failure is a typed SourceError (not a defect, not a throw)", () =>
        checkFailure(options))
    }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// the checks

const idPattern = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/

export const checkDefinition = async (options: Options): Promise<void> => {
  const { definition } = options
  expect(definition.id, "id must be lower-case kebab-case, as written in `source.type`").toMatch(idPattern)
  expect(definition.displayName.trim().length, "displayName must not be empty").toBeGreaterThan(0)
  expect(typeof definition.config?.safeParse, "config must be a zod schema").toBe("function")
  expect(typeof definition.make, "make must be a function").toBe("function")
}

export const checkValidConfig = async (options: Options): Promise<void> => {
  const raw = resolveInput(options.validConfig)
  const result = options.definition.config.safeParse(raw)
  if (!result.success) {
    throw new Error(`validConfig does not parse:\n${describeIssues(sourceIssues(options, raw))}`)
  }
  if (isObject(raw)) {
    const exit = await Effect.runPromiseExit(
      ConfigLoader.parse(pipelineWith(options, raw), loaderOptions(options))
    )
    if (Exit.isFailure(exit))
      throw new Error(`validConfig fails inside a pipeline config: ${Cause.pretty(exit.cause)}`)
    expect(exit.value.source.id).toBe(options.definition.id)
  }
}

export const checkInvalidConfigs = async (options: Options): Promise<void> => {
  expect(options.invalidConfigs.length, "give at least one invalid config").toBeGreaterThan(0)
  for (const [index, raw] of options.invalidConfigs.entries()) {
    const label = `invalidConfigs[${index}]`
    expect(options.definition.config.safeParse(raw).success, `${label} parses but should not`).toBe(false)
    if (!isObject(raw)) continue
    const issues = sourceIssues(options, raw)
    expect(issues.length, `${label}: no issues reported`).toBeGreaterThan(0)
    for (const issue of issues) {
      expect(
        issue.path === "source" || issue.path.startsWith("source."),
        `${label}: issue path "${issue.path}" is not under source`
      ).toBe(true)
      assertReadable(issue.message, `${label} (${issue.path})`)
    }
  }
}

export const checkCheck = (options: Options): Promise<void> =>
  runScoped(
    options,
    Effect.gen(function* () {
      const source = yield* make(options, options.validConfig)
      yield* source.check
    })
  )

export const checkRead = (options: Options): Promise<void> =>
  runScoped(
    options,
    Effect.gen(function* () {
      const source = yield* make(options, options.validConfig)
      const rows = Array.from(yield* Stream.runCollect(source.read))
      if (options.expectedRows !== undefined) expect(rows.length, "rows emitted").toBe(options.expectedRows)
      else expect(rows.length, "read emitted no rows for validConfig").toBeGreaterThan(0)
      rows.forEach((row, index) => assertRow(row, index))
    })
  )

export const checkLazy = (options: Options): Promise<void> =>
  runScoped(
    options,
    Effect.gen(function* () {
      // Neither `make` nor building pipelines over `read` may touch the upstream (`check` may: it is not run here).
      const readsBefore = options.upstreamReads?.()
      const source = yield* make(options, options.validConfig)
      yield* settle
      const resourcesBefore = openResources(options)
      const firstRow = source.read.pipe(Stream.take(1), Stream.runCollect)
      const _locations = source.read.pipe(
        Stream.map((row) => row.location),
        Stream.runCollect
      )
      yield* settle
      if (readsBefore !== undefined) {
        expect(options.upstreamReads!(), "the upstream was read before the stream ran").toBe(readsBefore)
      }
      if (resourcesBefore !== undefined) {
        expect(
          openResources(options),
          "building the stream opened resources before it ran"
        ).toBeLessThanOrEqual(resourcesBefore)
      }
      const rows = Array.from(yield* firstRow)
      expect(rows.length, "take(1) should give exactly one row").toBe(1)
      assertRow(rows[0]!, 0)
      if (readsBefore !== undefined) {
        expect(
          options.upstreamReads!(),
          "running the stream did not read the upstream (is the probe right?)"
        ).toBeGreaterThan(readsBefore)
      }
    })
  )

export const checkReleaseOnTake = async (options: Options): Promise<void> => {
  await warmUp(options)
  const baseline = openResources(options)
  await runScoped(
    options,
    Effect.gen(function* () {
      const source = yield* make(options, options.validConfig)
      const rows = yield* source.read.pipe(Stream.take(1), Stream.runCollect)
      expect(rows.length).toBe(1)
    })
  )
  if (baseline !== undefined) await waitForRelease(options, baseline, "after take(1) and closing the scope")
}

export const checkReleaseOnInterrupt = async (options: Options): Promise<void> => {
  await warmUp(options)
  const baseline = openResources(options)
  await Effect.runPromise(
    Effect.gen(function* () {
      const first = yield* Deferred.make<void>()
      // A consumer that takes the first row and then hangs while the stream (and its resources) are open.
      const consumer = yield* Effect.scoped(
        Effect.gen(function* () {
          const source = yield* make(options, options.validConfig)
          yield* source.read.pipe(
            Stream.runForEach(() => Deferred.succeed(first, undefined).pipe(Effect.zipRight(Effect.never)))
          )
        })
      ).pipe(Effect.forkDaemon)
      const started = yield* Deferred.await(first).pipe(Effect.timeout(Duration.seconds(20)), Effect.option)
      if (Option.isNone(started)) {
        const exit = yield* Fiber.interrupt(consumer)
        throw new Error(
          `the stream emitted no row within 20 s (${Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "it ended"})`
        )
      }
      const limit = options.interruptTimeoutMs ?? 5000
      yield* Fiber.interruptFork(consumer)
      const interrupted = yield* Fiber.await(consumer).pipe(
        Effect.timeout(Duration.millis(limit)),
        Effect.option
      )
      if (Option.isNone(interrupted)) {
        throw new Error(
          `interrupting the stream did not finish within ${limit} ms (an uninterruptible read?)`
        )
      }
      expect(Exit.isInterrupted(interrupted.value), "the consumer should end as interrupted").toBe(true)
    })
  )
  if (baseline !== undefined)
    await waitForRelease(options, baseline, "after interrupting a consumer mid-stream")
}

export const checkFailure = async (options: Options): Promise<void> => {
  if (options.failingConfig === undefined) throw new Error("failingConfig is not set")
  let exit: Exit.Exit<void, unknown>
  try {
    exit = await Effect.runPromiseExit(
      Effect.scoped(
        Effect.gen(function* () {
          const source = yield* make(options, options.failingConfig)
          yield* source.check
          yield* Stream.runDrain(source.read)
        })
      )
    )
  } catch (error) {
    throw new Error(`the adapter threw instead of failing the Effect: ${String(error)}`)
  }
  if (Exit.isSuccess(exit)) throw new Error("failingConfig did not fail: make, check and read all succeeded")
  const defects = Cause.defects(exit.cause)
  if (defects.length > 0)
    throw new Error(`the failure is a defect, not a typed SourceError:\n${Cause.pretty(exit.cause)}`)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure))
    throw new Error(`the failure is not a typed error:\n${Cause.pretty(exit.cause)}`)
  const error = failure.value
  if (!(error instanceof SourceError)) {
    throw new Error(`expected a SourceError, got ${(error as { _tag?: unknown })?._tag ?? typeof error}`)
  }
  expect(error.source.length, "SourceError.source names the adapter").toBeGreaterThan(0)
  expect(error.reason.length).toBeGreaterThan(0)
  assertReadable(error.message, "SourceError.message")
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

const resolveInput = (input: ConfigInput): unknown =>
  typeof input === "function" ? (input as () => unknown)() : input

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

const make = (options: Options, input: ConfigInput) =>
  Effect.gen(function* () {
    const parsed = options.definition.config.safeParse(resolveInput(input))
    if (!parsed.success) return yield* Effect.dieMessage("the config given to the battery does not parse")
    const source: Source = yield* options.definition.make(parsed.data, {
      baseDir: options.baseDir ?? process.cwd()
    })
    return source
  })

const runScoped = async <E>(options: Options, effect: Effect.Effect<void, E, Scope.Scope>): Promise<void> => {
  const exit = await Effect.runPromiseExit(Effect.scoped(effect))
  if (Exit.isFailure(exit)) {
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure) && failure.value instanceof SourceError) {
      throw new Error(
        `${options.definition.id} failed with SourceError(${failure.value.reason}): ${failure.value.message}`
      )
    }
    const squashed = Cause.squash(exit.cause)
    if (squashed instanceof Error && squashed.name === "AssertionError") throw squashed
    throw new Error(Cause.pretty(exit.cause))
  }
}

/** Let pending I/O callbacks and finalizers run. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))

const warmUp = (options: Options): Promise<void> =>
  runScoped(
    options,
    Effect.gen(function* () {
      const source = yield* make(options, options.validConfig)
      yield* Stream.runDrain(source.read)
    })
  )

const fdDirectory = "/proc/self/fd"
const hasFdDirectory = (() => {
  try {
    return Fs.readdirSync(fdDirectory).length > 0
  } catch {
    return false
  }
})()

const openResources = (options: Options): number | undefined => {
  if (options.openResources) return options.openResources()
  return hasFdDirectory ? Fs.readdirSync(fdDirectory).length : undefined
}

const waitForRelease = async (options: Options, baseline: number, when: string): Promise<void> => {
  const deadline = Date.now() + (options.releaseTimeoutMs ?? 2000)
  let now = openResources(options) ?? baseline
  while (now > baseline && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    now = openResources(options) ?? baseline
  }
  expect(now, `${now - baseline} resource(s) still open ${when}`).toBeLessThanOrEqual(baseline)
}

const assertRow = (row: SourceRow, index: number): void => {
  const label = `row ${index}`
  expect(isObject(row), `${label} is not an object`).toBe(true)
  expect(isObject(row.data), `${label}: data must be a plain object of column → value`).toBe(true)
  expect(typeof row.location, `${label}: location must be a string`).toBe("string")
  expect(row.location.trim().length, `${label}: location must not be empty`).toBeGreaterThan(0)
}

const assertReadable = (message: string, label: string): void => {
  expect(typeof message, `${label}: message`).toBe("string")
  expect(message.trim().length, `${label}: message is empty`).toBeGreaterThan(0)
  expect(message, `${label}: message looks like a raw dump`).not.toMatch(/\[object \w+\]|"code"\s*:|^\s*[[{]/)
}

/** A minimal pipeline config around an adapter config, for checks that go through `ConfigLoader.parse`. */
const pipelineWith = (options: Options, sourceConfig: Record<string, unknown>): Record<string, unknown> => ({
  version: 1,
  okta: { orgUrl: "embedded", identitySourceId: "0oaCONFORMANCE" },
  source: { ...sourceConfig, type: options.definition.id },
  mapping: { externalId: "id", profile: { userName: "email", email: "email" } },
  state: { type: "memory" }
})

const loaderOptions = (options: Options): ConfigLoader.ParseOptions => ({
  env: {},
  sources: [options.definition],
  baseDir: options.baseDir ?? process.cwd(),
  file: "conformance.yaml"
})

const sourceIssues = (
  options: Options,
  raw: unknown
): ReadonlyArray<{ readonly path: string; readonly message: string }> => {
  if (!isObject(raw)) return [{ path: "source", message: "not an object" }]
  const exit = Effect.runSyncExit(ConfigLoader.parse(pipelineWith(options, raw), loaderOptions(options)))
  if (Exit.isSuccess(exit)) return []
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure) && failure.value instanceof ConfigError) return failure.value.issues ?? []
  throw new Error(`ConfigLoader.parse died: ${Cause.pretty(exit.cause)}`)
}

const describeIssues = (issues: ReadonlyArray<{ readonly path: string; readonly message: string }>): string =>
  issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")
