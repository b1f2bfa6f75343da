/**
 * The worker's life: load worker.yaml and every pipeline config (fail fast on any problem, including an
 * Okta client that cannot be built from it), open each pipeline's state store, serve HTTP, resume unfinished applies, run the cron schedules, and on
 * shutdown stop at the next safe point:
 *
 * 1. readiness turns 503 and no new run starts (ticks are skipped, POST /runs answers 503);
 * 2. running applies stop before their next Okta session (`stopBefore`), journal saved;
 * 3. after `shutdownGrace` (or a second signal) whatever still runs is interrupted: the lease lock is
 *    released by its finalizer and the journal lets the next process resume;
 * 4. the HTTP server and the state stores close; the process exits 0.
 */
import { createServer } from "node:http"
import { type HttpServerError, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { type ConfigError, ConfigLoader, type StateError, StateStore } from "@anysource/core"
import { Layers, Logging, Secrets, Sources } from "@anysource/runtime"
import { Context, Deferred, Duration, Effect, Fiber, Layer, Logger } from "effect"
import type { WorkerEnv } from "./Env.ts"
import { makeRouter } from "./Http.ts"
import * as Metrics from "./Metrics.ts"
import * as Runner from "./Runner.ts"
import * as Schedule from "./Schedule.ts"
import * as WorkerConfig from "./WorkerConfig.ts"

export interface RunOptions {
  readonly env: WorkerEnv
  readonly redactor: Logging.Redactor
  /** Completes when the process is asked to stop (SIGTERM/SIGINT). */
  readonly shutdown: Deferred.Deferred<string>
  /** Completes on a second signal: stop waiting for safe points. */
  readonly force: Deferred.Deferred<string>
  /** Working directory for relative paths (default: the process's). */
  readonly cwd?: string
}

export type StartError = ConfigError | StateError | HttpServerError.ServeError

/** Run the worker until `shutdown` completes, then drain. */
export const run = (options: RunOptions): Effect.Effect<void, StartError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { env, redactor } = options
      const config = yield* WorkerConfig.load(env.workerConfigPath, {
        vars: env.vars,
        extraConfigs: env.configs,
        ...(options.cwd ? { cwd: options.cwd } : {})
      })
      redactor.add(config.secrets)
      const level = Logging.levelOf(env.logLevel) ?? Logging.levelOf(config.logLevel)
      const body = serve(options, config)
      return yield* level ? Logger.withMinimumLogLevel(body, level) : body
    })
  )

const serve = (options: RunOptions, config: WorkerConfig.WorkerConfig) =>
  Effect.gen(function* () {
    const { env, redactor } = options
    const metrics = Metrics.make()
    const pipelines: Array<Runner.PipelineRuntime> = []
    for (const entry of config.pipelines) {
      const loaded = yield* ConfigLoader.load(entry.configPath, { sources: Sources.registry, env: env.vars })
      redactor.add(Secrets.ofConfig(loaded))
      // each run builds its own client (its report counts its own requests); one that cannot be built stops the start
      yield* Effect.scoped(Layer.build(Layers.oktaLayer(loaded, { runtime: "the worker" })))
      const context = yield* Layer.build(Layers.stateLayer(loaded))
      pipelines.push({ entry, loaded, store: Context.get(context, StateStore.StateStore) })
      metrics.register(entry.name)
      yield* Effect.logInfo(
        `pipeline ${entry.name}: ${entry.schedule ? `schedule "${entry.schedule}" (${entry.timezone ?? "UTC"})` : "on demand only (POST /runs)"}, mode ${entry.mode}, state ${loaded.config.state.type}`
      ).pipe(Effect.annotateLogs({ pipeline: entry.name, identitySourceId: loaded.config.okta.identitySourceId }))
    }

    const runner = yield* Runner.make({ pipelines, metrics, replicaId: env.replicaId, recentRuns: config.recentRuns })
    const server = yield* NodeHttpServer.make(() => createServer(), { port: config.http.port, host: config.http.host })
    yield* server.serve(
      makeRouter({ runner, metrics, token: config.token }).pipe(
        Effect.catchTag("RouteNotFound", () => Effect.succeed(HttpServerResponse.unsafeJson({ error: "not-found" }, { status: 404 })))
      )
    )
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    yield* Effect.logInfo(`listening on http://${config.http.host}:${port}`).pipe(
      Effect.annotateLogs({ port, replica: env.replicaId, pipelines: pipelines.length })
    )

    yield* runner.resumePending
    const schedulers = yield* Effect.forEach(
      pipelines.filter((p) => p.entry.schedule !== undefined),
      (p) => {
        const parsed = Schedule.parse(p.entry.schedule!, p.entry.timezone ?? "UTC")
        if ("error" in parsed) return Effect.die(new Error(parsed.error)) // validated with the config
        return Effect.forkScoped(Schedule.loop(parsed.schedule, () => Effect.asVoid(runner.trigger(p.entry.name, { trigger: "schedule" }))))
      }
    )

    const signal = yield* Deferred.await(options.shutdown)
    yield* Effect.logInfo(`received ${signal}: stopping at the next safe point (no new runs; applies stop before their next Okta session)`)
    yield* runner.beginShutdown
    yield* Effect.forEach(schedulers, Fiber.interrupt, { discard: true })
    const active = yield* runner.active
    if (active.length > 0) {
      yield* Effect.logInfo(`waiting for ${active.length} run(s) to reach a safe point: ${active.map((r) => `${r.pipeline} ${r.runId}`).join(", ")}`)
      const drained = yield* runner.awaitIdle.pipe(
        Effect.as("drained" as const),
        Effect.raceFirst(Deferred.await(options.force).pipe(Effect.as("forced" as const))),
        Effect.timeoutTo({ duration: Duration.millis(config.shutdownGraceMillis), onTimeout: () => "timeout" as const, onSuccess: (r) => r })
      )
      if (drained !== "drained") {
        yield* Effect.logWarning(
          drained === "forced"
            ? "second signal: interrupting the runs now (the journal lets the next start resume)"
            : `runs still busy after the shutdown grace (${Math.round(config.shutdownGraceMillis / 1000)} s): interrupting them (the journal lets the next start resume)`
        )
        yield* runner.interruptAll
      }
    }
    yield* Effect.logInfo("stopped")
  })

