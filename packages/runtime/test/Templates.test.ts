/** `anysource init`'s starter configs, one per adapter in the registry, load as valid pipeline configs. */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { ConfigLoader } from "@anysource/core"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { registry } from "../src/Sources.ts"
import * as Templates from "../src/Templates.ts"

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-init-"))
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

/** The secrets the examples read from the environment. */
const env = {
  HR_DATABASE_URL: "postgres://reader@db/hr",
  SFTP_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----",
  GOOGLE_SA_KEY: JSON.stringify({ type: "service_account", client_email: "sa@p.iam.gserviceaccount.com", private_key: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n" }),
  HR_API_TOKEN: "t"
}

const load = (name: string, text: string, vars: Record<string, string> = env) => {
  const file = Path.join(dir, `${name}.yaml`)
  Fs.writeFileSync(file, text)
  return Effect.either(ConfigLoader.load(file, { sources: registry, env: vars }))
}

describe("starter configs", () => {
  it.effect("every adapter's starter config is valid for the embedded org, its secrets from the environment", () =>
    Effect.gen(function* () {
      for (const definition of yield* registry.loadAll) {
        const text = Templates.starterConfig({ sourceBlock: Templates.sourceBlock(definition), orgUrl: "embedded", identitySourceId: "0oa1" })
        expect(text, definition.id).toMatch(/^# /m)
        expect(text, definition.id).not.toMatch(/password:\s*[^$\s]|token:\s*[^$\s#]/)
        const result = yield* load(definition.id, text)
        if (Either.isLeft(result)) throw new Error(`${definition.id}: ${result.left.message}`)
        expect(result.right.config.source.type).toBe(definition.id)
        expect(result.right.config.safeguards.users.maxDeactivationPercent).toBe(10)
      }
    })
  )

  it.effect("a real-org starter config asks for the token from the environment, never a literal secret", () =>
    Effect.gen(function* () {
      const file = yield* registry.load("file")
      const text = Templates.starterConfig({ sourceBlock: Templates.sourceBlock(file!), orgUrl: "https://acme.okta.com", identitySourceId: "0oa1" })
      expect(text).toContain("token: ${OKTA_API_TOKEN}")
      const missing = yield* load("real", text, {})
      expect(Either.isLeft(missing) && missing.left.message).toContain("OKTA_API_TOKEN")
    })
  )

  it("an adapter without docs still gets a block naming its type", () => {
    const block = Templates.sourceBlock({ id: "acme", displayName: "Acme HR" } as never)
    expect(block).toBe("source:\n  type: acme\n  # Acme HR: `anysource sources acme` lists every setting.")
  })
})
