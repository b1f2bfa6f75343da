/**
 * `preset: successfactors` against a local OData v2 service: `GET /odata/v2/User?$format=json&$select=…&$expand=
 * manager&$filter=status in 't','f'` answering `{ d: { results: [ … ], __next } }` with server-driven paging
 * (`__next` is the absolute URL of the next page, with a `$skiptoken`), dates as `/Date(<ms>)/`, only active
 * users unless `$filter` names the statuses, HTTP Basic as `user@companyId`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { successfactors } from "../../src/presets/successfactors.ts"
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

const USER = { companyId: "ACME01", username: "okta_api", password: "sf-pw-test-9a1d" }
const PAGE = 100

interface Options {
  readonly people?: ReadonlyArray<HrPerson>
  /** The page with this skiptoken (0, 100, 200, …) is empty but still links to the next one. */
  readonly emptyAt?: number
  readonly throttle?: { readonly skip: number; readonly times: number; readonly retryAfter: string }
  readonly malformedAt?: number
  /** `__next` links point at this origin instead. */
  readonly nextOrigin?: string
}

const odataDate = (day: string | null) => (day === null ? null : `/Date(${Date.parse(`${day}T00:00:00Z`)})/`)

const user = (p: HrPerson, select: ReadonlyArray<string>) => {
  const all: Record<string, unknown> = {
    __metadata: { uri: `https://api.example/odata/v2/User('${p.id}')`, type: "SFOData.User" },
    userId: p.id,
    firstName: p.firstName,
    lastName: p.lastName,
    nickname: p.preferredName,
    email: p.email,
    title: p.title,
    department: p.department,
    hireDate: odataDate(p.startDate),
    status: p.active ? "t" : "f",
    manager: p.managerId === null ? null : { __metadata: { type: "SFOData.User" }, userId: p.managerId }
  }
  // $select keeps the selected properties (manager/userId keeps the expanded manager)
  return Object.fromEntries(
    Object.entries(all).filter(([key]) => key === "__metadata" || select.some((s) => s.split("/")[0] === key))
  )
}

const startSf = (options: Options = {}) => {
  const people = options.people ?? hrPeople(260)
  const attempt = attempts()
  return Effect.map(
    server((request, response) => {
      if (request.url.pathname !== "/odata/v2/User")
        return json(response, 404, { error: { message: { value: "not found" } } })
      const credentials = basicOf(request)
      if (credentials?.[0] !== `${USER.username}@${USER.companyId}` || credentials[1] !== USER.password) {
        return json(response, 401, {
          error: {
            code: "LGN0022",
            message: { lang: "en-US", value: "[LGN0022]Invalid user name or password" }
          }
        })
      }
      const q = request.url.searchParams
      if (q.get("$format") !== "json") return json(response, 400, { error: "format" })
      const skip = Number(q.get("$skiptoken") ?? 0)
      if (options.throttle?.skip === skip && attempt(String(skip)) <= options.throttle.times) {
        return json(response, 429, { error: "throttled" }, { "retry-after": options.throttle.retryAfter })
      }
      const filter = q.get("$filter")
      const visible = filter === "status in 't','f'" ? people : activePeople(people)
      const select = (q.get("$select") ?? "").split(",")
      const slice = options.emptyAt === skip ? [] : visible.slice(skip, skip + PAGE)
      const more = skip + PAGE < visible.length
      const next = new URL(`${options.nextOrigin ?? `http://${request.headers.host}`}/odata/v2/User`)
      for (const [key, value] of q) if (key !== "$skiptoken") next.searchParams.set(key, value)
      next.searchParams.set("$skiptoken", String(skip + PAGE))
      return json(response, 200, {
        d: {
          results: slice.map((p, i) => (skip + i === options.malformedAt ? 42 : user(p, select))),
          ...(more ? { __next: next.toString() } : {})
        }
      })
    }),
    (s) => ({ ...s, people })
  )
}

const source = (url: string, extra: Record<string, unknown> = {}) => ({
  preset: "successfactors",
  apiServer: url,
  ...USER,
  ...extra
})

describe("preset: successfactors", () => {
  it.scoped("User with $select/$expand/$filter, following __next to the end; Basic as user@companyId", () =>
    Effect.gen(function* () {
      const api = yield* startSf()
      const rows = rowsOf(yield* readPreset(source(api.url)))
      expect(rows).toHaveLength(260)
      expect(api.requests).toHaveLength(3)
      const first = api.requests[0]!.url.searchParams
      expect(first.get("$select")).toBe(
        "userId,firstName,lastName,nickname,email,title,department,hireDate,status,manager/userId"
      )
      expect(first.get("$expand")).toBe("manager")
      expect(first.get("$filter")).toBe("status in 't','f'")
      expect(api.requests[2]!.url.searchParams.get("$skiptoken")).toBe("200")
      expect(basicOf(api.requests[0]!)).toEqual(["okta_api@ACME01", USER.password])
      expect(rows[6]!.data).toEqual({
        employee_id: "1007",
        first_name: "Donald",
        last_name: "Lovelace",
        preferred_name: "Don",
        email: "donald.lovelace6@example.com",
        title: "Recruiter",
        department: "People",
        manager_id: "1001",
        start_date: odataDate(api.people[6]!.startDate),
        end_date: null,
        status: "f"
      })
      expect(rows[150]!.location).toMatch(/(\$|%24)skiptoken=100#50$/)
    })
  )

  it.scoped("includeInactive: false drops the status filter (OData then returns active users only)", () =>
    Effect.gen(function* () {
      const api = yield* startSf()
      const rows = rowsData(rowsOf(yield* readPreset(source(api.url, { includeInactive: false }))))
      expect(rows).toHaveLength(activePeople(api.people).length)
      expect(api.requests[0]!.url.searchParams.has("$filter")).toBe(false)
    })
  )

  it.scoped("an empty page in the middle that still links onwards is followed: nobody is lost", () =>
    Effect.gen(function* () {
      const api = yield* startSf({ emptyAt: 100 })
      const rows = rowsData(rowsOf(yield* readPreset(source(api.url))))
      expect(rows).toHaveLength(160)
      expect(rows.map((r) => r["employee_id"])).toEqual(
        [...api.people.slice(0, 100), ...api.people.slice(200)].map((p) => p.id)
      )
      expect(api.requests).toHaveLength(3)
    })
  )

  it.scoped("a wrong password: Auth naming source.username, companyId and password, never the password", () =>
    Effect.gen(function* () {
      const api = yield* startSf()
      const error = errorOf(yield* readPreset(source(api.url, { password: "wrong-sf-3" })))
      expect(error).toMatchObject({ reason: "Auth", retryable: false })
      expect(error.message).toContain("(source.username, source.companyId, source.password)")
      expect(error.message).toContain("user@companyId")
      expect(error.message).not.toContain("wrong-sf-3")
    })
  )

  it.scoped("429 with Retry-After on page 3: waited out exactly, then the read goes on", () =>
    Effect.gen(function* () {
      const api = yield* startSf({ throttle: { skip: 200, times: 2, retryAfter: "5" } })
      const result = yield* readPreset(source(api.url))
      expect(rowsOf(result)).toHaveLength(260)
      expect(result.waits).toEqual([5000, 5000])
    })
  )

  it.scoped("a malformed record is a Decode error located by page and index", () =>
    Effect.gen(function* () {
      const api = yield* startSf({ malformedAt: 117 })
      const error = errorOf(yield* readPreset(source(api.url)))
      expect(error.reason).toBe("Decode")
      expect(error.message).toMatch(
        /^page 2, record 17 \(.*(\$|%24)skiptoken=100#17\): the record is a number, expected an object$/
      )
    })
  )

  it.scoped("a __next on another host is refused (the credentials are never sent there)", () =>
    Effect.gen(function* () {
      const api = yield* startSf({ nextOrigin: "http://127.0.0.2:9" })
      const error = errorOf(yield* readPreset(source(api.url)))
      expect(error.reason).toBe("Pagination")
      expect(error.message).toContain("another origin")
    })
  )

  it.scopedLive("end to end: SuccessFactors users sync into the emulator; /Date()/ becomes YYYY-MM-DD", () =>
    Effect.gen(function* () {
      const api = yield* startSf()
      const { report, second, users } = yield* syncPreset(
        successfactors,
        { ...source(api.url), password: "${SF_API_PASSWORD}" },
        {
          SF_API_PASSWORD: USER.password
        }
      )
      const stayed = activePeople(api.people)
      expect(report.outcome).toBe("applied")
      expect(users.map((u) => u.externalId).sort()).toEqual(stayed.map((p) => p.id).sort())
      expect(users.find((u) => u.externalId === "1002")!.profile).toMatchObject({
        firstName: "Grace",
        title: "Analyst",
        managerId: "1001",
        startDate: api.people[1]!.startDate,
        employmentStatus: "t"
      })
      expect(second.outcome).toBe("no-changes")
    })
  )
})
