/**
 * The runner and the HTTP API in one process, without Okta: plan-mode runs over an in-memory source
 * and state store; apply-mode runs that never reach Okta (locked, or the source fails first).
 */
import { ConfigLoader, defineSource, SourceError, StateStore } from "@anysource/core"
import { HttpApp } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Logger, LogLevel, Option, Redacted, Scope, Stream } from "effect"
import { z } from "zod"
import { makeRouter } from "../src/Http.ts"
import * as Metrics from "../src/Metrics.ts"
import * as Runner from "../src/Runner.ts"
import type { Pipeline } from "../src/WorkerConfig.ts"

const TOKEN = "unit-test-token-0123456789"

/** Scoped, with the runs' log lines silenced. */
const quiet = <A, E>(self: Effect.Effect<A, E, Scope.Scope>) => Effect.scoped(self).pipe(Logger.withMinimumLogLevel(LogLevel.None))

/** A source of `count` people whose read waits for `gate` (when given), or fails (`broken`). */
const gatedSource = (count: number, gate?: Deferred.Deferred<void>, broken = false) =>
  defineSource({
    id: "gated",
    displayName: "gated test source",
    config: z.strictObject({}),
    make: () =>
      Effect.succeed({
        check: Effect.void,
        read: Stream.fromEffect(gate ? Deferred.await(gate) : Effect.void).pipe(
          Stream.tap(() => (broken ? Effect.fail(new SourceError({ source: "gated", reason: "Read", message: "the test source is broken", retryable: false })) : Effect.void)),
          Stream.flatMap(() =>
            Stream.fromIterable(
              Array.from({ length: count }, (_, i) => ({ data: { id: `E${i}`, email: `e${i}@example.com` }, location: `row ${i + 1}` }))
            )
          )
        )
      })
  })

const loaded = (source: ReturnType<typeof gatedSource>, orgUrl: string) =>
  ConfigLoader.parse(
    {
      version: 1,
      // no Okta in unit tests: the schema check, which reads Okta before every run, is off; maxRetries 0: a call
      // that reaches this (closed) port fails at once
      okta: {
        orgUrl,
        identitySourceId: "0oaUNIT",
        auth: { type: "ssws", token: "okta-token-abcdef" },
        maxRetries: 0,
        schemaCheck: false
      },
      source: { type: "gated" },
      mapping: { externalId: "id", profile: { userName: "email", email: "email" } },
      state: { type: "memory" }
    },
    { env: {}, sources: [source], baseDir: "/tmp" }
  )

const entry = (name: string, over: Partial<Pipeline> = {}): Pipeline => ({
  name,
  config: `${name}.yaml`,
  configPath: `/tmp/${name}.yaml`,
  mode: "plan",
  allowDeletes: false,
  lockTtl: 60_000,
  resumeOnStart: true,
  ...over
})

const setup = (options: { gate?: Deferred.Deferred<void>; mode?: "apply" | "plan"; count?: number; broken?: boolean } = {}) =>
  Effect.gen(function* () {
    // runs build an Okta client; plans never call it, and no apply here gets as far as calling it (there is no Okta
    // in unit tests: the port is closed)
    const config = yield* loaded(gatedSource(options.count ?? 3, options.gate, options.broken), "http://127.0.0.1:9")
    const store = yield* StateStore.makeMemory("0oaUNIT")
    const metrics = Metrics.make({ defaultMetrics: false })
    metrics.register("hr")
    const runner = yield* Runner.make({
      pipelines: [{ entry: entry("hr", { mode: options.mode ?? "plan" }), loaded: config, store }],
      metrics,
      replicaId: "unit",
      recentRuns: 50
    })
    // requests run on this test's runtime (and its quiet logger)
    const handler = HttpApp.toWebHandlerRuntime(yield* Effect.runtime<never>())(makeRouter({ runner, metrics, token: Redacted.make(TOKEN) }) as never)
    const call = (path: string, init: { method?: string; body?: string; token?: string | null } = {}) =>
      Effect.promise(async () => {
        const token = init.token === undefined ? TOKEN : init.token
        const res = await handler(
          new Request(`http://worker${path}`, {
            method: init.method ?? "GET",
            headers: token === null ? {} : { authorization: `Bearer ${token}` },
            ...(init.body !== undefined ? { body: init.body } : {})
          })
        )
        const text = await res.text()
        return { status: res.status, text, json: text.startsWith("{") ? JSON.parse(text) : undefined, headers: res.headers }
      })
    return { runner, store, metrics, call }
  })

describe("Runner", () => {
  it.live("runs a pipeline in the background and records it", () =>
    quiet(
      Effect.gen(function* () {
        const { runner, store, metrics } = yield* setup({ count: 4 })
        const started = yield* runner.trigger("hr", { trigger: "api" })
        expect(started).toMatchObject({ _tag: "Started", mode: "plan" })
        yield* runner.awaitIdle
        const runId = (started as { runId: string }).runId
        const run = Option.getOrThrow(yield* runner.get(runId))
        expect(run).toMatchObject({ pipeline: "hr", status: "finished", outcome: "planned", trigger: "api", replica: "unit", mode: "plan" })
        expect(run.report?.summary?.users.create).toBe(4)
        expect(run.report && "plan" in run.report).toBe(false)
        expect((yield* store.history(10)).map((r) => [r.runId, r.outcome])).toEqual([[runId, "planned"]])
        expect(yield* Effect.promise(() => metrics.render())).toContain('anysource_runs_total{pipeline="hr",outcome="planned"} 1')
        expect(yield* runner.trigger("nope", { trigger: "api" })).toEqual({ _tag: "NotFound" })
      })
    )
  )

  it.live("one run per pipeline at a time: a second trigger is skipped as busy", () =>
    quiet(
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const { runner } = yield* setup({ gate })
        const first = yield* runner.trigger("hr", { trigger: "schedule" })
        expect(first._tag).toBe("Started")
        const second = yield* runner.trigger("hr", { trigger: "schedule" })
        expect(second).toEqual({ _tag: "Busy", runId: (first as { runId: string }).runId })
        expect((yield* runner.active).map((r) => r.runId)).toEqual([(first as { runId: string }).runId])
        yield* Deferred.succeed(gate, undefined)
        yield* runner.awaitIdle
        const recent = yield* runner.recent
        expect(recent.map((r) => [r.status, r.skipReason])).toEqual([
          ["skipped", "busy"],
          ["finished", undefined]
        ])
        expect(recent[1]!.runId).toBe((first as { runId: string }).runId)
        expect((yield* runner.trigger("hr", { trigger: "schedule" }))._tag).toBe("Started")
        yield* runner.awaitIdle
      })
    )
  )

  it.live("an apply finding the identity source locked by another holder skips the tick without touching the history", () =>
    quiet(
      Effect.gen(function* () {
        const { runner, store, metrics } = yield* setup({ mode: "apply", broken: true })
        const held = yield* Scope.make()
        yield* store.lock("run-of-another-replica", 60_000).pipe(Scope.extend(held))
        const started = yield* runner.trigger("hr", { trigger: "schedule" })
        yield* runner.awaitIdle
        const run = Option.getOrThrow(yield* runner.get((started as { runId: string }).runId))
        expect(run).toMatchObject({ status: "skipped", outcome: "skipped", skipReason: "locked" })
        expect(run.message).toContain("locked by run-of-another-replica")
        expect(yield* store.history(10)).toEqual([])
        expect(yield* Effect.promise(() => metrics.render())).toContain('anysource_runs_skipped_total{pipeline="hr",reason="locked"} 1')

        // released: the next apply gets past the lock, reads the (broken) source and fails there, in the history
        yield* Scope.close(held, Exit.void)
        const next = yield* runner.trigger("hr", { trigger: "schedule" })
        yield* runner.awaitIdle
        const after = Option.getOrThrow(yield* runner.get((next as { runId: string }).runId))
        expect(after).toMatchObject({ status: "finished", outcome: "failed", report: { error: { tag: "SourceError", reason: "Read" } } })
        expect((yield* store.history(10)).map((r) => [r.runId, r.outcome])).toEqual([[(next as { runId: string }).runId, "failed"]])
        // and the lock was released when that run ended
        yield* Effect.scoped(store.lock("someone-else", 1_000))
      })
    )
  )

  it.live("resumes an unfinished apply found in the state, and takes no new runs once stopping", () =>
    quiet(
      Effect.gen(function* () {
        const { runner, store } = yield* setup({ mode: "apply" })
        yield* store.saveJournal({ runId: "run-killed", identitySourceId: "0oaUNIT", planHash: "h", planJson: "{}", startedAt: "2026-01-01T00:00:00.000Z", sessions: [] })
        yield* runner.resumePending
        yield* runner.awaitIdle
        expect((yield* runner.recent).map((r) => r.trigger)).toEqual(["resume"])

        yield* runner.beginShutdown
        expect(yield* runner.stopping).toBe(true)
        expect(yield* runner.trigger("hr", { trigger: "schedule" })).toEqual({ _tag: "Stopping" })
        expect((yield* runner.recent)[0]).toMatchObject({ status: "skipped", skipReason: "stopping" })
      })
    )
  )
})

describe("HTTP API", () => {
  it.live("health, readiness, metrics, and the token-protected run API", () =>
    quiet(
      Effect.gen(function* () {
        const { runner, call } = yield* setup()
        expect(yield* call("/healthz", { token: null })).toMatchObject({ status: 200, json: { status: "ok" } })
        expect(yield* call("/readyz", { token: null })).toMatchObject({ status: 200, json: { status: "ready", pipelines: [{ pipeline: "hr", state: "ok" }] } })
        const metrics = yield* call("/metrics", { token: null })
        expect(metrics.status).toBe(200)
        expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/)
        expect(metrics.text).toContain("anysource_runs_total")

        for (const token of [null, "wrong"]) {
          const denied = yield* call("/runs", { token })
          expect(denied.status).toBe(401)
          expect(denied.headers.get("www-authenticate")).toBe('Bearer realm="anysource-worker"')
          expect((yield* call("/runs", { method: "POST", body: '{"pipeline":"hr"}', token })).status).toBe(401)
        }

        const posted = yield* call("/runs", { method: "POST", body: JSON.stringify({ pipeline: "hr", dryRun: true }) })
        expect(posted).toMatchObject({ status: 202, json: { status: "started", pipeline: "hr", mode: "plan" } })
        yield* runner.awaitIdle
        const one = yield* call(`/runs/${posted.json.runId}`)
        expect(one.json).toMatchObject({ runId: posted.json.runId, status: "finished", outcome: "planned", trigger: "api" })
        const list = yield* call("/runs")
        expect(list.json.runs).toEqual([expect.objectContaining({ runId: posted.json.runId, outcome: "planned", counts: expect.objectContaining({ usersCreate: 3 }) })])
        expect((yield* call("/runs/run-unknown")).status).toBe(404)
        expect((yield* call("/runs", { method: "POST", body: '{"pipeline":"nope"}' })).status).toBe(404)
        expect((yield* call("/runs", { method: "POST", body: '{"pipeline":"hr","extra":1}' })).status).toBe(400)
        expect((yield* call("/runs", { method: "POST", body: "not json" })).status).toBe(400)
        expect((yield* call("/nope")).status).toBe(404)

        yield* runner.beginShutdown
        expect(yield* call("/readyz", { token: null })).toMatchObject({ status: 503, json: { status: "stopping" } })
        expect((yield* call("/healthz", { token: null })).status).toBe(200)
        expect((yield* call("/runs", { method: "POST", body: '{"pipeline":"hr"}' })).status).toBe(503)
      })
    )
  )

  it.live("a busy pipeline answers 409", () =>
    quiet(
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const { runner, call } = yield* setup({ gate })
        const first = yield* call("/runs", { method: "POST", body: '{"pipeline":"hr"}' })
        expect(first.status).toBe(202)
        const second = yield* call("/runs", { method: "POST", body: '{"pipeline":"hr"}' })
        expect(second).toMatchObject({ status: 409, json: { error: "busy", runId: first.json.runId } })
        const list = yield* call("/runs")
        expect(list.json.runs.map((r: any) => r.status).sort()).toEqual(["running", "skipped"])
        yield* Deferred.succeed(gate, undefined)
        yield* runner.awaitIdle
      })
    )
  )
})
