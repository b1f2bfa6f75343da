/**
 * Validation against Okta's OpenAPI subsets that this package ships (`spec/openapi-identity-sources.yaml` and
 * `spec/openapi-schemas-mappings.yaml`, merged into one document; see {@link specPath}). The emulator's strict mode
 * uses it on every request and reply, and tests use it through `@anysource/okta-emulator/testing` to check the
 * exchanges of a client.
 *
 * Built on openapi-backend (router + Ajv validators) with ajv-formats for `email`/`date-time`, and `yaml` to
 * read the file. All three are loaded on first use, so an emulator that never validates never loads them.
 * Where recorded traffic and the spec disagree, the difference is a named {@link SpecAllowance} that edits
 * the parsed document before validation: validation is never switched off (docs/okta/identity-sources-api.md §10).
 */
import { readFileSync } from "node:fs"
import type { AjvCustomizer, Document, OpenAPIBackend } from "openapi-backend"
import { specPath as vendoredSpecPath } from "./Spec.ts"

type Json = Record<string, any>

/** A documented, deliberate edit of the spec before validation. */
export interface SpecAllowance {
  readonly id: string
  /** Why the edit is right, with the evidence. */
  readonly reason: string
  readonly apply: (doc: Json) => void
}


const forEachOperation = (doc: Json, f: (op: Json, method: string, path: string) => void): void => {
  for (const [path, item] of Object.entries<Json>(doc["paths"] ?? {})) {
    for (const method of ["get", "put", "post", "delete", "patch"]) {
      const op = item[method] as Json | undefined
      if (op !== undefined) f(op, method, path)
    }
  }
}

const operation = (doc: Json, operationId: string): Json => {
  let found: Json | undefined
  forEachOperation(doc, (op) => {
    if (op["operationId"] === operationId) found = op
  })
  if (found === undefined) throw new Error(`operation ${operationId} is not in the spec`)
  return found
}

const schema = (doc: Json, name: string): Json => {
  const s = doc["components"]?.["schemas"]?.[name] as Json | undefined
  if (s === undefined) throw new Error(`schema ${name} is not in the spec`)
  return s
}

/** Edits a schema of the profile schema and mapping subset, when the validated document includes it. */
const ifSchema = (doc: Json, name: string, edit: (s: Json) => void): void => {
  const s = doc["components"]?.["schemas"]?.[name] as Json | undefined
  if (s !== undefined) edit(s)
}

/** The known spec-vs-reality differences and the two string-only tightenings, each with its evidence. */
export const allowances = {
  createSession201: {
    id: "createSession201",
    reason:
      "Recorded traffic from real orgs answers create-session with 201 Created and the session body; the spec says 200 " +
      "(docs/okta/identity-sources-api.md §10.1). 201 is validated against the same IdentitySourceSession schema as 200.",
    apply: (doc) => {
      const responses = operation(doc, "createIdentitySourceSession")["responses"] as Json
      responses["201"] = structuredClone(responses["200"])
    }
  },
  flatGroupProfile: {
    id: "flatGroupProfile",
    reason:
      "Real group responses carry the profile flat (profile.displayName), the spec nests it (profile.profile.displayName) " +
      "(docs/okta/identity-sources-api.md §10.3). GroupsResponseSchema.profile is validated as IdentitySourceGroupProfileForUpsert with displayName required " +
      "and string-only attributes, so a nested profile is rejected.",
    apply: (doc) => {
      schema(doc, "GroupsResponseSchema")["properties"]["profile"] = {
        allOf: [{ $ref: "#/components/schemas/IdentitySourceGroupProfileForUpsert" }, { type: "object", required: ["displayName"] }]
      }
    }
  },
  errorStatuses: {
    id: "errorStatuses",
    reason:
      "The spec lists only some error statuses per operation (no 401 anywhere, no 400 on create-session, start-import or " +
      "DELETE session) although Okta returns them (docs/okta/identity-sources-api.md §5.2, recorded 400 on DELETE of a TRIGGERED session §5.3). Each " +
      "operation gets 4XX and 5XX ranges answered with the spec's own Error schema; explicitly declared codes still win.",
    apply: (doc) => {
      forEachOperation(doc, (op) => {
        const responses = op["responses"] as Json
        for (const status of ["4XX", "5XX"]) {
          responses[status] ??= {
            description: "Error (allowance errorStatuses)",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } }
          }
        }
      })
    }
  },
  nullableSecondEmail: {
    id: "nullableSecondEmail",
    reason:
      "secondEmail is not marked nullable, yet the spec's own UserReplaceResponse example returns secondEmail: null; " +
      "clients clear a second email by sending null.",
    apply: (doc) => {
      schema(doc, "IdentitySourceUserProfileForUpsert")["properties"]["secondEmail"]["nullable"] = true
    }
  },
  stringOnlyProfiles: {
    id: "stringOnlyProfiles",
    reason:
      "A tightening, not a loosening: the profile schemas say in prose that 'Profile attributes can only be of the string " +
      "type' but do not encode it for custom attributes; additionalProperties is set to a nullable string.",
    apply: (doc) => {
      for (const name of ["IdentitySourceUserProfileForUpsert", "IdentitySourceGroupProfileForUpsert"]) {
        schema(doc, name)["additionalProperties"] = { type: "string", nullable: true }
      }
    }
  },
  oktaErrorShape: {
    id: "oktaErrorShape",
    reason:
      "A tightening: every Okta error body carries errorCode, errorSummary, errorLink, errorId and errorCauses (docs/okta/identity-sources-api.md §5.1), " +
      "and sessions always carry all six fields (§2.1); the spec marks none of them required.",
    apply: (doc) => {
      schema(doc, "Error")["required"] = ["errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"]
      schema(doc, "IdentitySourceSession")["required"] = ["id", "identitySourceId", "status", "importType", "created", "lastUpdated"]
    }
  },
  recordedSingleEntity: {
    id: "recordedSingleEntity",
    reason:
      "For an emulator in responses: 'recorded' mode (the default): recorded traffic shows POST /users answering " +
      "200 with a UserResponseSchema body and DELETE user/group answering 200 (docs/okta/identity-sources-api.md §10.2; the group " +
      "delete from a genuine recording, the user calls from one that may be hand-edited). The spec declares no body and 204.",
    apply: (doc) => {
      const create = operation(doc, "createIdentitySourceUser")["responses"] as Json
      create["200"] = {
        description: "Success (allowance recordedSingleEntity)",
        content: { "application/json": { schema: { $ref: "#/components/schemas/UserResponseSchema" } } }
      }
      for (const id of ["deleteIdentitySourceUser", "deleteIdentitySourceGroup"]) {
        ;(operation(doc, id)["responses"] as Json)["200"] = { description: "Success (allowance recordedSingleEntity)" }
      }
    }
  },
  mappingRequestRequired: {
    id: "mappingRequestRequired",
    reason:
      "ProfileMappingRequest lists `expression` and `pushStatus` as required top-level fields, which belong to each " +
      "property mapping; the spec's own request examples (AddMappingBody, UpdateMappingBody, RemoveMappingBody) send only " +
      "`properties` (docs/okta/identity-sources-api.md §14). Only `properties` stays required.",
    apply: (doc) => ifSchema(doc, "ProfileMappingRequest", (s) => (s["required"] = ["properties"]))
  },
  mappingPropertiesMap: {
    id: "mappingPropertiesMap",
    reason:
      "A tightening: `properties` of a mapping is a map from Okta attribute to {expression, pushStatus}, as every example " +
      "in the spec shows, but the schema puts a $ref beside `type: object`, so it validates the map itself as one property " +
      "mapping. Each value is checked instead; in a request, `expression: null` and `pushStatus: null` remove a mapping " +
      "(the spec's RemoveMappingBody example).",
    apply: (doc) => {
      ifSchema(doc, "ProfileMapping", (s) => {
        s["properties"]["properties"] = { type: "object", additionalProperties: { $ref: "#/components/schemas/ProfileMappingProperty" } }
      })
      ifSchema(doc, "ProfileMappingRequest", (s) => {
        s["properties"]["properties"] = {
          type: "object",
          additionalProperties: {
            type: "object",
            properties: {
              expression: { type: "string", nullable: true },
              pushStatus: { type: "string", enum: ["DONT_PUSH", "PUSH", null], nullable: true }
            }
          }
        }
      })
    }
  },
  nullRemovesProperty: {
    id: "nullRemovesProperty",
    reason:
      "Both schema updates say 'You must set properties explicitly to null to remove them from the schema', and " +
      "UserSchemaAttribute carries x-okta-allow-null-property-value-for-updates, yet a custom property is typed as an " +
      "object only. A custom property may be null (docs/okta/identity-sources-api.md §14).",
    apply: (doc) =>
      ifSchema(doc, "UserSchemaPublic", (s) => {
        s["properties"]["properties"]["additionalProperties"] = {
          anyOf: [{ $ref: "#/components/schemas/UserSchemaAttribute" }, { enum: [null] }]
        }
      })
  }
} satisfies Record<string, SpecAllowance>

/** The emulator's two reply modes (docs/okta/identity-sources-api.md §10): what real orgs were recorded answering, or what the spec says. */
export type ResponsesMode = "recorded" | "spec"

/** The allowances every mode needs: the spec's gaps (errorStatuses, nullableSecondEmail) and the two tightenings. */
const commonAllowances: ReadonlyArray<SpecAllowance> = [
  allowances.errorStatuses,
  allowances.nullableSecondEmail,
  allowances.stringOnlyProfiles,
  allowances.oktaErrorShape,
  allowances.mappingRequestRequired,
  allowances.mappingPropertiesMap,
  allowances.nullRemovesProperty
]

/** What an emulator in the spec's mode needs: no recorded variant is accepted (201, flat group profiles, 200 deletes). */
export const specAllowances: ReadonlyArray<SpecAllowance> = commonAllowances

/** What the emulator needs by default (`responses: "recorded"`): the recorded variants on top of the common set. */
export const defaultAllowances: ReadonlyArray<SpecAllowance> = [
  allowances.createSession201,
  allowances.flatGroupProfile,
  ...commonAllowances,
  allowances.recordedSingleEntity
]

/** The allowances that match an emulator started with these options (its `responses` mode, default `recorded`). */
export const allowancesFor = (options: { readonly responses?: ResponsesMode }): ReadonlyArray<SpecAllowance> =>
  options.responses === "spec" ? specAllowances : defaultAllowances

export type Headers = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

export interface RequestLike {
  readonly method: string
  /** Path with query string, or an absolute URL. */
  readonly url: string
  readonly headers?: Headers
  /** Raw body text, or an already-parsed JSON value. */
  readonly body?: unknown
}

export interface ResponseLike {
  readonly status: number
  readonly headers?: Headers
  /** Raw body text ("" for none), or an already-parsed JSON value. */
  readonly body?: unknown
}

/** The shape of the emulator's `onExchange` callback argument. */
export interface ExchangeLike {
  readonly method: string
  readonly url: string
  readonly requestHeaders: Headers
  readonly requestBody: string
  /** 0 when no reply was sent (dropped connection). */
  readonly status: number
  readonly responseHeaders: Headers
  readonly responseBody: string
  /** Set by the emulator when an injected fault shaped the reply; `badBody` replies are skipped (off-contract on purpose). */
  readonly fault?: string
}

/** One thing wrong with a request or a reply, located so a person can fix it. */
export interface Issue {
  /** Where: the JSON body, a path/query parameter or header, the status code or the Content-Type. */
  readonly in: "body" | "path" | "query" | "header" | "status" | "content-type"
  /** The field, as a property path into the body (`profiles[0].profile.email`) or the parameter's name; "" for the whole body. */
  readonly field: string
  /** What is wrong with it, e.g. `must be one of USERS, got "PEOPLE"`. */
  readonly problem: string
}

export interface Violation {
  readonly phase: "request" | "response"
  readonly operationId: string
  readonly method: string
  readonly url: string
  readonly status?: number
  readonly message: string
  /** The same findings, one per field. */
  readonly issues: ReadonlyArray<Issue>
}

export interface ExchangeRecorder {
  /** Pass as the emulator's `onExchange`. */
  readonly record: (exchange: ExchangeLike) => void
  readonly violations: ReadonlyArray<Violation>
  /** Exchanges that matched a spec operation and were validated. */
  readonly checked: () => number
  /** operationIds seen so far (coverage). */
  readonly operations: ReadonlySet<string>
  /** `METHOD path` of exchanges outside the spec (token endpoint, Users/Groups APIs). */
  readonly unmatched: ReadonlyArray<string>
  /** Exchanges not validated because a `badBody` fault made them off-contract on purpose. */
  readonly skipped: () => number
  /** Throws an Error listing every violation, if any. */
  readonly assertNoViolations: () => void
}

export interface OpenApiValidator {
  /** The first of `specPaths`. */
  readonly specPath: string
  /** The OpenAPI files validated against (merged into one document). */
  readonly specPaths: ReadonlyArray<string>
  readonly allowances: ReadonlyArray<SpecAllowance>
  /** The spec operation a request maps to, or undefined when the path is not in the spec. */
  readonly operationId: (method: string, url: string) => string | undefined
  /** Validates a request (path/query parameters and JSON body). Requests outside the spec give []. */
  readonly validateRequest: (request: RequestLike) => ReadonlyArray<Violation>
  /** Validates a reply: declared status, JSON content type, body schema, or no body where none is declared. */
  readonly validateResponse: (request: RequestLike, response: ResponseLike) => ReadonlyArray<Violation>
  /** Validates the reply, and the request too when the server accepted it (2xx). */
  readonly validateExchange: (exchange: ExchangeLike) => ReadonlyArray<Violation>
  readonly recorder: () => ExchangeRecorder
}

const splitUrl = (url: string): { readonly path: string; readonly query: Record<string, string | Array<string>> } => {
  const u = new URL(url, "http://spec.invalid")
  const query: Record<string, string | Array<string>> = {}
  for (const key of new Set(u.searchParams.keys())) {
    const all = u.searchParams.getAll(key)
    query[key] = all.length === 1 ? all[0]! : all
  }
  return { path: u.pathname, query }
}

const header = (headers: Headers | undefined, name: string): string | undefined => {
  if (headers === undefined) return undefined
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(", ") : (v as string | undefined)
  }
  return undefined
}

const lowerHeaders = (headers: Headers | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v)
  return out
}

type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly text: string }

const parseBody = (body: unknown): Parsed => {
  if (body === undefined || body === null) return { ok: true, value: undefined }
  if (Buffer.isBuffer(body)) return parseBody(body.toString("utf8"))
  if (typeof body !== "string") return { ok: true, value: body }
  if (body === "") return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(body) as unknown }
  } catch {
    return { ok: false, text: body }
  }
}

interface AjvError {
  readonly keyword?: string
  readonly instancePath?: string
  readonly message?: string
  readonly params?: Record<string, unknown>
}

const describe = (errors: ReadonlyArray<AjvError>): string =>
  errors.map((e) => `${e.instancePath === "" || e.instancePath === undefined ? "(root)" : e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params ?? {})}`).join("; ")

const LOCATIONS: Readonly<Record<string, Issue["in"]>> = { requestBody: "body", query: "query", path: "path", headers: "header" }

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** `profiles`, `0`, `profile`, `email` → `profiles[0].profile.email`. */
const fieldPath = (segments: ReadonlyArray<string>): string =>
  segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc === "" ? s : `${acc}.${s}`), "")

const valueAt = (root: unknown, segments: ReadonlyArray<string>): unknown => {
  let v = root
  for (const s of segments) {
    if (typeof v !== "object" || v === null) return undefined
    v = (v as Record<string, unknown>)[s]
  }
  return v
}

const shown = (value: unknown): string => {
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

const kindOf = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value)

/**
 * Ajv's findings as issues. Request errors are located by their first path segment (`/requestBody/…`,
 * `/query/…`); reply errors point into the body. `root` is the validated value, to quote what was sent.
 */
const toIssues = (errors: ReadonlyArray<AjvError>, root: unknown, located: boolean): ReadonlyArray<Issue> =>
  errors.map((e) => {
    const segments = (e.instancePath ?? "")
      .split("/")
      .slice(1)
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    const where: Issue["in"] = located ? (LOCATIONS[segments[0] ?? ""] ?? "body") : "body"
    const inner = located ? segments.slice(1) : segments
    const value = where === "body" ? valueAt(root, inner) : undefined
    const params = e.params ?? {}
    let field = inner
    let problem = e.message ?? "is not valid"
    switch (e.keyword) {
      case "required":
        field = [...inner, String(params["missingProperty"])]
        problem = "is required"
        break
      case "enum": {
        const allowed = (params["allowedValues"] as ReadonlyArray<unknown> | undefined) ?? []
        problem = `must be one of ${allowed.map((a) => String(a)).join(", ")}`
        if (value !== undefined && typeof value !== "object") problem += `, got ${shown(value)}`
        break
      }
      case "type":
        problem = `must be ${String(params["type"])}`
        if (where === "body") problem += `, got ${kindOf(value)}`
        break
    }
    return { in: where, field: fieldPath(field), problem }
  })

/** `field: problem` (the form Okta uses in `errorCauses`). */
export const formatIssue = (issue: Issue): string => `${issue.field === "" ? "(body)" : issue.field}: ${issue.problem}`

/** Parsed spec files (the allowances edit a copy); parsing the YAML is most of a validator's start-up. */
const parsedSpecs = new Map<string, Json>()

/**
 * A named export of a dynamically imported CommonJS module. Node gives it as a named export; a bundle (the CLI's)
 * may only give `default` (the module's `exports`).
 */
const named = <T>(module: unknown, name: string): T => {
  const m = module as Record<string, unknown> & { default?: Record<string, unknown> }
  const value = m[name] ?? m.default?.[name]
  if (value === undefined) throw new Error(`@anysource/okta-emulator: ${name} is missing from a validator dependency`)
  return value as T
}

type AddFormats = (ajv: unknown, formats: ReadonlyArray<string>) => unknown

export interface LoadOptions {
  /** One OpenAPI file to validate against instead of the vendored ones. */
  readonly specPath?: string
  /**
   * OpenAPI files merged into one document (paths, and components, which must agree where two files share a name).
   * Default: both vendored subsets, Identity Sources and profile schemas/mappings ({@link specPath}).
   */
  readonly specPaths?: ReadonlyArray<string>
  /** Spec edits to apply; default {@link defaultAllowances}. */
  readonly allowances?: ReadonlyArray<SpecAllowance>
  /** Also validate the (edited) document against the OpenAPI 3.0 meta-schema and precompile every validator. Slower. */
  readonly checkDefinition?: boolean
}

/**
 * What validation does not read, dropped before it: examples (documentation, not contract: the profile schema
 * examples hold JSON Schema `$ref`s to `#/definitions/…` in their values, which a dereferencer would try to resolve,
 * and reference examples carry a `summary`) and the siblings of a `$ref`, which OpenAPI 3.0 ignores
 * (`HrefObject.hints` has a `readOnly` beside its `$ref`). Neither changes what is valid; both keep the document
 * within the OpenAPI 3.0 meta-schema.
 */
const normalized = (doc: Json): Json => {
  const strip = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return
    if (Array.isArray(node)) {
      for (const item of node) strip(item)
      return
    }
    const obj = node as Json
    if (typeof obj["$ref"] === "string") {
      for (const key of Object.keys(obj)) if (key !== "$ref") delete obj[key]
      return
    }
    for (const key of Object.keys(obj)) {
      if ((key === "examples" || key === "example") && obj !== doc["components"]) delete obj[key]
      else strip(obj[key])
    }
  }
  strip(doc)
  if (doc["components"] !== undefined) delete doc["components"]["examples"]
  return doc
}

/** Several parsed documents as one: their paths side by side, components merged (a shared name must agree). */
export const mergeSpecs = (docs: ReadonlyArray<{ readonly path: string; readonly doc: Json }>): Json => {
  const [first, ...rest] = docs
  if (first === undefined) throw new Error("no OpenAPI document to validate against")
  const merged = structuredClone(first.doc)
  merged["paths"] ??= {}
  merged["components"] ??= {}
  for (const { path, doc } of rest) {
    for (const [route, item] of Object.entries<Json>(doc["paths"] ?? {})) {
      if (merged["paths"][route] !== undefined) throw new Error(`${path}: path ${route} is also in ${first.path}`)
      merged["paths"][route] = structuredClone(item)
    }
    for (const [kind, entries] of Object.entries<Json>(doc["components"] ?? {})) {
      const into = (merged["components"][kind] ??= {}) as Json
      for (const [name, value] of Object.entries<unknown>(entries)) {
        if (into[name] !== undefined && JSON.stringify(into[name]) !== JSON.stringify(value))
          throw new Error(`${path}: components.${kind}.${name} differs from the one already loaded`)
        into[name] ??= structuredClone(value)
      }
    }
  }
  return merged
}

/**
 * Reads the specs (default: both vendored subsets), applies the allowances, and builds the validator. Loads
 * openapi-backend, ajv-formats and yaml on first call.
 */
export const loadOpenApiValidator = async (options: LoadOptions = {}): Promise<OpenApiValidator> => {
  const specPaths =
    options.specPaths ?? (options.specPath !== undefined ? [options.specPath] : [vendoredSpecPath("identitySources"), vendoredSpecPath("schemasMappings")])
  const specPath = specPaths[0]!
  const chosen = options.allowances ?? defaultAllowances
  const [backend, formats, yaml] = await Promise.all([import("openapi-backend"), import("ajv-formats"), import("yaml")])
  const OpenAPIBackendClass = named<typeof OpenAPIBackend>(backend, "OpenAPIBackend")
  const parseYaml = named<(text: string) => unknown>(yaml, "parse")
  const addFormats = ((formats as unknown as { default?: { default?: unknown } }).default?.default ??
    (formats as unknown as { default?: unknown }).default ??
    formats) as AddFormats
  const parsed = specPaths.map((path) => {
    let doc = parsedSpecs.get(path)
    if (doc === undefined) {
      doc = parseYaml(readFileSync(path, "utf8")) as Json
      parsedSpecs.set(path, doc)
    }
    return { path, doc }
  })
  const doc = normalized(mergeSpecs(parsed))
  for (const a of chosen) a.apply(doc)
  const full = options.checkDefinition === true
  const ajvCache = new Map<string, Parameters<AjvCustomizer>[0]>()
  const api = new OpenAPIBackendClass({
    definition: doc as Document,
    strict: true,
    validate: true,
    // Quick mode dereferences synchronously and compiles each operation's validators on first use (~5 ms instead of
    // ~1-2 s). `checkDefinition` runs the full path: json-schema-ref-parser plus validation of the document itself.
    quick: !full,
    coerceTypes: true,
    // openapi-backend builds a fresh Ajv per operation and context; sharing one per (context, options) lets Ajv
    // reuse compiled sub-schemas, which makes first use of each operation several times cheaper.
    customizeAjv: (ajv, ajvOpts, context) => {
      const key = `${context}:${JSON.stringify(ajvOpts)}`
      const cached = ajvCache.get(key)
      if (cached !== undefined) return cached
      addFormats(ajv, ["email", "date-time"])
      ajvCache.set(key, ajv)
      return ajv
    }
  })
  await api.init()

  // openapi-backend's router flattens the whole document and builds its regular expressions on every call (about
  // 1.5 ms a request); the operations are fixed, so they are flattened and compiled once here, most literal first.
  const routes = api.router
    .getOperations()
    .filter((op) => op.operationId !== undefined)
    .map((op) => ({
      op,
      method: op.method.toLowerCase(),
      exact: op.path,
      pattern: new RegExp(`^${op.path.split(/\{[^}]+\}/).map(escapeRegExp).join("[^/]+")}$`),
      literal: op.path.replace(/\{[^}]+\}/g, "").length
    }))
    .sort((a, b) => b.literal - a.literal)
  const match = (method: string, url: string) => {
    const { path: raw, query } = splitUrl(url)
    const path = raw.length > 1 && raw.endsWith("/") ? raw.slice(0, -1) : raw
    const wanted = method.toLowerCase()
    const route =
      routes.find((r) => r.method === wanted && r.exact === path) ?? routes.find((r) => r.method === wanted && r.pattern.test(path))
    return route === undefined ? undefined : { op: route.op, operationId: route.op.operationId!, path, query }
  }

  const operationId = (method: string, url: string) => match(method, url)?.operationId

  const validateRequest = (request: RequestLike): ReadonlyArray<Violation> => {
    const m = match(request.method, request.url)
    if (m === undefined) return []
    const base = { phase: "request" as const, operationId: m.operationId, method: request.method.toUpperCase(), url: request.url }
    const body = parseBody(request.body)
    if (!body.ok) return [{ ...base, message: "request body is not JSON", issues: [{ in: "body", field: "", problem: "is not JSON" }] }]
    const result = api.validator.validateRequest(
      { method: request.method.toLowerCase(), path: m.path, query: m.query, headers: lowerHeaders(request.headers), body: body.value },
      m.op
    )
    return result.errors === null || result.errors === undefined || result.errors.length === 0
      ? []
      : [{ ...base, message: describe(result.errors), issues: toIssues(result.errors, body.value, true) }]
  }

  const validateResponse = (request: RequestLike, response: ResponseLike): ReadonlyArray<Violation> => {
    const m = match(request.method, request.url)
    if (m === undefined) return []
    const base = {
      phase: "response" as const,
      operationId: m.operationId,
      method: request.method.toUpperCase(),
      url: request.url,
      status: response.status
    }
    const only = (issue: Issue, message = formatIssue(issue)): Violation => ({ ...base, message, issues: [issue] })
    const declared = (m.op.responses ?? {}) as Json
    const spec = (declared[String(response.status)] ?? declared[`${String(response.status)[0]}XX`] ?? declared["default"]) as Json | undefined
    if (spec === undefined) {
      const message = `status ${response.status} is not declared (declared: ${Object.keys(declared).join(", ")})`
      return [only({ in: "status", field: "", problem: message }, message)]
    }
    const body = parseBody(response.body)
    const content = spec["content"]?.["application/json"] as Json | undefined
    if (content === undefined) {
      if (!body.ok || body.value !== undefined) {
        const message = `the spec declares no body for ${response.status}, but one was sent`
        return [only({ in: "body", field: "", problem: message }, message)]
      }
      return []
    }
    const contentType = header(response.headers, "content-type")
    const problems: Array<Violation> = []
    if (response.headers !== undefined && (contentType === undefined || !contentType.toLowerCase().includes("application/json"))) {
      const message = `Content-Type is ${contentType ?? "missing"}, expected application/json`
      problems.push(only({ in: "content-type", field: "", problem: message }, message))
    }
    if (!body.ok) return [...problems, only({ in: "body", field: "", problem: "is not JSON" }, "response body is not JSON")]
    if (body.value === undefined) {
      return [...problems, only({ in: "body", field: "", problem: "is empty, the spec declares one" }, "response body is empty, the spec declares one")]
    }
    const result = api.validator.validateResponse(body.value, m.op, response.status)
    if (result.errors !== null && result.errors !== undefined && result.errors.length > 0) {
      problems.push({ ...base, message: describe(result.errors), issues: toIssues(result.errors, body.value, false) })
    }
    return problems
  }

  const validateExchange = (ex: ExchangeLike): ReadonlyArray<Violation> => {
    if (ex.status === 0) return []
    const request: RequestLike = { method: ex.method, url: ex.url, headers: ex.requestHeaders, body: ex.requestBody }
    const accepted = ex.status >= 200 && ex.status < 300
    return [
      ...(accepted ? validateRequest(request) : []),
      ...validateResponse(request, { status: ex.status, headers: ex.responseHeaders, body: ex.responseBody })
    ]
  }

  const recorder = (): ExchangeRecorder => {
    const violations: Array<Violation> = []
    const operations = new Set<string>()
    const unmatched: Array<string> = []
    let checked = 0
    let skipped = 0
    return {
      violations,
      operations,
      unmatched,
      checked: () => checked,
      skipped: () => skipped,
      record: (ex) => {
        if (ex.fault?.startsWith("badBody") === true) {
          skipped += 1
          return
        }
        const id = operationId(ex.method, ex.url)
        if (id === undefined) {
          unmatched.push(`${ex.method} ${ex.url}`)
          return
        }
        if (ex.status === 0) return
        checked += 1
        operations.add(id)
        violations.push(...validateExchange(ex))
      },
      assertNoViolations: () => {
        if (violations.length > 0) {
          throw new Error(
            `${violations.length} OpenAPI violation(s):\n` +
              violations.map((v) => `  ${v.phase} ${v.method} ${v.url} ${v.status ?? ""} [${v.operationId}]: ${v.message}`).join("\n")
          )
        }
      }
    }
  }

  return { specPath, specPaths, allowances: chosen, operationId, validateRequest, validateResponse, validateExchange, recorder }
}
