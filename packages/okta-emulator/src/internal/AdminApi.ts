import { invalidSearch } from "./OktaError.ts"
import { oktaTime } from "./Ids.ts"
import type { GroupRecord, UserRecord } from "./Org.ts"

/**
 * A read-only slice of Okta's Users and Groups APIs, so results can be checked the way an admin would.
 * A user's profile is the identity-source profile through the identity source's profile mapping (`userName` onto
 * `login` and the other base attributes by default, custom ones once mapped); the identity source's `externalId`
 * is kept as `profile.externalId`.
 */

export const oktaUser = (u: UserRecord, baseUrl: string, oktaProfile: Readonly<Record<string, string>>): Record<string, unknown> => {
  return {
    id: u.id,
    status: u.status,
    created: oktaTime(u.created),
    activated: oktaTime(u.created),
    statusChanged: oktaTime(u.statusChanged),
    lastLogin: null,
    lastUpdated: oktaTime(u.lastUpdated),
    passwordChanged: null,
    type: { id: "oty00000000000000001" },
    profile: { ...oktaProfile, login: oktaProfile["login"] ?? u.profile["userName"] ?? "", externalId: u.externalId },
    credentials: { provider: { type: "IMPORT", name: "IMPORT" } },
    _links: { self: { href: `${baseUrl}/api/v1/users/${u.id}` } }
  }
}

export const oktaGroup = (g: GroupRecord, baseUrl: string): Record<string, unknown> => {
  const { displayName, ...rest } = g.profile
  return {
    id: g.id,
    created: oktaTime(g.created),
    lastUpdated: oktaTime(g.lastUpdated),
    lastMembershipUpdated: oktaTime(g.lastMembershipUpdated),
    objectClass: ["okta:user_group"],
    type: "APP_GROUP",
    source: { id: g.identitySourceId },
    profile: { name: displayName ?? "", ...rest, externalId: g.externalId },
    _links: {
      self: { href: `${baseUrl}/api/v1/groups/${g.id}` },
      users: { href: `${baseUrl}/api/v1/groups/${g.id}/users` }
    }
  }
}

type Condition = { readonly path: ReadonlyArray<string>; readonly op: "eq" | "sw"; readonly value: string }

const CONDITION = /^\s*([A-Za-z][\w.]*)\s+(eq|sw)\s+"((?:[^"\\]|\\.)*)"\s*$/

/** Parses the subset of Okta's filter/search syntax the emulator supports: `path eq|sw "value"` joined by `and`. */
export const parseExpression = (expression: string): ReadonlyArray<Condition> =>
  expression.split(/\s+and\s+/i).map((part) => {
    const m = CONDITION.exec(part)
    if (m === null) throw invalidSearch(`Unsupported expression '${part.trim()}': the emulator supports \`attribute eq "value"\` and \`attribute sw "value"\` joined by \`and\`.`)
    return { path: m[1]!.split("."), op: m[2] as "eq" | "sw", value: m[3]!.replace(/\\(.)/g, "$1") }
  })

const valueAt = (obj: unknown, path: ReadonlyArray<string>): unknown => {
  let cur: unknown = obj
  for (const key of path) {
    if (typeof cur !== "object" || cur === null) return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}

export const matches = (obj: Record<string, unknown>, conditions: ReadonlyArray<Condition>): boolean =>
  conditions.every((c) => {
    const v = valueAt(obj, c.path)
    if (typeof v !== "string") return false
    // Okta compares case-insensitively for profile strings.
    const a = v.toLowerCase()
    const b = c.value.toLowerCase()
    return c.op === "eq" ? a === b : a.startsWith(b)
  })

/** Okta's `q`: prefix match on a few name fields. */
export const quickMatch = (obj: Record<string, unknown>, q: string, fields: ReadonlyArray<string>): boolean => {
  const needle = q.toLowerCase()
  const profile = (obj["profile"] ?? {}) as Record<string, unknown>
  return fields.some((f) => {
    const v = profile[f]
    return typeof v === "string" && v.toLowerCase().startsWith(needle)
  })
}

/**
 * Cursor paging: `after` is the id of the last item of the previous page. Returns the page and the
 * `Link` header (`self`, and `next` when more items follow).
 */
export const page = <T extends { readonly id: string }>(
  items: ReadonlyArray<T>,
  url: URL,
  defaultLimit: number,
  maxLimit: number
): { readonly items: ReadonlyArray<T>; readonly link: string } => {
  const rawLimit = url.searchParams.get("limit")
  const parsed = rawLimit === null ? defaultLimit : Number.parseInt(rawLimit, 10)
  const limit = Number.isFinite(parsed) && parsed > 0 ? Math.min(parsed, maxLimit) : defaultLimit
  const after = url.searchParams.get("after")
  const start = after === null ? 0 : items.findIndex((i) => i.id === after) + 1
  const slice = items.slice(start, start + limit)
  const self = new URL(url)
  const links = [`<${self.toString()}>; rel="self"`]
  const last = slice[slice.length - 1]
  if (last !== undefined && start + limit < items.length) {
    const next = new URL(url)
    next.searchParams.set("after", last.id)
    next.searchParams.set("limit", String(limit))
    links.push(`<${next.toString()}>; rel="next"`)
  }
  return { items: slice, link: links.join(", ") }
}
