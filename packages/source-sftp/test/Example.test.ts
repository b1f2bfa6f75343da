/** examples/sftp/anysource.yaml stays valid: it loads through core's ConfigLoader with this adapter. */
import { it } from "@effect/vitest"
import * as Path from "node:path"
import { ConfigLoader } from "@anysource/core"
import { Effect, Redacted } from "effect"
import { expect } from "vitest"
import { SftpSource, type SftpSourceConfig } from "../src/index.ts"

const example = Path.resolve(import.meta.dirname, "../../../examples/sftp/anysource.yaml")

it.effect("examples/sftp/anysource.yaml loads, with the key from ${SFTP_KEY} kept Redacted", () =>
  Effect.gen(function* () {
    const loaded = yield* ConfigLoader.load(example, {
      env: { SFTP_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----\nexample\n-----END OPENSSH PRIVATE KEY-----", OKTA_API_TOKEN: "token" },
      sources: [SftpSource]
    })
    expect(loaded.source.id).toBe("sftp")
    const config = loaded.sourceConfig as SftpSourceConfig
    expect(config).toMatchObject({ path: "outbound/people-*.csv", pick: "newest", ready: { marker: "{name}.done" }, minAge: 120_000, archiveDir: "processed" })
    expect(config.hostKey?.fingerprint).toEqual(["SHA256:cm43Q79gm/BCF+Ir1zI9pJrweTP5RG1n78oIhWmdN/E"])
    expect(Redacted.isRedacted(config.privateKey)).toBe(true)
  })
)
