import { ConfigLoader } from "@anysource/core"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { sources } from "../src/Sources.ts"
import { sourceTypes, starterConfig } from "../src/Templates.ts"

const load = (text: string, env: Record<string, string> = {}) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anysource-init-"))
  const file = path.join(dir, "anysource.yaml")
  fs.writeFileSync(file, text)
  return Effect.runPromise(Effect.either(ConfigLoader.load(file, { sources, env }))).finally(() =>
    fs.rmSync(dir, { recursive: true, force: true })
  )
}

describe("init templates", () => {
  it("the file template is a valid config for the embedded org", async () => {
    const result = await load(starterConfig({ source: "file", orgUrl: "embedded", identitySourceId: "0oaexampleidsource01" }))
    if (Either.isLeft(result)) throw new Error(result.left.message)
    expect(result.right.config.okta.orgUrl).toBe("embedded")
    expect(result.right.config.source.type).toBe("file")
    expect(result.right.config.safeguards.users.maxDeactivationPercent).toBe(10)
  })

  it("a real-org template asks for auth from the environment, never a literal secret", async () => {
    const text = starterConfig({ source: "file", orgUrl: "https://acme.okta.com", identitySourceId: "0oa1" })
    expect(text).toContain("token: ${OKTA_API_TOKEN}")
    const missing = await load(text)
    expect(Either.isLeft(missing)).toBe(true)
    if (Either.isLeft(missing)) expect(missing.left.message).toContain("OKTA_API_TOKEN")
  })

  it("every template is valid for its adapter when the adapter is installed (secrets from the environment)", async () => {
    const env = { HR_DATABASE_URL: "postgres://reader@db/hr", SFTP_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----", GOOGLE_SA_KEY: JSON.stringify({ type: "service_account", client_email: "sa@p.iam.gserviceaccount.com", private_key: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n" }), HR_API_TOKEN: "t" }
    const installed = sourceTypes.filter((t) => sources.some((d) => d.id === t))
    expect(installed).toContain("file")
    for (const source of installed) {
      const result = await load(starterConfig({ source, orgUrl: "embedded", identitySourceId: "0oa1" }), env)
      if (Either.isLeft(result)) throw new Error(`${source}: ${result.left.message}`)
      expect(result.right.config.source.type).toBe(source)
    }
  })

  it("every source type has a commented template whose common part is valid", () => {
    for (const source of sourceTypes) {
      const text = starterConfig({ source, orgUrl: "embedded", identitySourceId: "0oa1" })
      expect(text).toContain(`type: ${source}`)
      expect(text).toMatch(/^# /m)
      expect(text).not.toMatch(/password:\s*[^$\s]|token:\s*[^$\s#]/)
    }
  })
})
