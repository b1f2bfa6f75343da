/**
 * A fake HR API that pages the same people in each of the five styles, at `/api/people`:
 *
 * - offset:     `?offset=&limit=`   → `{ data: { items: [...] }, meta: { total } }`
 * - page:       `?page=&per_page=`  → `{ results: [...], page, total_pages }`
 * - cursor:     `?cursor=`          → `{ data: [...], meta: { next_cursor } }`      (opaque base64 cursors)
 * - nextUrl:    `?after=`           → `{ employees: [...], links: { next } }`        (relative next URLs)
 * - linkHeader: `?page=&per_page=`  → `[...]` with `Link: <…>; rel="next", <…>; rel="last"`
 *
 * Faults are injected per page number (1-based): a 500 (forever or `times` times), a dropped connection,
 * a 429 with `Retry-After`, a malformed body, a body without the records array.
 */
import type { ServerResponse } from "node:http"
import { people as makePeople, type Person } from "./people.ts"
import { json, start, type Handler, type Request, type TestServer } from "./server.ts"

export type Style = "offset" | "page" | "cursor" | "nextUrl" | "linkHeader"

export type Fault =
  | { readonly kind: "status500"; readonly page: number; readonly times?: number }
  | { readonly kind: "drop"; readonly page: number; readonly times?: number }
  | {
      readonly kind: "rateLimit"
      readonly page: number
      readonly times?: number
      readonly headers: Readonly<Record<string, string>>
    }
  | { readonly kind: "malformed"; readonly page: number }
  | { readonly kind: "noRecords"; readonly page: number }
  | { readonly kind: "rateLimitHeaders"; readonly page: number; readonly headers: Readonly<Record<string, string>> }

export interface PagingOptions {
  readonly style: Style
  readonly total: number
  readonly pageSize?: number
  readonly faults?: ReadonlyArray<Fault>
  /** Report this total instead of the real one (offset style `meta.total`). */
  readonly reportedTotal?: number
  /** Cursor/nextUrl/link styles: page N's next points back at page 1 (a loop). */
  readonly loopAfter?: number
  /** nextUrl style: next links point at this origin instead. */
  readonly nextOrigin?: string
  /** Refuse the request (401) unless this returns true. */
  readonly authorize?: (request: Request) => boolean
}

export const PATH = "/api/people"

const encodeCursor = (offset: number) => Buffer.from(`offset:${offset}`).toString("base64url")
const decodeCursor = (cursor: string) => Number(Buffer.from(cursor, "base64url").toString("utf8").split(":")[1])

/** Which page (1-based) a request asks for, and the slice of people it gets. */
const locate = (style: Style, url: URL, size: number): { readonly page: number; readonly offset: number } => {
  const q = url.searchParams
  switch (style) {
    case "offset": {
      const offset = Number(q.get("offset") ?? 0)
      return { page: Math.floor(offset / size) + 1, offset }
    }
    case "page":
    case "linkHeader": {
      const page = Number(q.get("page") ?? 1)
      return { page, offset: (page - 1) * size }
    }
    case "cursor": {
      const cursor = q.get("cursor")
      const offset = cursor === null ? 0 : decodeCursor(cursor)
      return { page: Math.floor(offset / size) + 1, offset }
    }
    case "nextUrl": {
      const after = q.get("after")
      const offset = after === null ? 0 : Number(after)
      return { page: Math.floor(offset / size) + 1, offset }
    }
  }
}

export const pagingHandler = (options: PagingOptions): Handler & { readonly people: ReadonlyArray<Person> } => {
  const everyone = makePeople(options.total)
  const attempts = new Map<number, number>()
  const handler = (request: Request, response: ServerResponse) => {
    if (request.url.pathname !== PATH) return json(response, 404, { error: "not found" })
    if (options.authorize !== undefined && !options.authorize(request)) {
      return json(response, 401, { error: "unauthorized" })
    }
    const size =
      options.style === "offset"
        ? Number(request.url.searchParams.get("limit") ?? options.pageSize ?? 10)
        : options.style === "page" || options.style === "linkHeader"
          ? Number(request.url.searchParams.get("per_page") ?? options.pageSize ?? 10)
          : (options.pageSize ?? 10)
    const { page, offset } = locate(options.style, request.url, size)
    const attempt = (attempts.get(page) ?? 0) + 1
    attempts.set(page, attempt)
    let extraHeaders: Record<string, string> = {}
    for (const fault of options.faults ?? []) {
      if (fault.page !== page) continue
      const active = !("times" in fault) || fault.times === undefined || attempt <= fault.times
      if (!active) continue
      switch (fault.kind) {
        case "status500":
          return json(response, 500, { error: "internal" })
        case "drop":
          return void response.socket?.destroy()
        case "rateLimit":
          return json(response, 429, { error: "slow down" }, { ...fault.headers })
        case "malformed":
          response.writeHead(200, { "content-type": "application/json" })
          return void response.end('{"data": {"items": [{"id": "E0001", "email": ')
        case "noRecords":
          return json(response, 200, { error: "temporarily unavailable" })
        case "rateLimitHeaders":
          extraHeaders = { ...fault.headers }
      }
    }
    const slice = everyone.slice(offset, offset + size)
    const end = offset + slice.length
    const more = end < everyone.length
    const looping = options.loopAfter !== undefined && page >= options.loopAfter
    const origin = `http://${request.headers.host ?? "127.0.0.1"}`
    switch (options.style) {
      case "offset":
        return json(response, 200, { data: { items: slice }, meta: { total: options.reportedTotal ?? everyone.length } }, extraHeaders)
      case "page":
        return json(response, 200, { results: slice, page, total_pages: Math.ceil(everyone.length / size) }, extraHeaders)
      case "cursor":
        return json(
          response,
          200,
          { data: slice, meta: { next_cursor: looping ? encodeCursor(0) : more ? encodeCursor(end) : null } },
          extraHeaders
        )
      case "nextUrl": {
        const next = looping ? `${PATH}?after=0` : more ? `${PATH}?after=${end}` : null
        return json(
          response,
          200,
          { employees: slice, links: { next: next !== null && options.nextOrigin !== undefined ? `${options.nextOrigin}${next}` : next } },
          extraHeaders
        )
      }
      case "linkHeader": {
        const link = (p: number, rel: string) => `<${origin}${PATH}?page=${p}&per_page=${size}>; rel="${rel}"`
        const last = Math.max(1, Math.ceil(everyone.length / size))
        const links = [looping ? link(1, "next") : more ? link(page + 1, "next") : undefined, link(last, "last")].filter(
          (l): l is string => l !== undefined
        )
        return json(response, 200, slice, { ...extraHeaders, link: links.join(", ") })
      }
    }
  }
  return Object.assign(handler, { people: everyone })
}

export interface PagingServer extends TestServer {
  readonly people: ReadonlyArray<Person>
}

export const startPaging = async (options: PagingOptions): Promise<PagingServer> => {
  const handler = pagingHandler(options)
  const server = await start(handler)
  return { ...server, people: handler.people }
}

/** The `source` config that reads `server` in `style` (records, paging and stop rules as a user would write them). */
export const configFor = (style: Style, url: string, pageSize = 10): Record<string, unknown> => {
  const base = { baseUrl: `${url}/api`, path: "/people" }
  switch (style) {
    case "offset":
      return {
        ...base,
        records: "$.data.items[*]",
        pagination: { type: "offset", limit: pageSize, totalPath: "$.meta.total" }
      }
    case "page":
      return {
        ...base,
        records: "/results",
        pagination: { type: "page", pageParam: "page", sizeParam: "per_page", size: pageSize, totalPagesPath: "/total_pages" }
      }
    case "cursor":
      return { ...base, records: "$.data", pagination: { type: "cursor", cursorPath: "$.meta.next_cursor", cursorParam: "cursor" } }
    case "nextUrl":
      return { ...base, records: "/employees", pagination: { type: "nextUrl", nextUrlPath: "/links/next" } }
    case "linkHeader":
      return { ...base, query: { per_page: pageSize }, records: "", pagination: { type: "linkHeader" } }
  }
}
