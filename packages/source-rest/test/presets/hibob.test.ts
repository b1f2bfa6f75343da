/**
 * `preset: hibob` against a local Bob: `POST /v1/people/search` with `{ fields, humanReadable, showInactive }`,
 * a service user as HTTP Basic (401 for wrong credentials, 403 without the People permission), one response
 * holding every employee (no paging), each requested field under its slash key (`"/root/id": { value }`), list
 * values as ids with an appended `humanReadable` copy, employee references as the employee's id.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { hibob, hibobFieldIds } from "../../src/presets/hibob.ts"
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

const SERVICE_USER = { serviceUserId: "SERVICE-24601", serviceUserToken: "bob-token-test-6e0d" }
const NO_PERMISSION = "SERVICE-00000"

interface Options {
  readonly people?: ReadonlyArray<HrPerson>
  readonly throttle?: { readonly times: number; readonly retryAfter: string }
  readonly malformedAt?: number
}

/** Machine value and readable text of each field id. */
const fieldOf = (
  p: HrPerson,
  id: string,
  listIds: Map<string, string>
): { value: unknown; readable?: unknown } | undefined => {
  const listId = (text: string) => {
    if (!listIds.has(text)) listIds.set(text, String(209192160 + listIds.size))
    return listIds.get(text)!
  }
  switch (id) {
    case "root.id":
      return { value: p.id }
    case "root.firstName":
      return { value: p.firstName }
    case "root.surname":
      return { value: p.lastName }
    case "root.displayName":
      return { value: `${p.preferredName ?? p.firstName} ${p.lastName}` }
    case "root.email":
      return { value: p.email }
    case "work.title":
      return { value: listId(p.title), readable: p.title }
    case "work.department":
      return { value: listId(p.department), readable: p.department }
    case "work.reportsTo":
      return { value: p.managerId }
    case "work.startDate":
      return { value: p.startDate, readable: p.startDate.split("-").reverse().join("/") }
    case "internal.terminationDate":
      return { value: p.endDate }
    case "internal.status":
      return { value: p.active ? "Active" : "Inactive" }
    case "work.site":
      return { value: "site-1", readable: "Berlin" }
    default:
      return undefined
  }
}

/** `{ a: { b: v } }` at the dotted id `a.b`. */
const setPath = (target: Record<string, unknown>, id: string, value: unknown) => {
  const parts = id.split(".")
  let at = target
  for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>
  at[parts[parts.length - 1]!] = value
}

const startBob = (options: Options = {}) => {
  const people = options.people ?? hrPeople(30)
  const attempt = attempts()
  const listIds = new Map<string, string>()
  return Effect.map(
    server((request, response) => {
      if (request.url.pathname !== "/v1/people/search" || request.method !== "POST")
        return json(response, 404, { error: "not found" })
      const credentials = basicOf(request)
      if (credentials?.[0] === NO_PERMISSION && credentials[1] === SERVICE_USER.serviceUserToken) {
        return json(response, 403, { error: "Forbidden: the service user has no access to People" })
      }
      if (
        credentials?.[0] !== SERVICE_USER.serviceUserId ||
        credentials[1] !== SERVICE_USER.serviceUserToken
      ) {
        return json(response, 401, { error: "Unauthorized" })
      }
      if (options.throttle !== undefined && attempt("search") <= options.throttle.times) {
        return json(
          response,
          429,
          { error: "Too many requests" },
          { "retry-after": options.throttle.retryAfter }
        )
      }
      const body = JSON.parse(request.body) as {
        fields?: Array<string>
        humanReadable?: string
        showInactive?: boolean
      }
      if ((body.fields ?? []).length > 400) return json(response, 400, { error: "too many fields" })
      const chosen = body.showInactive === true ? people : activePeople(people)
      const employees = chosen.map((p, i) => {
        if (i === options.malformedAt) return ["not", "an", "employee"]
        const employee: Record<string, unknown> = {}
        const readable: Record<string, unknown> = {}
        for (const id of body.fields ?? []) {
          const field = fieldOf(p, id, listIds)
          if (field === undefined) continue // Bob leaves out fields it does not know or the user may not see
          employee[`/${id.replace(/\./g, "/")}`] = { value: field.value }
          setPath(employee, id, field.value)
          setPath(readable, id, field.readable ?? field.value)
        }
        if (body.humanReadable === "APPEND") employee["humanReadable"] = readable
        return employee
      })
      return json(response, 200, { employees })
    }),
    (s) => ({ ...s, people })
  )
}

const source = (url: string, extra: Record<string, unknown> = {}) => ({
  preset: "hibob",
  ...SERVICE_USER,
  baseUrl: `${url}/v1`,
  ...extra
})

describe("preset: hibob", () => {
  it.scoped(
    "people search: the fields asked for by id, read back by slash key, lists as text, inactive included",
    () =>
      Effect.gen(function* () {
        const api = yield* startBob()
        const rows = rowsOf(yield* readPreset(source(api.url)))
        expect(rows).toHaveLength(30)
        expect(rows[13]!.data).toEqual({
          employee_id: "1014",
          first_name: "Katherine",
          last_name: "Hopper",
          preferred_name: "Katherine Hopper",
          email: "katherine.hopper13@example.com",
          title: "Analyst",
          department: "Finance",
          manager_id: "1001",
          start_date: api.people[13]!.startDate,
          end_date: "2026-06-30",
          status: "Inactive"
        })
        const request = api.requests[0]!
        expect(basicOf(request)).toEqual([SERVICE_USER.serviceUserId, SERVICE_USER.serviceUserToken])
        expect(JSON.parse(request.body)).toEqual({
          humanReadable: "APPEND",
          showInactive: true,
          fields: [
            "root.id",
            "root.firstName",
            "root.surname",
            "root.displayName",
            "root.email",
            "work.title",
            "work.department",
            "work.reportsTo",
            "work.startDate",
            "internal.terminationDate",
            "internal.status"
          ]
        })
      })
  )

  it("derives field ids from selectors (slash keys and the human-readable copy)", () => {
    expect(
      hibobFieldIds(["$['/work/site'].value", "$.humanReadable.work.custom.field_1", "$.id", 3])
    ).toEqual(["work.site", "work.custom.field_1"])
  })

  it.scoped("a column the user adds is asked for; showInactive: false leaves leavers out", () =>
    Effect.gen(function* () {
      const api = yield* startBob()
      const rows = rowsData(
        rowsOf(
          yield* readPreset(
            source(api.url, { fields: { site: "$.humanReadable.work.site" }, showInactive: false })
          )
        )
      )
      expect(rows).toHaveLength(activePeople(api.people).length)
      expect(rows[0]).toMatchObject({ employee_id: "1001", site: "Berlin" })
      const body = JSON.parse(api.requests[0]!.body) as { fields: Array<string>; showInactive: boolean }
      expect(body.fields).toContain("work.site")
      expect(body.showInactive).toBe(false)
    })
  )

  it.scoped("wrong credentials (401) and a missing permission (403) are Auth errors naming both keys", () =>
    Effect.gen(function* () {
      const api = yield* startBob()
      const wrong = errorOf(yield* readPreset(source(api.url, { serviceUserToken: "nope-token-1" })))
      expect(wrong).toMatchObject({ reason: "Auth", retryable: false })
      expect(wrong.message).toContain("401")
      expect(wrong.message).toContain("source.serviceUserId, source.serviceUserToken")
      expect(wrong.message).not.toContain("nope-token-1")
      const forbidden = errorOf(yield* readPreset(source(api.url, { serviceUserId: NO_PERMISSION })))
      expect(forbidden.reason).toBe("Auth")
      expect(forbidden.message).toContain("403")
      expect(forbidden.message).toContain("permission group that can view People")
    })
  )

  it.scoped("429 with Retry-After: waited out exactly", () =>
    Effect.gen(function* () {
      const api = yield* startBob({ throttle: { times: 2, retryAfter: "3" } })
      const result = yield* readPreset(source(api.url))
      expect(rowsOf(result)).toHaveLength(30)
      expect(result.waits).toEqual([3000, 3000])
    })
  )

  it.scoped("a malformed employee is a Decode error located by page and index", () =>
    Effect.gen(function* () {
      const api = yield* startBob({ malformedAt: 9 })
      const error = errorOf(yield* readPreset(source(api.url)))
      expect(error.reason).toBe("Decode")
      expect(error.message).toMatch(
        /^page 1, record 9 \(.*\/v1\/people\/search#9\): the record is an array, expected an object$/
      )
    })
  )

  it.scoped(
    "no employees at all is an empty read (no paging to get wrong); a body without `employees` is an error",
    () =>
      Effect.gen(function* () {
        const empty = yield* startBob({ people: [] })
        expect(rowsOf(yield* readPreset(source(empty.url)))).toEqual([])
        const broken = yield* server((_, response) => json(response, 200, { error: "maintenance" }))
        const error = errorOf(yield* readPreset(source(broken.url)))
        expect(error.reason).toBe("Decode")
        expect(error.message).toContain("no value at `/employees`")
      })
  )

  it.scopedLive("end to end: Bob's people sync into the emulator with the preset's default mapping", () =>
    Effect.gen(function* () {
      const api = yield* startBob()
      const { report, second, users } = yield* syncPreset(
        hibob,
        { ...source(api.url), serviceUserToken: "${HIBOB_SERVICE_USER_TOKEN}" },
        {
          HIBOB_SERVICE_USER_TOKEN: SERVICE_USER.serviceUserToken
        }
      )
      const stayed = activePeople(api.people)
      expect(report.outcome).toBe("applied")
      expect(users.map((u) => u.externalId).sort()).toEqual(stayed.map((p) => p.id).sort())
      expect(users.find((u) => u.externalId === "1002")!.profile).toMatchObject({
        email: "grace.lovelace1@example.com",
        title: "Analyst",
        department: "Finance",
        managerId: "1001",
        startDate: api.people[1]!.startDate,
        employmentStatus: "Active"
      })
      expect(second.outcome).toBe("no-changes")
    })
  )
})
