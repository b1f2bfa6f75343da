import { Config, ConfigLoader, defineSource } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { z } from "zod"
import * as Secrets from "../src/Secrets.ts"

describe("Secrets.collect", () => {
  it("finds Redacted strings at any depth, in arrays, maps and sets, each once", () => {
    let deep: Record<string, unknown> = { key: Redacted.make("deep-secret-value") }
    for (let i = 0; i < 40; i++) deep = { nested: deep } // the Lambda's old walker stopped at 20 levels
    const value = {
      token: Redacted.make("tok-0123456789"),
      list: [Redacted.make("in-a-list-1234"), { again: Redacted.make("tok-0123456789") }],
      map: new Map([["k", Redacted.make("in-a-map-1234")]]),
      set: new Set([Redacted.make("in-a-set-1234")]),
      wrapped: Redacted.make({ inner: Redacted.make("inside-redacted") }),
      empty: Redacted.make(""),
      plain: "not-a-secret",
      deep
    }
    expect([...Secrets.collect(value)].sort()).toEqual(
      ["deep-secret-value", "in-a-list-1234", "in-a-map-1234", "in-a-set-1234", "inside-redacted", "tok-0123456789"].sort()
    )
  })

  it("ends on cyclic values", () => {
    const a: Record<string, unknown> = { secret: Redacted.make("cyclic-secret") }
    a["self"] = a
    a["list"] = [a, { back: a }]
    expect(Secrets.collect(a)).toEqual(["cyclic-secret"])
  })

  it.effect("of a loaded config: the Okta token, the state URL and the adapter's secrets", () =>
    Effect.gen(function* () {
      const Db = defineSource({
        id: "db",
        displayName: "db",
        config: z.strictObject({ password: Config.secret(), options: z.strictObject({ key: Config.secret() }) }),
        make: () => Effect.succeed({ check: Effect.void, read: Stream.empty })
      })
      const loaded = yield* ConfigLoader.parse(
        {
          version: 1,
          okta: { orgUrl: "https://example.okta.com", identitySourceId: "0oaS", auth: { type: "ssws", token: "${OKTA_API_TOKEN}" } },
          source: { type: "db", password: "${DB_PASSWORD}", options: { key: "${DB_KEY}" } },
          mapping: { externalId: "id", profile: { userName: "email", email: "email" } },
          state: { type: "postgres", url: "${PG_URL}" }
        },
        {
          env: { OKTA_API_TOKEN: "okta-token-0123", DB_PASSWORD: "db-password-0123", DB_KEY: "db-key-0123", PG_URL: "postgres://u:pw@db/x" },
          sources: [Db],
          baseDir: "."
        }
      )
      expect([...Secrets.ofConfig(loaded)].sort()).toEqual(["db-key-0123", "db-password-0123", "okta-token-0123", "postgres://u:pw@db/x"])
    })
  )
})
