/**
 * The `rest` source's config (the `source` block minus `type`): the request, where the records are in each
 * page, authentication, pagination, rate limits and transport security. Secrets use core's `Config.secret()`,
 * so they are `Redacted` from the moment the config is read.
 */
import { Config } from "@anysource/core"
import { z } from "zod"
import { presetSchema } from "./Preset.ts"
import { presetIds, presets } from "./presets/index.ts"
import { selectorProblem } from "./internal/select.ts"
import { streamPath } from "./internal/streamRecords.ts"
import { transportAllowed } from "./internal/url.ts"

const Selector = z.string().superRefine((text, context) => {
  const problem = selectorProblem(text)
  if (problem !== undefined) context.addIssue({ code: "custom", message: problem })
})

const ParamsIn = z.enum(["query", "body"]).default("query").meta({
  description: "Where the paging parameters go: the query string, or top-level fields of the JSON body."
})

const totalPath = Selector.optional().meta({
  description:
    "JSONPath / JSON Pointer to the total number of records (e.g. `$.meta.total`). Reaching it ends the read; ending with fewer is a Pagination error."
})

export const OffsetPagination = z.strictObject({
  type: z.literal("offset"),
  offsetParam: z.string().min(1).default("offset").meta({ description: "Name of the offset parameter." }),
  limitParam: z.string().min(1).default("limit").meta({ description: "Name of the page-size parameter." }),
  limit: z.number().int().positive().default(100).meta({ description: "Records asked for per page." }),
  start: z.number().int().min(0).default(0).meta({ description: "Offset of the first page." }),
  in: ParamsIn,
  totalPath,
  stopOnEmptyPage: z.boolean().default(true).meta({ description: "An empty page ends the read." }),
  stopOnShortPage: z.boolean().default(false).meta({
    description:
      "A page with fewer than `limit` records ends the read (only if the API never caps the page size)."
  })
})

export const PagePagination = z.strictObject({
  type: z.literal("page"),
  pageParam: z.string().min(1).default("page").meta({ description: "Name of the page-number parameter." }),
  sizeParam: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "Name of the page-size parameter, if the API takes one." }),
  size: z
    .number()
    .int()
    .positive()
    .optional()
    .meta({ description: "Records asked for per page (sent as `sizeParam`)." }),
  start: z.number().int().min(0).default(1).meta({ description: "Number of the first page." }),
  in: ParamsIn,
  totalPath,
  totalPagesPath: Selector.optional().meta({
    description: "JSONPath / JSON Pointer to the number of pages; reaching it ends the read."
  }),
  stopOnEmptyPage: z.boolean().default(true).meta({ description: "An empty page ends the read." }),
  stopOnShortPage: z
    .boolean()
    .default(false)
    .meta({ description: "A page with fewer than `size` records ends the read (needs `size`)." })
})

export const CursorPagination = z.strictObject({
  type: z.literal("cursor"),
  cursorPath: Selector.meta({
    description:
      'JSONPath / JSON Pointer to the next cursor in the body (e.g. `$.meta.next_cursor`). Missing, null or "" ends the read.'
  }),
  cursorParam: z
    .string()
    .min(1)
    .default("cursor")
    .meta({ description: "Parameter the cursor is sent back in." }),
  in: ParamsIn,
  totalPath,
  stopOnEmptyPage: z
    .boolean()
    .default(false)
    .meta({ description: "An empty page ends the read even if a cursor is given." })
})

export const NextUrlPagination = z.strictObject({
  type: z.literal("nextUrl"),
  nextUrlPath: Selector.meta({
    description:
      "JSONPath / JSON Pointer to the next page's URL in the body (absolute or relative). Missing or null ends the read."
  }),
  totalPath,
  stopOnEmptyPage: z
    .boolean()
    .default(false)
    .meta({ description: "An empty page ends the read even if a next URL is given." })
})

export const LinkHeaderPagination = z.strictObject({
  type: z.literal("linkHeader"),
  rel: z
    .string()
    .min(1)
    .default("next")
    .meta({ description: "The RFC 8288 `Link` relation of the next page." }),
  totalPath,
  stopOnEmptyPage: z
    .boolean()
    .default(false)
    .meta({ description: "An empty page ends the read even if a next link is given." })
})

export const Pagination = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("none") }),
    OffsetPagination,
    PagePagination,
    CursorPagination,
    NextUrlPagination,
    LinkHeaderPagination
  ])
  .default({ type: "none" })
  .meta({ description: "How the API pages: none, offset, page, cursor, nextUrl or linkHeader." })
export type Pagination = z.output<typeof Pagination>

export const OAuth2ClientCredentials = z.strictObject({
  type: z.literal("oauth2"),
  tokenUrl: z.url().meta({ description: "The token endpoint." }),
  grantType: z.enum(["client_credentials", "refresh_token"]).default("client_credentials").meta({
    description:
      "client_credentials (RFC 6749 §4.4), or refresh_token (§6): trade a long-lived refresh token for access tokens (Workday API clients)."
  }),
  clientId: z.string().min(1),
  clientSecret: Config.secret(),
  refreshToken: Config.secret()
    .optional()
    .meta({ description: "The refresh token (grantType: refresh_token).", "x-secret": true }),
  scopes: z
    .array(z.string().min(1))
    .default([])
    .meta({ description: "Scopes to ask for (sent space-separated)." }),
  audience: z.string().min(1).optional().meta({ description: "`audience` parameter (Auth0 and similar)." }),
  params: z
    .record(z.string(), z.string())
    .default({})
    .meta({ description: "Extra form parameters for the token request." }),
  clientAuth: z.enum(["basic", "body"]).default("basic").meta({
    description: "Send the client credentials as HTTP Basic (RFC 6749 §2.3.1) or in the form body."
  }),
  refreshBeforeSeconds: z
    .number()
    .int()
    .min(0)
    .default(60)
    .meta({ description: "Fetch a new token this long before the cached one expires." })
})

export const Auth = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("none") }),
    z.strictObject({
      type: z.literal("basic"),
      username: Config.secret().meta({
        description: "User name (some APIs put the API key here).",
        "x-secret": true
      }),
      password: Config.secret()
    }),
    z.strictObject({ type: z.literal("bearer"), token: Config.secret() }),
    z.strictObject({
      type: z.literal("apiKey"),
      in: z.enum(["header", "query"]).default("header"),
      name: z
        .string()
        .min(1)
        .meta({ description: "Header or query parameter name, e.g. `X-API-Key` or `api_key`." }),
      value: Config.secret(),
      prefix: z
        .string()
        .optional()
        .meta({ description: "Written before the key in a header, e.g. `Token ` (with its space)." })
    }),
    OAuth2ClientCredentials
  ])
  .default({ type: "none" })
  .meta({ description: "none, basic, bearer, apiKey (header or query) or oauth2 (client credentials)." })
export type Auth = z.output<typeof Auth>

const QueryValue = z.union([z.string(), z.number(), z.boolean()])

/** The keys of a plain `rest` source (every one of them may also override a preset's value). */
export const restShape = {
  baseUrl: z.url().meta({
    description: "e.g. https://hr.example.com/api/v2 (HTTPS unless loopback or allowInsecureHttp)."
  }),
  path: z
    .string()
    .refine(
      (path) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(path),
      "must be a path like /employees (put the host in baseUrl)"
    )
    .default("")
    .meta({ description: "Appended to baseUrl, e.g. /employees (may carry a ?query)." }),
  method: z.enum(["GET", "POST"]).default("GET"),
  query: z
    .record(z.string(), QueryValue)
    .default({})
    .meta({ description: "Query parameters of the first request." }),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .meta({ description: "Extra request headers (not for credentials: use `auth`)." }),
  body: z.unknown().optional().meta({ description: "JSON body (POST)." }),
  records: Selector.default("").meta({
    description:
      'Where the records are in each page: a JSONPath (`$.data.items[*]`) or JSON Pointer (`/data/items`); "" = the body is the array.'
  }),
  fields: z
    .union([
      z.array(z.string().min(1)).min(1),
      z.record(
        z.string().min(1),
        z
          .string()
          .min(1)
          .superRefine((text, context) => {
            if (text.startsWith("$") || text.startsWith("/")) {
              const problem = selectorProblem(text)
              if (problem !== undefined) context.addIssue({ code: "custom", message: problem })
            }
          })
      )
    ])
    .optional()
    .meta({
      description:
        "Keep only these keys of each record (a list), or build each row as { column: key | JSONPath | JSON Pointer } (renames, nested values)."
    }),
  auth: Auth,
  pagination: Pagination,
  maxPages: z.number().int().positive().default(1000).meta({
    description: "Safety limit: more pages than this is a Pagination error (never a silent truncation)."
  }),
  requestsPerSecond: z
    .number()
    .positive()
    .optional()
    .meta({ description: "Pace requests to at most this many per second." }),
  retry: z
    .strictObject({
      maxRetries: z.number().int().min(0).default(5),
      baseDelayMs: z.number().int().positive().default(500),
      maxDelayMs: z.number().int().positive().default(30_000)
    })
    .default({ maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30_000 })
    .meta({ description: "429, 5xx and transport errors: capped exponential backoff with jitter." }),
  maxWaitSeconds: z.number().int().positive().default(300).meta({
    description: "Longest a Retry-After / rate-limit reset may hold the read; longer is a RateLimited error."
  }),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .meta({ description: "Per-request timeout (headers and body)." }),
  maxPageBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024)
    .meta({ description: "Largest response body accepted for one page." }),
  allowInsecureHttp: z
    .boolean()
    .default(false)
    .meta({ description: "Allow plain http:// to a non-loopback host (credentials travel in clear)." }),
  tls: z
    .strictObject({
      caFile: z
        .string()
        .min(1)
        .optional()
        .meta({ description: "PEM file of extra CA certificates, relative to the config file." })
    })
    .default({})
    .meta({ description: "TLS settings; certificates are always verified." }),
  stream: z.boolean().default(false).meta({
    description:
      "Read the records as the response arrives instead of holding the page: one large response (a Workday report) with memory bounded by one chunk of the response, not its size. Needs pagination none and `records` as plain keys (`/Report_Entry`)."
  }),
  throttleStatuses: z.array(z.number().int().min(400).max(599)).default([429]).meta({
    description:
      'Statuses that mean "slow down" (waited out like a 429: Retry-After, rate-limit reset, backoff; RateLimited when they persist). BambooHR also throttles with 503.'
  }),
  authHelp: z.string().min(1).optional().meta({
    description:
      "What to check when the API or its token endpoint refuses the credentials (added to Auth errors)."
  })
}

const checkRest = (config: z.output<z.ZodObject<typeof restShape>>, context: z.RefinementCtx) => {
  const insecure = (url: string, path: ReadonlyArray<string>) => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return
    }
    if (!transportAllowed(parsed, config.allowInsecureHttp)) {
      context.addIssue({
        code: "custom",
        path: [...path],
        message:
          parsed.protocol === "http:"
            ? "must use https:// (plain http is allowed only to loopback hosts, or with allowInsecureHttp: true)"
            : "must be an https:// URL"
      })
    }
  }
  insecure(config.baseUrl, ["baseUrl"])
  if (config.auth.type === "oauth2") insecure(config.auth.tokenUrl, ["auth", "tokenUrl"])
  if (config.body !== undefined && config.method === "GET") {
    context.addIssue({ code: "custom", path: ["body"], message: "a body needs method: POST" })
  }
  const p = config.pagination
  if ((p.type === "offset" || p.type === "page") && "in" in p && p.in === "body" && config.method === "GET") {
    context.addIssue({
      code: "custom",
      path: ["pagination", "in"],
      message: "paging parameters in the body need method: POST"
    })
  }
  if (p.type === "cursor" && p.in === "body" && config.method === "GET") {
    context.addIssue({
      code: "custom",
      path: ["pagination", "in"],
      message: "a cursor in the body needs method: POST"
    })
  }
  if (p.type === "offset" && !p.stopOnEmptyPage && p.totalPath === undefined && !p.stopOnShortPage) {
    context.addIssue({
      code: "custom",
      path: ["pagination"],
      message: "offset paging needs a way to stop: stopOnEmptyPage, stopOnShortPage or totalPath"
    })
  }
  if (p.type === "page") {
    if (
      !p.stopOnEmptyPage &&
      p.totalPath === undefined &&
      p.totalPagesPath === undefined &&
      !p.stopOnShortPage
    ) {
      context.addIssue({
        code: "custom",
        path: ["pagination"],
        message:
          "page paging needs a way to stop: stopOnEmptyPage, stopOnShortPage, totalPath or totalPagesPath"
      })
    }
    if (p.stopOnShortPage && p.size === undefined) {
      context.addIssue({
        code: "custom",
        path: ["pagination", "size"],
        message: "stopOnShortPage needs the page size"
      })
    }
    if ((p.size === undefined) !== (p.sizeParam === undefined)) {
      context.addIssue({
        code: "custom",
        path: ["pagination", "sizeParam"],
        message: "set both size and sizeParam, or neither"
      })
    }
  }
  if (config.stream && config.pagination.type !== "none") {
    context.addIssue({
      code: "custom",
      path: ["stream"],
      message: "stream reads one response: it needs pagination type none"
    })
  }
  if (config.stream && streamPath(config.records) === undefined) {
    context.addIssue({
      code: "custom",
      path: ["records"],
      message:
        "with stream: true, records must name the array by plain keys (`/Report_Entry`, `$.data.items[*]`)"
    })
  }
  if (
    config.auth.type === "oauth2" &&
    config.auth.grantType === "refresh_token" &&
    config.auth.refreshToken === undefined
  ) {
    context.addIssue({
      code: "custom",
      path: ["auth", "refreshToken"],
      message: "grantType refresh_token needs auth.refreshToken"
    })
  }
}

/** A plain `rest` source: everything spelled out. */
export const PlainRestConfig = z
  .strictObject({
    preset: z
      .undefined()
      .optional()
      .meta({ description: `A ready-made HR system setup: ${presetIds.join(", ")} (see the README).` }),
    ...restShape
  })
  .superRefine(checkRest)

/**
 * What parses the `source` block: a plain REST config, or `preset: <id>` with the preset's own keys, which
 * expands into a plain REST config. Any REST key written next to a preset overrides the preset's value (objects
 * are merged key by key, `null` removes a preset's value), and the result is checked like a plain config.
 */
const Validating = z.discriminatedUnion(
  "preset",
  [
    PlainRestConfig,
    ...presets.map((preset) => presetSchema(preset, Object.keys(restShape), PlainRestConfig))
  ] as unknown as [typeof PlainRestConfig, ...Array<typeof PlainRestConfig>],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `unknown preset ${JSON.stringify((issue.input as { preset?: unknown } | undefined)?.preset)}; known presets: ${presetIds.join(", ")}`
        : undefined
  }
)

/** Every preset key, once, described with the presets that take it (which ones are required depends on the preset). */
const presetKeys = (): Record<string, z.ZodType> => {
  const out: Record<string, z.ZodType> = {}
  const users = new Map<string, Array<string>>()
  for (const preset of presets) {
    for (const [key, schema] of Object.entries(preset.params)) {
      const meta = (schema as z.ZodType).meta() as { description?: string; "x-secret"?: boolean } | undefined
      users.set(key, [...(users.get(key) ?? []), `\`preset: ${preset.id}\`: ${meta?.description ?? ""}`])
      out[key] ??= (schema as z.ZodType).optional()
      out[key] = out[key].meta({
        ...(meta?.["x-secret"] === true ? { "x-secret": true } : {}),
        description: users.get(key)!.join(" ")
      })
    }
  }
  return out
}

/**
 * The same keys as one object, for what reads the schema rather than parses with it: the JSON Schema (editor
 * completion: every REST key, `preset` and each preset's keys), `anysource sources rest`, and core's lookups by
 * config path (secrets, "did you mean", number coercion of `${VAR}`).
 */
const Documented = z.strictObject({
  preset: z
    .enum(presetIds as [string, ...Array<string>])
    .optional()
    .meta({
      description: `An HR system preset that expands into the REST keys: ${presetIds.join(", ")} (see the README).`
    }),
  ...restShape,
  baseUrl: restShape.baseUrl
    .optional()
    .meta({
      description:
        "e.g. https://hr.example.com/api/v2 (HTTPS unless loopback or allowInsecureHttp). Required unless a preset gives it."
    }),
  ...presetKeys()
})

/**
 * The `source` block of `type: rest`. Its JSON Schema and path lookups see `Documented`; `parse`/`safeParse`
 * validate with `Validating` (a preset's keys only with that preset, overrides merged, the result checked like a
 * plain config), so both a plain config and a preset parse to the same `RestSourceConfig`.
 */
export const RestSourceConfig: z.ZodType<
  z.output<typeof PlainRestConfig>,
  z.input<typeof Documented>
> = (() => {
  const schema = Documented as unknown as Record<string, unknown>
  for (const method of [
    "parse",
    "safeParse",
    "parseAsync",
    "safeParseAsync",
    "spa",
    "decode",
    "safeDecode"
  ] as const) {
    const validate = (Validating as unknown as Record<string, unknown>)[method]
    if (typeof validate === "function") schema[method] = validate.bind(Validating)
  }
  return Documented as unknown as z.ZodType<z.output<typeof PlainRestConfig>, z.input<typeof Documented>>
})()
export type RestSourceConfig = z.output<typeof PlainRestConfig>
