/**
 * Shared setup of the *.int.test.ts files: a real `@anysource/okta-emulator` on loopback in strict mode (it
 * answers any request or reply outside the OpenAPI subset it ships with a 400 or a 500), every exchange also
 * recorded for the tests' own checks, and an OktaClient over fetch pointed at it.
 */
import { DEFAULT_API_TOKEN, DEFAULT_IDENTITY_SOURCE_ID, startEmulator, type EmulatorOptions, type RunningEmulator } from "@anysource/okta-emulator"
import { allowancesFor, loadOpenApiValidator, type ExchangeLike, type OpenApiValidator, type Violation } from "@anysource/okta-emulator/testing"
import { Effect, Layer, Redacted } from "effect"
import type { OktaAuthConfig } from "../src/config/Config.ts"
import * as OktaClient from "../src/okta/OktaClient.ts"

export const SOURCE_ID = DEFAULT_IDENTITY_SOURCE_ID
/** The custom attributes the tests' identity source declares (as an admin would in the Profile Editor). */
export const DECLARED = ["costCenter", "department", "nickName", "title"] as const
export const API_TOKEN = DEFAULT_API_TOKEN

let validator: Promise<OpenApiValidator> | undefined
let specModeValidator: Promise<OpenApiValidator> | undefined
/** The validator for an emulator's reply mode (its allowances follow `responses`, default recorded). */
export const specValidator = (responses: EmulatorOptions["responses"] = "recorded") =>
  responses === "spec"
    ? (specModeValidator ??= loadOpenApiValidator({ allowances: allowancesFor({ responses }) }))
    : (validator ??= loadOpenApiValidator())

export interface Harness {
  readonly emu: RunningEmulator
  /** Every exchange the emulator saw (requests we sent and its replies). */
  readonly exchanges: Array<ExchangeLike>
  /** Requests we sent that do not validate against the spec (only the identity-source paths are in it). */
  readonly requestViolations: () => Promise<ReadonlyArray<Violation>>
  /** Request and (2xx) response violations of every exchange. */
  readonly exchangeViolations: (skip?: (exchange: ExchangeLike, index: number) => boolean) => Promise<ReadonlyArray<Violation>>
  /** Operations seen (coverage). */
  readonly operations: () => Promise<ReadonlySet<string>>
}

/** Start a strict emulator (`strict: false` to turn that off) for the duration of the scope. */
export const emulator = (options: EmulatorOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const exchanges: Array<ExchangeLike> = []
      const emu = await startEmulator({
        strict: true,
        processingDelayMs: 20,
        identitySources: [{ id: SOURCE_ID, customAttributes: DECLARED }],
        ...options,
        onExchange: (ex) => {
          exchanges.push(ex)
          options.onExchange?.(ex)
        }
      })
      const harness: Harness = {
        emu,
        exchanges,
        requestViolations: async () => {
          const v = await specValidator(options.responses)
          return exchanges.flatMap((ex) => v.validateRequest({ method: ex.method, url: ex.url, headers: ex.requestHeaders, body: ex.requestBody }))
        },
        exchangeViolations: async (skip) => {
          const v = await specValidator(options.responses)
          return exchanges.flatMap((ex, i) => (ex.status === 0 || skip?.(ex, i) ? [] : v.validateExchange(ex)))
        },
        operations: async () => {
          const v = await specValidator(options.responses)
          return new Set(exchanges.flatMap((ex) => v.operationId(ex.method, ex.url) ?? []))
        }
      }
      return harness
    }),
    (h) => Effect.promise(() => h.emu.close())
  )

export const ssws = (token = API_TOKEN): OktaAuthConfig => ({ type: "ssws", token: Redacted.make(token) })

export const clientFor = (emu: RunningEmulator, options: Partial<OktaClient.OktaClientOptions> = {}) =>
  OktaClient.layer({
    orgUrl: emu.url,
    identitySourceId: SOURCE_ID,
    auth: ssws(),
    requestTimeoutMs: 10_000,
    maxRetries: 3,
    backoff: { base: "20 millis", factor: 2, cap: "200 millis" },
    waitPolicy: { marginMillis: 10, jitterMillis: 20, fallbackMillis: 100, maxMillis: 2_000 },
    ...options
  }).pipe(Layer.orDie)

/** A raw SSWS call (for setting up foreign sessions and the like). */
export const raw = async (emu: RunningEmulator, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}/api/v1/identity-sources/${SOURCE_ID}${path}`, {
    method,
    headers: {
      authorization: `SSWS ${API_TOKEN}`,
      accept: "application/json",
      ...(body !== undefined ? { "content-type": "application/json" } : {})
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined }
}
