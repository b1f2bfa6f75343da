/**
 * SAP SuccessFactors: the OData v2 `User` entity (`/odata/v2/User?$format=json`) with `$select`, `$expand` and a
 * `$filter` that includes inactive users, rows under `d.results`, server-driven paging by following `d.__next`,
 * HTTP Basic as `user@companyId`.
 */
import { z } from "zod"
import { definePreset, presetSecret, type RawRestConfig } from "../Preset.ts"

const COLUMNS = {
  employee_id: "userId",
  first_name: "firstName",
  last_name: "lastName",
  preferred_name: "nickname",
  email: "email",
  title: "title",
  department: "department",
  manager_id: "$.manager.userId",
  start_date: "hireDate",
  end_date: "$.empInfo.endDate",
  status: "status"
}

const SELECT = "userId,firstName,lastName,nickname,email,title,department,hireDate,status,manager/userId"

export const successfactors = definePreset({
  id: "successfactors",
  displayName: "SAP SuccessFactors",
  description:
    "OData v2 `User` with `$select`/`$filter` (active and inactive users), server-driven paging through `__next`, Basic auth as user@companyId.",
  params: {
    apiServer: z.url().meta({
      description:
        "Your data center's API server, e.g. https://api4.successfactors.com (SAP's list of API servers per data center)."
    }),
    companyId: z
      .string()
      .min(1)
      .meta({ description: "The SuccessFactors company id (shown on the login page / Show Version)." }),
    username: z
      .string()
      .min(1)
      .meta({ description: "An API user with OData API access and read permission on users." }),
    password: presetSecret("The API user's password."),
    includeInactive: z.boolean().default(true).meta({
      description: "Also read inactive users (`status in 't','f'`), so leavers are seen (default true)."
    })
  },
  expand: ({ apiServer, companyId, username, password, includeInactive }): RawRestConfig => ({
    baseUrl: `${apiServer.replace(/\/+$/, "")}/odata/v2`,
    path: "/User",
    query: {
      $format: "json",
      $select: SELECT,
      $expand: "manager",
      ...(includeInactive ? { $filter: "status in 't','f'" } : {})
    },
    records: "$.d.results[*]",
    fields: COLUMNS,
    auth: { type: "basic", username: `${username}@${companyId}`, password },
    pagination: { type: "nextUrl", nextUrlPath: "$.d.__next" },
    retry: { maxRetries: 5, baseDelayMs: 1000, maxDelayMs: 60_000 },
    authHelp:
      "SuccessFactors refused the API user (source.username, source.companyId, source.password): check the user name and company id (sent as user@companyId), the password, and that the user has the OData API and user read permissions"
  }),
  env: [{ name: "SF_API_PASSWORD", description: "the SuccessFactors API user's password", secret: true }],
  source: `source:
  type: rest
  preset: successfactors            # SAP SuccessFactors OData v2 User, active and inactive
  apiServer: https://api4.successfactors.com
  companyId: your-company-id
  username: okta_api
  password: \${SF_API_PASSWORD}      # or SF_API_PASSWORD_FILE=/run/secrets/sf
  # Employee Central: the employment end date too (adds empInfo to the query):
  # query: { $select: "userId,firstName,lastName,nickname,email,title,department,hireDate,status,manager/userId,empInfo/endDate", $expand: "manager,empInfo" }`,
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
        // OData v2 dates are /Date(<epoch ms>)/
        startDate:
          "start_date ? $fromMillis($number($match(start_date, /-?[0-9]+/).match), '[Y0001]-[M01]-[D01]') : null",
        endDate:
          "end_date ? $fromMillis($number($match(end_date, /-?[0-9]+/).match), '[Y0001]-[M01]-[D01]') : null",
        employmentStatus: "status"
      }
    },
    filter: [{ name: "inactive", include: "status != 'f' and status != 'inactive'" }],
    attributes: {
      title: { maxLength: 100 },
      department: { maxLength: 100 },
      managerId: { maxLength: 100 },
      startDate: { maxLength: 10 },
      endDate: { maxLength: 10 },
      employmentStatus: { maxLength: 20 }
    }
  },
  references: [
    {
      title:
        "SAP KBA 2736579: How to query different types of users via the User entity (status values, $filter)",
      url: "https://userapps.support.sap.com/sap/support/knowledge/en/2736579",
      read: "2026-12-07"
    },
    {
      title: "SAP KBA 2166571: How to query inactive users on the User entity",
      url: "https://apps.support.sap.com/sap/support/knowledge/public/E/2166571",
      read: "2026-12-07"
    },
    {
      title: "SAP KBA 2735876: SuccessFactors OData API best practices (server-side pagination)",
      url: "https://help.salesforce.com/s/articleView?id=001121144&language=en_US&type=1",
      read: "2026-12-07"
    },
    {
      title: "SAP KBA 2675265: $top/$skip client-side pagination and why server-side is preferred",
      url: "https://userapps.support.sap.com/sap/support/knowledge/en/2675265",
      read: "2026-12-07"
    }
  ],
  notes: [
    "**Auth**: HTTP Basic with `username@companyId` and the password of an API user with OData API access. OAuth 2.0 with a SAML bearer assertion (SuccessFactors' other option) is a **follow-up**: it needs a signed SAML assertion exchanged at `/oauth/token`, which the REST source's OAuth grants do not cover yet.",
    "**Records**: `GET /odata/v2/User?$format=json&$select=…&$expand=manager&$filter=status in 't','f'`; rows are under `d.results`. Without a `$filter` on `status`, the `User` entity returns active users only (SAP KBA 2736579), so a leaver would just disappear; with it they arrive as `status: f` and the default filter deactivates them. (External 360/Learning users have other status letters; extend the filter through `query` if you need them.)",
    "**Paging**: server-driven: each page's `d.__next` is the absolute URL of the next one (with a `$skiptoken`); the read follows it until it is absent, and refuses a next URL on another origin. An empty page that still has a `__next` is followed.",
    "**Dates**: OData v2 JSON dates are `/Date(1577836800000)/`; the default mapping converts them to `YYYY-MM-DD`.",
    "**PerPerson / Employee Central**: the preset reads the `User` entity, present in every SuccessFactors instance. For Employee Central entities (`PerPerson`, `EmpEmployment`) override `path`, `query` and `fields`; e.g. the employment end date comes with `$expand=manager,empInfo` and `empInfo/endDate` (see the starter's comment).",
    "**Rate limits**: SuccessFactors may throttle with 429 and `Retry-After`; it is waited out, then fails as `RateLimited`."
  ]
})
