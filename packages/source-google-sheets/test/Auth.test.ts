import { Effect, Stream } from "effect"
import { generateKeyPairSync } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeSheetsSource, READONLY_SCOPE } from "../src/index.ts"
import type { FakeSheetsServer } from "../src/testing.ts"
import {
  API_KEY,
  errorOf,
  oauth,
  parse,
  rawConfig,
  readAll,
  rowsOf,
  serviceAccount,
  SPREADSHEET_ID,
  startFake
} from "./helpers.ts"

const PUBLIC_ID = "1PublicSheet_0123456789abcdef"
const NARROW = {
  clientId: "narrow.apps.googleusercontent.com",
  clientSecret: "narrow-secret",
  refreshToken: "1//narrow-refresh"
}

let fake: FakeSheetsServer.FakeSheetsServer
const dir = mkdtempSync(Path.join(Os.tmpdir(), "sheets-auth-"))

beforeAll(async () => {
  fake = await startFake({
    oauthClients: [
      { ...oauth, principal: "hr-admin@acme.example" },
      {
        ...NARROW,
        principal: "hr-admin@acme.example",
        scopes: ["https://www.googleapis.com/auth/drive.metadata.readonly"]
      }
    ],
    spreadsheets: [
      {
        id: SPREADSHEET_ID,
        title: "HR",
        readers: [serviceAccount.email, "hr-admin@acme.example"],
        sheets: [{ title: "People", rows: [["id"], ["E1"], ["E2"]] }]
      },
      {
        id: PUBLIC_ID,
        title: "Directory",
        public: true,
        sheets: [{ title: "Public", rows: [["id"], ["P1"]] }]
      }
    ]
  })
})
afterAll(async () => {
  await fake.close()
  rmSync(dir, { recursive: true, force: true })
})

const read = (over: Record<string, unknown>) => Effect.runPromise(readAll(rawConfig(fake, over)))
const tokenRequests = () => fake.requests.filter((r) => r.kind === "token")

const SECRETS = [
  serviceAccount.privateKey.split("\n")[1]!,
  API_KEY,
  oauth.clientSecret,
  oauth.refreshToken,
  NARROW.clientSecret,
  "wrong-key-AIza",
  "1//revoked"
]
const expectNoSecret = (value: unknown) => {
  const text = JSON.stringify(value, (_k, v) =>
    v instanceof Error ? { message: v.message, stack: v.stack } : v
  )
  for (const secret of SECRETS) expect(text).not.toContain(secret)
}

describe("auth that works", () => {
  it("service account (inline key): signs a JWT for the read-only scope and reads as the service account", async () => {
    fake.clearLog()
    expect(rowsOf((await read({})).exit)).toHaveLength(2)
    expect(tokenRequests()).toEqual([
      expect.objectContaining({
        status: 200,
        grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        principal: serviceAccount.email,
        scopes: [READONLY_SCOPE]
      })
    ])
    expect(
      fake.requests
        .filter((r) => r.kind !== "token")
        .every((r) => r.principal === serviceAccount.email && r.credential === "bearer")
    ).toBe(true)
  })

  it("service account (keyFile relative to the config's directory), using the key's token_uri", async () => {
    writeFileSync(Path.join(dir, "sa.json"), serviceAccount.keyJson(fake.tokenUrl))
    fake.clearLog()
    const config = parse({
      ...rawConfig(fake),
      auth: { type: "serviceAccount", keyFile: "sa.json" },
      tokenUrl: undefined
    })
    const rows = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const source = yield* makeSheetsSource(config, { baseDir: dir })
          yield* source.check
          return yield* Stream.runCollect(source.read)
        })
      )
    )
    expect(rows.length).toBe(2)
    expect(tokenRequests()).toHaveLength(1)
  })

  it("OAuth refresh token: takes an access token from tokenUrl and reads as the user", async () => {
    fake.clearLog()
    const result = await read({ auth: { type: "oauth", ...oauth } })
    expect(rowsOf(result.exit)).toHaveLength(2)
    expect(tokenRequests()).toEqual([
      expect.objectContaining({ status: 200, grantType: "refresh_token", principal: "hr-admin@acme.example" })
    ])
  })

  it("API key: reads a public sheet with key=, without any token", async () => {
    fake.clearLog()
    const result = await read({
      spreadsheetId: PUBLIC_ID,
      auth: { type: "apiKey", key: API_KEY },
      tokenUrl: undefined
    })
    expect(rowsOf(result.exit).map((r) => r.data)).toEqual([{ id: "P1" }])
    expect(tokenRequests()).toHaveLength(0)
    expect(fake.requests.every((r) => r.credential === "key")).toBe(true)
  })
})

describe("auth failures are typed SourceErrors without secrets", () => {
  const cases: ReadonlyArray<{
    name: string
    over: () => Record<string, unknown>
    reason: string
    message: RegExp
  }> = [
    {
      name: "an invalid API key",
      over: () => ({
        spreadsheetId: PUBLIC_ID,
        auth: { type: "apiKey", key: "wrong-key-AIza" },
        tokenUrl: undefined
      }),
      reason: "Auth",
      message: /answered 400 INVALID_ARGUMENT .*API key not valid.* — check the apiKey credentials/
    },
    {
      name: "an API key on a private sheet",
      over: () => ({ auth: { type: "apiKey", key: API_KEY }, tokenUrl: undefined }),
      reason: "Permission",
      message:
        /403 PERMISSION_DENIED .*an API key reads only sheets shared as “Anyone with the link can view”/
    },
    {
      name: "a revoked refresh token",
      over: () => ({ auth: { type: "oauth", ...oauth, refreshToken: "1//revoked" } }),
      reason: "Auth",
      message:
        /token endpoint refused the oauth credentials .*invalid_grant \(Token has been expired or revoked\.\): the refresh token was revoked or expired/
    },
    {
      name: "a wrong client secret",
      over: () => ({ auth: { type: "oauth", ...oauth, clientSecret: "nope" } }),
      reason: "Auth",
      message: /invalid_client .*check clientId and clientSecret/
    },
    {
      name: "credentials without the spreadsheets scope",
      over: () => ({ auth: { type: "oauth", ...NARROW } }),
      reason: "Permission",
      message: /insufficient authentication scopes.* lack the spreadsheets.readonly scope/
    },
    {
      name: "a service account the sheet is not shared with",
      over: () => ({ spreadsheetId: PUBLIC_ID.replace("Public", "Privat") }),
      reason: "NotFound",
      message:
        /spreadsheet 1PrivatSheet_0123456789abcdef was not found .*share the spreadsheet with the service account anysource-reader@acme-hr\.iam\.gserviceaccount\.com/
    },
    {
      name: "a service account key Google does not know (wrong signature)",
      over: () => {
        const other = generateKeyPairSync("rsa", {
          modulusLength: 2048,
          privateKeyEncoding: { type: "pkcs8", format: "pem" },
          publicKeyEncoding: { type: "spki", format: "pem" }
        })
        const key = JSON.parse(serviceAccount.keyJson()) as Record<string, unknown>
        return {
          auth: { type: "serviceAccount", key: JSON.stringify({ ...key, private_key: other.privateKey }) }
        }
      },
      reason: "Auth",
      message: /invalid_grant \(Invalid JWT Signature\.\): check the key is current/
    },
    {
      name: "a key that is not JSON",
      over: () => ({ auth: { type: "serviceAccount", key: `not json ${serviceAccount.privateKey}` } }),
      reason: "Auth",
      message: /^auth\.key is not JSON: expected the service account key file downloaded from Google Cloud$/
    },
    {
      name: "a key file that does not exist",
      over: () => ({ auth: { type: "serviceAccount", keyFile: "/nonexistent/sa.json" } }),
      reason: "NotFound",
      message: /cannot read the service account key file \/nonexistent\/sa\.json \(ENOENT\)/
    },
    {
      name: "a JSON key that is not a service account key",
      over: () => ({
        auth: { type: "serviceAccount", key: JSON.stringify({ type: "authorized_user", client_id: "x" }) }
      }),
      reason: "Auth",
      message: /is not a service account key \(missing or wrong: type, client_email, private_key\)/
    }
  ]

  for (const c of cases) {
    it(`${c.name} → ${c.reason}`, async () => {
      const result = await read(c.over())
      const error = errorOf(result.exit)
      expect(error._tag).toBe("SourceError")
      expect(error.source).toBe("google-sheets")
      expect(error.reason).toBe(c.reason)
      expect(error.message).toMatch(c.message)
      expect(error.retryable).toBe(false)
      expectNoSecret(error)
      expectNoSecret(error.message)
    })
  }

  it("a service account that is not a reader → Permission, naming the account to share with", async () => {
    fake.setReaders(SPREADSHEET_ID, ["hr-admin@acme.example"])
    try {
      const error = errorOf((await read({})).exit)
      expect(error.reason).toBe("Permission")
      expect(error.message).toContain(
        "share the spreadsheet with the service account anysource-reader@acme-hr.iam.gserviceaccount.com (Viewer)"
      )
    } finally {
      fake.setReaders(SPREADSHEET_ID, [serviceAccount.email, "hr-admin@acme.example"])
    }
  })

  it("an unreachable server → Connect (retryable), naming the host only", async () => {
    const closed = await startFake()
    const url = closed.url
    await closed.close()
    const error = errorOf(
      (
        await read({
          rootUrl: url,
          maxRetries: 0,
          auth: { type: "apiKey", key: API_KEY },
          tokenUrl: undefined
        })
      ).exit
    )
    expect(error.reason).toBe("Connect")
    expect(error.retryable).toBe(true)
    expect(error.message).toMatch(
      /^cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\) while reading the metadata of spreadsheet/
    )
    expectNoSecret(error)
  })
})

describe("timeouts", () => {
  it("a server that does not answer within requestTimeoutMs → Timeout (retryable)", async () => {
    fake.failNext(1, { status: 200, kind: "metadata", delayMillis: 3000 })
    try {
      const started = Date.now()
      const error = errorOf((await read({ requestTimeoutMs: 1000, maxRetries: 0 })).exit)
      expect(error.reason).toBe("Timeout")
      expect(error.retryable).toBe(true)
      expect(error.message).toMatch(
        /^127\.0\.0\.1:\d+ did not answer in time while reading the metadata of spreadsheet/
      )
      expect(Date.now() - started).toBeLessThan(2900)
    } finally {
      fake.clearFaults()
    }
  })
})
