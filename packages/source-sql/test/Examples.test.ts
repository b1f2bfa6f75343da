/**
 * examples/sql stays runnable: both configs load through core's ConfigLoader with this adapter, and the SQLite
 * one reads its committed hr.db (the PostgreSQL one needs a server: see examples/sql/README.md).
 */
import * as Path from "node:path"
import { it as effectIt } from "@effect/vitest"
import { ConfigLoader } from "@anysource/core"
import { Chunk, Effect, Redacted, Stream } from "effect"
import { describe, expect } from "vitest"
import { SqlSource, sqlSource } from "../src/index.ts"

const examples = Path.resolve(import.meta.dirname, "../../../examples/sql")

describe("examples/sql", () => {
  effectIt.effect("sqlite/anysource.yaml loads and reads the active employees with their managers", () =>
    Effect.gen(function* () {
      const loaded = yield* ConfigLoader.load(Path.join(examples, "sqlite/anysource.yaml"), { env: {}, sources: [sqlSource] })
      expect(loaded.source.id).toBe("sql")
      const rows = yield* Effect.scoped(
        Effect.gen(function* () {
          const source = yield* SqlSource.make(loaded.sourceConfig as SqlSource.SqlSourceConfig, { baseDir: loaded.baseDir })
          yield* source.check
          return Chunk.toReadonlyArray(yield* Stream.runCollect(source.read))
        })
      )
      expect(rows).toHaveLength(14)
      expect(rows[0]!.location).toBe("employee_id=E1001")
      expect(rows.map((r) => r.data["employee_id"])).not.toContain("E1013")
      expect(rows.find((r) => r.data["employee_id"] === "E1003")!.data).toMatchObject({
        first_name: "Zoë",
        last_name: "Ørsted",
        manager_email: "patricia.novak@example.com",
        hired_on: "2019-07-01"
      })
    })
  )

  effectIt.effect("postgres/anysource.yaml loads with HR_DATABASE_URL and keeps the URL Redacted", () =>
    Effect.gen(function* () {
      const loaded = yield* ConfigLoader.load(Path.join(examples, "postgres/anysource.yaml"), {
        env: { HR_DATABASE_URL: "postgres://reader:s3cret@db.internal:5432/hr" },
        sources: [sqlSource]
      })
      const config = loaded.sourceConfig as SqlSource.SqlSourceConfig
      expect(Redacted.isRedacted(config.url)).toBe(true)
      expect(config.params).toEqual({ excluded: "terminated" })
      expect(JSON.stringify(loaded.config)).not.toContain("s3cret")
    })
  )

  effectIt.effect("a write in the example's query is a config error at source.query", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        ConfigLoader.parse(
          {
            version: 1,
            okta: { orgUrl: "embedded", identitySourceId: "0oasqlsqlite00000001" },
            source: { type: "sql", dialect: "sqlite", database: "hr.db", query: "DELETE FROM employees" },
            mapping: { externalId: "employee_id", profile: { userName: "email", email: "email" } }
          },
          { env: {}, sources: [sqlSource], baseDir: Path.join(examples, "sqlite") }
        )
      )
      expect(error.issues?.map((i) => i.path)).toContain("source.query")
      expect(error.message).toMatch(/single SELECT/)
    })
  )
})
