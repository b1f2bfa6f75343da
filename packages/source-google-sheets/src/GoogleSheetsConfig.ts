/**
 * The `source` block of a `type: google-sheets` pipeline (zod; it feeds the JSON Schema and `anysource sources`).
 */
import { Config } from "@anysource/core"
import { parse as parseDate } from "date-fns"
import { z } from "zod"
import { parseRange } from "./internal/a1.ts"

/** The only scope the adapter asks for. */
export const READONLY_SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
/** Google's API root and OAuth token endpoint (overridable with `rootUrl` / `tokenUrl`). */
export const DEFAULT_ROOT_URL = "https://sheets.googleapis.com/"
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"

const ID_PATTERN = /^[A-Za-z0-9_-]{10,}$/

export interface SpreadsheetRef {
  readonly id: string
  /** The `gid` of a sheet URL (`…/edit#gid=123`): that tab, when neither `sheet` nor `range` names one. */
  readonly gid?: number
}

/** `1AbC…` or `https://docs.google.com/spreadsheets/d/1AbC…/edit#gid=42` → `{ id, gid }`. */
export const parseSpreadsheetRef = (text: string): SpreadsheetRef | undefined => {
  const trimmed = text.trim()
  if (ID_PATTERN.test(trimmed)) return { id: trimmed }
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    return undefined
  }
  const m = /\/spreadsheets\/(?:u\/\d+\/)?d\/([A-Za-z0-9_-]+)/.exec(url.pathname)
  if (!m) return undefined
  const gidText = /(?:^|[#&?])gid=(\d+)/.exec(`${url.hash}&${url.search}`)?.[1]
  return { id: m[1]!, ...(gidText !== undefined ? { gid: Number(gidText) } : {}) }
}

const secret = (description: string) => Config.secret().meta({ description, "x-secret": true })

export const ServiceAccountAuth = z
  .strictObject({
    type: z.literal("serviceAccount"),
    key: secret(
      "The service account's JSON key, as downloaded from Google Cloud (write ${GOOGLE_SA_KEY}, or set GOOGLE_SA_KEY_FILE to the key file's path)."
    ).optional(),
    keyFile: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "Path of the JSON key file, relative to the config file (instead of `key`)." })
  })
  .meta({
    description: "A Google Cloud service account; share the spreadsheet with its client_email (Viewer)."
  })

export const OAuthAuth = z
  .strictObject({
    type: z.literal("oauth"),
    clientId: z.string().min(1).meta({ description: "OAuth client ID (…apps.googleusercontent.com)." }),
    clientSecret: secret("OAuth client secret (write ${GOOGLE_CLIENT_SECRET})."),
    refreshToken: secret(
      "Refresh token of a user who can read the sheet, granted the spreadsheets.readonly scope (write ${GOOGLE_REFRESH_TOKEN})."
    )
  })
  .meta({ description: "A user's OAuth 2.0 refresh token (installed-app or web client)." })

export const ApiKeyAuth = z
  .strictObject({
    type: z.literal("apiKey"),
    key: secret(
      "A Google Cloud API key (write ${GOOGLE_API_KEY}). Reads only sheets shared as “Anyone with the link”."
    )
  })
  .meta({ description: "An API key, for public sheets only." })

export const Auth = z
  .discriminatedUnion("type", [ServiceAccountAuth, OAuthAuth, ApiKeyAuth])
  .meta({
    description:
      "How to authenticate: serviceAccount (key or keyFile), oauth (refresh token) or apiKey (public sheets)."
  })

const datePatternProblem = (pattern: string): string | undefined => {
  try {
    parseDate("", pattern, new Date(2000, 0, 1))
    return undefined
  } catch (error) {
    return `"${pattern}" is not a date-fns pattern (${error instanceof Error ? error.message : String(error)}); e.g. yyyy-MM-dd, M/d/yyyy, d MMM yyyy`
  }
}

export const DateHandling = z
  .strictObject({
    columns: z
      .union([z.literal("auto"), z.array(z.string().min(1))])
      .default("auto")
      .meta({
        description:
          'Columns holding dates (header names, before or after `columns` renames), or "auto": every column whose cells Sheets formats as a date (found by probing the cell formats of the first data rows).'
      }),
    formats: z
      .array(
        z
          .string()
          .min(1)
          .superRefine((pattern, context) => {
            const problem = datePatternProblem(pattern)
            if (problem !== undefined) context.addIssue({ code: "custom", message: problem })
          })
      )
      .min(1)
      .default(["yyyy-MM-dd"])
      .meta({
        description:
          "date-fns patterns tried in order on date cells that arrive as text (FORMATTED_VALUE, or typed-in text): e.g. [yyyy-MM-dd, M/d/yyyy, d MMM yyyy]. Serial numbers need none."
      }),
    output: z
      .enum(["date", "datetime"])
      .default("date")
      .meta({
        description:
          "ISO date (2024-03-01) or date and time (2024-03-01T13:30:00, the sheet's wall-clock time)."
      }),
    onInvalid: z
      .enum(["keep", "fail"])
      .default("keep")
      .meta({
        description:
          "A date cell that matches no format: keep its text (validation may flag it), or fail the read (Decode)."
      })
  })
  .meta({
    description:
      "Turn date cells (serial numbers or text) into ISO 8601 dates. Sheets serials count days from 1899-12-30."
  })
export type DateHandling = z.output<typeof DateHandling>

export const GoogleSheetsConfig = z
  .strictObject({
    spreadsheetId: z
      .string()
      .min(1)
      .refine((s) => parseSpreadsheetRef(s) !== undefined, {
        message:
          "expected a spreadsheet ID (the long key in the sheet's URL) or the URL itself: https://docs.google.com/spreadsheets/d/<id>/edit"
      })
      .meta({ description: "The spreadsheet ID, or its full URL (a #gid=… in the URL selects that tab)." }),
    sheet: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "The tab to read, by name (default: the URL's gid, else the first tab)." }),
    range: z
      .string()
      .min(1)
      .refine((r) => parseRange(r) !== undefined, {
        message: "expected an A1 range such as A3:F, People!A:H, 'My sheet'!B2:K500 or 3:2000"
      })
      .optional()
      .meta({
        description:
          "An A1 range to read (People!A3:F, B:K): columns outside it are ignored. Default: the whole tab."
      }),
    headerRow: z.number().int().min(1).optional().meta({
      description:
        "The sheet row number (1-based) holding the column names; rows above it are ignored (titles, merged banners). Default: the first row of the range."
    }),
    valueRenderOption: z
      .enum(["FORMATTED_VALUE", "UNFORMATTED_VALUE"])
      .default("FORMATTED_VALUE")
      .meta({
        description:
          "FORMATTED_VALUE: the text as shown in the sheet. UNFORMATTED_VALUE: raw numbers and booleans."
      }),
    dateTimeRenderOption: z.enum(["SERIAL_NUMBER", "FORMATTED_STRING"]).default("SERIAL_NUMBER").meta({
      description:
        "With UNFORMATTED_VALUE: dates as serial numbers (converted by dateHandling, which then defaults to auto) or as displayed text."
    }),
    dateHandling: DateHandling.optional().meta({
      description:
        "Convert date cells to ISO dates. Default: { columns: auto } with UNFORMATTED_VALUE + SERIAL_NUMBER, otherwise off."
    }),
    skipBlankRows: z
      .boolean()
      .default(true)
      .meta({ description: "Leave out rows whose cells are all empty or whitespace." }),
    columns: z.record(z.string().min(1), z.string().min(1)).default({}).meta({
      description:
        'Rename columns: { "Work e-mail": email }. Keys are header texts, or column letters for columns with an empty header (C).'
    }),
    pageSize: z
      .number()
      .int()
      .min(2)
      .max(100_000)
      .default(5000)
      .meta({
        description:
          "Rows per request. A tab with more rows than this is read in pages, then verified (see consistency)."
      }),
    consistency: z.enum(["full", "edges"]).default("full").meta({
      description:
        "How a paged read proves nobody edited the tab meanwhile: full re-reads every page and compares hashes (2× requests); edges re-reads only the first and last page in one batchGet. Tabs that fit in one page are read atomically."
    }),
    requestsPerMinute: z
      .number()
      .int()
      .min(1)
      .default(60)
      .meta({
        description:
          "Paces requests to stay within the Sheets read quota (default 60/min, Google's per-user limit)."
      }),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(6)
      .meta({
        description:
          "Retries of a request answered 429 or 5xx, or dropped (capped exponential backoff with jitter)."
      }),
    requestTimeoutMs: z
      .number()
      .int()
      .min(1000)
      .default(60_000)
      .meta({ description: "Timeout of one HTTP request." }),
    auth: Auth,
    rootUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .meta({
        description:
          "Advanced: the Sheets API root (a proxy, or a local fake in tests). Default https://sheets.googleapis.com/.",
        "x-advanced": true
      }),
    tokenUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .meta({
        description:
          "Advanced: the OAuth 2.0 token endpoint for oauth and serviceAccount auth (default: the key file's token_uri, else https://oauth2.googleapis.com/token).",
        "x-advanced": true
      })
  })
  .superRefine((config, context) => {
    const range = config.range === undefined ? undefined : parseRange(config.range)
    if (range?.sheet !== undefined && config.sheet !== undefined && range.sheet !== config.sheet) {
      context.addIssue({
        code: "custom",
        path: ["range"],
        message: `range names sheet "${range.sheet}" but sheet is "${config.sheet}": name the tab in one place`
      })
    }
    if (range?.startRow !== undefined && config.headerRow !== undefined) {
      const end = range.endRow
      if (config.headerRow < range.startRow || (end !== undefined && config.headerRow > end)) {
        context.addIssue({
          code: "custom",
          path: ["headerRow"],
          message: `headerRow ${config.headerRow} is outside range ${config.range}: it is a sheet row number and must lie within the range`
        })
      }
    }
    if (config.auth.type === "serviceAccount") {
      const both = config.auth.key !== undefined && config.auth.keyFile !== undefined
      const neither = config.auth.key === undefined && config.auth.keyFile === undefined
      if (both || neither) {
        context.addIssue({
          code: "custom",
          path: ["auth"],
          message: both
            ? "give the service account key once: key (${GOOGLE_SA_KEY}) or keyFile, not both"
            : "a service account needs its JSON key: key: ${GOOGLE_SA_KEY} (or GOOGLE_SA_KEY_FILE), or keyFile: path/to/key.json"
        })
      }
    }
    if (config.tokenUrl !== undefined && config.auth.type === "apiKey") {
      context.addIssue({
        code: "custom",
        path: ["tokenUrl"],
        message: "tokenUrl is for oauth and serviceAccount auth; an API key needs no token"
      })
    }
  })
export type GoogleSheetsConfig = z.output<typeof GoogleSheetsConfig>

/** The date handling in force: the configured one, or auto when the API returns serial numbers. */
export const effectiveDateHandling = (config: GoogleSheetsConfig): DateHandling | undefined =>
  config.dateHandling ??
  (config.valueRenderOption === "UNFORMATTED_VALUE" && config.dateTimeRenderOption === "SERIAL_NUMBER"
    ? DateHandling.parse({})
    : undefined)
