/**
 * Secrets: the built CLI runs with every secret set — an SSWS API token, an OAuth service app's private key (from a
 * `_FILE`, with DPoP), and a source password (the REST source's HTTP Basic password) — at debug log level, JSON
 * logs, and both report formats. No secret (nor the OAuth access tokens the run was issued) may appear, in any
 * form (src/Secrets.ts), in stdout, stderr, the reports or any file under the run directory. Failing runs (a wrong
 * source password, a wrong Okta token) are scanned too: error paths are where secrets usually leak.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { CUSTOM_ATTRIBUTES, employeeMapping, tempDir } from "@anysource/bench/Harness"
import { employees } from "@anysource/bench/Dataset"
import { startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Secrets from "../src/Secrets.ts"
import * as Cli from "./support/cli.ts"

const IDENTITY_SOURCE = "0oaSECRETS0000000001"
const CLIENT_ID = "0oaSERVICEAPP000001"
const HR_USER = "hr-reader"

const ssws = `00${randomBytes(20).toString("hex")}SSWS`
const hrPassword = `p@ss:word/${randomBytes(12).toString("hex")}`
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString()
const jwk = { ...publicKey.export({ format: "jwk" }), kid: "reliability-key", alg: "RS256", use: "sig" }

const secrets: Array<Secrets.Secret> = [
  { name: "OKTA_API_TOKEN", value: ssws },
  { name: "OKTA_PRIVATE_KEY", value: pem },
  { name: "HR_API_PASSWORD", value: hrPassword, basicUser: HR_USER }
]

let emu: RunningEmulator
let hr: Server
let hrUrl: string
let run: { path: string; remove: () => void }
let keys: { path: string; remove: () => void }
const people = [...employees(120, 9)]

beforeAll(async () => {
  Cli.ensureBuilt()
  emu = await startEmulator({
    strict: true,
    processingDelayMs: 50,
    identitySources: [{ id: IDENTITY_SOURCE, customAttributes: CUSTOM_ATTRIBUTES }],
    tokens: [{ token: ssws }],
    oauthClients: [
      {
        clientId: CLIENT_ID,
        jwks: { keys: [jwk] },
        // the sync reads the identity source's schema first (okta.schemas.read)
        scopes: ["okta.identitySources.manage", "okta.identitySources.read", "okta.schemas.read"],
        requireDpop: true
      }
    ],
    onExchange: (ex) => {
      // the access tokens this run is issued are secrets too
      if (ex.url.startsWith("/oauth2/v1/token") && ex.status === 200) {
        const token = (JSON.parse(ex.responseBody) as { access_token?: string }).access_token
        if (token) secrets.push({ name: `access token ${secrets.length}`, value: token })
      }
    }
  })
  const expected = `Basic ${Buffer.from(`${HR_USER}:${hrPassword}`).toString("base64")}`
  hr = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Basic realm="hr"' })
      res.end(JSON.stringify({ error: "bad credentials" }))
      return
    }
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify(people))
  })
  await new Promise<void>((r) => hr.listen(0, "127.0.0.1", () => r()))
  hrUrl = `http://127.0.0.1:${(hr.address() as AddressInfo).port}`
  run = tempDir("secrets-run")
  keys = tempDir("secrets-keys") // secret files live outside the run directory
  writeFileSync(join(keys.path, "okta.pem"), pem)
})

afterAll(async () => {
  await emu?.close()
  await new Promise<void>((r) => (hr ? hr.close(() => r()) : r()))
  run?.remove()
  keys?.remove()
})

const config = (auth: "ssws" | "oauth") => ({
  version: 1,
  name: "secrets",
  okta: {
    orgUrl: emu.url,
    identitySourceId: IDENTITY_SOURCE,
    auth:
      auth === "ssws"
        ? { type: "ssws", token: "${OKTA_API_TOKEN}" }
        : {
            type: "oauth",
            clientId: CLIENT_ID,
            privateKey: "${OKTA_PRIVATE_KEY}",
            keyId: "reliability-key",
            dpop: true,
            scopes: ["okta.identitySources.manage", "okta.identitySources.read", "okta.schemas.read"]
          }
  },
  source: { type: "rest", baseUrl: hrUrl, path: "/v1/people", auth: { type: "basic", username: HR_USER, password: "${HR_API_PASSWORD}" } },
  mapping: employeeMapping,
  schema: { users: { required: ["userName", "email"], attributes: { department: {}, title: {}, city: {}, managerId: {} } } },
  state: { type: "sqlite", path: "state.db" }
})

const env = (overrides: Record<string, string> = {}) => ({
  OKTA_API_TOKEN: ssws,
  OKTA_PRIVATE_KEY_FILE: join(keys.path, "okta.pem"),
  HR_API_PASSWORD: hrPassword,
  ...overrides
})

// @effect/cli's built-in --log-level must come before the subcommand (after it: "unknown argument", reported)
const debug = ["--log-format", "json", "--report", "r.json", "--report", "r.html"]

/** Every file under the run directory, recursively. */
const filesUnder = (dir: string): Array<{ where: string; content: Buffer }> =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : [{ where: p.slice(run.path.length + 1), content: readFileSync(p) }]
  })

const outputs: Array<{ where: string; content: string }> = []
const cli = async (label: string, args: ReadonlyArray<string>, overrides: Record<string, string> = {}) => {
  const r = await Cli.run(run.path, ["--log-level", "debug", ...args], env(overrides))
  outputs.push({ where: `${label}: stdout`, content: r.stdout }, { where: `${label}: stderr`, content: r.stderr })
  return r
}

describe("secrets never leave", () => {
  it("finds a planted secret in every form it looks for (the scanner works)", () => {
    const planted = [
      { where: "raw", content: `token=${ssws}` },
      { where: "basic", content: `Authorization: Basic ${Buffer.from(`${HR_USER}:${hrPassword}`).toString("base64")}` },
      { where: "json", content: JSON.stringify({ key: pem }) },
      { where: "pem line", content: pem.split("\n")[5]! },
      { where: "url", content: `https://x/?p=${encodeURIComponent(hrPassword)}` }
    ]
    const found = Secrets.scan(planted, secrets.slice(0, 3))
    expect(new Set(found.map((f) => f.where))).toEqual(new Set(planted.map((p) => p.where)))
    expect(Secrets.scan([{ where: "clean", content: "nothing here" }], secrets.slice(0, 3))).toEqual([])
  })

  it("debug logs, JSON logs, JSON + HTML reports, state and every file: no secret in any form", { timeout: 120_000 }, async () => {
    writeFileSync(join(run.path, "anysource.json"), JSON.stringify(config("ssws"), null, 2))
    const check = await cli("check (ssws)", ["check", "-c", "anysource.json", ...debug.slice(0, 2)])
    expect(check.code, Cli.show(check)).toBe(0)
    const applied = await cli("apply (ssws)", ["apply", "--yes", "-c", "anysource.json", ...debug])
    expect(applied.code, Cli.show(applied)).toBe(0)
    expect(emu.directory.users(IDENTITY_SOURCE)).toHaveLength(people.length)
    expect(JSON.parse(readFileSync(join(run.path, "r.json"), "utf8"))).toMatchObject({ outcome: "applied" })
    expect(readFileSync(join(run.path, "r.html"), "utf8")).toContain("<html")
    // debug logging really is on: the JSON log lines are there
    expect(applied.stderr.split("\n").filter((l) => l.startsWith("{")).length).toBeGreaterThan(3)
    const plan = await cli("plan --json (ssws)", ["plan", "--json", "-c", "anysource.json", ...debug])
    expect(plan.code, Cli.show(plan)).toBe(0)
    const sessions = await cli("sessions list (ssws)", ["sessions", "list", "-c", "anysource.json", ...debug.slice(0, 2)])
    expect(sessions.code, Cli.show(sessions)).toBe(0)

    // OAuth 2.0 private_key_jwt with DPoP, key from a _FILE; a changed source so the run sends something
    people.splice(0, 10)
    writeFileSync(join(run.path, "anysource.json"), JSON.stringify(config("oauth"), null, 2))
    const oauth = await cli("apply (oauth+dpop)", ["apply", "--yes", "--allow-deletes", "-c", "anysource.json", ...debug])
    expect(oauth.code, Cli.show(oauth)).toBe(0)
    expect(secrets.some((s) => s.name.startsWith("access token"))).toBe(true)

    // error paths: a wrong source password, a wrong Okta token
    const badSource = await cli("apply, wrong HR password", ["apply", "--yes", "-c", "anysource.json", ...debug], { HR_API_PASSWORD: `${hrPassword}-wrong` })
    expect(badSource.code, Cli.show(badSource)).toBe(4)
    writeFileSync(join(run.path, "anysource.json"), JSON.stringify(config("ssws"), null, 2))
    people.splice(0, 5) // changes, so the run calls Okta
    const badToken = await cli("apply, wrong Okta token", ["apply", "--yes", "--allow-deletes", "-c", "anysource.json", ...debug], {
      OKTA_API_TOKEN: `${ssws}x`
    })
    expect(badToken.code, Cli.show(badToken)).toBe(7)
    secrets.push({ name: "wrong HR password", value: `${hrPassword}-wrong`, basicUser: HR_USER }, { name: "wrong OKTA_API_TOKEN", value: `${ssws}x` })

    const files = filesUnder(run.path)
    expect(files.map((f) => f.where)).toEqual(expect.arrayContaining(["anysource.json", "r.json", "r.html", "state.db"]))
    expect(Secrets.scan([...outputs, ...files], secrets)).toEqual([])
  })
})
