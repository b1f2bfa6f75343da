import { expect } from "vitest"
import { DEFAULT_API_TOKEN, DEFAULT_IDENTITY_SOURCE_ID, ManualClock, startEmulator, type EmulatorOptions, type RunningEmulator } from "../src/index.ts"
import { allowancesFor, loadOpenApiValidator, type ExchangeRecorder, type OpenApiValidator, type SpecAllowance } from "../src/testing/index.ts"

export const IS = DEFAULT_IDENTITY_SOURCE_ID
export const T0 = Date.parse("2026-03-01T12:00:00.000Z")
export const MINUTE = 60_000
/** The custom attributes the tests' default identity source declares (as an admin would in the Profile Editor). */
export const DECLARED = ["costCenter", "department", "notes", "nickName"] as const
export const HOUR = 60 * MINUTE

let validator: Promise<OpenApiValidator> | undefined
export const specValidator = (): Promise<OpenApiValidator> => (validator ??= loadOpenApiValidator())

export interface Res {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

export interface CallOptions {
  readonly body?: unknown
  /** Full Authorization header value; default `SSWS <default token>`; null for none. */
  readonly auth?: string | null
  readonly headers?: Record<string, string>
}

export interface Harness {
  readonly emu: RunningEmulator
  readonly clock: ManualClock
  readonly recorder: ExchangeRecorder
  readonly call: (method: string, path: string, options?: CallOptions) => Promise<Res>
  /** `/api/v1/identity-sources/<IS>` + suffix */
  readonly is: (suffix: string) => string
  /** Creates a session and returns its id (asserts success). */
  readonly newSession: () => Promise<string>
  /** Creates, fills with one bulk-upsert, triggers and processes a session. */
  readonly importUsers: (profiles: ReadonlyArray<{ externalId: string; profile: Record<string, unknown> }>) => Promise<string>
}

const open: Array<Harness> = []

export const request = async (url: string, method: string, options: CallOptions = {}): Promise<Res> => {
  const headers: Record<string, string> = { Accept: "application/json", ...(options.headers ?? {}) }
  if (options.auth !== null) headers["Authorization"] = options.auth ?? `SSWS ${DEFAULT_API_TOKEN}`
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body)
    headers["Content-Type"] ??= "application/json"
  }
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) })
  const text = await res.text()
  let json: any
  try {
    json = text === "" ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

/**
 * Starts a strict emulator (unless `options.strict` is false) on a ManualClock, with every exchange also
 * recorded and validated against the OpenAPI subset.
 */
export const harness = async (
  options: EmulatorOptions = {},
  validation: { readonly allowances?: ReadonlyArray<SpecAllowance> } = {}
): Promise<Harness> => {
  const allowances = validation.allowances ?? (options.responses === "spec" ? allowancesFor(options) : undefined)
  const v = allowances === undefined ? await specValidator() : await loadOpenApiValidator({ allowances })
  const recorder = v.recorder()
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock(T0)
  // With timeScale the emulator runs on (sped-up) real time; otherwise on the manual clock.
  const emu = await startEmulator({
    strict: true,
    ...(options.timeScale === undefined ? { clock } : {}),
    identitySources: [{ id: IS, customAttributes: DECLARED }],
    ...options,
    onExchange: (ex) => {
      recorder.record(ex)
      options.onExchange?.(ex)
    }
  })
  const call = (method: string, path: string, o?: CallOptions) => request(emu.url + path, method, o)
  const is = (suffix: string) => `/api/v1/identity-sources/${IS}${suffix}`
  const newSession = async () => {
    const r = await call("POST", is("/sessions"))
    expect(r.status, r.text).toBe(options.responses === "spec" ? 200 : 201)
    return r.json.id as string
  }
  const h: Harness = {
    emu,
    clock,
    recorder,
    call,
    is,
    newSession,
    importUsers: async (profiles) => {
      const id = await newSession()
      const up = await call("POST", is(`/sessions/${id}/bulk-upsert`), { body: { entityType: "USERS", profiles } })
      expect(up.status, up.text).toBe(202)
      const t = await call("POST", is(`/sessions/${id}/start-import`))
      expect(t.status, t.text).toBe(200)
      clock.advance(1_000)
      return id
    }
  }
  open.push(h)
  return h
}

/** afterEach: close every harness and fail on any OpenAPI violation. */
export const closeAll = async (): Promise<void> => {
  const all = open.splice(0)
  await Promise.all(all.map((h) => h.emu.close()))
  for (const h of all) h.recorder.assertNoViolations()
}

export const user = (n: number, extra: Record<string, unknown> = {}) => ({
  externalId: `EXT${String(n).padStart(5, "0")}`,
  profile: { userName: `user${n}@example.com`, email: `user${n}@example.com`, firstName: `First${n}`, lastName: `Last${n}`, ...extra }
})
