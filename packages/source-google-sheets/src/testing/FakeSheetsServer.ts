/**
 * A local, Google Sheets API v4–compatible HTTP server for tests (node:http on 127.0.0.1, port 0 by default).
 * The real `@googleapis/sheets` client talks to it through `rootUrl`; the OAuth clients of google-auth-library
 * take their tokens from its `/token` endpoint.
 *
 * It implements what the anysource adapter uses, shaped like Google's answers:
 * - `GET /v4/spreadsheets/{id}`: metadata (properties, sheets with `gridProperties`, merges), and grid data
 *   (`effectiveValue`, `formattedValue`, `effectiveFormat.numberFormat`) for `ranges` when `includeGridData=true`
 *   or `fields` asks for `data`;
 * - `GET /v4/spreadsheets/{id}/values/{range}` and `GET /v4/spreadsheets/{id}/values:batchGet?ranges=…`: A1 ranges
 *   (`Sheet!A3:F`, `'My sheet'!B:D`, `3:100`, a bare sheet title), `valueRenderOption` (FORMATTED_VALUE,
 *   UNFORMATTED_VALUE), `dateTimeRenderOption` (SERIAL_NUMBER, FORMATTED_STRING), `majorDimension: ROWS`;
 *   trailing empty cells and rows left out, ranges clipped to the grid;
 * - `POST /token`: the OAuth 2.0 refresh-token grant and the service-account JWT-bearer grant (RS256 assertion
 *   verified against the registered public key);
 * - auth like Google's: `key=` API keys (public sheets only), Bearer tokens (issued or static, with expiry and
 *   scopes), per-spreadsheet readers; errors in Google's JSON shape (`{ error: { code, message, status, details } }`);
 * - a per-minute request quota answering 429 RESOURCE_EXHAUSTED, and injected faults (`failNext`);
 * - an API to edit cells, insert/delete rows and rename sheets between calls, and an `onRequest` hook that runs
 *   after each answer (to edit a sheet in the middle of a paged read).
 */
import { createPublicKey, randomBytes, verify as verifySignature } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { columnLetter, formatRange, parseRange, quoteSheet } from "../internal/a1.ts"
import { toSerial } from "../SheetDates.ts"

export const READONLY_SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
const READ_SCOPES = new Set([
  READONLY_SCOPE,
  "https://www.googleapis.com/auth/spreadsheets",
  "https://www.googleapis.com/auth/drive",
  "https://www.googleapis.com/auth/drive.readonly",
  "https://www.googleapis.com/auth/drive.file"
])
/** The audience google-auth-library signs service-account assertions for. */
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"

// ---------------------------------------------------------------------------------------------------------------
// data model

export type NumberFormatType =
  | "TEXT"
  | "NUMBER"
  | "PERCENT"
  | "CURRENCY"
  | "DATE"
  | "TIME"
  | "DATE_TIME"
  | "SCIENTIFIC"

/** One cell: its value, how Sheets displays it (`formatted`), and its number format type. */
export interface Cell {
  readonly value: string | number | boolean
  readonly formatted?: string
  readonly type?: NumberFormatType
}

/** What tests write into cells: a plain value, or a `Cell`. Empty: `""`, `null` or `undefined`. */
export type CellInput = string | number | boolean | null | undefined | Cell

/** A date cell: stored as its serial number, shown as `formatted` (`dateCell("2024-03-01", "3/1/2024")`). */
export const dateCell = (iso: string, formatted: string): Cell => ({
  value: toSerial(iso),
  formatted,
  type: iso.includes("T") ? "DATE_TIME" : "DATE"
})

export interface SheetInit {
  readonly title: string
  readonly sheetId?: number
  /** Rows from row 1; each an array of cells from column A. */
  readonly rows?: ReadonlyArray<ReadonlyArray<CellInput>>
  /** Grid size (default: at least 1000 × 26, grown to fit `rows`, like a new Google sheet). */
  readonly rowCount?: number
  readonly columnCount?: number
  /** Merged ranges in A1 notation (without the sheet), e.g. `A1:F1`; reported in metadata. */
  readonly merges?: ReadonlyArray<string>
}

export interface SpreadsheetInit {
  readonly id: string
  readonly title?: string
  readonly timeZone?: string
  readonly locale?: string
  readonly sheets: ReadonlyArray<SheetInit>
  /** Anyone with the link can view (API keys work only on such sheets). Default false. */
  readonly public?: boolean
  /** Principals (service-account emails, OAuth users) that may read it. Default: every authenticated caller. */
  readonly readers?: ReadonlyArray<string>
}

interface Sheet {
  title: string
  sheetId: number
  rowCount: number
  columnCount: number
  rows: Array<Array<Cell | undefined>>
  merges: Array<string>
}

interface Spreadsheet {
  id: string
  title: string
  timeZone: string
  locale: string
  sheets: Array<Sheet>
  public: boolean
  readers: Set<string> | undefined
}

// ---------------------------------------------------------------------------------------------------------------
// options and the public handle

export interface StaticToken {
  readonly token: string
  readonly principal: string
  readonly scopes?: ReadonlyArray<string>
  /** Epoch millis (server clock); default never. */
  readonly expiresAt?: number
}

export interface OAuthClient {
  readonly clientId: string
  readonly clientSecret: string
  readonly refreshToken: string
  /** Who the refresh token belongs to (checked against `readers`). Default `user@example.com`. */
  readonly principal?: string
  /** Scopes granted at consent. Default: spreadsheets.readonly. */
  readonly scopes?: ReadonlyArray<string>
}

export interface ServiceAccount {
  readonly email: string
  /** PEM (SPKI) public key matching the key file's `private_key`. */
  readonly publicKey: string
}

export interface Options {
  readonly port?: number
  readonly apiKeys?: ReadonlyArray<string>
  readonly accessTokens?: ReadonlyArray<StaticToken>
  readonly oauthClients?: ReadonlyArray<OAuthClient>
  readonly serviceAccounts?: ReadonlyArray<ServiceAccount>
  /** Lifetime of issued access tokens (default 3600 s). */
  readonly tokenLifetimeSeconds?: number
  /** Read requests allowed per minute (per server, like Google's per-user quota); default unlimited. */
  readonly requestsPerMinute?: number
  /** The server's clock (epoch millis): token expiry and quota windows. Default `Date.now`. */
  readonly now?: () => number
  readonly spreadsheets?: ReadonlyArray<SpreadsheetInit>
}

export type RequestKind = "metadata" | "values" | "batchGet" | "token" | "other"

export interface RequestLogEntry {
  readonly seq: number
  readonly method: string
  readonly path: string
  readonly kind: RequestKind
  readonly spreadsheetId?: string
  /** A1 ranges asked for (values, batchGet, metadata `ranges`). */
  readonly ranges: ReadonlyArray<string>
  readonly query: Readonly<Record<string, ReadonlyArray<string>>>
  readonly status: number
  /** `apikey`, a principal, or undefined when the caller was not authenticated. */
  readonly principal?: string
  /** Authorization scheme used: `key`, `bearer` or none. */
  readonly credential?: "key" | "bearer"
  /** Rows returned (values and batchGet). */
  readonly rows?: number
  /** Scopes of the access token issued (token requests). */
  readonly scopes?: ReadonlyArray<string>
  /** The grant type (token requests). */
  readonly grantType?: string
}

export interface Fault {
  /** Status to answer with; 200 with `delayMillis` serves the real answer late. */
  readonly status: number
  /** Wait this long (real time) before answering: a slow or hanging server. */
  readonly delayMillis?: number
  /** Only requests of this kind (default: any Sheets API request, never `token`). */
  readonly kind?: RequestKind
  readonly headers?: Readonly<Record<string, string>>
}

export interface FakeSheetsServer {
  /** `http://127.0.0.1:PORT/`: pass as `rootUrl`. */
  readonly url: string
  /** `http://127.0.0.1:PORT/token`: the OAuth token endpoint. */
  readonly tokenUrl: string
  readonly port: number
  readonly requests: ReadonlyArray<RequestLogEntry>
  /** Requests of a kind (or all Sheets API requests, not counting `token`). */
  count(kind?: RequestKind): number
  /** Responses with this status so far. */
  countStatus(status: number): number
  /** Forget the request log. */
  clearLog(): void
  addSpreadsheet(init: SpreadsheetInit): void
  removeSpreadsheet(id: string): void
  /** Set one cell (`"B7"`); grows the grid when needed. */
  setCell(spreadsheetId: string, sheet: string, cell: string, value: CellInput): void
  /** Replace rows from `startRow` (1-based), growing the grid when needed. */
  setRows(
    spreadsheetId: string,
    sheet: string,
    startRow: number,
    rows: ReadonlyArray<ReadonlyArray<CellInput>>
  ): void
  /** Insert `count` empty rows before `beforeRow` (rows shift down; the grid grows). */
  insertRows(spreadsheetId: string, sheet: string, beforeRow: number, count?: number): void
  /** Delete `count` rows from `row` (rows shift up; the grid shrinks). */
  deleteRows(spreadsheetId: string, sheet: string, row: number, count?: number): void
  renameSheet(spreadsheetId: string, from: string, to: string): void
  setPublic(spreadsheetId: string, isPublic: boolean): void
  setReaders(spreadsheetId: string, readers: ReadonlyArray<string> | undefined): void
  /** Change the quota (undefined: unlimited). The current minute's count is kept. */
  setQuota(requestsPerMinute: number | undefined): void
  /** The next `count` matching requests fail with the fault's status (429, 500, 503…) and Google's error body. */
  failNext(count: number, fault: Fault): void
  /** Drop every pending injected fault. */
  clearFaults(): void
  /** Revoke an OAuth refresh token: refreshing with it gives `invalid_grant`. */
  revokeRefreshToken(refreshToken: string): void
  /** Expire every issued access token now. */
  expireTokens(): void
  /** Called after each response is decided (before it is written): edit the sheet here to race a reader. */
  onRequest(listener: (entry: RequestLogEntry) => void): () => void
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

const isEmptyInput = (v: CellInput): boolean => v === undefined || v === null || v === ""

const toCell = (v: CellInput): Cell | undefined => {
  if (isEmptyInput(v)) return undefined
  if (typeof v === "object" && v !== null) return v
  return { value: v as string | number | boolean }
}

const formattedOf = (cell: Cell): string =>
  cell.formatted ?? (typeof cell.value === "boolean" ? (cell.value ? "TRUE" : "FALSE") : String(cell.value))

const isDateType = (type: NumberFormatType | undefined) =>
  type === "DATE" || type === "TIME" || type === "DATE_TIME"

type ValueRender = "FORMATTED_VALUE" | "UNFORMATTED_VALUE" | "FORMULA"
type DateRender = "SERIAL_NUMBER" | "FORMATTED_STRING"

const render = (
  cell: Cell | undefined,
  valueRender: ValueRender,
  dateRender: DateRender
): string | number | boolean => {
  if (cell === undefined) return ""
  if (valueRender === "FORMATTED_VALUE") return formattedOf(cell)
  if (isDateType(cell.type) && dateRender === "FORMATTED_STRING") return formattedOf(cell)
  return cell.value
}

class HttpProblem {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {}
  ) {}
}

const statusNames: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED"
}

/** Google's error JSON: `{ error: { code, message, status, details: [ErrorInfo] } }`. */
export const googleError = (
  code: number,
  message: string,
  reason?: string,
  metadata?: Readonly<Record<string, string>>
): { readonly error: Record<string, unknown> } => ({
  error: {
    code,
    message,
    status: statusNames[code] ?? (code >= 500 ? "INTERNAL" : "FAILED_PRECONDITION"),
    ...(reason
      ? {
          details: [
            {
              "@type": "type.googleapis.com/google.rpc.ErrorInfo",
              reason,
              domain: "googleapis.com",
              metadata: { service: "sheets.googleapis.com", ...metadata }
            }
          ]
        }
      : {})
  }
})

const problem = (code: number, message: string, reason?: string, metadata?: Record<string, string>) =>
  new HttpProblem(code, googleError(code, message, reason, metadata))

const faultMessages: Record<number, string> = {
  429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
  500: "Internal error encountered.",
  502: "Bad Gateway",
  503: "The service is currently unavailable.",
  504: "The request timed out. Please try again."
}

const b64urlJson = (part: string): unknown => JSON.parse(Buffer.from(part, "base64url").toString("utf8"))

// ---------------------------------------------------------------------------------------------------------------
// the server

/** Start the fake on 127.0.0.1 (port 0 = any free port). Close it with `close()`. */
export const start = async (options: Options = {}): Promise<FakeSheetsServer> => {
  const now = options.now ?? Date.now
  const spreadsheets = new Map<string, Spreadsheet>()
  const apiKeys = new Set(options.apiKeys ?? [])
  const tokens = new Map<string, { principal: string; scopes: ReadonlyArray<string>; expiresAt: number }>()
  for (const t of options.accessTokens ?? []) {
    tokens.set(t.token, {
      principal: t.principal,
      scopes: t.scopes ?? [READONLY_SCOPE],
      expiresAt: t.expiresAt ?? Number.POSITIVE_INFINITY
    })
  }
  const oauthClients = new Map((options.oauthClients ?? []).map((c) => [c.clientId, c]))
  const revoked = new Set<string>()
  const serviceAccounts = new Map((options.serviceAccounts ?? []).map((s) => [s.email, s]))
  const lifetime = options.tokenLifetimeSeconds ?? 3600
  let quota = options.requestsPerMinute
  let quotaWindow = -1
  let quotaUsed = 0
  const faults: Array<Fault & { remaining: number }> = []
  const log: Array<RequestLogEntry> = []
  const listeners = new Set<(entry: RequestLogEntry) => void>()
  let seq = 0
  let nextSheetId = 1

  const makeSheet = (init: SheetInit, index: number): Sheet => {
    const rows = (init.rows ?? []).map((row) => row.map(toCell))
    const widest = rows.reduce((w, r) => Math.max(w, r.length), 0)
    return {
      title: init.title,
      sheetId: init.sheetId ?? (index === 0 ? 0 : nextSheetId++ * 1_000_003),
      rowCount: Math.max(init.rowCount ?? 1000, rows.length),
      columnCount: Math.max(init.columnCount ?? 26, widest),
      rows,
      merges: [...(init.merges ?? [])]
    }
  }

  const addSpreadsheet = (init: SpreadsheetInit) => {
    spreadsheets.set(init.id, {
      id: init.id,
      title: init.title ?? "Untitled spreadsheet",
      timeZone: init.timeZone ?? "Etc/GMT",
      locale: init.locale ?? "en_US",
      sheets: init.sheets.map(makeSheet),
      public: init.public ?? false,
      readers: init.readers ? new Set(init.readers) : undefined
    })
  }
  for (const s of options.spreadsheets ?? []) addSpreadsheet(s)

  const spreadsheetOf = (id: string): Spreadsheet => {
    const s = spreadsheets.get(id)
    if (!s) throw new Error(`fake: no spreadsheet ${id}`)
    return s
  }
  const sheetOf = (id: string, title: string): Sheet => {
    const sheet = spreadsheetOf(id).sheets.find((s) => s.title === title)
    if (!sheet) throw new Error(`fake: no sheet ${title} in ${id}`)
    return sheet
  }

  // --- auth -----------------------------------------------------------------------------------------------

  interface Caller {
    readonly principal: string
    readonly credential: "key" | "bearer"
  }

  const authenticate = (req: Http.IncomingMessage, query: URLSearchParams): Caller => {
    const header = req.headers.authorization
    if (header !== undefined) {
      const m = /^Bearer\s+(.+)$/i.exec(header)
      const entry = m ? tokens.get(m[1]!.trim()) : undefined
      if (!entry || entry.expiresAt <= now()) {
        throw problem(
          401,
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
          "ACCESS_TOKEN_TYPE_UNSUPPORTED"
        )
      }
      if (!entry.scopes.some((s) => READ_SCOPES.has(s))) {
        throw problem(
          403,
          "Request had insufficient authentication scopes.",
          "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
          {
            method: "google.apps.sheets.v4.SpreadsheetsService.GetSpreadsheet"
          }
        )
      }
      return { principal: entry.principal, credential: "bearer" }
    }
    const key = query.get("key")
    if (key !== null) {
      if (!apiKeys.has(key))
        throw problem(400, "API key not valid. Please pass a valid API key.", "API_KEY_INVALID")
      return { principal: "apikey", credential: "key" }
    }
    throw problem(403, "The request is missing a valid API key.", "CREDENTIALS_MISSING")
  }

  const authorize = (caller: Caller, spreadsheet: Spreadsheet) => {
    const allowed =
      caller.credential === "key"
        ? spreadsheet.public
        : spreadsheet.public || spreadsheet.readers === undefined || spreadsheet.readers.has(caller.principal)
    if (!allowed) throw problem(403, "The caller does not have permission", "PERMISSION_DENIED")
  }

  const takeQuota = () => {
    if (quota === undefined) return
    const window = Math.floor(now() / 60_000)
    if (window !== quotaWindow) {
      quotaWindow = window
      quotaUsed = 0
    }
    quotaUsed++
    if (quotaUsed > quota) {
      throw problem(429, faultMessages[429]!, "RATE_LIMIT_EXCEEDED", {
        quota_metric: "sheets.googleapis.com/read_requests",
        quota_limit: "ReadRequestsPerMinutePerUser",
        quota_limit_value: String(quota),
        consumer: "projects/000000000000"
      })
    }
  }

  /** Per-request state a fault can set. */
  interface Pending {
    delay: number
  }
  const takeFault = (kind: RequestKind, pending: Pending) => {
    const i = faults.findIndex(
      (f) => f.remaining > 0 && (f.kind === undefined ? kind !== "token" : f.kind === kind)
    )
    if (i < 0) return
    const fault = faults[i]!
    fault.remaining--
    if (fault.remaining === 0) faults.splice(i, 1)
    pending.delay = fault.delayMillis ?? 0
    const status = fault.status
    if (status === 200) return
    throw new HttpProblem(
      status,
      googleError(
        status,
        faultMessages[status] ?? `Injected fault ${status}`,
        status === 429 ? "RATE_LIMIT_EXCEEDED" : undefined
      ),
      fault.headers
    )
  }

  // --- ranges and values -------------------------------------------------------------------------------------

  interface Resolved {
    readonly sheet: Sheet
    readonly startRow: number // 1-based
    readonly endRow: number
    readonly startColumn: number // 0-based
    readonly endColumn: number
  }

  const resolveRange = (spreadsheet: Spreadsheet, text: string): Resolved => {
    const parsed = parseRange(text, (name) => spreadsheet.sheets.some((s) => s.title === name))
    const sheet =
      parsed === undefined
        ? undefined
        : parsed.sheet === undefined
          ? spreadsheet.sheets[0]
          : spreadsheet.sheets.find((s) => s.title === parsed.sheet)
    if (!parsed || !sheet) throw problem(400, `Unable to parse range: ${text}`)
    const startRow = parsed.startRow ?? 1
    const startColumn = parsed.startColumn ?? 0
    if (startRow > sheet.rowCount || startColumn >= sheet.columnCount) {
      throw problem(
        400,
        `Range (${formatRange(sheet.title, startColumn, startRow, parsed.endColumn ?? startColumn, parsed.endRow ?? startRow)}) exceeds grid limits. Max rows: ${sheet.rowCount}, max columns: ${sheet.columnCount}`
      )
    }
    return {
      sheet,
      startRow,
      startColumn,
      endRow: Math.min(parsed.endRow ?? sheet.rowCount, sheet.rowCount),
      endColumn: Math.min(parsed.endColumn ?? sheet.columnCount - 1, sheet.columnCount - 1)
    }
  }

  const valueRange = (r: Resolved, valueRender: ValueRender, dateRender: DateRender) => {
    const values: Array<Array<string | number | boolean>> = []
    for (let row = r.startRow; row <= r.endRow; row++) {
      const cells = r.sheet.rows[row - 1] ?? []
      const out: Array<string | number | boolean> = []
      let last = -1
      for (let col = r.startColumn; col <= r.endColumn; col++) {
        const cell = cells[col]
        out.push(render(cell, valueRender, dateRender))
        if (cell !== undefined) last = out.length - 1
      }
      values.push(out.slice(0, last + 1))
    }
    while (values.length > 0 && values[values.length - 1]!.length === 0) values.pop()
    return {
      range: formatRange(r.sheet.title, r.startColumn, r.startRow, r.endColumn, r.endRow),
      majorDimension: "ROWS",
      ...(values.length > 0 ? { values } : {})
    }
  }

  const renderOptions = (query: URLSearchParams): { valueRender: ValueRender; dateRender: DateRender } => {
    const valueRender = (query.get("valueRenderOption") ?? "FORMATTED_VALUE") as ValueRender
    const dateRender = (query.get("dateTimeRenderOption") ?? "SERIAL_NUMBER") as DateRender
    if (!["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"].includes(valueRender)) {
      throw problem(
        400,
        `Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), "${valueRender}"`
      )
    }
    if (!["SERIAL_NUMBER", "FORMATTED_STRING"].includes(dateRender)) {
      throw problem(
        400,
        `Invalid value at 'date_time_render_option' (type.googleapis.com/google.apps.sheets.v4.DateTimeRenderOption), "${dateRender}"`
      )
    }
    const majorDimension = query.get("majorDimension")
    if (majorDimension !== null && majorDimension !== "ROWS")
      throw problem(400, "fake: only majorDimension=ROWS is implemented")
    return { valueRender, dateRender }
  }

  const gridData = (r: Resolved) => ({
    startRow: r.startRow - 1,
    startColumn: r.startColumn,
    rowData: Array.from({ length: r.endRow - r.startRow + 1 }, (_, i) => {
      const cells = r.sheet.rows[r.startRow - 1 + i] ?? []
      const values = []
      for (let col = r.startColumn; col <= r.endColumn; col++) {
        const cell = cells[col]
        if (cell === undefined) {
          values.push({})
          continue
        }
        const v = cell.value
        values.push({
          effectiveValue:
            typeof v === "number"
              ? { numberValue: v }
              : typeof v === "boolean"
                ? { boolValue: v }
                : { stringValue: v },
          formattedValue: formattedOf(cell),
          ...(cell.type !== undefined ? { effectiveFormat: { numberFormat: { type: cell.type } } } : {})
        })
      }
      return { values }
    })
  })

  const sheetMetadata = (sheet: Sheet, index: number) => ({
    properties: {
      sheetId: sheet.sheetId,
      title: sheet.title,
      index,
      sheetType: "GRID",
      gridProperties: { rowCount: sheet.rowCount, columnCount: sheet.columnCount }
    },
    ...(sheet.merges.length > 0
      ? {
          merges: sheet.merges.flatMap((m) => {
            const p = parseRange(m)
            if (!p) return []
            return [
              {
                sheetId: sheet.sheetId,
                startRowIndex: (p.startRow ?? 1) - 1,
                endRowIndex: p.endRow ?? sheet.rowCount,
                startColumnIndex: p.startColumn ?? 0,
                endColumnIndex: (p.endColumn ?? sheet.columnCount - 1) + 1
              }
            ]
          })
        }
      : {})
  })

  // --- routing -----------------------------------------------------------------------------------------------

  interface Answer {
    readonly status: number
    readonly body: unknown
    readonly headers?: Readonly<Record<string, string>>
    readonly rows?: number
  }

  const handleApi = (
    req: Http.IncomingMessage,
    url: URL,
    note: (patch: Partial<Omit<RequestLogEntry, "seq">>) => void,
    pending: Pending
  ): Answer => {
    const m = /^\/v4\/spreadsheets\/([^/:]+)(?:(\/values\/(.+))|(\/values:batchGet))?$/.exec(url.pathname)
    if (!m) throw problem(404, `Method not found: ${url.pathname}`)
    const id = decodeURIComponent(m[1]!)
    const kind: RequestKind = m[2] !== undefined ? "values" : m[4] !== undefined ? "batchGet" : "metadata"
    const query = url.searchParams
    const ranges = kind === "values" ? [decodeURIComponent(m[3]!)] : query.getAll("ranges")
    note({ kind, spreadsheetId: id, ranges })
    if (req.method !== "GET") throw problem(404, `Method not found: ${req.method} ${url.pathname}`)
    const caller = authenticate(req, query)
    note({ principal: caller.principal, credential: caller.credential })
    takeQuota()
    takeFault(kind, pending)
    const spreadsheet = spreadsheets.get(id)
    if (!spreadsheet) throw problem(404, "Requested entity was not found.")
    authorize(caller, spreadsheet)

    if (kind === "metadata") {
      const fields = query.get("fields") ?? ""
      const withData = query.get("includeGridData") === "true" || /\bdata\b/.test(fields)
      const resolved = ranges.map((r) => resolveRange(spreadsheet, r))
      const sheets =
        resolved.length === 0
          ? spreadsheet.sheets.map((s, i) => sheetMetadata(s, i))
          : spreadsheet.sheets.flatMap((s, i) => {
              const mine = resolved.filter((r) => r.sheet === s)
              if (mine.length === 0) return []
              return [{ ...sheetMetadata(s, i), ...(withData ? { data: mine.map(gridData) } : {}) }]
            })
      return {
        status: 200,
        body: {
          spreadsheetId: spreadsheet.id,
          properties: {
            title: spreadsheet.title,
            locale: spreadsheet.locale,
            autoRecalc: "ON_CHANGE",
            timeZone: spreadsheet.timeZone
          },
          sheets,
          spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${spreadsheet.id}/edit`
        }
      }
    }
    const { valueRender, dateRender } = renderOptions(query)
    if (kind === "values") {
      const body = valueRange(resolveRange(spreadsheet, ranges[0]!), valueRender, dateRender)
      return { status: 200, body, rows: body.values?.length ?? 0 }
    }
    if (ranges.length === 0) throw problem(400, "Must specify at least one range.")
    const valueRanges = ranges.map((r) => valueRange(resolveRange(spreadsheet, r), valueRender, dateRender))
    return {
      status: 200,
      body: { spreadsheetId: spreadsheet.id, valueRanges },
      rows: valueRanges.reduce((n, v) => n + (v.values?.length ?? 0), 0)
    }
  }

  const tokenError = (status: number, error: string, description: string) =>
    new HttpProblem(status, { error, error_description: description })

  const issue = (principal: string, scopes: ReadonlyArray<string>): Answer => {
    const token = `ya29.fake-${randomBytes(18).toString("base64url")}`
    tokens.set(token, { principal, scopes, expiresAt: now() + lifetime * 1000 })
    return {
      status: 200,
      body: { access_token: token, expires_in: lifetime, scope: scopes.join(" "), token_type: "Bearer" }
    }
  }

  const handleToken = (
    form: URLSearchParams,
    note: (patch: Partial<Omit<RequestLogEntry, "seq">>) => void,
    pending: Pending
  ): Answer => {
    const grant = form.get("grant_type")
    note({ kind: "token", ...(grant !== null ? { grantType: grant } : {}) })
    takeFault("token", pending)
    if (grant === "refresh_token") {
      const client = oauthClients.get(form.get("client_id") ?? "")
      if (!client) throw tokenError(401, "invalid_client", "The OAuth client was not found.")
      if (client.clientSecret !== form.get("client_secret"))
        throw tokenError(401, "invalid_client", "Unauthorized")
      const refresh = form.get("refresh_token") ?? ""
      if (refresh !== client.refreshToken || revoked.has(refresh))
        throw tokenError(400, "invalid_grant", "Token has been expired or revoked.")
      const principal = client.principal ?? "user@example.com"
      const scopes = client.scopes ?? [READONLY_SCOPE]
      note({ principal, scopes })
      return issue(principal, scopes)
    }
    if (grant === "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      const assertion = form.get("assertion") ?? ""
      const [h, p, s, extra] = assertion.split(".")
      if (h === undefined || p === undefined || s === undefined || extra !== undefined)
        throw tokenError(400, "invalid_grant", "Invalid JWT.")
      let header: { alg?: string }
      let payload: { iss?: string; scope?: string; aud?: string; exp?: number; iat?: number }
      try {
        header = b64urlJson(h) as typeof header
        payload = b64urlJson(p) as typeof payload
      } catch {
        throw tokenError(400, "invalid_grant", "Invalid JWT.")
      }
      const account = serviceAccounts.get(payload.iss ?? "")
      if (!account) throw tokenError(400, "invalid_grant", "Invalid grant: account not found")
      if (header.alg !== "RS256") throw tokenError(400, "invalid_grant", "Invalid JWT Signature.")
      const valid = verifySignature(
        "RSA-SHA256",
        Buffer.from(`${h}.${p}`),
        createPublicKey(account.publicKey),
        Buffer.from(s, "base64url")
      )
      if (!valid) throw tokenError(400, "invalid_grant", "Invalid JWT Signature.")
      const nowSeconds = Math.floor(now() / 1000)
      if (payload.aud !== GOOGLE_TOKEN_URL && payload.aud !== tokenUrl)
        throw tokenError(400, "invalid_grant", "Invalid JWT: audience")
      if (
        typeof payload.exp !== "number" ||
        typeof payload.iat !== "number" ||
        payload.exp <= nowSeconds - 300 ||
        payload.exp - payload.iat > 3600
      ) {
        throw tokenError(
          400,
          "invalid_grant",
          "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
        )
      }
      const scopes = (payload.scope ?? "").split(/\s+/).filter((x) => x.length > 0)
      note({ principal: account.email, scopes })
      return issue(account.email, scopes)
    }
    throw tokenError(400, "unsupported_grant_type", `Invalid grant_type: ${grant ?? ""}`)
  }

  const readBody = (req: Http.IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
      req.on("error", reject)
    })

  const server = Http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      let entry: Omit<RequestLogEntry, "seq" | "status"> = {
        method: req.method ?? "GET",
        path: url.pathname,
        kind: "other",
        ranges: [],
        query: Object.fromEntries(
          [...new Set(url.searchParams.keys())]
            .filter((k) => k !== "key")
            .map((k) => [k, url.searchParams.getAll(k)])
        )
      }
      const note = (patch: Partial<Omit<RequestLogEntry, "seq">>) => {
        entry = { ...entry, ...patch }
      }
      let answer: Answer
      const pending: Pending = { delay: 0 }
      try {
        if (url.pathname === "/token" && req.method === "POST") {
          answer = handleToken(new URLSearchParams(await readBody(req)), note, pending)
        } else {
          answer = handleApi(req, url, note, pending)
        }
      } catch (error) {
        if (!(error instanceof HttpProblem)) throw error
        answer = { status: error.status, body: error.body, headers: error.headers }
      }
      const logged: RequestLogEntry = {
        ...entry,
        seq: ++seq,
        status: answer.status,
        ...(answer.rows !== undefined ? { rows: answer.rows } : {})
      }
      if (log.length >= 10_000) log.shift()
      log.push(logged)
      for (const listener of listeners) listener(logged)
      const text = JSON.stringify(answer.body)
      if (pending.delay > 0) {
        await new Promise((resolve) => setTimeout(resolve, pending.delay))
        if (res.destroyed || req.socket.destroyed) return
      }
      res.writeHead(answer.status, {
        "content-type": "application/json; charset=UTF-8",
        "content-length": Buffer.byteLength(text),
        ...answer.headers
      })
      res.end(text)
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "application/json; charset=UTF-8" })
      res.end(
        JSON.stringify(
          googleError(500, `fake server bug: ${error instanceof Error ? error.message : String(error)}`)
        )
      )
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}/`
  const tokenUrl = `${url}token`

  const ensureRows = (sheet: Sheet, rowCount: number, columnCount: number) => {
    sheet.rowCount = Math.max(sheet.rowCount, rowCount)
    sheet.columnCount = Math.max(sheet.columnCount, columnCount)
  }

  return {
    url,
    tokenUrl,
    port,
    get requests() {
      return log
    },
    count: (kind) =>
      log.filter((e) => (kind === undefined ? e.kind !== "token" && e.kind !== "other" : e.kind === kind))
        .length,
    countStatus: (status) => log.filter((e) => e.status === status).length,
    clearLog: () => {
      log.length = 0
    },
    addSpreadsheet,
    removeSpreadsheet: (id) => {
      spreadsheets.delete(id)
    },
    setCell: (id, title, cell, value) => {
      const sheet = sheetOf(id, title)
      const p = parseRange(cell)
      if (!p || p.startRow === undefined || p.startColumn === undefined)
        throw new Error(`fake: not a cell: ${cell}`)
      ensureRows(sheet, p.startRow, p.startColumn + 1)
      const row = (sheet.rows[p.startRow - 1] ??= [])
      row[p.startColumn] = toCell(value)
      for (let i = 0; i < p.startRow - 1; i++) sheet.rows[i] ??= []
    },
    setRows: (id, title, startRow, rows) => {
      const sheet = sheetOf(id, title)
      for (let i = 0; i < startRow - 1; i++) sheet.rows[i] ??= []
      rows.forEach((row, i) => {
        sheet.rows[startRow - 1 + i] = row.map(toCell)
      })
      ensureRows(
        sheet,
        startRow - 1 + rows.length,
        rows.reduce((w, r) => Math.max(w, r.length), 0)
      )
    },
    insertRows: (id, title, beforeRow, count = 1) => {
      const sheet = sheetOf(id, title)
      for (let i = sheet.rows.length; i < beforeRow - 1; i++) sheet.rows[i] = []
      sheet.rows.splice(beforeRow - 1, 0, ...Array.from({ length: count }, () => []))
      sheet.rowCount += count
    },
    deleteRows: (id, title, row, count = 1) => {
      const sheet = sheetOf(id, title)
      sheet.rows.splice(row - 1, count)
      sheet.rowCount = Math.max(1, sheet.rowCount - count)
    },
    renameSheet: (id, from, to) => {
      sheetOf(id, from).title = to
    },
    setPublic: (id, isPublic) => {
      spreadsheetOf(id).public = isPublic
    },
    setReaders: (id, readers) => {
      spreadsheetOf(id).readers = readers ? new Set(readers) : undefined
    },
    setQuota: (rpm) => {
      quota = rpm
    },
    failNext: (count, fault) => {
      if (count > 0) faults.push({ ...fault, remaining: count })
    },
    clearFaults: () => {
      faults.length = 0
    },
    revokeRefreshToken: (token) => {
      revoked.add(token)
    },
    expireTokens: () => {
      for (const [token, entry] of tokens)
        tokens.set(token, { ...entry, expiresAt: Math.min(entry.expiresAt, now()) })
    },
    onRequest: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
  }
}

/** A1 helpers the fake uses, handy for tests that build ranges. */
export { columnLetter, quoteSheet }
