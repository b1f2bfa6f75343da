/**
 * The process the crash test kills. Run: `node --import jiti/register test/crash/child.ts '<json args>'`.
 *
 * Does what `Sync` does around the orchestrator: finish a pending journal if there is one, else apply the
 * plan. Prints every ApplyEvent as a JSON line. When `hang` matches (an event, or the N-th HTTP response of a
 * request), it prints `{"hang":…}` and stops dead there, so the parent can SIGKILL it at exactly that point:
 * - `event`: after the orchestrator emitted it (the journal is saved for that step);
 * - `http`: right after Okta answered, before the orchestrator saw the answer (Okta did it; the journal does
 *   not know yet).
 */
import { readFileSync, writeSync } from "node:fs"
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { Effect, Layer, Option, Redacted } from "effect"
import * as OktaClient from "../../src/okta/OktaClient.ts"
import * as Orchestrator from "../../src/apply/Orchestrator.ts"
import type { Plan } from "../../src/plan/Plan.ts"
import * as JsonFileStateStore from "./JsonFileStateStore.ts"

export interface ChildArgs {
  readonly orgUrl: string
  readonly identitySourceId: string
  readonly token: string
  readonly statePath: string
  readonly planPath: string
  readonly runId: string
  readonly limits: { maxEntitiesPerUpload: number; maxUploadBytes: number; maxUploadsPerSession: number }
  readonly hang?:
    | { readonly event: string; readonly status?: string; readonly nth: number }
    | { readonly http: { readonly method: string; readonly path: string; readonly nth: number } }
}

const args = JSON.parse(process.argv[2] ?? "{}") as ChildArgs
const print = (value: unknown) => {
  writeSync(1, `${JSON.stringify(value)}\n`)
}

let httpSeen = 0
let eventSeen = 0

const hangHere = (what: string) =>
  Effect.zipRight(
    Effect.sync(() => print({ hang: what })),
    Effect.never
  )

const http = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    HttpClient.tap(client, (response) => {
      const h = args.hang
      if (h && "http" in h && response.request.method === h.http.method && new RegExp(h.http.path).test(new URL(response.request.url).pathname)) {
        if (++httpSeen === h.http.nth) return hangHere(`${h.http.method} ${h.http.path} #${h.http.nth} → ${response.status}`)
      }
      return Effect.void
    })
  )
).pipe(Layer.provide(FetchHttpClient.layer))

const client = OktaClient.layerWithHttp({
  orgUrl: args.orgUrl,
  identitySourceId: args.identitySourceId,
  auth: { type: "ssws", token: Redacted.make(args.token) },
  maxRetries: 3,
  requestTimeoutMs: 10_000
}).pipe(Layer.provide(http), Layer.orDie)

const onEvent = (e: Orchestrator.ApplyEvent) =>
  Effect.gen(function* () {
    print({ event: e })
    const h = args.hang
    if (h && "event" in h && e._tag === h.event && (h.status === undefined || (e as { status?: string }).status === h.status)) {
      if (++eventSeen === h.nth) yield* hangHere(`${e._tag} #${h.nth}`)
    }
  })

const options: Omit<Orchestrator.ApplyOptions, "plan" | "runId"> = {
  onEvent,
  foreignSessionPolicy: "wait",
  sessionTimeoutMs: 60_000,
  pollInterval: "30 millis",
  limits: args.limits
}

const program = Effect.gen(function* () {
  const resumed = yield* Orchestrator.resumePending(options)
  if (Option.isSome(resumed)) return { resumed: true, result: resumed.value }
  const plan = JSON.parse(readFileSync(args.planPath, "utf8")) as Plan
  return { resumed: false, result: yield* Orchestrator.apply({ plan, runId: args.runId, ...options }) }
})

Effect.runPromise(program.pipe(Effect.provide(Layer.merge(client, JsonFileStateStore.layer(args.statePath))))).then(
  (done) => {
    print({ done })
    process.exit(0)
  },
  (error: unknown) => {
    print({ error: String(error) })
    process.exit(1)
  }
)
