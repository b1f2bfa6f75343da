/**
 * HiBob (Bob): `POST /v1/people/search` with a service user's id and token as HTTP Basic, the fields asked for by
 * id (`root.id`, `work.department`, …) and read back under their slash keys (`/root/id`), list values made
 * readable with `humanReadable: APPEND`, inactive employees included.
 */
import { z } from "zod"
import { definePreset, presetSecret, type RawRestConfig } from "../Preset.ts"

/** Column → where it is in an employee of the response. */
const COLUMNS = {
  employee_id: "$['/root/id'].value",
  first_name: "$['/root/firstName'].value",
  last_name: "$['/root/surname'].value",
  preferred_name: "$['/root/displayName'].value",
  email: "$['/root/email'].value",
  // list fields: their display text, from the appended human-readable copy
  title: "$.humanReadable.work.title",
  department: "$.humanReadable.work.department",
  // an employee reference: the manager's id
  manager_id: "$['/work/reportsTo'].value",
  start_date: "$['/work/startDate'].value",
  end_date: "$['/internal/terminationDate'].value",
  status: "$['/internal/status'].value"
}

/**
 * The field ids a set of selectors reads: `$['/work/startDate'].value` → `work.startDate`,
 * `$.humanReadable.work.title` → `work.title`. Asking for exactly these keeps the response small and makes a
 * column the user adds (`fields: { site: "$['/work/site'].value" }`) arrive without listing it twice.
 */
export const hibobFieldIds = (selectors: ReadonlyArray<unknown>): ReadonlyArray<string> => {
  const ids = new Set<string>()
  for (const selector of selectors) {
    if (typeof selector !== "string") continue
    for (const match of selector.matchAll(/\['\/([A-Za-z0-9_./]+)'\]/g))
      ids.add(match[1]!.replace(/\//g, "."))
    const readable = /^\$\.humanReadable\.([A-Za-z0-9_.]+)$/.exec(selector)
    if (readable !== null) ids.add(readable[1]!)
  }
  return [...ids]
}

export const hibob = definePreset({
  id: "hibob",
  displayName: "HiBob",
  description:
    "People search (`POST /v1/people/search`) with a service user's id and token, fields by id (`/root/…`, `/work/…`), inactive employees included; one response, no paging.",
  params: {
    serviceUserId: z
      .string()
      .min(1)
      .meta({ description: "The service user's id (Settings → Integrations → Service users)." }),
    serviceUserToken: presetSecret("The service user's token (shown once when the service user is created)."),
    showInactive: z.boolean().default(true).meta({
      description:
        "Include inactive (terminated) employees, so leavers are seen with `status: Inactive` (default true)."
    })
  },
  expand: ({ serviceUserId, serviceUserToken, showInactive }): RawRestConfig => ({
    baseUrl: "https://api.hibob.com/v1",
    path: "/people/search",
    method: "POST",
    body: { humanReadable: "APPEND", showInactive },
    records: "/employees",
    fields: COLUMNS,
    auth: { type: "basic", username: serviceUserId, password: serviceUserToken },
    retry: { maxRetries: 6, baseDelayMs: 1000, maxDelayMs: 60_000 },
    authHelp:
      "HiBob refused the service user (source.serviceUserId, source.serviceUserToken): check the id and token, and that the service user is in a permission group that can view People (a 403 means the credentials were accepted but that permission is missing)"
  }),
  finish: (config) => {
    const body = (config["body"] ?? {}) as Record<string, unknown>
    if (body["fields"] !== undefined) return config
    const fields = config["fields"]
    const selectors =
      typeof fields === "object" && fields !== null && !Array.isArray(fields) ? Object.values(fields) : []
    return { ...config, body: { ...body, fields: hibobFieldIds(selectors) } }
  },
  env: [{ name: "HIBOB_SERVICE_USER_TOKEN", description: "the HiBob service user's token", secret: true }],
  source: `source:
  type: rest
  preset: hibob                     # HiBob people search, active and inactive employees
  serviceUserId: "SERVICE-12345"    # Settings → Integrations → Service users
  serviceUserToken: \${HIBOB_SERVICE_USER_TOKEN}
  # More columns (the field is asked for automatically), e.g. a custom field:
  # fields: { site: "$['/work/site'].value", cost_center: "$['/payroll/custom/field_1700000000000'].value" }`,
  defaults: {
    mapping: {
      externalId: "employee_id",
      profile: {
        userName: "email",
        email: "email",
        firstName: "first_name",
        lastName: "last_name",
        title: "title",
        department: "department",
        managerId: "manager_id",
        startDate: "start_date",
        endDate: "end_date",
        employmentStatus: "status"
      }
    },
    filter: [{ name: "inactive", include: "status != 'Inactive'" }],
    attributes: {
      title: { maxLength: 100 },
      department: { maxLength: 100 },
      managerId: { maxLength: 40 },
      startDate: { maxLength: 10 },
      endDate: { maxLength: 10 },
      employmentStatus: { maxLength: 20 }
    }
  },
  references: [
    {
      title: "HiBob: Search for employees (POST /people/search)",
      url: "https://apidocs.hibob.com/reference/post_people-search",
      read: "2026-12-07"
    },
    {
      title: "HiBob: People read API contract (fields, slash keys, no pagination, showInactive)",
      url: "https://apidocs.hibob.com/docs/people-read-api-contract",
      read: "2026-12-07"
    },
    {
      title: "HiBob: How to work with lists (humanReadable APPEND / REPLACE)",
      url: "https://apidocs.hibob.com/docs/how-to-work-with-lists-public-api",
      read: "2026-12-07"
    },
    {
      title: "HiBob: Fields, custom fields and lists (field ids, employee-reference type)",
      url: "https://apidocs.hibob.com/docs/fields-metadata",
      read: "2026-12-07"
    }
  ],
  notes: [
    "**Auth**: a service user (Settings → Integrations → Service users) in a permission group that can view the People categories you read; its id and token go as HTTP Basic. HiBob answers 403 when the credentials are right but the permission is missing: both are `Auth` errors naming the two keys.",
    '**Fields**: the request asks for field ids in dot notation (`root.id`, `work.department`); the response carries each under its slash key (`"/root/id": { "value": … }`). The preset asks for exactly the fields its `fields` read, so a column you add (`fields: { site: "$[\'/work/site\'].value" }`) is asked for without listing it twice. HiBob silently leaves out fields the service user may not see: such a column is null.',
    "**Readable values**: with `humanReadable: APPEND` the machine values stay (ids, ISO dates, the manager's employee id) and a `humanReadable` copy carries list values as text, which `title` and `department` read.",
    "**Paging**: HiBob's people search does **not** page (its read contract: one response holds every matching employee; at most 400 field ids). The preset reads that one response; there is no empty-page case.",
    "**Leavers**: `showInactive: true` (default) includes terminated employees with `/internal/status` `Inactive`; the default filter deactivates them in Okta."
  ]
})
