/**
 * Secrets from AWS Secrets Manager or SSM Parameter Store, fetched through the AWS Parameters and Secrets
 * Lambda Extension (a layer that serves them on localhost and caches them; no AWS SDK in the bundle).
 * `ANYSOURCE_SECRETS="OKTA_API_TOKEN=secretsmanager:anysource/okta-token,PG_URL=ssm:/anysource/pg-url"`
 * offers each value to the config as `${OKTA_API_TOKEN}` / `${PG_URL}`. Values are `Redacted` and never logged.
 */
import { Data, Effect, Redacted } from "effect"
import type { LambdaEnv, SecretRef } from "./Env.ts"

export class SecretsError extends Data.TaggedError("SecretsError")<{ readonly message: string }> {}

const urlFor = (port: number, ref: SecretRef): string =>
  ref.store === "secretsmanager"
    ? `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(ref.id)}`
    : `http://localhost:${port}/systemsmanager/parameters/get?name=${encodeURIComponent(ref.id)}&withDecryption=true`

const valueOf = (ref: SecretRef, body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  if (ref.store === "secretsmanager") {
    const s = (body as { SecretString?: unknown }).SecretString
    return typeof s === "string" ? s : undefined
  }
  const p = (body as { Parameter?: { Value?: unknown } }).Parameter
  return typeof p?.Value === "string" ? p.Value : undefined
}

const fetchOne = (env: LambdaEnv, ref: SecretRef, fetcher: typeof fetch): Effect.Effect<readonly [string, Redacted.Redacted<string>], SecretsError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetcher(urlFor(env.extension.port, ref), {
        headers: { "X-Aws-Parameters-Secrets-Token": env.extension.token ?? "" },
        signal
      })
      const text = await response.text()
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      const value = valueOf(ref, JSON.parse(text) as unknown)
      if (value === undefined) throw new Error("the reply holds no SecretString / Parameter.Value")
      return [ref.name, Redacted.make(value)] as const
    },
    catch: (error) =>
      new SecretsError({
        message: `Could not read ${ref.store}:${ref.id} (for \${${ref.name}}) from the Parameters and Secrets extension on port ${env.extension.port}: ${error instanceof Error ? error.message : "failed"}. Is the extension layer attached, and may the function's role read that ${ref.store === "ssm" ? "parameter" : "secret"}?`
      })
  }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new SecretsError({ message: `Timed out reading ${ref.store}:${ref.id} from the Parameters and Secrets extension.` }) }))

/** Every configured secret, by variable name. */
export const fetchAll = (env: LambdaEnv, fetcher: typeof fetch = fetch): Effect.Effect<ReadonlyMap<string, Redacted.Redacted<string>>, SecretsError> =>
  env.secrets.length === 0
    ? Effect.succeed(new Map())
    : env.extension.token === undefined
      ? Effect.fail(new SecretsError({ message: "ANYSOURCE_SECRETS is set but AWS_SESSION_TOKEN is not: the Parameters and Secrets extension only answers inside Lambda." }))
      : Effect.forEach(env.secrets, (ref) => fetchOne(env, ref, fetcher), { concurrency: 4 }).pipe(Effect.map((pairs) => new Map(pairs)))
