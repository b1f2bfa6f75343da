/**
 * Shared setup: the real PostgreSQL of `scripts/services-up.sh` (PG_URL; a missing PG_URL FAILS the tests,
 * in CI and locally), a unique state schema per test file (dropped afterwards), an Okta emulator on
 * loopback, and a generated HR export.
 */
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import pg from "pg"
import { afterAll } from "vitest"

export const pgUrl = (): string => {
  const value = process.env["PG_URL"]
  if (value === undefined || value.length === 0)
    throw new Error(
      `PG_URL is not set (CI=${process.env["CI"] ?? "unset"}): the Lambda tests need a real PostgreSQL for state. Run \`source scripts/services-up.sh\` at the repository root first.`
    )
  return value
}

export const withPg = async <A>(f: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: pgUrl() })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

/** A unique schema name per call; all of them are dropped after the file. */
export const schemas = (prefix: string) => {
  const made: Array<string> = []
  afterAll(async () => {
    if (made.length === 0 || !process.env["PG_URL"]) return
    await withPg(async (c) => {
      for (const s of made) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
    })
  })
  return () => {
    const name = `t_lambda_${prefix}_${process.pid}_${randomBytes(3).toString("hex")}`
    made.push(name)
    return name
  }
}

export const tempDir = (): string => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-lambda-"))
  afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface Person {
  readonly employee_id: string
  readonly email: string
  readonly first_name: string
  readonly last_name: string
  readonly department: string
  readonly title: string
}

export const people = (count: number): Array<Person> =>
  Array.from({ length: count }, (_, i) => ({
    employee_id: `E${String(i).padStart(6, "0")}`,
    email: `person${i}@example.com`,
    first_name: ["Ada", "Grace", "Linus", "Zoë", "Ken"][i % 5]!,
    last_name: `Surname${i}`,
    department: `Dept ${i % 17}`,
    title: i % 3 === 0 ? "Engineer" : "Analyst"
  }))

export const writeCsv = (file: string, rows: ReadonlyArray<Person>): void => {
  const header = "employee_id,email,first_name,last_name,department,title"
  Fs.writeFileSync(file, [header, ...rows.map((p) => [p.employee_id, p.email, p.first_name, p.last_name, p.department, p.title].join(","))].join("\n") + "\n")
}

/** A pipeline config for the file source, the emulator and PostgreSQL state. */
export const pipelineYaml = (options: { readonly orgUrl: string; readonly identitySourceId: string; readonly schema: string; readonly csv: string }): string => `version: 1
name: lambda-test
okta:
  orgUrl: ${options.orgUrl}
  identitySourceId: ${options.identitySourceId}
  auth:
    type: ssws
    token: \${OKTA_API_TOKEN}
source:
  type: file
  path: ${options.csv}
mapping:
  externalId: employee_id
  profile:
    userName: email
    email: email
    firstName: first_name
    lastName: last_name
    department: department
    title: title
schema:
  users:
    attributes:
      department: { maxLength: 50 }
      title: { maxLength: 100 }
state:
  type: postgres
  url: \${ANYSOURCE_PG_URL}
  schema: ${options.schema}
`
