/**
 * The Sheets API as Effects: the real `@googleapis/sheets` client (v4) with the configured auth, its own
 * keep-alive agents (destroyed with the scope, so no socket outlives the source), a pacer that keeps requests
 * within the per-minute read quota, and retries of 429 / 5xx / dropped connections (core's capped, jittered exponential backoff, with
 * a server's Retry-After honoured), every attempt counted and reported to core's `Retry` observer.
 */
import { Retry, type SourceError } from "@anysource/core"
import { auth as googleAuth, sheets as makeSheets, type sheets_v4 } from "@googleapis/sheets"
import { Data, Duration, Effect, FiberRef, Ref, Redacted, Schedule, type Scope } from "effect"
import { promises as Fs } from "node:fs"
import * as Http from "node:http"
import * as Https from "node:https"
import * as Path from "node:path"
import { z } from "zod"
import {
  DEFAULT_ROOT_URL,
  GOOGLE_TOKEN_URL,
  READONLY_SCOPE,
  type GoogleSheetsConfig
} from "../GoogleSheetsConfig.ts"
import { fromUnknown, SOURCE, sourceError, type Context as ErrorContext } from "./errors.ts"
import * as Pacer from "./pacer.ts"

export interface Stats {
  /** HTTP requests sent to the Sheets API (attempts, including retried ones). */
  readonly requests: number
  /** Attempts that were retried. */
  readonly retries: number
  /** Attempts answered 429. */
  readonly rateLimited: number
  /** Time spent waiting before retries. */
  readonly waitedMillis: number
}

export type ValueRender = "FORMATTED_VALUE" | "UNFORMATTED_VALUE"
export type DateRender = "SERIAL_NUMBER" | "FORMATTED_STRING"

export interface Api {
  readonly spreadsheetId: string
  readonly gid: number | undefined
  /** The service account's email, when known (for messages). */
  readonly principal: string | undefined
  readonly metadata: (options: {
    readonly doing: string
    readonly ranges?: ReadonlyArray<string>
    readonly fields: string
  }) => Effect.Effect<sheets_v4.Schema$Spreadsheet, SourceError>
  readonly values: (range: string, doing: string) => Effect.Effect<sheets_v4.Schema$ValueRange, SourceError>
  readonly batchGet: (
    ranges: ReadonlyArray<string>,
    doing: string
  ) => Effect.Effect<ReadonlyArray<sheets_v4.Schema$ValueRange>, SourceError>
  readonly stats: Effect.Effect<Stats>
}

/** A failed attempt, before the retry decision. */
class Attempt extends Data.TaggedError("Attempt")<{
  readonly error: SourceError
  readonly retryAfterMillis?: number
}> {}

const ServiceAccountKey = z.object({
  type: z.literal("service_account").optional(),
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  private_key_id: z.string().optional(),
  token_uri: z.string().optional()
})

const authError = (message: string) => sourceError("Auth", message)

const readKey = (
  config: GoogleSheetsConfig,
  baseDir: string
): Effect.Effect<z.output<typeof ServiceAccountKey>, SourceError> =>
  Effect.gen(function* () {
    if (config.auth.type !== "serviceAccount") return yield* Effect.dieMessage("not a service account")
    const { key, keyFile } = config.auth
    const where = keyFile !== undefined ? `key file ${keyFile}` : "auth.key"
    const text =
      keyFile !== undefined
        ? yield* Effect.tryPromise({
            try: () => Fs.readFile(Path.resolve(baseDir, keyFile), "utf8"),
            catch: (error) => {
              const code =
                typeof error === "object" && error !== null && "code" in error ? String(error.code) : "error"
              return sourceError(
                code === "ENOENT" ? "NotFound" : code === "EACCES" ? "Permission" : "Auth",
                `cannot read the service account key file ${keyFile} (${code})`
              )
            }
          })
        : Redacted.value(key!)
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      // Never echo the text: it is a private key.
      return yield* Effect.fail(
        authError(`${where} is not JSON: expected the service account key file downloaded from Google Cloud`)
      )
    }
    const parsed = ServiceAccountKey.safeParse(json)
    if (!parsed.success) {
      const missing = parsed.error.issues.map((i) => i.path.join(".")).join(", ")
      return yield* Effect.fail(
        authError(`${where} is not a service account key (missing or wrong: ${missing})`)
      )
    }
    return parsed.data
  })

/** Build the API over the configured auth. Opens no connection; agents are destroyed when the scope closes. */
export const make = (
  config: GoogleSheetsConfig,
  spreadsheetId: string,
  gid: number | undefined,
  baseDir: string
): Effect.Effect<Api, SourceError, Scope.Scope> =>
  Effect.gen(function* () {
    const rootUrl = config.rootUrl ?? DEFAULT_ROOT_URL
    const host = new URL(rootUrl).host
    const agents = yield* Effect.acquireRelease(
      Effect.sync(() => ({
        http: new Http.Agent({ keepAlive: true, maxSockets: 4 }),
        https: new Https.Agent({ keepAlive: true, maxSockets: 4 })
      })),
      (a) =>
        Effect.sync(() => {
          a.http.destroy()
          a.https.destroy()
        })
    )
    const agent = (url: URL) => (url.protocol === "http:" ? agents.http : agents.https)

    /** Token requests: our agent, no hidden gaxios retries (ours own them), and the token URL override. */
    const tuneTransporter = (
      client: {
        transporter: {
          interceptors: { request: { add: (i: { resolved: (o: any) => Promise<any> }) => void } }
        }
      },
      tokenUrl: string | undefined
    ) => {
      client.transporter.interceptors.request.add({
        resolved: async (opts: {
          url?: unknown
          agent?: unknown
          retry?: boolean
          retryConfig?: Record<string, unknown>
        }) => {
          // gaxios has already made the URL a URL object (its error redactor relies on that)
          if (tokenUrl !== undefined && String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(tokenUrl)
          opts.agent ??= agent
          opts.retry = false
          opts.retryConfig = { ...opts.retryConfig, retry: 0, noResponseRetries: 0 }
          return opts
        }
      })
    }

    let authClient: string | InstanceType<typeof googleAuth.OAuth2> | InstanceType<typeof googleAuth.JWT>
    let tokenUrl: string | undefined
    let principal: string | undefined
    switch (config.auth.type) {
      case "apiKey":
        authClient = Redacted.value(config.auth.key)
        break
      case "oauth": {
        tokenUrl = config.tokenUrl ?? GOOGLE_TOKEN_URL
        const client = new googleAuth.OAuth2({
          clientId: config.auth.clientId,
          clientSecret: Redacted.value(config.auth.clientSecret),
          endpoints: { oauth2TokenUrl: tokenUrl }
        })
        client.setCredentials({ refresh_token: Redacted.value(config.auth.refreshToken) })
        tuneTransporter(client as never, undefined)
        authClient = client
        break
      }
      case "serviceAccount": {
        const key = yield* readKey(config, baseDir)
        tokenUrl = config.tokenUrl ?? key.token_uri ?? GOOGLE_TOKEN_URL
        principal = key.client_email
        const client = new googleAuth.JWT({
          email: key.client_email,
          key: key.private_key,
          ...(key.private_key_id !== undefined ? { keyId: key.private_key_id } : {}),
          scopes: [READONLY_SCOPE]
        })
        tuneTransporter(client as never, tokenUrl === GOOGLE_TOKEN_URL ? undefined : tokenUrl)
        authClient = client
        break
      }
    }

    const api = makeSheets({
      version: "v4",
      auth: authClient as never,
      rootUrl,
      retry: false,
      timeout: config.requestTimeoutMs,
      agent
    })

    const pace = yield* Pacer.make(config.requestsPerMinute)
    const stats = yield* Ref.make<Stats>({ requests: 0, retries: 0, rateLimited: 0, waitedMillis: 0 })
    const policy = Retry.defaultBackoff

    const errorContext = (doing: string): ErrorContext => ({
      doing,
      spreadsheetId,
      host,
      authType: config.auth.type,
      ...(tokenUrl !== undefined ? { tokenUrl } : {}),
      ...(principal !== undefined ? { principal } : {})
    })

    const call = <A>(
      endpoint: string,
      doing: string,
      send: (signal: AbortSignal) => Promise<{ data: A }>
    ): Effect.Effect<A, SourceError> => {
      const attempt = pace(
        Effect.tryPromise({
          try: (signal) => send(signal),
          catch: (thrown) => {
            const failure = fromUnknown(thrown, errorContext(doing))
            return new Attempt({
              error: failure.error,
              ...(failure.retryAfterMillis !== undefined
                ? { retryAfterMillis: failure.retryAfterMillis }
                : {})
            })
          }
        })
      ).pipe(
        Effect.ensuring(Ref.update(stats, (s) => ({ ...s, requests: s.requests + 1 }))),
        Effect.tapError((a) =>
          a.error.reason === "RateLimited"
            ? Ref.update(stats, (s) => ({ ...s, rateLimited: s.rateLimited + 1 }))
            : Effect.void
        )
      )
      const schedule = Schedule.identity<Attempt>().pipe(
        Schedule.intersect(Retry.backoff(policy)),
        Schedule.intersect(Schedule.recurs(config.maxRetries)),
        Schedule.whileInput((a: Attempt) => a.error.retryable === true),
        Schedule.modifyDelayEffect(([[a], n], delay) =>
          Effect.gen(function* () {
            const wait = a.retryAfterMillis ?? Duration.toMillis(delay)
            yield* Ref.update(stats, (s) => ({
              ...s,
              retries: s.retries + 1,
              waitedMillis: s.waitedMillis + wait
            }))
            const observer = yield* FiberRef.get(Retry.currentRetryObserver)
            yield* observer(
              a.error.reason === "RateLimited"
                ? { _tag: "RateLimited", endpoint: `${SOURCE} ${endpoint}`, waitMillis: wait, attempt: n + 1 }
                : {
                    _tag: "Retrying",
                    endpoint: `${SOURCE} ${endpoint}`,
                    attempt: n + 1,
                    reason: a.error.reason,
                    waitMillis: wait
                  }
            )
            yield* Effect.logDebug(`google-sheets: retrying ${endpoint} in ${wait} ms (${a.error.reason})`)
            return Duration.millis(wait)
          })
        )
      )
      return attempt.pipe(
        Effect.retry(schedule),
        Effect.map((r) => r.data),
        Effect.mapError((a) => a.error),
        Effect.withSpan(`source-google-sheets.${endpoint}`)
      )
    }

    const service: Api = {
      spreadsheetId,
      gid,
      principal,
      metadata: ({ doing, ranges, fields }) =>
        call("spreadsheets.get", doing, (signal) =>
          api.spreadsheets.get(
            { spreadsheetId, fields, ...(ranges && ranges.length > 0 ? { ranges: [...ranges] } : {}) },
            { signal }
          )
        ),
      values: (range, doing) =>
        call("values.get", doing, (signal) =>
          api.spreadsheets.values.get(
            {
              spreadsheetId,
              range,
              majorDimension: "ROWS",
              valueRenderOption: config.valueRenderOption,
              dateTimeRenderOption: config.dateTimeRenderOption
            },
            { signal }
          )
        ),
      batchGet: (ranges, doing) =>
        call("values.batchGet", doing, (signal) =>
          api.spreadsheets.values.batchGet(
            {
              spreadsheetId,
              ranges: [...ranges],
              majorDimension: "ROWS",
              valueRenderOption: config.valueRenderOption,
              dateTimeRenderOption: config.dateTimeRenderOption
            },
            { signal }
          )
        ).pipe(Effect.map((r) => r.valueRanges ?? [])),
      stats: Ref.get(stats)
    }
    return service
  })
