/**
 * Integration tests run against the real PostgreSQL of `scripts/services-up.sh` (PG_URL). A missing PG_URL
 * FAILS the tests (in CI and locally alike), it never skips them. Every test file uses its own schemas
 * (unique names) and drops them afterwards: the server is shared with other packages' tests.
 */
import { randomBytes } from "node:crypto"
import { Effect, Redacted } from "effect"
import pg from "pg"
import { afterAll } from "vitest"
import * as PostgresStateStore from "../../src/PostgresStateStore.ts"

export const pgUrl = (): string => {
  const value = process.env["PG_URL"]
  if (value === undefined || value.length === 0)
    throw new Error(
      `PG_URL is not set (CI=${process.env["CI"] ?? "unset"}): these tests need a real PostgreSQL. Run \`source scripts/services-up.sh\` at the repository root (or source the env.sh of a running services-up), then the tests.`
    )
  return value
}

/** Plain pg connection for setup and inspection. */
export const withAdmin = async <A>(f: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: pgUrl(), application_name: "anysource-test-admin" })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

export const admin = <A>(f: (client: pg.Client) => Promise<A>) => Effect.promise(() => withAdmin(f))

/** Schemas made by this test file; dropped after it. */
export const schemas = (prefix: string) => {
  const made: Array<string> = []
  afterAll(async () => {
    if (made.length === 0 || !process.env["PG_URL"]) return
    await withAdmin(async (c) => {
      for (const s of made) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
    })
  })
  return {
    fresh: (): string => {
      const name = `t_${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`
      made.push(name)
      return name
    }
  }
}

export const open = (schema: string, identitySourceId = "0oaPG", over: Partial<PostgresStateStore.Options> = {}) =>
  Effect.suspend(() => PostgresStateStore.make({ url: Redacted.make(pgUrl()), schema, identitySourceId, ...over }))

/** Poll `read` (real time, not the TestClock) until `ok` holds; for effects of background fibers. */
export const eventually = <A>(read: () => Promise<A>, ok: (value: A) => boolean, timeoutMillis = 10_000) =>
  Effect.promise(async () => {
    const end = Date.now() + timeoutMillis
    for (;;) {
      const value = await read()
      if (ok(value)) return value
      if (Date.now() > end) throw new Error(`condition not reached within ${timeoutMillis} ms; last value: ${JSON.stringify(value)}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })

export interface LeaseRow {
  readonly owner: string
  readonly acquired_at: Date
  readonly expires_at: Date
  readonly renewed_at: Date
}

export const leaseRow = (schema: string, identitySourceId: string): Promise<LeaseRow | undefined> =>
  withAdmin(async (c) => {
    const r = await c.query<LeaseRow>(`SELECT owner, acquired_at, expires_at, renewed_at FROM "${schema}".locks WHERE identity_source_id = $1`, [identitySourceId])
    return r.rows[0]
  })
