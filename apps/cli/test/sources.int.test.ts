/**
 * End to end through the BUILT binary, one pipeline per non-file source, into the embedded emulator:
 * SQL (the SQLite example), REST (the example against its fake HR API), SFTP (the quickstart's CSV on the
 * real OpenSSH server that scripts/services-up.sh starts, host key pinned) and Google Sheets (the quickstart's
 * rows in the project's Sheets-compatible server, read by the real googleapis client with a service account). What reached "Okta" is read from the emulator's persisted org.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startFakeHrApi } from "../../../examples/rest/fake-hr-api.mjs"
import { Formats } from "@anysource/source-file"
import { FakeSheetsServer } from "@anysource/source-google-sheets/testing"
import { Chunk, Effect, Stream } from "effect"
import { spawnSync } from "node:child_process"
import { generateKeyPairSync } from "node:crypto"
import {
  appDir,
  emulatorOf,
  ensureBuilt,
  quickstart,
  removeTempDirs,
  run,
  show,
  tempDir,
  withSetUpOrg
} from "./support/cli.ts"

/** A temporary directory holding the quickstart's anysource.yaml with its `source:` block replaced by `source`. */
const quickstartWithSource = (source: string): string => {
  const dir = tempDir()
  const yaml = fs.readFileSync(path.join(quickstart, "anysource.yaml"), "utf8")
  const replaced = yaml.replace(/^source:\n(?: {2}.*\n)+/m, source)
  expect(replaced).not.toBe(yaml)
  fs.writeFileSync(path.join(dir, "anysource.yaml"), replaced)
  withSetUpOrg(dir)
  return dir
}

/** `anysource setup apply --yes` in `dir`, as each example's README has the user do before the first sync. */
const setUp = async (dir: string, env: NodeJS.ProcessEnv = {}) => {
  const setup = await run(dir, ["setup", "apply", "--yes"], env)
  expect(setup.code, show(setup)).toBe(0)
}

const examples = path.resolve(appDir, "../../examples")

beforeAll(ensureBuilt, 120_000)
afterAll(removeTempDirs)

const copyExample = (sub: string, files: ReadonlyArray<string>): string => {
  const dir = tempDir()
  for (const f of files) fs.copyFileSync(path.join(examples, sub, f), path.join(dir, f))
  return dir
}

const activeUsers = (dir: string) => emulatorOf(dir).users.filter((u) => u.status === "ACTIVE")

describe("sql source (SQLite example)", () => {
  it("apply creates the query's people in Okta; a second plan finds nothing to change", async () => {
    const dir = copyExample("sql/sqlite", ["anysource.yaml", "hr.db"])
    await setUp(dir)
    const applied = await run(dir, ["apply", "--yes", "--report", "run.json"])
    expect(applied.code, show(applied)).toBe(0)
    const report = JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8"))
    expect(report.outcome).toBe("applied")
    const created = report.summary.users.create as number
    expect(created).toBeGreaterThan(5)
    expect(activeUsers(dir)).toHaveLength(created)
    // locations name the key column's value
    expect(report.plan.users[0].location).toMatch(/employee_id=/)
    const again = await run(dir, ["plan"])
    expect(again.code, show(again)).toBe(0)
  }, 120_000)
})

describe("rest source (example against its fake HR API)", () => {
  it("apply creates the API's active people; a second plan finds nothing to change", async () => {
    const api = await startFakeHrApi({ port: 0, perSecond: 1000 })
    try {
      const dir = copyExample("rest", ["anysource.yaml"])
      const env = {
        HR_API_URL: `${api.url}/v1`,
        HR_TOKEN_URL: `${api.url}/oauth/token`,
        HR_CLIENT_SECRET: "demo-secret"
      }
      await setUp(dir, env)
      const applied = await run(dir, ["apply", "--yes", "--report", "run.json"], env)
      expect(applied.code, show(applied)).toBe(0)
      expect(`${applied.stdout}${applied.stderr}`).not.toContain("demo-secret")
      const report = JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8"))
      expect(report.outcome).toBe("applied")
      const active = api.people.filter((p) => p.employment.status === "active").length
      expect(activeUsers(dir).length).toBe(report.summary.users.create)
      expect(report.summary.users.create).toBeGreaterThan(0)
      expect(report.summary.users.create).toBeLessThanOrEqual(active)
      const again = await run(dir, ["plan"], env)
      expect(again.code, show(again)).toBe(0)
    } finally {
      await api.close()
    }
  }, 120_000)
})

const need = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === "")
    throw new Error(
      `${name} is not set: these tests need the real sshd; run \`source scripts/services-up.sh\` first`
    )
  return value
}

describe("sftp source (the quickstart CSV on a real OpenSSH server)", () => {
  it("apply reads the newest matching file with the host key pinned; a second plan is empty", async () => {
    const home = need("SFTP_HOME")
    const user = need("SFTP_USER")
    const sub = `anysource-cli-e2e-${process.pid}-${Date.now()}`
    const remote = path.join(home, sub)
    fs.mkdirSync(remote)
    try {
      fs.copyFileSync(path.join(quickstart, "people.csv"), path.join(remote, "people-2026-11-27.csv"))
      fs.copyFileSync(path.join(quickstart, "people.csv"), path.join(remote, "people-2026-11-28.csv"))
      fs.utimesSync(
        path.join(remote, "people-2026-11-27.csv"),
        new Date("2026-11-27"),
        new Date("2026-11-27")
      )
      expect(spawnSync("chown", ["-R", `${user}:`, remote]).status).toBe(0)
      const source = [
        "source:",
        "  type: sftp",
        '  host: "${SFTP_HOST}"',
        '  port: "${SFTP_PORT}"',
        '  username: "${SFTP_USER}"',
        '  privateKeyPath: "${SFTP_KEY}"',
        '  hostKey: { fingerprint: "${SFTP_HOST_FINGERPRINT}" }',
        `  path: ${sub}/people-*.csv`,
        "  pick: newest",
        ""
      ].join("\n")
      const dir = quickstartWithSource(source)
      const applied = await run(dir, ["apply", "--yes", "--report", "run.json"])
      expect(applied.code, show(applied)).toBe(0)
      const report = JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8"))
      expect(report.outcome).toBe("applied")
      expect(report.summary.users.create).toBe(288)
      expect(activeUsers(dir)).toHaveLength(288)
      const invalid = report.issues.filter((i: { kind: string }) => i.kind === "invalid")
      expect(invalid.length).toBeGreaterThan(0)
      for (const issue of invalid)
        expect(issue.location).toMatch(new RegExp(`^sftp://.+/${sub}/people-2026-11-28\\.csv:\\d+$`))
      const again = await run(dir, ["plan"])
      expect(again.code, show(again)).toBe(0)
    } finally {
      fs.rmSync(remote, { recursive: true, force: true })
    }
  }, 120_000)
})

describe("google-sheets source (the quickstart rows in the Sheets-compatible test server)", () => {
  it("apply reads the sheet with a service account key from the environment; a second plan is empty", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" }
    })
    const email = "anysource-cli-e2e@acme-hr.iam.gserviceaccount.com"
    // the quickstart CSV, decoded by the file source's own CSV decoder, as sheet rows (header first)
    const decoded = await Effect.runPromise(
      Stream.runCollect(
        Formats.decode(fs.createReadStream(path.join(quickstart, "people.csv")), {
          name: "people.csv",
          format: "csv"
        })
      )
    )
    const records = Chunk.toReadonlyArray(decoded).map((r) => r.data)
    const header = Object.keys(records[0]!)
    const rows = [header, ...records.map((r) => header.map((h) => String(r[h] ?? "")))]
    const fake = await FakeSheetsServer.start({
      serviceAccounts: [{ email, publicKey }],
      spreadsheets: [
        {
          id: "1QuickstartPeople_abcdefghijklmnop",
          title: "People",
          readers: [email],
          sheets: [{ title: "People", rows, rowCount: rows.length + 10, columnCount: rows[0]!.length }]
        }
      ]
    })
    try {
      const key = JSON.stringify({
        type: "service_account",
        private_key_id: "k1",
        private_key: privateKey,
        client_email: email,
        client_id: "1"
      })
      const source = [
        "source:",
        "  type: google-sheets",
        "  spreadsheetId: 1QuickstartPeople_abcdefghijklmnop",
        "  sheet: People",
        '  auth: { type: serviceAccount, key: "${GOOGLE_SA_KEY}" }',
        `  rootUrl: ${fake.url}`,
        `  tokenUrl: ${fake.tokenUrl}`,
        ""
      ].join("\n")
      const dir = quickstartWithSource(source)
      const env = { GOOGLE_SA_KEY: key }
      const applied = await run(dir, ["apply", "--yes", "--report", "run.json"], env)
      expect(applied.code, show(applied)).toBe(0)
      expect(`${applied.stdout}${applied.stderr}`).not.toContain("PRIVATE KEY")
      const report = JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8"))
      expect(report.outcome).toBe("applied")
      expect(report.summary.users.create).toBe(288)
      expect(activeUsers(dir)).toHaveLength(288)
      const invalid = report.issues.filter((i: { kind: string }) => i.kind === "invalid")
      expect(invalid.length).toBeGreaterThan(0)
      for (const issue of invalid) expect(issue.location).toMatch(/^People!A\d+$/)
      const again = await run(dir, ["plan"], env)
      expect(again.code, show(again)).toBe(0)
    } finally {
      await fake.close()
    }
  }, 120_000)
})
