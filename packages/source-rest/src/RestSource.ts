/**
 * The `rest` source: people from any paginated JSON HTTP API, described in config. Pages are fetched one at a
 * time and their rows emitted before the next request goes out (memory stays at one page). Each row's location
 * is `url#index`, the page's URL with credentials redacted and the record's index in that page.
 *
 * A read either delivers every record or fails with a typed `SourceError` (Auth, NotFound, Http, RateLimited,
 * Timeout, Connect, Decode, Pagination): never a silent truncation, since a short read could deactivate people.
 */
import { defineSource } from "@anysource/core"
import type { Model, Source, SourceError } from "@anysource/core"
import { Chunk, Effect, Option, Ref, type Scope, Stream } from "effect"
import { RestSourceConfig } from "./RestConfig.ts"
import { presetIds } from "./presets/index.ts"
import * as Auth from "./internal/auth.ts"
import * as Client from "./internal/client.ts"
import { sourceError } from "./internal/errors.ts"
import * as Http from "./internal/http.ts"
import * as Pacer from "./internal/pacer.ts"
import * as Paging from "./internal/paging.ts"
import { applyFields, kindOf, selectRecords } from "./internal/select.ts"
import { StreamDecodeProblem, streamRecords } from "./internal/streamRecords.ts"

export type Stats = Client.Stats

/** The source plus what only this adapter knows: counters of requests, retries and waits. */
export interface RestSourceHandle extends Source.Source {
  readonly stats: Effect.Effect<Stats>
}

const USER_AGENT = "anysource-source-rest/0.1"

interface Page {
  readonly rows: ReadonlyArray<Model.SourceRow>
  readonly json: unknown
  readonly response: Http.HttpResponse
  readonly shown: string
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Build the `rest` source (what `RestSource.make` does, with the handle's type kept). */
export const makeRestSource = (
  config: RestSourceConfig,
  context: Source.SourceContext
): Effect.Effect<RestSourceHandle, SourceError, Scope.Scope> =>
  Effect.gen(function* () {
    const maxWaitMillis = config.maxWaitSeconds * 1000
    const http = yield* Http.make({
      timeoutMs: config.timeoutMs,
      maxBodyBytes: config.maxPageBytes,
      baseDir: context.baseDir,
      ...(config.tls.caFile !== undefined ? { caFile: config.tls.caFile } : {})
    })
    const pacer = yield* Pacer.make(config.requestsPerSecond)
    const exchanger = yield* Client.make({
      http,
      pacer,
      retry: config.retry,
      maxWaitMillis,
      throttleStatuses: config.throttleStatuses,
      ...(config.authHelp !== undefined ? { authHelp: config.authHelp } : {})
    })
    const auth = yield* Auth.make(config.auth, exchanger, {
      maxWaitMillis,
      ...(config.authHelp !== undefined ? { authHelp: config.authHelp } : {})
    })
    const display = (url: URL) => Auth.display(auth, url)
    const lastRead = yield* Ref.make<Option.Option<string>>(Option.none())

    const headers: Record<string, string> = { accept: "application/json", "user-agent": USER_AGENT }
    for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value

    const httpRequest = (request: Paging.PageRequest): Http.HttpRequest =>
      request.body === undefined
        ? { method: config.method, url: request.url, headers }
        : {
            method: config.method,
            url: request.url,
            headers: { "content-type": "application/json", ...headers },
            body: JSON.stringify(request.body)
          }

    const decode = (response: Http.HttpResponse, shown: string): Effect.Effect<unknown, SourceError> =>
      Effect.try({
        try: () => {
          const text = response.body.toString("utf8")
          if (text.trim() === "") throw new Error("the body is empty")
          return JSON.parse(text) as unknown
        },
        catch: (error) => {
          const type = response.headers["content-type"]
          return sourceError(
            "Decode",
            `${shown}: the response is not JSON (${error instanceof Error ? error.message : String(error)}${type ? `; content-type ${String(type)}` : ""})`,
            { location: shown }
          )
        }
      })

    const fetchPage = (state: Paging.PageState): Effect.Effect<Page, SourceError> =>
      Effect.gen(function* () {
        const shown = display(state.request.url)
        const response = yield* exchanger.exchange(auth.authorize(httpRequest(state.request)), {
          display: shown,
          ...(auth.invalidate !== undefined ? { onUnauthorized: auth.invalidate } : {})
        })
        const json = yield* decode(response, shown)
        const selected = selectRecords(config.records, json)
        if (selected._tag === "Missing") {
          return yield* Effect.fail(
            sourceError(
              "Decode",
              `${shown}: ${selected.message} (source.records is ${JSON.stringify(config.records)})`,
              {
                location: shown
              }
            )
          )
        }
        const rows: Array<Model.SourceRow> = []
        for (const [index, record] of selected.records.entries()) {
          const location = `${shown}#${index}`
          if (!isRecord(record)) {
            return yield* Effect.fail(
              sourceError(
                "Decode",
                `page ${state.number}, record ${index} (${location}): the record is ${kindOf(record)}, expected an object`,
                { location }
              )
            )
          }
          rows.push({ data: applyFields(config.fields, record), location })
        }
        yield* Ref.update(exchanger.stats, (s) => ({
          ...s,
          pages: s.pages + 1,
          records: s.records + rows.length
        }))
        yield* Effect.logDebug(`rest: page ${state.number} ${shown}: ${rows.length} records`)
        return { rows, json, response, shown }
      }).pipe(Effect.withSpan("source-rest.page", { attributes: { page: state.number } }))

    /** `stream: true`: one response, its records parsed as they arrive (never the whole body in memory). */
    const streamed: Stream.Stream<Model.SourceRow, SourceError> = Stream.unwrapScoped(
      Effect.gen(function* () {
        const state = Paging.first(config)
        const shown = display(state.request.url)
        const response = yield* exchanger.open(auth.authorize(httpRequest(state.request)), {
          display: shown,
          ...(auth.invalidate !== undefined ? { onUnauthorized: auth.invalidate } : {})
        })
        const body = response.stream
        if (body === undefined) return yield* Effect.dieMessage("a 2xx response without its body")
        let index = 0
        const rows = Stream.fromAsyncIterable(streamRecords(body, config.records), (error) =>
          error instanceof StreamDecodeProblem
            ? sourceError("Decode", `${shown}: ${error.message}`, { location: shown })
            : sourceError(
                "Connect",
                `${shown}: the response broke off after ${index} records (${error instanceof Error ? error.message : String(error)})`,
                { location: shown, retryable: true, cause: error }
              )
        ).pipe(
          Stream.mapEffect((record) => {
            const at = index++
            const location = `${shown}#${at}`
            return isRecord(record)
              ? Effect.succeed<Model.SourceRow>({ data: applyFields(config.fields, record), location })
              : Effect.fail(
                  sourceError(
                    "Decode",
                    `page 1, record ${at} (${location}): the record is ${kindOf(record)}, expected an object`,
                    {
                      location
                    }
                  )
                )
          })
        )
        const done = Effect.gen(function* () {
          yield* Ref.update(exchanger.stats, (s) => ({
            ...s,
            pages: s.pages + 1,
            records: s.records + index
          }))
          yield* Ref.set(lastRead, Option.some(`${config.method} ${shown} pages=1 records=${index}`))
        })
        return Stream.concat(rows, Stream.execute(done))
      })
    )

    const check: Effect.Effect<void, SourceError> = (
      config.stream
        ? Stream.runDrain(Stream.take(streamed, 1))
        : Effect.asVoid(fetchPage(Paging.first(config)))
    ).pipe(Effect.withSpan("source-rest.check"))

    const paged: Stream.Stream<Model.SourceRow, SourceError> = Stream.suspend(() =>
      Stream.paginateChunkEffect(Paging.first(config), (state) =>
        Effect.flatMap(fetchPage(state), (page) => {
          const step = Paging.next(
            config,
            state,
            { json: page.json, headers: page.response.headers, count: page.rows.length },
            display
          )
          const rows = Chunk.unsafeFromArray(page.rows as Array<Model.SourceRow>)
          switch (step._tag) {
            case "Next":
              return Effect.succeed([rows, Option.some(step.state)] as const)
            case "Done":
              return Effect.as(
                Ref.set(
                  lastRead,
                  Option.some(
                    `${config.method} ${display(Paging.first(config).request.url)} pages=${state.number} records=${step.fetched}`
                  )
                ),
                [rows, Option.none<Paging.PageState>()] as const
              )
            case "Fail":
              return Effect.fail(sourceError(step.reason, step.message, { location: page.shown }))
          }
        })
      )
    )

    const read = config.stream ? streamed : paged

    return {
      check,
      read,
      fingerprint: Effect.map(Ref.get(lastRead), Option.getOrUndefined),
      stats: Ref.get(exchanger.stats)
    }
  })

export const RestSource = defineSource({
  id: "rest",
  displayName: "REST API",
  description:
    "Any paginated JSON HTTP API: records by JSONPath or JSON Pointer; basic, bearer, API key or OAuth 2.0 client credentials; offset, page, cursor, next-URL or Link-header paging; rate limits honoured. Presets: BambooHR, Workday, HiBob, Personio, SAP SuccessFactors.",
  docs: {
    summary: `any paginated JSON HTTP API, or an HR system by \`preset:\` (${presetIds.map((id) => `\`${id}\``).join(", ")})`,
    // hook: a later `init --source <preset>` can offer each preset's own starter config (presets/*.ts) the same way
    example: `source:
  type: rest
  # Any paginated JSON API. See \`anysource sources rest\` for pagination and auth options.
  baseUrl: https://hr.example.com/api/v1
  path: /employees
  records: $.data[*]                # where the records are in each page (JSONPath or JSON Pointer)
  auth:
    type: bearer
    token: \${HR_API_TOKEN}
  pagination:
    type: cursor
    cursorPath: $.next_cursor
    cursorParam: cursor`
  },
  config: RestSourceConfig,
  make: makeRestSource
})
