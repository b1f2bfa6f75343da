/**
 * `preset: personio` against a local Personio: `POST /v2/auth/token` (client credentials in the form body),
 * `GET /v1/company/employees?offset=&limit=` (at most 100 a page) answering `{ success, metadata: {
 * total_elements, current_page, total_pages }, offset, limit, data: [{ type: "Employee", attributes }] }` with
 * every attribute an object `{ label, value, type, universal_id }`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { personio } from "../../src/presets/personio.ts"
import { errorOf, rowsOf } from "../helpers.ts"
import {
  activePeople,
  attempts,
  hrPeople,
  json,
  readPreset,
  server,
  syncPreset,
  type HrPerson
} from "./harness.ts"

const CLIENT = { clientId: "papi-client-test", clientSecret: "papi-secret-test-2c9f" }

interface Options {
  readonly people?: ReadonlyArray<HrPerson>
  /** Requests of the page at this offset get a 429 with Retry-After the first `times` times. */
  readonly throttle?: { readonly offset: number; readonly times: number; readonly retryAfter: string }
  /** The page at this offset is empty (while the total still counts everyone). */
  readonly emptyAt?: number
  /** The record at this (absolute) index is a string. */
  readonly malformedAt?: number
}

const attribute = (label: string, value: unknown, type = "standard") => ({
  label,
  value,
  type,
  universal_id: label.toLowerCase()
})
const date = (day: string | null) => (day === null ? null : `${day}T00:00:00+01:00`)

const employee = (p: HrPerson) => ({
  type: "Employee",
  attributes: {
    id: attribute("ID", Number(p.id), "integer"),
    first_name: attribute("First name", p.firstName),
    last_name: attribute("Last name", p.lastName),
    preferred_name: attribute("Preferred name", p.preferredName ?? ""),
    email: attribute("Email", p.email),
    position: attribute("Position", p.title),
    status: attribute("Status", p.active ? "active" : "inactive"),
    hire_date: attribute("Hire date", date(p.startDate), "date"),
    termination_date: attribute("Termination date", date(p.endDate), "date"),
    department: attribute("Department", { type: "Department", attributes: { id: 7, name: p.department } }),
    supervisor: attribute(
      "Supervisor",
      p.managerId === null
        ? null
        : { type: "Employee", attributes: { id: attribute("ID", Number(p.managerId), "integer") } }
    )
  }
})

const startPersonio = (options: Options = {}) => {
  const people = options.people ?? hrPeople(250)
  const attempt = attempts()
  const tokens = new Set<string>()
  return Effect.map(
    server((request, response) => {
      if (request.url.pathname === "/v2/auth/token") {
        const form = new URLSearchParams(request.body)
        if (form.get("grant_type") !== "client_credentials")
          return json(response, 400, { error: "unsupported_grant_type" })
        if (form.get("client_id") !== CLIENT.clientId || form.get("client_secret") !== CLIENT.clientSecret) {
          return json(response, 401, { error: "invalid_client", error_description: "Wrong credentials" })
        }
        const token = `papi-${tokens.size + 1}`
        tokens.add(token)
        return json(response, 200, {
          access_token: token,
          token_type: "Bearer",
          expires_in: 86_400,
          scope: "personio:persons:read"
        })
      }
      if (request.url.pathname !== "/v1/company/employees") return json(response, 404, { success: false })
      if (!tokens.has((request.headers["authorization"] ?? "").replace(/^Bearer /, ""))) {
        return json(response, 401, { success: false, error: { code: 0, message: "Unauthorized" } })
      }
      const offset = Number(request.url.searchParams.get("offset") ?? 0)
      const limit = Math.min(100, Number(request.url.searchParams.get("limit") ?? 50))
      if (options.throttle?.offset === offset && attempt(String(offset)) <= options.throttle.times) {
        return json(
          response,
          429,
          { success: false, error: { message: "Too Many Requests" } },
          { "retry-after": options.throttle.retryAfter }
        )
      }
      const slice = options.emptyAt === offset ? [] : people.slice(offset, offset + limit)
      return json(response, 200, {
        success: true,
        metadata: {
          total_elements: people.length,
          current_page: Math.floor(offset / limit),
          total_pages: Math.ceil(people.length / limit)
        },
        offset,
        limit,
        data: slice.map((p, i) => (offset + i === options.malformedAt ? "Employee" : employee(p)))
      })
    }),
    (s) => ({
      ...s,
      people,
      pages: () => s.requests.filter((r) => r.url.pathname === "/v1/company/employees")
    })
  )
}

const source = (url: string, extra: Record<string, unknown> = {}) => ({
  preset: "personio",
  ...CLIENT,
  baseUrl: `${url}/v1`,
  auth: { tokenUrl: `${url}/v2/auth/token` },
  requestsPerSecond: null, // null removes the preset's pacing (the test server has no limit)
  ...extra
})

describe("preset: personio", () => {
  it.scoped(
    "pages with offset/limit up to metadata.total_elements; attributes flattened to their values",
    () =>
      Effect.gen(function* () {
        const api = yield* startPersonio()
        const rows = rowsOf(yield* readPreset(source(api.url)))
        expect(rows).toHaveLength(250)
        expect(api.pages().map((r) => r.url.search)).toEqual([
          "?offset=0&limit=100",
          "?offset=100&limit=100",
          "?offset=200&limit=100"
        ])
        expect(rows[6]!.data).toEqual({
          employee_id: 1007,
          first_name: "Donald",
          last_name: "Lovelace",
          preferred_name: "Don",
          email: "donald.lovelace6@example.com",
          title: "Recruiter",
          department: "People",
          manager_id: 1001,
          start_date: `${api.people[6]!.startDate}T00:00:00+01:00`,
          end_date: "2026-06-30T00:00:00+01:00",
          status: "inactive"
        })
        expect(rows[0]!.data["manager_id"]).toBeNull()
        expect(rows[120]!.location).toBe(`${api.url}/v1/company/employees?offset=100&limit=100#20`)
        // one v2 token (client credentials in the form body), reused for every page
        const tokenRequests = api.requests.filter((r) => r.url.pathname === "/v2/auth/token")
        expect(tokenRequests).toHaveLength(1)
        expect(new URLSearchParams(tokenRequests[0]!.body).get("client_id")).toBe(CLIENT.clientId)
      })
  )

  it.scoped(
    "a refused client: Auth from the token endpoint naming source.clientId and source.clientSecret",
    () =>
      Effect.gen(function* () {
        const api = yield* startPersonio()
        const error = errorOf(yield* readPreset(source(api.url, { clientSecret: "bad-secret-44" })))
        expect(error).toMatchObject({ reason: "Auth", retryable: false })
        expect(error.message).toContain("invalid_client")
        expect(error.message).toContain(
          "Personio refused the API credential (source.clientId, source.clientSecret)"
        )
        expect(error.message).not.toContain("bad-secret-44")
        expect(api.pages()).toHaveLength(0)
      })
  )

  it.scoped("429 with Retry-After on page 2: waited out exactly, then the read goes on", () =>
    Effect.gen(function* () {
      const api = yield* startPersonio({ throttle: { offset: 100, times: 1, retryAfter: "60" } })
      const result = yield* readPreset(source(api.url))
      expect(rowsOf(result)).toHaveLength(250)
      expect(result.waits).toEqual([60_000])
      expect(result.stats).toMatchObject({ rateLimited: 1, pages: 3 })
    })
  )

  it.scoped("the preset paces itself to Personio's 300 requests a minute (5 a second)", () =>
    Effect.gen(function* () {
      const api = yield* startPersonio()
      const { requestsPerSecond: _, ...paced } = source(api.url)
      const result = yield* readPreset(paced)
      expect(rowsOf(result)).toHaveLength(250)
      expect(result.waits).toEqual([200, 200])
    })
  )

  it.scoped("an empty page in the middle (the total says more): Pagination error, never a partial read", () =>
    Effect.gen(function* () {
      const api = yield* startPersonio({ emptyAt: 100 })
      const error = errorOf(yield* readPreset(source(api.url)))
      expect(error.reason).toBe("Pagination")
      expect(error.message).toContain("page 2")
      expect(error.message).toContain("the API reported 250 records but the pages ended after 100")
    })
  )

  it.scoped("a malformed employee is a Decode error located by page and index", () =>
    Effect.gen(function* () {
      const api = yield* startPersonio({ malformedAt: 203 })
      const error = errorOf(yield* readPreset(source(api.url)))
      expect(error.reason).toBe("Decode")
      expect(error.message).toBe(
        `page 3, record 3 (${api.url}/v1/company/employees?offset=200&limit=100#3): the record is a string, expected an object`
      )
    })
  )

  it.scopedLive(
    "end to end: Personio's employees sync into the emulator with the preset's default mapping",
    () =>
      Effect.gen(function* () {
        const api = yield* startPersonio()
        const { report, second, users } = yield* syncPreset(
          personio,
          { ...source(api.url), clientSecret: "${PERSONIO_CLIENT_SECRET}" },
          {
            PERSONIO_CLIENT_SECRET: CLIENT.clientSecret
          }
        )
        const stayed = activePeople(api.people)
        expect(report.outcome).toBe("applied")
        expect(report.summary?.users.create).toBe(stayed.length)
        expect(users.map((u) => u.externalId).sort()).toEqual(stayed.map((p) => p.id).sort())
        expect(users.find((u) => u.externalId === "1002")!.profile).toMatchObject({
          firstName: "Grace",
          department: "Finance",
          managerId: "1001",
          startDate: api.people[1]!.startDate,
          employmentStatus: "active"
        })
        expect(second.outcome).toBe("no-changes")
      })
  )
})
