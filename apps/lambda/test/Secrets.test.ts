import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Env from "../src/Env.ts"
import * as Secrets from "../src/Secrets.ts"

/** A stand-in for the AWS Parameters and Secrets Lambda Extension on loopback. */
const seen: Array<{ url: string; token: string | undefined }> = []
const server = Http.createServer((req, res) => {
  seen.push({ url: req.url ?? "", token: req.headers["x-aws-parameters-secrets-token"] as string | undefined })
  const url = new URL(req.url ?? "/", "http://localhost")
  if (req.headers["x-aws-parameters-secrets-token"] !== "session-token") return void res.writeHead(401).end("unauthorized")
  if (url.pathname === "/secretsmanager/get" && url.searchParams.get("secretId") === "anysource/okta")
    return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Name: "anysource/okta", SecretString: "00aBcDeF-okta-token" }))
  if (url.pathname === "/systemsmanager/parameters/get" && url.searchParams.get("name") === "/anysource/pg" && url.searchParams.get("withDecryption") === "true")
    return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Parameter: { Name: "/anysource/pg", Value: "postgres://u:p@db/x" } }))
  res.writeHead(400).end(JSON.stringify({ message: "ResourceNotFoundException" }))
})
let port = 0
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const env = (secrets: string, token = "session-token") =>
  Env.parse({ ANYSOURCE_SECRETS: secrets, AWS_SESSION_TOKEN: token, PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port) }, "/var/task")

// the extension listens on localhost; on this machine that may resolve to ::1 first
const loopback: typeof fetch = (input, init) => fetch(String(input).replace("//localhost:", "//127.0.0.1:"), init)

describe("secrets through the Parameters and Secrets extension", () => {
  it("fetches Secrets Manager secrets and SSM parameters, authenticated with the session token", async () => {
    const values = await Effect.runPromise(Secrets.fetchAll(env("OKTA_API_TOKEN=secretsmanager:anysource/okta,PG_URL=ssm:/anysource/pg"), loopback))
    expect(Redacted.value(values.get("OKTA_API_TOKEN")!)).toBe("00aBcDeF-okta-token")
    expect(Redacted.value(values.get("PG_URL")!)).toBe("postgres://u:p@db/x")
    expect(String(values.get("OKTA_API_TOKEN"))).toBe("<redacted>")
    expect(seen.every((s) => s.token === "session-token")).toBe(true)
  })

  it("fails with a message naming the secret, never a value", async () => {
    const error = await Effect.runPromise(Effect.flip(Secrets.fetchAll(env("OKTA_API_TOKEN=secretsmanager:anysource/missing"), loopback)))
    expect(error.message).toContain("secretsmanager:anysource/missing")
    expect(error.message).toContain("HTTP 400")
    const denied = await Effect.runPromise(Effect.flip(Secrets.fetchAll(env("OKTA_API_TOKEN=secretsmanager:anysource/okta", "wrong"), loopback)))
    expect(denied.message).toContain("HTTP 401")
    expect(denied.message).not.toContain("00aBcDeF")
  })

  it("needs no extension when no secrets are configured, and refuses to run outside Lambda when some are", async () => {
    expect((await Effect.runPromise(Secrets.fetchAll(Env.parse({}, "/var/task"), loopback))).size).toBe(0)
    const outside = Env.parse({ ANYSOURCE_SECRETS: "X=ssm:/x" }, "/var/task")
    const error = await Effect.runPromise(Effect.flip(Secrets.fetchAll(outside, loopback)))
    expect(error.message).toContain("AWS_SESSION_TOKEN")
  })
})
