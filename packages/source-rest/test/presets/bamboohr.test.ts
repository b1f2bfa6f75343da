/**
 * `preset: bamboohr` against a local server implementing the documented shapes: `POST
 * /api/gateway.php/{companyDomain}/v1/reports/custom?format=JSON` with `{ title, fields }` answering
 * `{ title, fields, employees }` with exactly the fields asked for, `GET …/employees/directory` (active people
 * only), the API key as the Basic user name, and throttling with 503 or 429 plus Retry-After.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { bamboohr } from "../../src/presets/bamboohr.ts"
import { errorOf, rowsOf } from "../helpers.ts"
import {
  activePeople,
  attempts,
  basicOf,
  hrPeople,
  json,
  readPreset,
  rowsData,
  server,
  syncPreset,
  type HrPerson
} from "./harness.ts"

const API_KEY = "bamboo-key-test-4f1c"
const DOMAIN = "acme"

interface Options {
  readonly people?: ReadonlyArray<HrPerson>
  /** The first `times` report requests are throttled with `status` and Retry-After `retryAfter` seconds. */
  readonly throttle?: { readonly status: 429 | 503; readonly times: number; readonly retryAfter: string }
  /** The employee at this index is sent as `null` (a malformed record). */
  readonly malformedAt?: number
}

const field = (p: HrPerson, name: string): unknown => {
  switch (name) {
    case "id":
      return p.id
    case "firstName":
      return p.firstName
    case "lastName":
      return p.lastName
    case "preferredName":
      return p.preferredName ?? ""
    case "workEmail":
      return p.email
    case "jobTitle":
      return p.title
    case "department":
      return p.department
    case "supervisorEId":
      return p.managerId ?? ""
    case "hireDate":
      return p.startDate
    case "terminationDate":
      return p.endDate ?? "0000-00-00"
    case "status":
      return p.active ? "Active" : "Inactive"
    case "location":
      return "Berlin"
    default:
      return null
  }
}

const startBamboo = (options: Options = {}) => {
  const people = options.people ?? hrPeople(30)
  const attempt = attempts()
  return Effect.map(
    server((request, response) => {
      const base = `/api/gateway.php/${DOMAIN}/v1`
      const credentials = basicOf(request)
      if (credentials?.[0] !== API_KEY) {
        return json(
          response,
          401,
          { message: "Unauthorized" },
          { "x-bamboohr-error-message": "Invalid API key" }
        )
      }
      if (options.throttle !== undefined && attempt(request.url.pathname) <= options.throttle.times) {
        return json(
          response,
          options.throttle.status,
          { message: "slow down" },
          { "retry-after": options.throttle.retryAfter }
        )
      }
      if (request.method === "POST" && request.url.pathname === `${base}/reports/custom`) {
        if (request.url.searchParams.get("format") !== "JSON")
          return json(response, 400, { message: "format" })
        const body = JSON.parse(request.body) as { title?: string; fields?: Array<string> }
        const fields = body.fields ?? []
        const employees = people.map((p, i) =>
          i === options.malformedAt ? null : Object.fromEntries(fields.map((name) => [name, field(p, name)]))
        )
        return json(response, 200, {
          title: body.title,
          fields: fields.map((id) => ({ id, type: "text", name: id })),
          employees
        })
      }
      if (request.method === "GET" && request.url.pathname === `${base}/employees/directory`) {
        const directoryFields = [
          "id",
          "displayName",
          "firstName",
          "lastName",
          "preferredName",
          "jobTitle",
          "workEmail",
          "department"
        ]
        return json(response, 200, {
          fields: directoryFields.map((id) => ({ id, type: "text", name: id })),
          employees: activePeople(people).map((p) =>
            Object.fromEntries(
              directoryFields.map((name) => [
                name,
                name === "displayName" ? `${p.firstName} ${p.lastName}` : field(p, name)
              ])
            )
          )
        })
      }
      return json(response, 404, { message: "not found" })
    }),
    (s) => ({ ...s, people })
  )
}

const source = (url: string, extra: Record<string, unknown> = {}) => ({
  preset: "bamboohr",
  companyDomain: DOMAIN,
  apiKey: API_KEY,
  baseUrl: `${url}/api/gateway.php/${DOMAIN}/v1`,
  ...extra
})

describe("preset: bamboohr", () => {
  it.scoped(
    "expands into a custom report: Basic auth with the key, the fields asked for by name, every column",
    () =>
      Effect.gen(function* () {
        const api = yield* startBamboo()
        const result = yield* readPreset(source(api.url))
        const rows = rowsOf(result)
        expect(rows).toHaveLength(30)
        expect(rows[6]!.data).toEqual({
          employee_id: "1007",
          first_name: "Donald",
          last_name: "Lovelace",
          preferred_name: "Don",
          email: "donald.lovelace6@example.com",
          title: "Recruiter",
          department: "People",
          manager_id: "1001",
          start_date: api.people[6]!.startDate,
          end_date: "2026-06-30",
          status: "Inactive"
        })
        const request = api.requests[0]!
        expect(request.method).toBe("POST")
        expect(request.url.search).toBe("?format=JSON&onlyCurrent=true")
        expect(basicOf(request)).toEqual([API_KEY, "x"])
        expect(JSON.parse(request.body)).toEqual({
          title: "anysource",
          fields: [
            "id",
            "firstName",
            "lastName",
            "preferredName",
            "workEmail",
            "jobTitle",
            "department",
            "supervisorEId",
            "hireDate",
            "terminationDate",
            "status"
          ]
        })
        expect(rows[0]!.location).toBe(
          `${api.url}/api/gateway.php/acme/v1/reports/custom?format=JSON&onlyCurrent=true#0`
        )
      })
  )

  it.scoped("a column the user adds is asked for by its BambooHR name; REST keys override the preset's", () =>
    Effect.gen(function* () {
      const api = yield* startBamboo({ people: hrPeople(3) })
      const rows = rowsOf(
        yield* readPreset(source(api.url, { fields: { location: "location" }, requestsPerSecond: 50 }))
      )
      expect(rows[0]!.data).toMatchObject({ employee_id: "1001", location: "Berlin" })
      expect((JSON.parse(api.requests[0]!.body) as { fields: Array<string> }).fields).toContain("location")
    })
  )

  it.scoped(
    "report: directory reads the employee directory (active people only, no supervisor or dates)",
    () =>
      Effect.gen(function* () {
        const api = yield* startBamboo({ people: hrPeople(14) })
        const rows = rowsData(rowsOf(yield* readPreset(source(api.url, { report: "directory" }))))
        expect(rows).toHaveLength(12)
        expect(rows[0]).toMatchObject({
          employee_id: "1001",
          email: "ada.lovelace0@example.com",
          manager_id: null,
          status: null
        })
        expect(api.requests[0]!.method).toBe("GET")
        expect(api.requests[0]!.url.pathname).toBe("/api/gateway.php/acme/v1/employees/directory")
      })
  )

  it.scoped("a refused API key: an Auth error naming source.apiKey and companyDomain, never the key", () =>
    Effect.gen(function* () {
      const api = yield* startBamboo()
      const error = errorOf(yield* readPreset(source(api.url, { apiKey: "not-the-key-9d2" })))
      expect(error).toMatchObject({ source: "rest", reason: "Auth", retryable: false })
      expect(error.message).toContain("401")
      expect(error.message).toContain("BambooHR refused the API key (source.apiKey)")
      expect(error.message).toContain("source.companyDomain")
      expect(error.message).not.toContain("not-the-key-9d2")
      expect(api.requests).toHaveLength(1)
    })
  )

  for (const status of [503, 429] as const) {
    it.scoped(`BambooHR's ${status} with Retry-After is waited out exactly, then the report is read`, () =>
      Effect.gen(function* () {
        const api = yield* startBamboo({ throttle: { status, times: 2, retryAfter: "15" } })
        const result = yield* readPreset(source(api.url))
        expect(rowsOf(result)).toHaveLength(30)
        expect(result.waits).toEqual([15_000, 15_000])
        expect(result.stats).toMatchObject({ rateLimited: 2, retries: 2, requests: 3 })
      })
    )
  }

  it.scoped("503s that never stop: RateLimited (retryable) after the preset's 6 retries", () =>
    Effect.gen(function* () {
      const api = yield* startBamboo({ throttle: { status: 503, times: 100, retryAfter: "2" } })
      const result = yield* readPreset(source(api.url))
      const error = errorOf(result)
      expect(error).toMatchObject({ reason: "RateLimited", retryable: true })
      expect(error.message).toContain("503")
      expect(error.message).toContain("gave up after 6 retries")
      expect(result.waits).toEqual([2000, 2000, 2000, 2000, 2000, 2000])
    })
  )

  it.scoped("a malformed employee is a Decode error located by page and index", () =>
    Effect.gen(function* () {
      const api = yield* startBamboo({ malformedAt: 4 })
      const error = errorOf(yield* readPreset(source(api.url)))
      expect(error.reason).toBe("Decode")
      expect(error.message).toMatch(
        /^page 1, record 4 \(.*\/reports\/custom\?format=JSON&onlyCurrent=true#4\): the record is null, expected an object$/
      )
      expect(error.location).toMatch(/#4$/)
    })
  )

  it.scopedLive(
    "end to end: the people sync into the emulator with the preset's default mapping; leavers are left out",
    () =>
      Effect.gen(function* () {
        const api = yield* startBamboo()
        const { report, second, users } = yield* syncPreset(
          bamboohr,
          { ...source(api.url), apiKey: "${BAMBOOHR_API_KEY}" },
          {
            BAMBOOHR_API_KEY: API_KEY
          }
        )
        const stayed = activePeople(api.people)
        expect(report.outcome).toBe("applied")
        expect(report.summary?.users.create).toBe(stayed.length)
        expect(users.map((u) => u.externalId).sort()).toEqual(stayed.map((p) => p.id).sort())
        const ada = users.find((u) => u.externalId === "1001")!
        expect(ada.profile).toMatchObject({
          userName: "ada.lovelace0@example.com",
          email: "ada.lovelace0@example.com",
          firstName: "Ada",
          lastName: "Lovelace",
          title: "Engineer",
          department: "Engineering",
          startDate: api.people[0]!.startDate,
          employmentStatus: "Active"
        })
        // 0000-00-00 (no termination date) became null
        expect(ada.profile["endDate"] ?? null).toBeNull()
        expect(users.find((u) => u.externalId === "1002")!.profile["managerId"]).toBe("1001")
        expect(second.outcome).toBe("no-changes")
      })
  )
})
