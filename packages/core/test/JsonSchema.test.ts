import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { z } from "zod"
import { secret } from "../src/config/Config.ts"
import { jsonSchema } from "../src/config/JsonSchema.ts"
import { defineSource } from "../src/domain/Source.ts"
import { TestSource } from "../src/testing.ts"

const committed = Path.join(import.meta.dirname, "..", "schema", "anysource.schema.json")

const SqlSource = defineSource({
  id: "sql",
  displayName: "SQL query",
  description: "Rows of a SQL query.",
  config: z.strictObject({
    url: secret(),
    query: z.string().min(1),
    fetchSize: z.number().int().default(1000)
  }),
  make: () => Effect.succeed({ check: Effect.void, read: Stream.empty })
})

/** An adapter whose config is a union: every branch must get the `type` discriminator. */
const UnionSource = defineSource({
  id: "either",
  displayName: "Either",
  config: z.union([z.strictObject({ file: z.string() }), z.strictObject({ url: z.url() })]),
  make: () => Effect.succeed({ check: Effect.void, read: Stream.empty })
})

const props = (schema: unknown): Record<string, any> =>
  (schema as { properties: Record<string, any> }).properties

describe("jsonSchema", () => {
  it("the committed schema/anysource.schema.json is up to date (run `pnpm --filter @anysource/core gen:schema`)", () => {
    expect(JSON.parse(Fs.readFileSync(committed, "utf8"))).toEqual(jsonSchema())
  })

  it("describes the whole config from the zod schema (input side: defaults are optional)", () => {
    const schema = jsonSchema()
    expect(schema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema")
    expect(schema["additionalProperties"]).toBe(false)
    expect(schema["required"]).toEqual(["version", "okta", "source", "mapping"])
    const top = props(schema)
    expect(Object.keys(top)).toEqual(
      expect.arrayContaining([
        "$schema",
        "version",
        "okta",
        "source",
        "mapping",
        "filter",
        "groups",
        "safeguards",
        "state"
      ])
    )
    expect(top["version"]).toMatchObject({ const: 1 })
    const ssws = top["okta"].properties.auth.oneOf.find((o: any) => o.properties.type.const === "ssws")
    expect(ssws.properties.token["x-secret"]).toBe(true)
    expect(top["okta"].properties.requestTimeoutMs.default).toBe(30000)
    expect(top["source"].properties.type).toMatchObject({ type: "string" })
  })

  it("with sources, `source` is a oneOf keyed by type, one branch per adapter", () => {
    const source = props(jsonSchema([TestSource.fromRows([]), SqlSource, UnionSource]))["source"]
    expect(source.oneOf).toHaveLength(3)
    const [test, sql, either] = source.oneOf
    expect(test.properties.type).toEqual({
      type: "string",
      const: "test",
      description: "In-memory test rows"
    })
    expect(test.required).toEqual(["type"])
    expect(sql).toMatchObject({
      title: "SQL query",
      description: "Rows of a SQL query.",
      type: "object",
      additionalProperties: false,
      required: ["type", "url", "query"]
    })
    expect(sql.properties.type.const).toBe("sql")
    expect(sql.properties.url["x-secret"]).toBe(true)
    expect(sql.properties.fetchSize.default).toBe(1000)
    expect(either.anyOf).toHaveLength(2)
    for (const branch of either.anyOf) {
      expect(branch.properties.type.const).toBe("either")
      expect(branch.required[0]).toBe("type")
    }
  })

  it("is plain JSON (serialises and parses back unchanged)", () => {
    const schema = jsonSchema([SqlSource])
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema)
  })
})
