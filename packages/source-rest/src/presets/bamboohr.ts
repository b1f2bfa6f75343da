/**
 * BambooHR: a custom report (`POST /v1/reports/custom?format=JSON`, every employee including inactive ones, the
 * fields asked for by name) or the employee directory (`GET /v1/employees/directory`, active employees only),
 * at `https://api.bamboohr.com/api/gateway.php/{companyDomain}/v1`. The API key is the Basic user name with any
 * password. BambooHR throttles with 503 as well as 429 (with `Retry-After`): both are waited out.
 */
import { z } from "zod"
import { definePreset, presetSecret, type RawRestConfig } from "../Preset.ts"

/** Column → BambooHR field name (the custom report asks for exactly the plain names found here). */
const REPORT_FIELDS = {
  employee_id: "id",
  first_name: "firstName",
  last_name: "lastName",
  preferred_name: "preferredName",
  email: "workEmail",
  title: "jobTitle",
  department: "department",
  manager_id: "supervisorEId",
  start_date: "hireDate",
  end_date: "terminationDate",
  status: "status"
}

const isFieldName = (value: unknown): value is string =>
  typeof value === "string" && /^[A-Za-z0-9_.-]+$/.test(value)

export const bamboohr = definePreset({
  id: "bamboohr",
  displayName: "BambooHR",
  description:
    "A custom report of every employee (or the employee directory), API key as Basic auth, fields by name, 503/429 throttling waited out.",
  params: {
    companyDomain: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/i, "the company's BambooHR subdomain, e.g. acme for acme.bamboohr.com")
      .meta({ description: "Your BambooHR subdomain: `acme` for https://acme.bamboohr.com." }),
    apiKey: presetSecret(
      "An API key of a BambooHR user allowed to see the fields (sent as the Basic user name)."
    ),
    report: z.enum(["custom", "directory"]).default("custom").meta({
      description:
        "`custom` (default): a custom report with every employee, active and inactive, so leavers are seen as `status: Inactive`. `directory`: the employee directory (active employees only; needs directory sharing on)."
    })
  },
  expand: ({ companyDomain, apiKey, report }): RawRestConfig => ({
    baseUrl: `https://api.bamboohr.com/api/gateway.php/${companyDomain}/v1`,
    ...(report === "custom"
      ? {
          path: "/reports/custom",
          method: "POST",
          query: { format: "JSON", onlyCurrent: "true" },
          body: { title: "anysource" },
          fields: REPORT_FIELDS
        }
      : { path: "/employees/directory", fields: REPORT_FIELDS }),
    records: "/employees",
    auth: { type: "basic", username: apiKey, password: "x" },
    throttleStatuses: [429, 503],
    retry: { maxRetries: 6, baseDelayMs: 1000, maxDelayMs: 60_000 },
    authHelp:
      "BambooHR refused the API key (source.apiKey): check that it is current (Account → API Keys), that source.companyDomain is your subdomain, and that its user may see the requested fields"
  }),
  // The custom report returns exactly the fields it is asked for: ask for every plain field name `fields` reads,
  // including columns the user added (`fields: { location: location }`).
  finish: (config, { report }) => {
    if (report !== "custom") return config
    const body = (config["body"] ?? {}) as Record<string, unknown>
    if (body["fields"] !== undefined) return config
    const fields = config["fields"]
    const names = Array.isArray(fields)
      ? fields
      : typeof fields === "object" && fields !== null
        ? Object.values(fields)
        : []
    return { ...config, body: { ...body, fields: [...new Set(names.filter(isFieldName))] } }
  },
  env: [{ name: "BAMBOOHR_API_KEY", description: "a BambooHR API key (Account → API Keys)", secret: true }],
  source: `source:
  type: rest
  preset: bamboohr                  # BambooHR custom report: every employee, active and inactive
  companyDomain: your-company       # https://your-company.bamboohr.com
  apiKey: \${BAMBOOHR_API_KEY}       # or BAMBOOHR_API_KEY_FILE=/run/secrets/bamboohr
  # report: directory               # the employee directory instead (active employees only)
  # Any REST key overrides the preset's, e.g. another column (asked for by its BambooHR field name):
  # fields: { location: location, employee_number: employeeNumber }
  # requestsPerSecond: 2`,
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
        // BambooHR writes an empty date as 0000-00-00
        startDate: "start_date = '0000-00-00' ? null : start_date",
        endDate: "end_date = '0000-00-00' ? null : end_date",
        employmentStatus: "status"
      }
    },
    filter: [{ name: "inactive", include: "status != 'Inactive'" }],
    attributes: {
      title: { maxLength: 100 },
      department: { maxLength: 100 },
      managerId: { maxLength: 20 },
      startDate: { maxLength: 10 },
      endDate: { maxLength: 10 },
      employmentStatus: { maxLength: 20 }
    }
  },
  references: [
    {
      title:
        "BambooHR API reference: Getting started (authentication), Request a custom report, Get employee directory",
      url: "https://documentation.bamboohr.com/docs/getting-started",
      read: "2026-12-07",
      note: "could not be opened with the research tool on 2026-12-07; its content is taken as the pages below quote it"
    },
    {
      title: "BambooHR rate limits as integrators document them (503 + Retry-After)",
      url: "https://claudskills.com/skills/bamboohr-rate-limits/SKILL.md",
      read: "2026-12-07"
    },
    {
      title: "PyBambooHR (directory needs directory sharing; fields by name)",
      url: "https://pypi.org/project/PyBambooHR/0.8.0/",
      read: "2026-12-07"
    }
  ],
  notes: [
    "**Auth**: the API key is the HTTP Basic user name, the password is ignored by BambooHR (the preset sends `x`). A refused key is an `Auth` error naming `source.apiKey` and `source.companyDomain`.",
    "**Records**: `report: custom` (default) posts `{ title, fields }` to `/reports/custom?format=JSON&onlyCurrent=true` and reads `employees`; the report holds every employee, active and inactive, so a leaver arrives with `status: Inactive` and the default filter deactivates them in Okta. The fields asked for are the plain BambooHR field names in `fields`: add a column with `fields: { location: location }` and it is asked for too. `report: directory` reads `GET /employees/directory`: active employees only (a leaver simply disappears) and only directory fields (no supervisor id, hire or termination date, status: those columns are null).",
    "**Paging**: neither endpoint pages; one response holds everyone (`maxPageBytes` caps its size, 64 MiB by default).",
    "**Rate limits**: BambooHR does not publish its limits and throttles with `503` and `429`, usually with `Retry-After`: both are waited out (`throttleStatuses: [429, 503]`, up to 6 retries, `maxWaitSeconds`), then fail as `RateLimited`.",
    "**Dates**: BambooHR writes an empty date as `0000-00-00`; the default mapping turns it into null.",
    "The search tool this preset was researched with could not open documentation.bamboohr.com itself; the endpoints, the Basic-auth convention and the field names follow the official API reference pages listed below as integrators quote them, and the throttling behaviour the integrator write-ups listed."
  ]
})
