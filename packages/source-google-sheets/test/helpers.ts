import type { SourceError } from "@anysource/core"
import { Cause, Effect, Exit, Option, Stream } from "effect"
import { generateKeyPairSync } from "node:crypto"
import { GoogleSheetsConfig, makeSheetsSource, type GoogleSheetsSourceInstance } from "../src/index.ts"
import type { Model } from "@anysource/core"
import { FakeSheetsServer } from "../src/testing.ts"

export const SPREADSHEET_ID = "1PeopleSheet_0123456789abcdef"

export const serviceAccount = (() => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" }
  })
  const email = "anysource-reader@acme-hr.iam.gserviceaccount.com"
  return {
    email,
    publicKey,
    privateKey,
    keyJson: (tokenUri?: string) =>
      JSON.stringify({
        type: "service_account",
        project_id: "acme-hr",
        private_key_id: "k1",
        private_key: privateKey,
        client_email: email,
        client_id: "1234567890",
        ...(tokenUri !== undefined ? { token_uri: tokenUri } : {})
      })
  }
})()

export const API_KEY = "AIzaFakeKey-not-a-secret-0001"
export const oauth = {
  clientId: "client-1.apps.googleusercontent.com",
  clientSecret: "oauth-secret",
  refreshToken: "1//refresh-token"
}

/** A fake with every credential kind registered. */
export const startFake = (options: FakeSheetsServer.Options = {}) =>
  FakeSheetsServer.start({
    apiKeys: [API_KEY],
    oauthClients: [{ ...oauth, principal: "hr-admin@acme.example" }],
    serviceAccounts: [{ email: serviceAccount.email, publicKey: serviceAccount.publicKey }],
    ...options
  })

/** A raw config (as written in YAML) using the fake's URLs and the service account. */
export const rawConfig = (
  fake: FakeSheetsServer.FakeSheetsServer,
  over: Record<string, unknown> = {}
): Record<string, unknown> => ({
  spreadsheetId: SPREADSHEET_ID,
  auth: { type: "serviceAccount", key: serviceAccount.keyJson() },
  rootUrl: fake.url,
  tokenUrl: fake.tokenUrl,
  ...over
})

export const parse = (raw: unknown) => GoogleSheetsConfig.parse(raw)

const noStats = { requests: 0, retries: 0, rateLimited: 0, waitedMillis: 0 }

/** Make the source and collect every row; `exit` holds the typed error of `make` or `read`. */
export const readAll = (raw: unknown, baseDir = process.cwd()) =>
  Effect.scoped(
    Effect.gen(function* () {
      const made = yield* Effect.exit(makeSheetsSource(parse(raw), { baseDir }))
      if (Exit.isFailure(made))
        return { exit: made as Exit.Exit<never, SourceError>, stats: noStats, fingerprint: undefined }
      const source = made.value
      const exit = yield* Effect.exit(Stream.runCollect(source.read))
      const stats = yield* source.stats
      const fingerprint = Exit.isSuccess(exit) && source.fingerprint ? yield* source.fingerprint : undefined
      return { exit: Exit.map(exit, (c) => Array.from(c)), stats, fingerprint }
    })
  )

export const rowsOf = (
  exit: Exit.Exit<ReadonlyArray<Model.SourceRow>, SourceError>
): ReadonlyArray<Model.SourceRow> => {
  if (Exit.isFailure(exit)) throw new Error(`read failed: ${Cause.pretty(exit.cause)}`)
  return exit.value
}

export const errorOf = <A>(exit: Exit.Exit<A, SourceError>): SourceError => {
  if (Exit.isSuccess(exit)) throw new Error("expected the read to fail")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`not a typed failure: ${Cause.pretty(exit.cause)}`)
  return failure.value
}

export type Instance = GoogleSheetsSourceInstance
