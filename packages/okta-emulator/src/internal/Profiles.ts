/**
 * Profile schemas and mappings of the emulated org (spec/openapi-schemas-mappings.yaml): one app user schema per
 * identity source (the seven base attributes of the Identity Sources API plus custom ones), the default Okta user
 * schema (Okta's base profile plus custom attributes), and one profile mapping per identity source onto the
 * default Okta user type. The directory applies the mapping when it writes a user (docs/okta/identity-sources-api.md §14).
 */
import { opaque, oktaTime } from "./Ids.ts"
import { notFound, validationFailed } from "./OktaError.ts"

/** A schema attribute as stored and returned (Okta's `UserSchemaAttribute`: title, type, lengths, …). */
export type SchemaAttribute = Readonly<Record<string, unknown>>

export interface MappingProperty {
  readonly expression: string
  readonly pushStatus: "PUSH" | "DONT_PUSH"
}

export interface AppSchemaRecord {
  identitySourceId: string
  name: string
  custom: Record<string, SchemaAttribute>
  created: number
  lastUpdated: number
}

export interface UserSchemaRecord {
  custom: Record<string, SchemaAttribute>
  created: number
  lastUpdated: number
}

export interface MappingRecord {
  id: string
  identitySourceId: string
  properties: Record<string, MappingProperty>
}

export interface ProfilesSnapshot {
  readonly appSchemas: ReadonlyArray<AppSchemaRecord>
  readonly userSchema: UserSchemaRecord
  readonly mappings: ReadonlyArray<MappingRecord>
}

/** What to do with a user profile attribute the identity source's schema does not declare. */
export type UnknownAttributes = "reject" | "ignore"

/** The seeded custom attributes of an identity source: names (string, no constraints) or full definitions. */
export type CustomAttributesOption = ReadonlyArray<string> | Readonly<Record<string, SchemaAttribute>>

/** The default Okta user type every mapping targets (the Users API reports the same id). */
export const DEFAULT_USER_TYPE_ID = "oty00000000000000001"

const str = (title: string, extra: Record<string, unknown> = {}): SchemaAttribute => ({
  title,
  type: "string",
  ...extra
})

/** The identity source's base attributes: IdentitySourceUserProfileForUpsert's seven (docs/okta/identity-sources-api.md §3). */
export const APP_BASE: Readonly<Record<string, SchemaAttribute>> = {
  userName: str("Username", { required: true, maxLength: 100 }),
  email: str("Email", { required: true, format: "email", minLength: 5, maxLength: 100 }),
  firstName: str("First name", { minLength: 1, maxLength: 50 }),
  lastName: str("Last name", { minLength: 1, maxLength: 50 }),
  secondEmail: str("Secondary email", { format: "email", minLength: 5, maxLength: 100 }),
  mobilePhone: str("Mobile phone", { maxLength: 100 }),
  homeAddress: str("Home address", { maxLength: 4096 })
}

const OKTA_BASE_NAMES = [
  "city",
  "costCenter",
  "countryCode",
  "department",
  "displayName",
  "division",
  "email",
  "employeeNumber",
  "firstName",
  "honorificPrefix",
  "honorificSuffix",
  "lastName",
  "locale",
  "login",
  "manager",
  "managerId",
  "middleName",
  "mobilePhone",
  "nickName",
  "organization",
  "postalAddress",
  "preferredLanguage",
  "primaryPhone",
  "profileUrl",
  "secondEmail",
  "state",
  "streetAddress",
  "timezone",
  "title",
  "userType",
  "zipCode"
] as const

const OKTA_REQUIRED = new Set(["login", "email", "firstName", "lastName"])

/** The default Okta user type's base profile (the spec's UserSchemaBaseProperties). */
export const OKTA_BASE: Readonly<Record<string, SchemaAttribute>> = Object.fromEntries(
  OKTA_BASE_NAMES.map((name) => [
    name,
    str(
      name.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase()),
      {
        ...(OKTA_REQUIRED.has(name) ? { required: true } : {}),
        ...(name === "email" || name === "secondEmail" ? { format: "email" } : {}),
        permissions: [{ principal: "SELF", action: "READ_WRITE" }]
      }
    )
  ])
)

/**
 * The mapping a new identity source comes with (an emulator choice; Okta does not document the defaults): the base
 * attributes the Okta user profile also has, `userName` onto `login`. Custom attributes reach Okta users only once mapped.
 */
const DEFAULT_MAPPING: Readonly<Record<string, MappingProperty>> = {
  login: { expression: "appuser.userName", pushStatus: "PUSH" },
  email: { expression: "appuser.email", pushStatus: "PUSH" },
  firstName: { expression: "appuser.firstName", pushStatus: "PUSH" },
  lastName: { expression: "appuser.lastName", pushStatus: "PUSH" },
  secondEmail: { expression: "appuser.secondEmail", pushStatus: "PUSH" },
  mobilePhone: { expression: "appuser.mobilePhone", pushStatus: "PUSH" }
}

/** `appuser.department` / `source.department` → `department`; other Okta expressions → undefined (not evaluated). */
export const referencedAttribute = (expression: string): string | undefined =>
  /^\s*(?:appuser|source)\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(expression)?.[1]

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

const lower = (names: Iterable<string>): Map<string, string> =>
  new Map([...names].map((n) => [n.toLowerCase(), n]))

/** `definitions.custom.properties` of a schema update body: name → attribute (or null to remove). */
const customProperties = (body: unknown): Record<string, unknown> => {
  const props =
    isObject(body) && isObject(body["definitions"]) && isObject(body["definitions"]["custom"])
      ? body["definitions"]["custom"]["properties"]
      : undefined
  if (props === undefined) return {}
  if (!isObject(props))
    throw validationFailed("definitions", ["definitions.custom.properties: must be an object"])
  return props
}

/**
 * Checks and applies one schema update's custom properties (partial: absent names stay, `null` removes).
 * `stringOnly` is the identity source's rule: XaaS accepts string attributes only.
 */
const applyCustom = (
  current: Record<string, SchemaAttribute>,
  base: Readonly<Record<string, SchemaAttribute>>,
  body: unknown,
  stringOnly: boolean
): { readonly next: Record<string, SchemaAttribute>; readonly removed: ReadonlyArray<string> } => {
  const next: Record<string, SchemaAttribute> = { ...current }
  const removed: Array<string> = []
  const causes: Array<string> = []
  const baseNames = lower(Object.keys(base))
  for (const [name, value] of Object.entries(customProperties(body))) {
    const at = `definitions.custom.properties.${name}`
    if (value === null) {
      if (next[name] === undefined) causes.push(`${at}: there is no custom property ${name} to remove`)
      else {
        delete next[name]
        removed.push(name)
      }
      continue
    }
    if (!isObject(value)) {
      causes.push(`${at}: must be an object or null`)
      continue
    }
    if (!NAME.test(name))
      causes.push(
        `${at}: a variable name starts with a letter and has only letters, digits and _ (at most 100)`
      )
    const clash = baseNames.get(name.toLowerCase())
    if (clash !== undefined) causes.push(`${at}: the name collides with the base property ${clash}`)
    const merged = { ...(next[name] ?? {}), ...value }
    if (typeof merged["title"] !== "string" || merged["title"] === "") causes.push(`${at}.title: is required`)
    if (merged["type"] === undefined) causes.push(`${at}.type: is required`)
    else if (stringOnly && merged["type"] !== "string")
      causes.push(
        `${at}.type: an identity source accepts string attributes only, got ${JSON.stringify(merged["type"])}`
      )
    const min = merged["minLength"]
    const max = merged["maxLength"]
    if (typeof min === "number" && typeof max === "number" && min > max)
      causes.push(`${at}: minLength ${min} is greater than maxLength ${max}`)
    next[name] = { scope: "NONE", ...merged }
  }
  if (causes.length > 0) throw validationFailed("definitions", causes)
  return { next, removed }
}

const schemaJson = (
  url: string,
  name: string,
  title: string,
  base: Readonly<Record<string, SchemaAttribute>>,
  custom: Readonly<Record<string, SchemaAttribute>>,
  created: number,
  lastUpdated: number
): Record<string, unknown> => {
  const required = (props: Readonly<Record<string, SchemaAttribute>>) =>
    Object.keys(props).filter((k) => props[k]?.["required"] === true)
  return {
    id: url,
    $schema: "http://json-schema.org/draft-04/schema#",
    name,
    title,
    created: oktaTime(created),
    lastUpdated: oktaTime(lastUpdated),
    definitions: {
      base: { id: "#base", type: "object", properties: base, required: required(base) },
      custom: { id: "#custom", type: "object", properties: custom, required: required(custom) }
    },
    type: "object",
    properties: { profile: { allOf: [{ $ref: "#/definitions/base" }, { $ref: "#/definitions/custom" }] } }
  }
}

/** Schemas and mappings of the org; `onChange` marks the org dirty (persistence). */
export class Profiles {
  readonly #now: () => number
  readonly #onChange: () => void
  readonly #apps = new Map<string, AppSchemaRecord>()
  readonly #mappings = new Map<string, MappingRecord>()
  #userSchema: UserSchemaRecord

  constructor(now: () => number, onChange: () => void) {
    this.#now = now
    this.#onChange = onChange
    this.#userSchema = { custom: {}, created: now(), lastUpdated: now() }
  }

  /** A new identity source: base attributes plus the seeded custom ones, and the default mapping. Existing ones are kept. */
  addSource(identitySourceId: string, name: string, seeded: CustomAttributesOption = []): void {
    const now = this.#now()
    let app = this.#apps.get(identitySourceId)
    if (app === undefined) {
      app = { identitySourceId, name, custom: {}, created: now, lastUpdated: now }
      this.#apps.set(identitySourceId, app)
      this.#mappings.set(`map:${identitySourceId}`, {
        id: `prm${opaque(17)}`,
        identitySourceId,
        properties: { ...DEFAULT_MAPPING }
      })
      this.#onChange()
    }
    const wanted: Record<string, SchemaAttribute> = Array.isArray(seeded)
      ? Object.fromEntries((seeded as ReadonlyArray<string>).map((n) => [n, str(n)]))
      : { ...(seeded as Readonly<Record<string, SchemaAttribute>>) }
    const missing = Object.fromEntries(Object.entries(wanted).filter(([n]) => app.custom[n] === undefined))
    if (Object.keys(missing).length > 0) {
      app.custom = applyCustom(
        app.custom,
        APP_BASE,
        { definitions: { custom: { properties: missing } } },
        true
      ).next
      this.#onChange()
    }
  }

  #app(identitySourceId: string): AppSchemaRecord {
    const app = this.#apps.get(identitySourceId)
    if (app === undefined) throw notFound(identitySourceId, "App")
    return app
  }

  /** Every attribute name the identity source's profile declares (base and custom). */
  attributeNames(identitySourceId: string): ReadonlySet<string> {
    return new Set([...Object.keys(APP_BASE), ...Object.keys(this.#app(identitySourceId).custom)])
  }

  appSchemaJson(identitySourceId: string, baseUrl: string): Record<string, unknown> {
    const app = this.#app(identitySourceId)
    return schemaJson(
      `${baseUrl}/meta/schemas/apps/${identitySourceId}/default`,
      app.name,
      `${app.name} User`,
      APP_BASE,
      app.custom,
      app.created,
      app.lastUpdated
    )
  }

  /** POST app user schema: add, change or (with null) remove custom attributes. Mappings reading a removed one go too. */
  updateAppSchema(identitySourceId: string, body: unknown): void {
    const app = this.#app(identitySourceId)
    const { next, removed } = applyCustom(app.custom, APP_BASE, body, true)
    app.custom = next
    app.lastUpdated = this.#now()
    const mapping = this.#mappings.get(`map:${identitySourceId}`)
    if (mapping !== undefined && removed.length > 0)
      for (const [target, p] of Object.entries(mapping.properties)) {
        const source = referencedAttribute(p.expression)
        if (source !== undefined && removed.includes(source)) delete mapping.properties[target]
      }
    this.#onChange()
  }

  /** Names of the default Okta user profile (base and custom). */
  oktaAttributeNames(): ReadonlySet<string> {
    return new Set([...Object.keys(OKTA_BASE), ...Object.keys(this.#userSchema.custom)])
  }

  userSchemaJson(schemaId: string, baseUrl: string): Record<string, unknown> {
    if (schemaId !== "default") throw notFound(schemaId, "UserSchema")
    const s = this.#userSchema
    return schemaJson(
      `${baseUrl}/meta/schemas/user/default`,
      "user",
      "Default Okta user",
      OKTA_BASE,
      s.custom,
      s.created,
      s.lastUpdated
    )
  }

  updateUserSchema(schemaId: string, body: unknown): void {
    if (schemaId !== "default") throw notFound(schemaId, "UserSchema")
    const { next, removed } = applyCustom(this.#userSchema.custom, OKTA_BASE, body, false)
    this.#userSchema = { ...this.#userSchema, custom: next, lastUpdated: this.#now() }
    for (const m of this.#mappings.values()) for (const name of removed) delete m.properties[name]
    this.#onChange()
  }

  /** Mappings whose source and target match the filters (the emulator has app → Okta user mappings only). */
  listMappings(filter: {
    readonly sourceId?: string | undefined
    readonly targetId?: string | undefined
  }): Array<MappingRecord> {
    if (filter.targetId !== undefined && filter.targetId !== DEFAULT_USER_TYPE_ID) return []
    return [...this.#mappings.values()]
      .filter((m) => filter.sourceId === undefined || filter.sourceId === m.identitySourceId)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
  }

  mapping(id: string): MappingRecord {
    for (const m of this.#mappings.values()) if (m.id === id) return m
    throw notFound(id, "ProfileMapping")
  }

  /** The list form (no properties) or the full mapping. */
  mappingJson(m: MappingRecord, baseUrl: string, withProperties: boolean): Record<string, unknown> {
    const app = this.#app(m.identitySourceId)
    return {
      id: m.id,
      source: {
        id: m.identitySourceId,
        name: app.name,
        type: "appuser",
        _links: {
          self: { href: `${baseUrl}/api/v1/apps/${m.identitySourceId}` },
          schema: { href: `${baseUrl}/api/v1/meta/schemas/apps/${m.identitySourceId}/default` }
        }
      },
      target: {
        id: DEFAULT_USER_TYPE_ID,
        name: "user",
        type: "user",
        _links: {
          self: { href: `${baseUrl}/api/v1/meta/types/user/${DEFAULT_USER_TYPE_ID}` },
          schema: { href: `${baseUrl}/api/v1/meta/schemas/user/default` }
        }
      },
      ...(withProperties
        ? {
            properties: Object.fromEntries(Object.entries(m.properties).sort(([a], [b]) => (a < b ? -1 : 1)))
          }
        : {}),
      _links: { self: { href: `${baseUrl}/api/v1/mappings/${m.id}` } }
    }
  }

  /** POST mapping: add or change property mappings (partial), `expression: null` removes one. */
  updateMapping(id: string, body: unknown): MappingRecord {
    const m = this.mapping(id)
    const props = isObject(body) ? body["properties"] : undefined
    if (!isObject(props))
      throw validationFailed("properties", ["properties: is required and must be an object"])
    const targets = this.oktaAttributeNames()
    const sources = this.attributeNames(m.identitySourceId)
    const next = { ...m.properties }
    const causes: Array<string> = []
    for (const [target, value] of Object.entries(props)) {
      const at = `properties.${target}`
      if (!isObject(value)) {
        causes.push(`${at}: must be an object`)
        continue
      }
      if (value["expression"] === null || value["expression"] === undefined) {
        delete next[target]
        continue
      }
      if (typeof value["expression"] !== "string" || value["expression"].trim() === "") {
        causes.push(`${at}.expression: must be a non-empty string or null`)
        continue
      }
      if (!targets.has(target)) causes.push(`${at}: the Okta user profile has no property ${target}`)
      const source = referencedAttribute(value["expression"])
      if (source !== undefined && !sources.has(source))
        causes.push(`${at}.expression: the identity source's profile has no property ${source}`)
      const push = value["pushStatus"] ?? "PUSH"
      if (push !== "PUSH" && push !== "DONT_PUSH") causes.push(`${at}.pushStatus: must be PUSH or DONT_PUSH`)
      next[target] = {
        expression: value["expression"],
        pushStatus: push === "DONT_PUSH" ? "DONT_PUSH" : "PUSH"
      }
    }
    if (causes.length > 0) throw validationFailed("properties", causes)
    m.properties = next
    this.#onChange()
    return m
  }

  /**
   * The Okta user profile an identity-source profile maps to. `previous` is the Okta profile before this write:
   * `DONT_PUSH` properties only set a value when the user is created. `login` falls back to `userName`.
   */
  oktaProfile(
    identitySourceId: string,
    appProfile: Readonly<Record<string, string>>,
    previous?: Readonly<Record<string, string>>
  ): Record<string, string> {
    const m = this.#mappings.get(`map:${identitySourceId}`)
    const out: Record<string, string> = {}
    for (const [target, p] of Object.entries(m?.properties ?? {})) {
      if (p.pushStatus === "DONT_PUSH" && previous !== undefined) {
        const kept = previous[target]
        if (kept !== undefined) out[target] = kept
        continue
      }
      const source = referencedAttribute(p.expression)
      const value = source === undefined ? undefined : appProfile[source]
      if (value !== undefined) out[target] = value
    }
    const userName = appProfile["userName"]
    if (out["login"] === undefined && userName !== undefined) out["login"] = userName
    return out
  }

  /** Profile attributes the identity source does not declare. */
  unknownIn(identitySourceId: string, profile: Readonly<Record<string, unknown>>): Array<string> {
    const known = this.attributeNames(identitySourceId)
    return Object.keys(profile).filter((k) => !known.has(k))
  }

  /**
   * One cause per undeclared attribute, at its first occurrence (`profiles[1].profile.departmnet: …`), with how many
   * more profiles carry it.
   */
  unknownCauses(
    identitySourceId: string,
    profiles: ReadonlyArray<{ readonly at: string; readonly profile: Readonly<Record<string, unknown>> }>
  ): Array<string> {
    const seen = new Map<string, { at: string; more: number }>()
    for (const { at, profile } of profiles)
      for (const name of this.unknownIn(identitySourceId, profile)) {
        const first = seen.get(name)
        if (first === undefined) seen.set(name, { at, more: 0 })
        else first.more += 1
      }
    return [...seen].map(
      ([name, { at, more }]) =>
        `${at}.${name}: The attribute ${name} is not defined in the profile of identity source ${identitySourceId}` +
        (more > 0 ? ` (${more} more profile${more === 1 ? "" : "s"} carry it)` : "") +
        "; add it to the identity source's schema first."
    )
  }

  snapshot(): ProfilesSnapshot {
    return {
      appSchemas: [...this.#apps.values()].map((a) => ({ ...a, custom: { ...a.custom } })),
      userSchema: { ...this.#userSchema, custom: { ...this.#userSchema.custom } },
      mappings: [...this.#mappings.values()].map((m) => ({ ...m, properties: { ...m.properties } }))
    }
  }

  restore(snapshot: ProfilesSnapshot): void {
    for (const a of snapshot.appSchemas) this.#apps.set(a.identitySourceId, { ...a, custom: { ...a.custom } })
    this.#userSchema = { ...snapshot.userSchema, custom: { ...snapshot.userSchema.custom } }
    for (const m of snapshot.mappings)
      this.#mappings.set(`map:${m.identitySourceId}`, { ...m, properties: { ...m.properties } })
  }
}
