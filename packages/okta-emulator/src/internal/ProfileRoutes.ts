/**
 * The routes of the profile schema and mapping APIs (spec/openapi-schemas-mappings.yaml): the app user schema of each
 * identity source, the default Okta user schema, and the profile mappings. Scopes as the spec declares them; a
 * `.manage` scope also reads, as with Okta's other management scopes.
 */
import { page } from "./AdminApi.ts"
import type { Org } from "./Org.ts"
import { parseJson } from "./Payloads.ts"

export const SCOPE_SCHEMAS_READ = "okta.schemas.read"
export const SCOPE_SCHEMAS_MANAGE = "okta.schemas.manage"
export const SCOPE_MAPPINGS_READ = "okta.profileMappings.read"
export const SCOPE_MAPPINGS_MANAGE = "okta.profileMappings.manage"

interface RouteCtx {
  readonly url: URL
  readonly baseUrl: string
  readonly params: ReadonlyArray<string>
  readonly body: Buffer
}

interface RouteReply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Record<string, string>
}

export interface ProfileRoute {
  readonly pattern: RegExp
  readonly methods: Readonly<
    Record<
      string,
      { readonly scopes: ReadonlyArray<string>; readonly handler: (ctx: RouteCtx) => RouteReply }
    >
  >
}

const SEG = "([^/]+)"

export const profileRoutes = (org: Org): ReadonlyArray<ProfileRoute> => {
  const schemasRead = [SCOPE_SCHEMAS_READ, SCOPE_SCHEMAS_MANAGE]
  const schemasManage = [SCOPE_SCHEMAS_MANAGE]
  const mappingsRead = [SCOPE_MAPPINGS_READ, SCOPE_MAPPINGS_MANAGE]
  const mappingsManage = [SCOPE_MAPPINGS_MANAGE]
  const p = org.profiles
  return [
    {
      pattern: new RegExp(`^/api/v1/meta/schemas/apps/${SEG}/default$`),
      methods: {
        GET: {
          scopes: schemasRead,
          handler: ({ params, baseUrl }) => ({ status: 200, body: p.appSchemaJson(params[0]!, baseUrl) })
        },
        POST: {
          scopes: schemasManage,
          handler: ({ params, baseUrl, body }) => {
            p.appSchemaJson(params[0]!, baseUrl) // 404 for an unknown app before the body is looked at
            // The spec marks the body optional: none changes nothing.
            if (body.length > 0) p.updateAppSchema(params[0]!, parseJson(body))
            return { status: 200, body: p.appSchemaJson(params[0]!, baseUrl) }
          }
        }
      }
    },
    {
      pattern: new RegExp(`^/api/v1/meta/schemas/user/${SEG}$`),
      methods: {
        GET: {
          scopes: schemasRead,
          handler: ({ params, baseUrl }) => ({ status: 200, body: p.userSchemaJson(params[0]!, baseUrl) })
        },
        POST: {
          scopes: schemasManage,
          handler: ({ params, baseUrl, body }) => {
            p.userSchemaJson(params[0]!, baseUrl)
            p.updateUserSchema(params[0]!, parseJson(body))
            return { status: 200, body: p.userSchemaJson(params[0]!, baseUrl) }
          }
        }
      }
    },
    {
      pattern: /^\/api\/v1\/mappings$/,
      methods: {
        GET: {
          scopes: mappingsRead,
          handler: ({ url, baseUrl }) => {
            const found = p.listMappings({
              sourceId: url.searchParams.get("sourceId") ?? undefined,
              targetId: url.searchParams.get("targetId") ?? undefined
            })
            const paged = page(found, url, 20, 200)
            return {
              status: 200,
              body: paged.items.map((m) => p.mappingJson(m, baseUrl, false)),
              headers: { Link: paged.link }
            }
          }
        }
      }
    },
    {
      pattern: new RegExp(`^/api/v1/mappings/${SEG}$`),
      methods: {
        GET: {
          scopes: mappingsRead,
          handler: ({ params, baseUrl }) => ({
            status: 200,
            body: p.mappingJson(p.mapping(params[0]!), baseUrl, true)
          })
        },
        POST: {
          scopes: mappingsManage,
          handler: ({ params, baseUrl, body }) => {
            p.mapping(params[0]!)
            return {
              status: 200,
              body: p.mappingJson(p.updateMapping(params[0]!, parseJson(body)), baseUrl, true)
            }
          }
        }
      }
    }
  ]
}
