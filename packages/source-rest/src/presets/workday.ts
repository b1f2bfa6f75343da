/**
 * Workday Report-as-a-Service (RaaS): an Advanced custom report shared with an Integration System User (ISU) and
 * enabled as a web service, read as JSON (`?format=json`, rows under `Report_Entry`) with the ISU's Basic
 * credentials or an API client's refresh token (OAuth 2.0 `refresh_token` grant at `/ccx/oauth2/{tenant}/token`).
 */
import { z } from "zod"
import { definePreset, presetSecret, type RawRestConfig } from "../Preset.ts"

/** Column → the report field's XML alias (name the report's columns like this, or override `fields`). */
const REPORT_COLUMNS = {
  employee_id: "Employee_ID",
  first_name: "Legal_First_Name",
  last_name: "Legal_Last_Name",
  preferred_name: "Preferred_First_Name",
  email: "Work_Email",
  title: "Business_Title",
  department: "Department",
  manager_id: "Manager_Employee_ID",
  start_date: "Hire_Date",
  end_date: "Termination_Date",
  status: "Active_Status"
}

/** `https://host/ccx/service/customreport2/{tenant}/{owner}/{report}` → the tenant's token endpoint. */
const tokenUrlOf = (reportUrl: string): string | undefined => {
  try {
    const url = new URL(reportUrl)
    const parts = url.pathname.split("/").filter((p) => p !== "")
    const at = parts.indexOf("customreport2")
    const tenant = at >= 0 ? parts[at + 1] : undefined
    return tenant === undefined ? undefined : `${url.origin}/ccx/oauth2/${tenant}/token`
  } catch {
    return undefined
  }
}

export const workday = definePreset({
  id: "workday",
  displayName: "Workday (RaaS)",
  description:
    "A custom report published as a web service (Report-as-a-Service), read as JSON `Report_Entry` and streamed; ISU Basic auth or an API client's refresh token; one large response, no paging.",
  params: {
    reportUrl: z.url().meta({
      description:
        "The report's REST URL from Workday (Actions → Web Service → View URLs → JSON), e.g. https://wd2-impl-services1.workday.com/ccx/service/customreport2/acme/ISU_Okta/Okta_Workers. Report prompts may stay in its query."
    }),
    username: z.string().min(1).optional().meta({
      description: "The ISU's user name (Basic auth), e.g. `ISU_Okta` (some tenants want `ISU_Okta@tenant`)."
    }),
    password: presetSecret("The ISU's password (Basic auth).").optional(),
    clientId: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "OAuth: the API client's id (Register API Client for Integrations)." }),
    clientSecret: presetSecret("OAuth: the API client's secret.").optional(),
    refreshToken: presetSecret(
      "OAuth: a (non-expiring) refresh token issued to the ISU for that client."
    ).optional(),
    tokenUrl: z.url().optional().meta({
      description: "OAuth: the token endpoint; default https://<report host>/ccx/oauth2/<tenant>/token."
    })
  },
  check: (params, context) => {
    const basic = params.username !== undefined || params.password !== undefined
    const oauth =
      params.clientId !== undefined || params.clientSecret !== undefined || params.refreshToken !== undefined
    if (basic && oauth) {
      context.addIssue({
        code: "custom",
        path: ["username"],
        message:
          "use either username/password (ISU Basic) or clientId/clientSecret/refreshToken (OAuth), not both"
      })
    } else if (oauth) {
      for (const key of ["clientId", "clientSecret", "refreshToken"] as const) {
        if (params[key] === undefined)
          context.addIssue({
            code: "custom",
            path: [key],
            message: `OAuth needs ${key} (with clientId, clientSecret and refreshToken)`
          })
      }
      if (params.tokenUrl === undefined && tokenUrlOf(params.reportUrl) === undefined) {
        context.addIssue({
          code: "custom",
          path: ["tokenUrl"],
          message:
            "cannot derive the token endpoint from reportUrl (no /customreport2/<tenant>/): set tokenUrl"
        })
      }
    } else {
      if (params.username === undefined)
        context.addIssue({
          code: "custom",
          path: ["username"],
          message: "is required (the ISU's user name), or use clientId/clientSecret/refreshToken"
        })
      if (params.password === undefined)
        context.addIssue({
          code: "custom",
          path: ["password"],
          message: "is required (the ISU's password), or use clientId/clientSecret/refreshToken"
        })
    }
  },
  expand: (params): RawRestConfig => {
    const report = new URL(params.reportUrl)
    const query: Record<string, string> = {}
    for (const [key, value] of report.searchParams) if (key.toLowerCase() !== "format") query[key] = value
    report.search = ""
    const oauth = params.clientId !== undefined
    return {
      baseUrl: report.toString(),
      query: { ...query, format: "json" },
      records: "/Report_Entry",
      fields: REPORT_COLUMNS,
      auth: oauth
        ? {
            type: "oauth2",
            grantType: "refresh_token",
            tokenUrl: params.tokenUrl ?? tokenUrlOf(params.reportUrl),
            clientId: params.clientId,
            clientSecret: params.clientSecret,
            refreshToken: params.refreshToken
          }
        : { type: "basic", username: params.username, password: params.password },
      // RaaS builds the whole report before it answers (give it time), then sends it in one response: parse the
      // workers as they arrive instead of holding the report
      timeoutMs: 600_000,
      stream: true,
      retry: { maxRetries: 3, baseDelayMs: 2000, maxDelayMs: 60_000 },
      authHelp: oauth
        ? "Workday refused the API client or its refresh token (source.clientId, source.clientSecret, source.refreshToken): check the client is registered for integrations with the scope of the report's domain and the refresh token was issued to the ISU and not revoked"
        : "Workday refused the ISU (source.username, source.password): check the user name (with @tenant if your tenant wants it), that the password has not expired, and that the ISU's security group may view the report and its data sources"
    }
  },
  env: [
    {
      name: "WORKDAY_REPORT_URL",
      description: "the report's JSON URL (without ?format=json)",
      secret: false
    },
    { name: "WORKDAY_ISU_PASSWORD", description: "the Integration System User's password", secret: true }
  ],
  source: `source:
  type: rest
  preset: workday                   # a Workday custom report published as a web service (RaaS)
  reportUrl: \${WORKDAY_REPORT_URL}  # …/ccx/service/customreport2/<tenant>/<owner>/<report>
  username: ISU_Okta                # the Integration System User the report is shared with
  password: \${WORKDAY_ISU_PASSWORD} # or WORKDAY_ISU_PASSWORD_FILE=/run/secrets/workday
  # Or an API client's refresh token instead of the password:
  # clientId: your-api-client-id
  # clientSecret: \${WORKDAY_CLIENT_SECRET}
  # refreshToken: \${WORKDAY_REFRESH_TOKEN}
  # The report's columns must carry these XML aliases, or map yours here:
  # fields: { employee_id: Employee_ID, email: Work_Email, department: Cost_Center }`,
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
        employmentStatus: "status = '1' ? 'active' : 'terminated'"
      }
    },
    filter: [{ name: "terminated", include: "status != '0'" }],
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
        "Workday Report-as-a-Service (RaaS) API description (customreport2 URL, format=json, Basic or OAuth)",
      url: "https://apis.apis.io/apis/workday/raas-api/",
      read: "2026-12-07"
    },
    {
      title:
        "Workday RaaS configuration for extraction (ISU, Advanced report, All Active and Terminated Workers)",
      url: "https://versionforge.com/kb/connectors/workday-raas-configuration",
      read: "2026-12-07"
    },
    {
      title: "Workday RaaS integration notes (no pagination, outbound only, large outputs)",
      url: "https://knowledgelib.io/business/erp-integration/workday-raas-integration/2026",
      read: "2026-12-07"
    }
  ],
  notes: [
    "**Workday side (ISU conventions)**: create an Integration System User (and a security group giving it view access to the report's data sources), build an **Advanced** custom report on *All Active and Terminated Workers* (so leavers are seen), tick *Enable As Web Service*, share it with the ISU, and give the columns the XML aliases the preset reads: `Employee_ID`, `Legal_First_Name`, `Legal_Last_Name`, `Preferred_First_Name`, `Work_Email`, `Business_Title`, `Department`, `Manager_Employee_ID`, `Hire_Date`, `Termination_Date`, `Active_Status` (or map your own aliases with `fields`).",
    "**Auth**: the ISU's user name and password as HTTP Basic, or OAuth 2.0: an API client registered for integrations and a refresh token issued to the ISU (`refresh_token` grant at `https://<host>/ccx/oauth2/<tenant>/token`, client id and secret as HTTP Basic). Workday's documentation itself is behind the Workday Community login; the public descriptions listed below were used.",
    '**Records and size**: RaaS does not page: one response (`{ "Report_Entry": [ … ] }`) holds the whole report, built before Workday answers. The preset allows 10 minutes per request (`timeoutMs`) and reads the response as a stream (`stream: true`): each worker is parsed and handed on as its bytes arrive, so a report of any size is read with memory bounded by one chunk of the response, not the size of the report. A response that breaks off midway fails the run (`Connect`, retryable) instead of syncing part of the workforce.',
    "**Prompts**: query parameters already in `reportUrl` (report prompts such as `Effective_as_of_Date`) are sent with every request; `format=json` is added.",
    '**Status**: a boolean column such as *Active Status* arrives as `"1"`/`"0"`; the default filter deactivates people whose `status` is `0`.'
  ]
})
