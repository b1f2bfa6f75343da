/**
 * examples/rest stays runnable: both configs load through core's ConfigLoader with this adapter and read every
 * employee from the example's fake HR API (OAuth + cursor + nested records; API key + offset + flat records).
 */
import * as Path from "node:path"
import { ConfigLoader } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Redacted, Stream } from "effect"
import { startFakeHrApi } from "../../../examples/rest/fake-hr-api.mjs"
import { RestSource } from "../src/index.ts"

const examples = Path.resolve(import.meta.dirname, "../../../examples/rest")

const fakeApi = Effect.acquireRelease(
  Effect.promise(() => startFakeHrApi({ port: 0, perSecond: 1000 })),
  (api) => Effect.promise(() => api.close())
)

const readExample = (file: string, env: Record<string, string>) =>
  Effect.gen(function* () {
    const loaded = yield* ConfigLoader.load(Path.join(examples, file), { env, sources: [RestSource] })
    const source = yield* loaded.source.make(loaded.sourceConfig, { baseDir: loaded.baseDir })
    return { loaded, rows: Chunk.toReadonlyArray(yield* Stream.runCollect(source.read)) }
  })

describe("examples/rest", () => {
  it.scoped("anysource.yaml: OAuth client credentials, cursor paging, nested records flattened by `fields`", () =>
    Effect.gen(function* () {
      const api = yield* fakeApi
      const { loaded, rows } = yield* readExample("anysource.yaml", {
        HR_API_URL: `${api.url}/v1`,
        HR_TOKEN_URL: `${api.url}/oauth/token`,
        HR_CLIENT_SECRET: "demo-secret"
      })
      const auth = (loaded.sourceConfig as { auth: { clientSecret: unknown } }).auth
      expect(Redacted.isRedacted(auth.clientSecret)).toBe(true)
      expect(rows).toHaveLength(api.people.length)
      expect(rows[1]!.data).toEqual({
        employee_id: "1002",
        first_name: api.people[1]!.personal.firstName,
        last_name: api.people[1]!.personal.lastName,
        email: api.people[1]!.work.email,
        title: api.people[1]!.work.title,
        department: api.people[1]!.work.department,
        manager_id: "1001",
        status: "active"
      })
      expect(rows[0]!.data["manager_id"]).toBeNull()
    })
  )

  it.scoped("offset-apikey.yaml: API key header, offset paging with a total", () =>
    Effect.gen(function* () {
      const api = yield* fakeApi
      const { rows } = yield* readExample("offset-apikey.yaml", { HR_API_URL: `${api.url}/v1`, HR_API_KEY: "demo-api-key" })
      expect(rows.map((r) => r.data["employee_id"])).toEqual(api.people.map((p) => p.id))
    })
  )

  it.scoped("a wrong client secret is an Auth error that does not contain it", () =>
    Effect.gen(function* () {
      const api = yield* fakeApi
      const error = yield* Effect.flip(
        readExample("anysource.yaml", {
          HR_API_URL: `${api.url}/v1`,
          HR_TOKEN_URL: `${api.url}/oauth/token`,
          HR_CLIENT_SECRET: "not-the-demo-secret"
        })
      )
      expect(error).toMatchObject({ _tag: "SourceError", reason: "Auth" })
      expect(error.message).not.toContain("not-the-demo-secret")
    })
  )
})
