/**
 * `preset: workday` against a local Workday RaaS: `GET /ccx/service/customreport2/{tenant}/{owner}/{report}
 * ?format=json` answering `{ "Report_Entry": [ … ] }` (one response, no paging), the ISU's Basic credentials or a
 * bearer token from `POST /ccx/oauth2/{tenant}/token` (refresh_token grant, client id and secret as Basic).
 */
import { RestSourceConfig } from "../../src/index.ts"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { workday } from "../../src/presets/workday.ts"
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

const ISU = { username: "ISU_Okta", password: "isu-pw-test-3b7e" }
const CLIENT = {
  clientId: "wd-client-test",
  clientSecret: "wd-secret-test-81aa",
  refreshToken: "wd-refresh-test-0c55"
}
const REPORT = "/ccx/service/customreport2/acme/ISU_Okta/Okta_Workers"
const TOKEN = "/ccx/oauth2/acme/token"

interface Options {
  readonly people?: ReadonlyArray<HrPerson>
  readonly throttle?: { readonly times: number; readonly retryAfter: string }
  readonly malformedAt?: number
}

const entry = (p: HrPerson) => ({
  Employee_ID: p.id,
  Legal_First_Name: p.firstName,
  Legal_Last_Name: p.lastName,
  ...(p.preferredName !== null ? { Preferred_First_Name: p.preferredName } : {}),
  Work_Email: p.email,
  Business_Title: p.title,
  Department: p.department,
  ...(p.managerId !== null ? { Manager_Employee_ID: p.managerId } : {}),
  Hire_Date: p.startDate,
  ...(p.endDate !== null ? { Termination_Date: p.endDate } : {}),
  // RaaS renders a boolean column as "1" / "0"
  Active_Status: p.active ? "1" : "0"
})

const startWorkday = (options: Options = {}) => {
  const people = options.people ?? hrPeople(40)
  const attempt = attempts()
  const tokens = new Set<string>()
  let issued = 0
  return Effect.map(
    server((request, response) => {
      if (request.url.pathname === TOKEN) {
        const client = basicOf(request)
        const form = new URLSearchParams(request.body)
        if (client?.[0] !== CLIENT.clientId || client[1] !== CLIENT.clientSecret)
          return json(response, 401, { error: "invalid_client" })
        if (form.get("grant_type") !== "refresh_token" || form.get("refresh_token") !== CLIENT.refreshToken) {
          return json(response, 400, { error: "invalid_grant" })
        }
        const token = `wd-at-${++issued}`
        tokens.add(token)
        return json(response, 200, { access_token: token, token_type: "Bearer", expires_in: 3600 })
      }
      if (request.url.pathname !== REPORT) return json(response, 404, { error: "no such report" })
      const auth = request.headers["authorization"] ?? ""
      const basic = basicOf(request)
      const allowed =
        (basic?.[0] === ISU.username && basic[1] === ISU.password) || tokens.has(auth.replace(/^Bearer /, ""))
      if (!allowed) return json(response, 401, { error: "Invalid username or password" })
      if (options.throttle !== undefined && attempt(REPORT) <= options.throttle.times) {
        return json(
          response,
          429,
          { error: "Too Many Requests" },
          { "retry-after": options.throttle.retryAfter }
        )
      }
      if (request.url.searchParams.get("format") !== "json") return json(response, 400, { error: "format" })
      return json(response, 200, {
        Report_Entry: people.map((p, i) => (i === options.malformedAt ? "oops" : entry(p)))
      })
    }),
    (s) => ({ ...s, people, tokenRequests: () => s.requests.filter((r) => r.url.pathname === TOKEN).length })
  )
}

const basicSource = (url: string, extra: Record<string, unknown> = {}) => ({
  preset: "workday",
  reportUrl: `${url}${REPORT}?Effective_as_of_Date=2026-12-01&format=json`,
  ...ISU,
  ...extra
})
const oauthSource = (url: string, extra: Record<string, unknown> = {}) => ({
  preset: "workday",
  reportUrl: `${url}${REPORT}`,
  ...CLIENT,
  ...extra
})

describe("preset: workday", () => {
  it.scoped("ISU Basic: reads Report_Entry with the report's prompts and format=json; every column", () =>
    Effect.gen(function* () {
      const api = yield* startWorkday()
      const rows = rowsOf(yield* readPreset(basicSource(api.url)))
      expect(rows).toHaveLength(40)
      expect(rows[1]!.data).toEqual({
        employee_id: "1002",
        first_name: "Grace",
        last_name: "Lovelace",
        preferred_name: null,
        email: "grace.lovelace1@example.com",
        title: "Analyst",
        department: "Finance",
        manager_id: "1001",
        start_date: api.people[1]!.startDate,
        end_date: null,
        status: "1"
      })
      const request = api.requests[0]!
      expect(request.url.search).toBe("?Effective_as_of_Date=2026-12-01&format=json")
      expect(basicOf(request)).toEqual([ISU.username, ISU.password])
      expect(rows[39]!.location).toBe(`${api.url}${REPORT}?Effective_as_of_Date=2026-12-01&format=json#39`)
    })
  )

  it.scoped(
    "OAuth refresh token: one token request (refresh_token grant, client as Basic), then the report as Bearer",
    () =>
      Effect.gen(function* () {
        const api = yield* startWorkday()
        const rows = rowsOf(yield* readPreset(oauthSource(api.url)))
        expect(rows).toHaveLength(40)
        expect(api.tokenRequests()).toBe(1)
        const tokenRequest = api.requests.find((r) => r.url.pathname === TOKEN)!
        expect(new URLSearchParams(tokenRequest.body).get("grant_type")).toBe("refresh_token")
        expect(api.requests.find((r) => r.url.pathname === REPORT)!.headers["authorization"]).toBe(
          "Bearer wd-at-1"
        )
      })
  )

  it.scoped("a wrong ISU password: Auth naming source.username and source.password, never the password", () =>
    Effect.gen(function* () {
      const api = yield* startWorkday()
      const error = errorOf(yield* readPreset(basicSource(api.url, { password: "wrong-pw-77" })))
      expect(error).toMatchObject({ reason: "Auth", retryable: false })
      expect(error.message).toContain("Workday refused the ISU (source.username, source.password)")
      expect(error.message).not.toContain("wrong-pw-77")
    })
  )

  it.scoped(
    "a revoked refresh token: Auth from the token endpoint naming the refresh token, nothing else sent",
    () =>
      Effect.gen(function* () {
        const api = yield* startWorkday()
        const error = errorOf(yield* readPreset(oauthSource(api.url, { refreshToken: "revoked-token-5" })))
        expect(error.reason).toBe("Auth")
        expect(error.message).toContain("invalid_grant")
        expect(error.message).toContain("source.refreshToken")
        expect(error.message).not.toContain("revoked-token-5")
        expect(api.requests.filter((r) => r.url.pathname === REPORT)).toHaveLength(0)
      })
  )

  it.scoped("429 with Retry-After: waited out exactly, then the whole report is read", () =>
    Effect.gen(function* () {
      const api = yield* startWorkday({ throttle: { times: 1, retryAfter: "30" } })
      const result = yield* readPreset(basicSource(api.url))
      expect(rowsOf(result)).toHaveLength(40)
      expect(result.waits).toEqual([30_000])
      expect(result.stats.rateLimited).toBe(1)
    })
  )

  it.scoped("a malformed Report_Entry item is a Decode error located by page and index", () =>
    Effect.gen(function* () {
      const api = yield* startWorkday({ malformedAt: 17 })
      const error = errorOf(yield* readPreset(basicSource(api.url)))
      expect(error.reason).toBe("Decode")
      expect(error.message).toContain("page 1, record 17 (")
      expect(error.message).toContain("the record is a string, expected an object")
    })
  )

  it.scoped("a large report (20,000 workers) in one response is read whole", () =>
    Effect.gen(function* () {
      const api = yield* startWorkday({ people: hrPeople(20_000) })
      const rows = rowsData(rowsOf(yield* readPreset(basicSource(api.url))))
      expect(rows).toHaveLength(20_000)
      expect(rows[19_999]!["employee_id"]).toBe("21000")
    })
  )

  it("needs one credential: ISU Basic or the OAuth trio, not a mix, not half of one", () => {
    const issues = (raw: Record<string, unknown>) => {
      const result = RestSourceConfig.safeParse({
        preset: "workday",
        reportUrl: `https://wd2-impl-services1.workday.com${REPORT}`,
        ...raw
      })
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
    }
    expect(issues({ ...ISU })).toEqual([])
    expect(issues({ ...CLIENT })).toEqual([])
    expect(issues({})).toEqual([
      "username: is required (the ISU's user name), or use clientId/clientSecret/refreshToken",
      "password: is required (the ISU's password), or use clientId/clientSecret/refreshToken"
    ])
    expect(issues({ clientId: "x", clientSecret: "y" })).toEqual([
      "refreshToken: OAuth needs refreshToken (with clientId, clientSecret and refreshToken)"
    ])
    expect(issues({ ...ISU, clientId: "x" })[0]).toContain("not both")
    const parsed = RestSourceConfig.parse({
      preset: "workday",
      reportUrl: `https://wd2-impl-services1.workday.com${REPORT}`,
      ...CLIENT
    })
    expect(parsed.auth).toMatchObject({
      type: "oauth2",
      grantType: "refresh_token",
      tokenUrl: "https://wd2-impl-services1.workday.com/ccx/oauth2/acme/token"
    })
  })

  it.scopedLive(
    "end to end: the report's workers sync into the emulator with the preset's default mapping",
    () =>
      Effect.gen(function* () {
        const api = yield* startWorkday()
        const { report, second, users } = yield* syncPreset(
          workday,
          { ...basicSource(api.url), password: "${WORKDAY_ISU_PASSWORD}" },
          {
            WORKDAY_ISU_PASSWORD: ISU.password
          }
        )
        const stayed = activePeople(api.people)
        expect(report.outcome).toBe("applied")
        expect(users.map((u) => u.externalId).sort()).toEqual(stayed.map((p) => p.id).sort())
        expect(users.find((u) => u.externalId === "1003")!.profile).toMatchObject({
          firstName: "Alan",
          lastName: "Lovelace",
          title: "Recruiter",
          department: "People",
          managerId: "1001",
          employmentStatus: "active"
        })
        expect(report.summary?.excluded).toEqual({ terminated: 5 })
        expect(second.outcome).toBe("no-changes")
      })
  )
})
