/**
 * The profile schema and mapping operations (okta/ProfileApi.ts) over the client's exchange: org-level paths, the
 * same auth, retries, rate limits and errors as the Identity Sources calls; a 403 names the scope the call needs.
 */
import { Effect } from "effect"
import type { z } from "zod"
import type { OktaApiError } from "../../domain/Errors.ts"
import {
  ProfileMapping,
  ProfileMappingList,
  ProfileScopes,
  UserSchema,
  type ProfileMappingSummary,
  type ProfileOperations
} from "../ProfileApi.ts"
import { nextCursor, type Method, type RawResponse, type RetryPolicy } from "./oktaHttp.ts"

/** One call to an org-level path (`/api/v1/…`). */
export interface OrgCall {
  readonly endpoint: string
  readonly method: Method
  readonly path: string
  readonly query?: Readonly<Record<string, string | number | undefined>>
  readonly body?: unknown
  readonly expect: ReadonlyArray<number>
  readonly retry: RetryPolicy
  readonly scope: string
}

export interface OrgCaller {
  readonly call: (c: OrgCall) => Effect.Effect<RawResponse, OktaApiError>
  readonly decode: <S extends z.ZodType>(
    schema: S,
    c: OrgCall
  ) => (r: RawResponse) => Effect.Effect<z.output<S>, OktaApiError>
}

const MAX_PAGES = 1_000

export const makeProfileOperations = (identitySourceId: string, api: OrgCaller): ProfileOperations => {
  const enc = encodeURIComponent
  const json = <S extends z.ZodType>(schema: S, c: OrgCall) =>
    Effect.flatMap(api.call(c), api.decode(schema, c))
  const appSchema = `/api/v1/meta/schemas/apps/${enc(identitySourceId)}/default`
  const userSchema = (id: string) => `/api/v1/meta/schemas/user/${enc(id)}`
  return {
    getAppUserSchema: json(UserSchema, {
      endpoint: "getApplicationUserSchema",
      method: "GET",
      path: appSchema,
      expect: [200],
      retry: "idempotent",
      scope: ProfileScopes.schemasRead
    }),
    // a partial update of named attributes: sending it twice leaves the same schema, so it may be retried
    updateAppUserSchema: (body) =>
      json(UserSchema, {
        endpoint: "updateApplicationUserProfile",
        method: "POST",
        path: appSchema,
        body,
        expect: [200],
        retry: "idempotent",
        scope: ProfileScopes.schemasManage
      }),
    getUserSchema: (schemaId = "default") =>
      json(UserSchema, {
        endpoint: "getUserSchema",
        method: "GET",
        path: userSchema(schemaId),
        expect: [200],
        retry: "idempotent",
        scope: ProfileScopes.schemasRead
      }),
    updateUserSchema: (body, schemaId = "default") =>
      json(UserSchema, {
        endpoint: "updateUserProfile",
        method: "POST",
        path: userSchema(schemaId),
        body,
        expect: [200],
        retry: "idempotent",
        scope: ProfileScopes.schemasManage
      }),
    listProfileMappings: (filter) =>
      Effect.gen(function* () {
        const all: Array<ProfileMappingSummary> = []
        const seen = new Set<string>()
        let after: string | undefined
        for (let page = 0; page < MAX_PAGES; page++) {
          const c: OrgCall = {
            endpoint: "listProfileMappings",
            method: "GET",
            path: "/api/v1/mappings",
            query: { sourceId: filter.sourceId, targetId: filter.targetId, after, limit: 200 },
            expect: [200],
            retry: "idempotent",
            scope: ProfileScopes.mappingsRead
          }
          const r = yield* api.call(c)
          all.push(...(yield* api.decode(ProfileMappingList, c)(r)))
          after = nextCursor(r.headers["link"])
          // a server repeating its cursor must not loop us forever
          if (after === undefined || seen.has(after)) break
          seen.add(after)
        }
        return all
      }),
    getProfileMapping: (mappingId) =>
      json(ProfileMapping, {
        endpoint: "getProfileMapping",
        method: "GET",
        path: `/api/v1/mappings/${enc(mappingId)}`,
        expect: [200],
        retry: "idempotent",
        scope: ProfileScopes.mappingsRead
      }),
    updateProfileMapping: (mappingId, body) =>
      json(ProfileMapping, {
        endpoint: "updateProfileMapping",
        method: "POST",
        path: `/api/v1/mappings/${enc(mappingId)}`,
        body,
        expect: [200],
        retry: "idempotent",
        scope: ProfileScopes.mappingsManage
      })
  }
}
