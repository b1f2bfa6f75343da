/**
 * The HTTP transport: one undici `Agent` per source scope (TLS verification always on, optional extra CA
 * file), per-request timeouts, a cap on the body size, and cancellation through the fiber's AbortSignal,
 * so interrupting a read aborts the request in flight and destroying the agent closes every socket.
 */
import { promises as Fs } from "node:fs"
import * as Path from "node:path"
import type { Readable } from "node:stream"
import { Effect, type Scope } from "effect"
import { Agent } from "undici"
import type { SourceError } from "@anysource/core"
import { sourceError } from "./errors.ts"
import type { Headers } from "./rateLimit.ts"

export interface HttpRequest {
  readonly method: "GET" | "POST"
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
}

export interface HttpResponse {
  readonly status: number
  readonly statusText: string
  readonly headers: Headers
  readonly body: Buffer
}

export type TransportKind = "Timeout" | "Connect" | "Tls" | "TooLarge"

export class TransportFailure {
  readonly _tag = "TransportFailure"
  constructor(
    readonly kind: TransportKind,
    readonly message: string,
    readonly cause?: unknown
  ) {}
}

/** A response whose 2xx body is left unread (`stream`); any other status has its (capped) body read. */
export interface OpenResponse extends HttpResponse {
  readonly stream?: Readable
}

export interface HttpClient {
  readonly send: (request: HttpRequest) => Effect.Effect<HttpResponse, TransportFailure>
  /** Like `send`, but a 2xx body is handed over unread; the scope closes it. */
  readonly open: (request: HttpRequest) => Effect.Effect<OpenResponse, TransportFailure, Scope.Scope>
}

export interface HttpOptions {
  readonly timeoutMs: number
  readonly maxBodyBytes: number
  readonly caFile?: string
  readonly baseDir: string
}

const tlsCodes = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID"
])

const errorCode = (error: unknown): string | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    if ("code" in current && typeof current.code === "string") return current.code
    current = "cause" in current ? current.cause : undefined
  }
  return undefined
}

const classify = (error: unknown): TransportFailure => {
  if (error instanceof TransportFailure) return error
  const code = errorCode(error) ?? "UNKNOWN"
  const text = error instanceof Error ? error.message : String(error)
  if (
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT"
  ) {
    return new TransportFailure("Timeout", `timed out (${code})`, error)
  }
  if (tlsCodes.has(code) || code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL")) {
    return new TransportFailure(
      "Tls",
      `TLS certificate verification failed (${code}): set tls.caFile if the server uses a private CA`,
      error
    )
  }
  return new TransportFailure("Connect", `connection failed (${code === "UNKNOWN" ? text : code})`, error)
}

/** The agent lives in the source's scope; its finalizer destroys every socket. */
export const make = (options: HttpOptions): Effect.Effect<HttpClient, SourceError, Scope.Scope> =>
  Effect.gen(function* () {
    let ca: Buffer | undefined
    if (options.caFile !== undefined) {
      const file = Path.resolve(options.baseDir, options.caFile)
      ca = yield* Effect.tryPromise({
        try: () => Fs.readFile(file),
        catch: (error) =>
          sourceError("Config", `tls.caFile ${file} cannot be read (${errorCode(error) ?? "error"})`, {
            cause: error
          })
      })
    }
    const agent = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new Agent({
            connect: {
              rejectUnauthorized: true,
              ...(ca !== undefined ? { ca } : {}),
              timeout: options.timeoutMs
            },
            headersTimeout: options.timeoutMs,
            bodyTimeout: options.timeoutMs
          })
      ),
      (agent) => Effect.promise(() => agent.destroy().catch(() => undefined))
    )

    const dispatch = (request: HttpRequest, signal?: AbortSignal) =>
      agent.request({
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        ...(signal !== undefined ? { signal } : {})
      })

    const readBody = async (response: Awaited<ReturnType<typeof dispatch>>): Promise<HttpResponse> => {
      const chunks: Array<Buffer> = []
      let size = 0
      try {
        for await (const chunk of response.body) {
          const buffer = chunk as Buffer
          size += buffer.length
          if (size > options.maxBodyBytes) {
            throw new TransportFailure(
              "TooLarge",
              `response body is larger than maxPageBytes (${options.maxBodyBytes} bytes)`
            )
          }
          chunks.push(buffer)
        }
      } catch (error) {
        response.body.destroy()
        throw error
      }
      return {
        status: response.statusCode,
        statusText: response.statusText ?? "",
        headers: response.headers as Headers,
        body: Buffer.concat(chunks)
      }
    }

    const send = (request: HttpRequest): Effect.Effect<HttpResponse, TransportFailure> =>
      Effect.tryPromise({ try: async (signal) => readBody(await dispatch(request, signal)), catch: classify })

    const open = (request: HttpRequest): Effect.Effect<OpenResponse, TransportFailure, Scope.Scope> =>
      Effect.flatMap(
        Effect.acquireRelease(
          // no abort signal: the body outlives this effect; the scope's finalizer destroys it
          Effect.tryPromise({ try: () => dispatch(request), catch: classify }),
          (response) => Effect.sync(() => response.body.destroy())
        ),
        (response) =>
          response.statusCode >= 200 && response.statusCode < 300
            ? Effect.succeed<OpenResponse>({
                status: response.statusCode,
                statusText: response.statusText ?? "",
                headers: response.headers as Headers,
                body: Buffer.alloc(0),
                stream: response.body
              })
            : Effect.tryPromise({ try: () => readBody(response), catch: classify })
      )

    return { send, open }
  })
