/**
 * Personio: `GET /v1/company/employees` paged with `limit`/`offset` (at most 100 a page, `metadata.total_elements`
 * the total), OAuth 2.0 client credentials from `POST /v2/auth/token`, each attribute an object
 * `{ label, value, type, universal_id }` that the preset flattens to its `value`.
 */
import { z } from "zod"
import { definePreset, presetSecret, type RawRestConfig } from "../Preset.ts"

/** Column → where it is in an employee: `attributes.<name>.value`, references one level deeper. */
const COLUMNS = {
  employee_id: "$.attributes.id.value",
  first_name: "$.attributes.first_name.value",
  last_name: "$.attributes.last_name.value",
  preferred_name: "$.attributes.preferred_name.value",
  email: "$.attributes.email.value",
  title: "$.attributes.position.value",
  department: "$.attributes.department.value.attributes.name",
  manager_id: "$.attributes.supervisor.value.attributes.id.value",
  start_date: "$.attributes.hire_date.value",
  end_date: "$.attributes.termination_date.value",
  status: "$.attributes.status.value"
}

export const personio = definePreset({
  id: "personio",
  displayName: "Personio",
  description:
    "Employees list (`GET /v1/company/employees`) paged with limit/offset, OAuth 2.0 client credentials, attribute objects `{label, value}` flattened to their values.",
  params: {
    clientId: z
      .string()
      .min(1)
      .meta({ description: "The API credential's client id (Settings → Integrations → API credentials)." }),
    clientSecret: presetSecret("The API credential's client secret.")
  },
  expand: ({ clientId, clientSecret }): RawRestConfig => ({
    baseUrl: "https://api.personio.de/v1",
    path: "/company/employees",
    records: "$.data[*]",
    fields: COLUMNS,
    auth: {
      type: "oauth2",
      tokenUrl: "https://api.personio.de/v2/auth/token",
      clientId,
      clientSecret,
      clientAuth: "body"
    },
    pagination: { type: "offset", limit: 100, totalPath: "$.metadata.total_elements" },
    // 300 requests a minute on this endpoint (burst 15 a second)
    requestsPerSecond: 5,
    authHelp:
      "Personio refused the API credential (source.clientId, source.clientSecret): check them under Settings → Integrations → API credentials, and that the credential has read access to employees and to the attributes you map"
  }),
  env: [
    {
      name: "PERSONIO_CLIENT_SECRET",
      description: "the Personio API credential's client secret",
      secret: true
    }
  ],
  source: `source:
  type: rest
  preset: personio                  # Personio employees, 100 a page
  clientId: your-client-id          # Settings → Integrations → API credentials
  clientSecret: \${PERSONIO_CLIENT_SECRET}
  # A custom attribute as another column (its value is flattened like the others):
  # fields: { cost_center: "$.attributes.dynamic_123456.value" }`,
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
        // Personio dates carry a time and offset (2021-03-01T00:00:00+01:00): keep the date
        startDate: "start_date ? $substring(start_date, 0, 10) : null",
        endDate: "end_date ? $substring(end_date, 0, 10) : null",
        employmentStatus: "status"
      }
    },
    filter: [{ name: "inactive", include: "status != 'inactive'" }],
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
      title: "Personio: Pagination adoption guide for V1 GET employees (offset/limit, max 100, metadata)",
      url: "https://developer.personio.de/docs/pagination-adoption-guide-for-v1-get-employees-endpoint",
      read: "2026-12-07"
    },
    {
      title:
        "Personio: Authentication v2 (client credentials token, usable on every personnel data endpoint)",
      url: "https://developer.personio.de/v2.0/reference/authentication",
      read: "2026-12-07"
    },
    {
      title: "Personio: Rate limits on GET Employees (300 requests/min, 429)",
      url: "https://developer.personio.de/changelog/rate-limits-on-get-employees-endpoint-may-6-2024",
      read: "2026-12-07"
    },
    {
      title: "Personio: GET /company/employees reference",
      url: "https://developer.personio.de/reference/get_company-employees",
      read: "2026-12-07"
    }
  ],
  notes: [
    "**Auth**: OAuth 2.0 client credentials at `https://api.personio.de/v2/auth/token` (client id and secret in the form body); Personio documents this token as valid on every personnel data endpoint, v1 included. Tokens are cached until shortly before they expire and fetched again after a 401.",
    "**Paging**: `?offset=0&limit=100`, then the offset plus the records received; `metadata.total_elements` is the total, so a read that ends early (an empty page before the total) fails with `Pagination` instead of deactivating the rest.",
    '**Attributes**: each attribute is `{ label, value, type, universal_id }`; the preset reads `value` (references such as `department` and `supervisor` one level deeper). A custom attribute is another column: `fields: { cost_center: "$.attributes.dynamic_123456.value" }`. Which attributes come back is decided by the API credential\'s settings in Personio: a missing one is a null column.',
    "**Rate limits**: 300 requests a minute on this endpoint: the preset paces itself to 5 a second and waits out a 429 (`Retry-After`, else backoff).",
    "**Leavers**: Personio keeps terminated employees with `status: inactive`; the default filter deactivates them in Okta."
  ]
})
