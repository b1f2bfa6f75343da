/**
 * Pagination as a pure state machine: the first request, then, for each page received, either the next
 * request, the end of the read, or a failure. Five styles: offset/limit, page number, a cursor from the body,
 * a next URL from the body and the RFC 8288 `Link` header.
 *
 * Stop conditions: an empty page (`stopOnEmptyPage`), a short page (`stopOnShortPage`), the total count
 * (`totalPath`) or number of pages (`totalPagesPath`) reached, no next cursor / URL / link. Anything that would
 * silently cut the read short is a failure instead: more pages than `maxPages`, pages that end before the
 * reported total, a cursor or URL that repeats (a loop), a next URL on another origin (credentials would go
 * there), a page that makes no progress.
 */
import LinkHeader from "http-link-header"
import type { Errors } from "@anysource/core"
import type { RestSourceConfig } from "../RestConfig.ts"
import { header, type Headers } from "./rateLimit.ts"
import { kindOf, selectOne } from "./select.ts"
import { joinUrl } from "./url.ts"

export interface PageRequest {
  readonly url: URL
  /** JSON body (POST), already including paging parameters sent in the body. */
  readonly body: unknown
}

export interface PageState {
  readonly request: PageRequest
  /** 1-based number of this page in the read. */
  readonly number: number
  /** Records received before this page. */
  readonly fetched: number
  /** Offset (offset style) or page number (page style) of this page. */
  readonly position: number
  /** The last total the API reported. */
  readonly total: number | undefined
  /** Cursors / URLs already followed (loop detection). */
  readonly seen: ReadonlySet<string>
}

export interface PageResult {
  readonly json: unknown
  readonly headers: Headers
  readonly count: number
}

export type Step =
  | { readonly _tag: "Done"; readonly fetched: number }
  | { readonly _tag: "Next"; readonly state: PageState }
  | { readonly _tag: "Fail"; readonly reason: Errors.SourceErrorReason; readonly message: string }

type Params = Readonly<Record<string, unknown>>

const request = (config: RestSourceConfig, params: Params, paramsIn: "query" | "body"): PageRequest => {
  const url = joinUrl(config.baseUrl, config.path)
  for (const [key, value] of Object.entries(config.query)) url.searchParams.set(key, String(value))
  if (paramsIn === "query") {
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value))
    return { url, body: config.body }
  }
  const base = typeof config.body === "object" && config.body !== null && !Array.isArray(config.body) ? config.body : {}
  return { url, body: { ...base, ...params } }
}

const pagingParams = (config: RestSourceConfig, position: number, cursor?: unknown): Params => {
  const p = config.pagination
  switch (p.type) {
    case "offset":
      return { [p.offsetParam]: position, [p.limitParam]: p.limit }
    case "page":
      return { [p.pageParam]: position, ...(p.sizeParam !== undefined && p.size !== undefined ? { [p.sizeParam]: p.size } : {}) }
    case "cursor":
      return cursor === undefined ? {} : { [p.cursorParam]: cursor }
    default:
      return {}
  }
}

const paramsIn = (config: RestSourceConfig): "query" | "body" => {
  const p = config.pagination
  return p.type === "offset" || p.type === "page" || p.type === "cursor" ? p.in : "query"
}

export const first = (config: RestSourceConfig): PageState => {
  const p = config.pagination
  const position = p.type === "offset" || p.type === "page" ? p.start : 0
  return {
    request: request(config, pagingParams(config, position), paramsIn(config)),
    number: 1,
    fetched: 0,
    position,
    total: undefined,
    seen: new Set()
  }
}

const done = (fetched: number): Step => ({ _tag: "Done", fetched })
const fail = (reason: Errors.SourceErrorReason, message: string): Step => ({ _tag: "Fail", reason, message })

/** A count from the body: a non-negative integer or a string holding one. */
const readCount = (json: unknown, selector: string): number | undefined | "invalid" => {
  const value = selectOne(selector, json)
  if (value === undefined || value === null) return undefined
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : NaN
  return Number.isInteger(n) && n >= 0 ? n : "invalid"
}

const totalPathOf = (config: RestSourceConfig): string | undefined => {
  const p = config.pagination
  return p.type === "none" ? undefined : p.totalPath
}

/**
 * What follows the page just received. `display` turns a URL into the form shown to people (credentials
 * redacted).
 */
export const next = (
  config: RestSourceConfig,
  state: PageState,
  page: PageResult,
  display: (url: URL) => string
): Step => {
  const p = config.pagination
  const where = `page ${state.number} (${display(state.request.url)})`
  const fetched = state.fetched + page.count

  let total = state.total
  const totalPath = totalPathOf(config)
  if (totalPath !== undefined) {
    const reported = readCount(page.json, totalPath)
    if (reported === "invalid") return fail("Decode", `${where}: ${totalPath} is not a record count`)
    if (reported !== undefined) total = reported
    else if (state.number === 1) return fail("Decode", `${where}: no total count at ${totalPath}`)
  }

  const finish = (): Step =>
    total !== undefined && fetched < total
      ? fail(
          "Pagination",
          `${where}: the API reported ${total} records but the pages ended after ${fetched}; refusing a partial read`
        )
      : done(fetched)

  const follow = (nextRequest: PageRequest, position: number, key?: string): Step => {
    if (key !== undefined && state.seen.has(key)) {
      return fail("Pagination", `${where}: the API sent a next page it already sent (a pagination loop)`)
    }
    if (state.number >= config.maxPages) {
      return fail(
        "Pagination",
        `${where}: there are more than maxPages (${config.maxPages}) pages; raise source.maxPages if the API really has that many`
      )
    }
    const seen = key === undefined ? state.seen : new Set([...state.seen, key])
    return {
      _tag: "Next",
      state: { request: nextRequest, number: state.number + 1, fetched, position, total, seen }
    }
  }

  if (p.type === "none") return finish()
  if (page.count === 0 && p.stopOnEmptyPage) return finish()
  if (total !== undefined && fetched >= total) return finish()

  switch (p.type) {
    case "offset": {
      if (p.stopOnShortPage && page.count < p.limit) return finish()
      if (page.count === 0) {
        return fail("Pagination", `${where}: an empty page before the end (offset paging cannot move on)`)
      }
      const position = state.position + page.count
      return follow(request(config, pagingParams(config, position), p.in), position)
    }
    case "page": {
      if (p.totalPagesPath !== undefined) {
        const pages = readCount(page.json, p.totalPagesPath)
        if (pages === "invalid") return fail("Decode", `${where}: ${p.totalPagesPath} is not a page count`)
        if (pages !== undefined && state.position - p.start + 1 >= pages) return finish()
        if (pages === undefined && state.number === 1) return fail("Decode", `${where}: no page count at ${p.totalPagesPath}`)
      }
      if (p.stopOnShortPage && p.size !== undefined && page.count < p.size) return finish()
      const position = state.position + 1
      return follow(request(config, pagingParams(config, position), p.in), position)
    }
    case "cursor": {
      const cursor = selectOne(p.cursorPath, page.json)
      if (cursor === undefined || cursor === null || cursor === "") return finish()
      if (typeof cursor !== "string" && typeof cursor !== "number") {
        return fail("Decode", `${where}: the cursor at ${p.cursorPath} is ${kindOf(cursor)}, expected a string`)
      }
      return follow(request(config, pagingParams(config, 0, cursor), p.in), 0, `cursor:${String(cursor)}`)
    }
    case "nextUrl": {
      const link = selectOne(p.nextUrlPath, page.json)
      if (link === undefined || link === null || link === "") return finish()
      if (typeof link !== "string") {
        return fail("Decode", `${where}: the next URL at ${p.nextUrlPath} is ${kindOf(link)}, expected a string`)
      }
      return followUrl(config, state, link, where, display, follow)
    }
    case "linkHeader": {
      const text = header(page.headers, "link")
      const all = page.headers["link"]
      const value = Array.isArray(all) ? all.join(", ") : text
      if (value === undefined || value === "") return finish()
      let target: string | undefined
      try {
        target = LinkHeader.parse(value).rel(p.rel)[0]?.uri
      } catch (error) {
        return fail("Decode", `${where}: the Link header cannot be parsed (${error instanceof Error ? error.message : String(error)})`)
      }
      if (target === undefined || target === "") return finish()
      return followUrl(config, state, target, where, display, follow)
    }
  }
}

const followUrl = (
  config: RestSourceConfig,
  state: PageState,
  link: string,
  where: string,
  display: (url: URL) => string,
  follow: (request: PageRequest, position: number, key?: string) => Step
): Step => {
  let url: URL
  try {
    url = new URL(link, state.request.url)
  } catch {
    return fail("Decode", `${where}: the next page's URL is not a URL`)
  }
  const origin = new URL(config.baseUrl).origin
  if (url.origin !== origin) {
    return fail(
      "Pagination",
      `${where}: the next page is on another origin (${url.origin}, expected ${origin}); credentials are not sent there`
    )
  }
  return follow({ url, body: state.request.body }, 0, `url:${display(url)}`)
}
