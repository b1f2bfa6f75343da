/**
 * The AWS Lambda handler: `handler(event, context)` for EventBridge Scheduler events and direct invocations.
 *
 * One invocation = one `Sync.runWithReport` (read → plan → guard → apply → commit) with PostgreSQL state.
 * Before each new Okta session it checks `context.getRemainingTimeInMillis()`: with less than the safety
 * margin left it stops at that session boundary (the journal holds the plan and every checkpoint) and
 * returns `{ status: "continue" }`; the next invocation resumes the journal first (core's
 * `Orchestrator.resumePending`, inside `Sync`). Otherwise it returns `ok`, `no-changes` or `failed`.
 * It never throws: failures are returned (and logged) so a scheduler does not blindly retry a run that a
 * safeguard stopped.
 */
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { ConfigLoader, RunReport, Sync } from "@anysource/core"
import { Logging as RuntimeLogging, Report, Secrets as ConfigSecrets, SyncLog } from "@anysource/runtime"
import { Cause, Clock, Effect, Option, Redacted } from "effect"
import * as Env from "./Env.ts"
import * as Event from "./Event.ts"
import * as Logging from "./Logging.ts"
import * as Runtime from "./Runtime.ts"
import * as Secrets from "./Secrets.ts"

/** The part of Lambda's context object the handler uses. */
export interface LambdaContext {
  readonly getRemainingTimeInMillis: () => number
  readonly awsRequestId?: string
  readonly functionName?: string
}

export type Status = "ok" | "no-changes" | "continue" | "failed"

/** The run report without the full plan (a Lambda response is at most 6 MB), issues capped at 50. */
export type CompactReport = Report.CompactReport

export interface HandlerResult {
  readonly status: Status
  readonly runId: string
  readonly pipeline: string
  readonly dryRun: boolean
  readonly report?: CompactReport
  readonly error?: RunReport.ReportedError
}

export interface HandlerDeps {
  readonly env: () => Env.LambdaEnv
  /** Where log lines go (default stdout). */
  readonly sink?: () => Logging.LogSink
  readonly fetch?: typeof fetch
}

/** `continue` when stopped at a session boundary; `ok` when anything was applied (or planned, on a dry run). */
export const statusOf = (report: RunReport.RunReport): Status => {
  switch (report.outcome) {
    case "partial":
      return "continue"
    case "applied":
    case "planned":
      return "ok"
    case "no-changes":
      // a resumed journal may have finished sessions before the fresh plan found nothing left to do
      return report.sessions.length > 0 ? "ok" : "no-changes"
    default:
      return "failed"
  }
}

const seconds = (millis: number) => `${Math.round(millis / 1000)} s`

const failedResult = (runId: string, pipeline: string, dryRun: boolean, error: RunReport.ReportedError): HandlerResult => ({
  status: "failed",
  runId,
  pipeline,
  dryRun,
  error
})

const invocation = (parsed: Event.EventParse, context: LambdaContext, env: Env.LambdaEnv, redactor: RuntimeLogging.Redactor, runId: string, fetcher: typeof fetch) => {
  const pipeline = parsed.ok ? (parsed.event.options.pipeline ?? "default") : "default"
  const dryRun = parsed.ok ? (parsed.event.options.dryRun ?? false) : false
  const body = Effect.gen(function* () {
    if (env.problems.length > 0)
      return failedResult(runId, pipeline, dryRun, { tag: "ConfigError", reason: "Invalid", message: `The function's environment is invalid: ${env.problems.join("; ")}` })
    if (!parsed.ok) {
      yield* Effect.logError(`rejected the event: ${parsed.message}`)
      return failedResult(runId, pipeline, dryRun, { tag: "EventError", message: parsed.message })
    }
    const options = parsed.event.options

    const remaining = context.getRemainingTimeInMillis()
    if (remaining <= env.safetyMarginMillis)
      return failedResult(runId, pipeline, dryRun, {
        tag: "ConfigError",
        reason: "Invalid",
        message: `The invocation started with ${seconds(remaining)} left but the safety margin (ANYSOURCE_SAFETY_MARGIN_MS) is ${seconds(env.safetyMarginMillis)}: no session could ever start. Raise the function's timeout (900 s recommended) or lower the margin.`
      })

    const fetched = yield* Secrets.fetchAll(env, fetcher)
    const vars: Record<string, string | undefined> = { ...env.vars }
    for (const [name, value] of fetched) vars[name] = Redacted.value(value)
    redactor.add([...fetched.values()].map(Redacted.value))
    const file = yield* Runtime.configPathFor(env, options.pipeline)
    const loaded = yield* ConfigLoader.load(file, { env: vars, sources: Runtime.sources })
    redactor.add(ConfigSecrets.ofConfig(loaded))
    yield* Runtime.check(loaded)

    const mode = dryRun ? "plan" : "apply"
    yield* Effect.logInfo(`${mode === "plan" ? "dry run" : "sync"} starting (${parsed.event.kind} invocation)`, {
      identitySourceId: loaded.config.okta.identitySourceId,
      config: Path.basename(loaded.file),
      remainingMillis: remaining,
      safetyMarginMillis: env.safetyMarginMillis
    })
    const stopBefore = Effect.suspend(() => {
      const left = context.getRemainingTimeInMillis()
      if (left >= env.safetyMarginMillis) return Effect.succeed(false)
      return Effect.as(
        Effect.logInfo(
          `stopping at a session boundary: ${seconds(left)} left, safety margin ${seconds(env.safetyMarginMillis)}; the journal is saved and the next invocation resumes it`
        ),
        true
      )
    })
    const { report, error } = yield* Sync.runWithReport({
      loaded,
      mode,
      allowDeletes: options.allowDeletes ?? false,
      runId,
      onEvent: SyncLog.make(),
      stopBefore,
      lockTtlMillis: env.lockTtlMillis
    }).pipe(Effect.provide(Runtime.syncLayer(loaded)))
    const status = statusOf(report)
    const summary = {
      status,
      outcome: report.outcome,
      durationMs: report.durationMs,
      sessions: report.sessions.length,
      oktaRequests: report.okta.requests,
      ...(report.summary ? { users: report.summary.users, groups: report.summary.groups, memberships: report.summary.memberships } : {}),
      ...(report.error ? { error: report.error } : {})
    }
    if (status === "failed") yield* Effect.logError("run failed", summary)
    else yield* Effect.logInfo("run finished", summary)
    return {
      status,
      runId,
      pipeline,
      dryRun,
      report: Report.compact(report),
      ...Option.match(error, { onNone: () => ({}), onSome: (e) => ({ error: RunReport.describeError(e) }) })
    } satisfies HandlerResult
  })
  return body.pipe(
    Effect.catchAll((error) =>
      Effect.gen(function* () {
        const described = RunReport.describeError(error)
        yield* Effect.logError("run failed", { error: described })
        return failedResult(runId, pipeline, dryRun, described)
      })
    ),
    Effect.catchAllCause((cause) =>
      Effect.gen(function* () {
        const squashed = Cause.squash(cause)
        const described: RunReport.ReportedError = { tag: "Defect", message: squashed instanceof Error ? squashed.message : String(squashed) }
        yield* Effect.logError("run failed with an unexpected error", { error: described })
        return failedResult(runId, pipeline, dryRun, described)
      })
    )
  )
}

/** A handler over the given environment and log sink (tests pass their own). */
export const makeHandler =
  (deps: HandlerDeps) =>
  async (event: unknown, context: LambdaContext): Promise<HandlerResult> => {
    const env = deps.env()
    const sink = deps.sink?.() ?? Logging.stdoutSink()
    const redactor = RuntimeLogging.makeRedactor()
    const parsed = Event.parse(event)
    const program = Effect.gen(function* () {
      const runId = Sync.newRunId(yield* Clock.currentTimeMillis)
      return yield* invocation(parsed, context, env, redactor, runId, deps.fetch ?? fetch).pipe(
        Effect.annotateLogs({
          runId,
          pipeline: parsed.ok ? (parsed.event.options.pipeline ?? "default") : "default",
          ...(context.awsRequestId !== undefined ? { awsRequestId: context.awsRequestId } : {})
        })
      )
    })
    return Effect.runPromise(program.pipe(Effect.provide(Logging.layer(sink, redactor, env.logLevel))))
  }

const bundleDir = Path.dirname(fileURLToPath(import.meta.url))

/** The Lambda entry point (`handler.handler`): the process environment, logs on stdout. */
export const handler = makeHandler({ env: () => Env.fromProcess(bundleDir) })
