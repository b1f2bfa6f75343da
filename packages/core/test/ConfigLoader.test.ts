import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Stream } from "effect"
import { z } from "zod"
import { secret } from "../src/config/Config.ts"
import * as ConfigLoader from "../src/config/ConfigLoader.ts"
import type { ConfigError } from "../src/domain/Errors.ts"
import { defineSource, type SourceCatalog } from "../src/domain/Source.ts"
import { TestSource } from "../src/testing.ts"

const fixtures = Path.join(import.meta.dirname, "fixtures", "config")
const fixture = (name: string) => Path.join(fixtures, name)

/** An adapter with a path, a secret and a refinement that (badly) echoes its input: the loader must scrub it. */
const DbSource = defineSource({
  id: "db",
  displayName: "Database",
  config: z.strictObject({
    url: z.string().min(1),
    password: secret(),
    table: z.string().refine((t) => !t.includes(" "), {
      error: (issue) => `table name "${String(issue.input)}" has a space`
    }),
    batchSize: z.number().int().min(1).default(500)
  }),
  make: () => Effect.succeed({ check: Effect.void, read: Stream.empty })
})

const sources = [TestSource.fromRows([{ employee_id: "1" }]), DbSource]
const token = "tok-9f8e7d6c5b4a-SECRET"
const env = { OKTA_API_TOKEN: token }

const base = (): Record<string, any> => ({
  version: 1,
  okta: {
    orgUrl: "https://example.okta.com",
    identitySourceId: "0oaTEST",
    auth: { type: "ssws", token: "${OKTA_API_TOKEN}" }
  },
  source: { type: "test" },
  mapping: { externalId: "employee_id", profile: { userName: "email", email: "email" } },
  state: { type: "memory" }
})

const parse = (raw: unknown, environment: Record<string, string | undefined> = env) =>
  ConfigLoader.parse(raw, { env: environment, sources, baseDir: "/srv/sync" })

const failure = (raw: unknown, environment: Record<string, string | undefined> = env) =>
  Effect.flip(parse(raw, environment))

const paths = (error: ConfigError) => (error.issues ?? []).map((i) => i.path)
const messageAt = (error: ConfigError, path: string) =>
  error.issues?.find((i) => i.path === path)?.message ?? ""

const tempDir = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-config-"))

describe("ConfigLoader.load", () => {
  it.effect(
    "loads YAML: interpolates, validates, redacts secrets, resolves paths against the file's directory",
    () =>
      Effect.gen(function* () {
        const loaded = yield* ConfigLoader.load(fixture("anysource.yaml"), { env, sources })
        expect(loaded.file).toBe(fixture("anysource.yaml"))
        expect(loaded.baseDir).toBe(fixtures)
        expect(loaded.source.id).toBe("test")
        expect(loaded.sourceConfig).toEqual({ limit: 2 })
        expect(loaded.config.source).toEqual({ type: "test", limit: 2 })
        expect(loaded.config.mapping.profile["lastName"]).toBe("$uppercase(last_name)")
        expect(loaded.config.state).toEqual({
          type: "sqlite",
          path: Path.join(fixtures, ".anysource/state.db")
        })
        const auth = loaded.config.okta.auth
        expect(auth?.type).toBe("ssws")
        if (auth?.type !== "ssws") throw new Error("expected ssws auth")
        expect(Redacted.isRedacted(auth.token)).toBe(true)
        expect(Redacted.value(auth.token)).toBe(token)
        expect(JSON.stringify(loaded.config)).not.toContain(token)
        expect(loaded.configHash).toMatch(/^[0-9a-f]{64}$/)
      })
  )

  it.effect(
    "JSON (with a $schema key) and anysource.config.ts load to the same config and hash as YAML",
    () =>
      Effect.gen(function* () {
        const yaml = yield* ConfigLoader.load(fixture("anysource.yaml"), { env, sources })
        const json = yield* ConfigLoader.load(fixture("anysource.json"), { env, sources })
        const ts = yield* ConfigLoader.load(fixture("anysource.config.ts"), { env, sources })
        expect(json.configHash).toBe(yaml.configHash)
        expect(ts.configHash).toBe(yaml.configHash)
        expect(JSON.stringify(ts.config)).toBe(JSON.stringify(yaml.config))
        expect(Redacted.value((ts.config.okta.auth as { token: Redacted.Redacted<string> }).token)).toBe(
          token
        )
      })
  )

  it.effect("a directory is searched for the default file names", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      Fs.copyFileSync(fixture("anysource.yaml"), Path.join(dir, "anysource.yml"))
      const loaded = yield* ConfigLoader.load(dir, { env, sources })
      expect(loaded.file).toBe(Path.join(dir, "anysource.yml"))
      const empty = yield* Effect.flip(ConfigLoader.load(tempDir(), { env, sources }))
      expect(empty.reason).toBe("NotFound")
      expect(empty.message).toContain("anysource.yaml")
    })
  )

  it.effect("a TypeScript config may export a (async) function and may hold Redacted values directly", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = Path.join(dir, "anysource.config.mjs")
      Fs.writeFileSync(
        file,
        `export default async () => ({ version: 1, okta: { orgUrl: "embedded", identitySourceId: "0oaX" }, source: { type: "test" },
          mapping: { externalId: "id", profile: { userName: "u", email: "e" } }, state: { type: "memory" } })`
      )
      const loaded = yield* ConfigLoader.load(file, { env: {}, sources })
      expect(loaded.config.okta.orgUrl).toBe("embedded")

      const withRedacted = base()
      withRedacted["okta"].auth.token = Redacted.make("direct-secret")
      const parsed = yield* parse(withRedacted, {})
      expect(Redacted.value((parsed.config.okta.auth as { token: Redacted.Redacted<string> }).token)).toBe(
        "direct-secret"
      )
    })
  )

  // Broken files are written at test time (a formatter run over fixtures would "fix" them).
  it.effect("YAML syntax errors name file:line:col", () =>
    Effect.gen(function* () {
      const file = Path.join(tempDir(), "broken.yaml")
      Fs.writeFileSync(file, "version: 1\nokta:\n  orgUrl: embedded\n  identitySourceId: [0oa,\nmapping: x\n")
      const error = yield* Effect.flip(ConfigLoader.load(file, { env, sources }))
      expect(error.reason).toBe("Parse")
      expect(error.message).toMatch(/broken\.yaml:5:1: Flow sequence/)
      expect(error.message).not.toContain("^") // no source excerpt
    })
  )

  it.effect("JSON syntax errors name file:line:col", () =>
    Effect.gen(function* () {
      const file = Path.join(tempDir(), "broken.json")
      Fs.writeFileSync(file, '{\n  "version": 1,\n  "okta": {\n    "orgUrl": "embedded",\n  }\n}\n')
      const error = yield* Effect.flip(ConfigLoader.load(file, { env, sources }))
      expect(error.reason).toBe("Parse")
      expect(error.message).toContain("broken.json:5:3")
    })
  )

  it.effect("a throwing TypeScript config is a Parse error", () =>
    Effect.gen(function* () {
      const file = Path.join(tempDir(), "anysource.config.ts")
      Fs.writeFileSync(file, `throw new Error("boom in config")\nexport default {}\n`)
      const error = yield* Effect.flip(ConfigLoader.load(file, { env, sources }))
      expect(error.reason).toBe("Parse")
      expect(error.message).toContain("boom in config")
    })
  )

  it.effect("missing files and unknown formats are typed errors", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(ConfigLoader.load(fixture("nope.yaml"), { env, sources }))
      expect(missing.reason).toBe("NotFound")
      const toml = Path.join(tempDir(), "anysource.toml")
      Fs.writeFileSync(toml, "version = 1\n")
      const unsupported = yield* Effect.flip(ConfigLoader.load(toml, { env, sources }))
      expect(unsupported.reason).toBe("Unsupported")
      expect(unsupported.message).toContain(".toml")
    })
  )

  it.effect("validation errors list every problem with its path, a hint and the file:line:col", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(ConfigLoader.load(fixture("invalid.yaml"), { env, sources }))
      expect(error.reason).toBe("Invalid")
      expect(paths(error).sort()).toEqual(
        [
          "mapping.profile.email",
          "okta.auth.type",
          "okta.orgURL",
          "okta.orgUrl",
          "source.limt",
          "state.path"
        ].sort()
      )
      expect(messageAt(error, "okta.orgURL")).toMatch(
        /^unknown key "orgURL" — did you mean "orgUrl"\? \(.*invalid\.yaml:3:3\)$/
      )
      expect(messageAt(error, "okta.auth.type")).toContain('one of "ssws" or "oauth" — did you mean "ssws"?')
      expect(messageAt(error, "source.limt")).toContain('did you mean "limit"?')
      expect(messageAt(error, "state.path")).toContain("expected a string, got an integer")
      expect(messageAt(error, "mapping.profile.email")).toMatch(
        /^expected a column name, a JSONata expression.*got an integer/
      )
      expect(error.message).toContain("6 problems")
      expect(error.message).toContain("  - mapping.profile.email: expected")
    })
  )
})

describe("interpolation", () => {
  it.effect("${VAR}, ${VAR:-default}, several references in one string, and $${ escapes", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["name"] = "${TEAM}-${STAGE:-dev}-${EMPTY:-fallback}"
      raw["mapping"].profile.department = "$${not_a_var} & '${DEPT_PREFIX}'"
      const loaded = yield* parse(raw, { ...env, TEAM: "hr", EMPTY: "", DEPT_PREFIX: "d-" })
      expect(loaded.config.name).toBe("hr-dev-fallback")
      expect(loaded.config.mapping.profile["department"]).toBe("${not_a_var} & 'd-'")
    })
  )

  it.effect("VAR_FILE is read when VAR is unset (trailing newline trimmed); VAR wins when both are set", () =>
    Effect.gen(function* () {
      const file = Path.join(tempDir(), "token")
      Fs.writeFileSync(file, "from-file-secret\n")
      const fromFile = yield* parse(base(), { OKTA_API_TOKEN_FILE: file })
      expect(Redacted.value((fromFile.config.okta.auth as { token: Redacted.Redacted<string> }).token)).toBe(
        "from-file-secret"
      )
      const both = yield* parse(base(), { OKTA_API_TOKEN: "from-env", OKTA_API_TOKEN_FILE: file })
      expect(Redacted.value((both.config.okta.auth as { token: Redacted.Redacted<string> }).token)).toBe(
        "from-env"
      )
    })
  )

  it.effect("a missing variable names the config path and the variable; all of them are listed", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["okta"].identitySourceId = "${IDENTITY_SOURCE_ID}"
      const error = yield* failure(raw, {})
      expect(error.reason).toBe("Interpolation")
      expect(paths(error)).toEqual(["okta.identitySourceId", "okta.auth.token"])
      expect(messageAt(error, "okta.auth.token")).toContain("environment variable OKTA_API_TOKEN is not set")
      expect(messageAt(error, "okta.auth.token")).toContain("OKTA_API_TOKEN_FILE")
      expect(error.path).toBe("okta.identitySourceId")
    })
  )

  it.effect("an unreadable VAR_FILE is a SecretFile error naming the variable", () =>
    Effect.gen(function* () {
      const error = yield* failure(base(), { OKTA_API_TOKEN_FILE: "/nonexistent/okta-token" })
      expect(error.reason).toBe("SecretFile")
      expect(messageAt(error, "okta.auth.token")).toBe(
        "cannot read OKTA_API_TOKEN_FILE (/nonexistent/okta-token): ENOENT"
      )
    })
  )

  it.effect("an unterminated or malformed reference is an error", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["name"] = "${OOPS"
      raw["mapping"].profile.title = "${not valid}"
      const error = yield* failure(raw)
      expect(error.reason).toBe("Interpolation")
      expect(messageAt(error, "name")).toContain("unterminated")
      expect(messageAt(error, "mapping.profile.title")).toContain("expected ${NAME} or ${NAME:-default}")
    })
  )

  it.effect("a whole-string reference becomes a number or boolean where the schema wants one", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["okta"].requestTimeoutMs = "${TIMEOUT}"
      raw["validation"] = { strict: "${STRICT}" }
      raw["name"] = "${TIMEOUT}"
      const loaded = yield* parse(raw, { ...env, TIMEOUT: "45000", STRICT: "true" })
      expect(loaded.config.okta.requestTimeoutMs).toBe(45000)
      expect(loaded.config.validation.strict).toBe(true)
      expect(loaded.config.name).toBe("45000")
    })
  )
})

describe("validation messages", () => {
  it.effect("mapping: a bad value, a missing required attribute, a missing externalId", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["mapping"] = { profile: { userName: "email", firstName: ["x"] } }
      const error = yield* failure(raw)
      expect(paths(error)).toEqual(
        expect.arrayContaining(["mapping.externalId", "mapping.profile.firstName"])
      )
      expect(messageAt(error, "mapping.externalId")).toMatch(/^is required: the immutable HR key/)
      expect(messageAt(error, "mapping.profile.firstName")).toContain("got a list")

      const noEmail = base()
      delete noEmail["mapping"].profile.email
      const missing = yield* failure(noEmail)
      expect(paths(missing)).toEqual(["mapping.profile.email"])
      expect(messageAt(missing, "mapping.profile.email")).toContain('every user needs "email"')
    })
  )

  it.effect("okta: auth required for a real org, token required, bad URL, unknown auth type", () =>
    Effect.gen(function* () {
      const noAuth = base()
      delete noAuth["okta"].auth
      expect(paths(yield* failure(noAuth))).toEqual(["okta.auth"])

      const noToken = base()
      noToken["okta"].auth = { type: "ssws" }
      const tokenError = yield* failure(noToken)
      expect(paths(tokenError)).toEqual(["okta.auth.token"])
      expect(messageAt(tokenError, "okta.auth.token")).toMatch(/^is required: a secret/)

      const emptyToken = yield* failure(base(), { OKTA_API_TOKEN: "" })
      expect(messageAt(emptyToken, "okta.auth.token")).toBe("must not be empty")

      const badUrl = base()
      badUrl["okta"].orgUrl = "not a url"
      expect(messageAt(yield* failure(badUrl), "okta.orgUrl")).toBe(
        "must be a URL, e.g. https://example.okta.com"
      )

      const oauth = base()
      oauth["okta"].auth = {
        type: "oauth",
        clientId: "0oaC",
        privateKey: "${OKTA_API_TOKEN}",
        algorithm: "HS256"
      }
      expect(messageAt(yield* failure(oauth), "okta.auth.algorithm")).toBe(
        'must be one of "RS256", "RS384", "RS512", "ES256", "ES384" or "ES512" — did you mean "RS256"?'
      )
    })
  )

  it.effect("state and safeguards name their paths", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["state"] = { type: "sqlit" }
      raw["safeguards"] = { users: { maxDeactivationPercent: 150 } }
      raw["groups"] = [{ externalId: "dept" }]
      const error = yield* failure(raw)
      expect(messageAt(error, "state.type")).toBe(
        'must be one of "sqlite", "postgres" or "memory" — did you mean "sqlite"?'
      )
      expect(messageAt(error, "safeguards.users.maxDeactivationPercent")).toBe("must be 100 or less")
      expect(messageAt(error, "groups[0].displayName")).toMatch(/^is required/)
    })
  )

  it.effect("version and the root shape", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["version"] = 2
      expect(messageAt(yield* failure(raw), "version")).toBe("must be 1")
      const notObject = yield* failure(["a", "list"])
      expect(notObject.message).toContain("the config must be an object")
    })
  )

  it.effect("unknown keys get a did-you-mean hint, or the list of known keys", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["mappings"] = {}
      raw["zzz"] = 1
      const error = yield* failure(raw)
      expect(messageAt(error, "mappings")).toBe('unknown key "mappings" — did you mean "mapping"?')
      expect(messageAt(error, "zzz")).toMatch(
        /^unknown key "zzz" \(known keys: version, name, okta, source, mapping/
      )
    })
  )

  it.effect("a mistyped {column} object in a mapping says what a mapping value may be", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["mapping"].externalId = { colum: "Employee ID" }
      const message = messageAt(yield* failure(raw), "mapping.externalId")
      expect(message).toContain("expected a column name, a JSONata expression, {column}, {expr} or {const}")
      expect(message).toContain('unknown key "colum" — did you mean "column"?')
    })
  )

  it.effect("source: unknown type lists the known types; adapter issues are prefixed with source.", () =>
    Effect.gen(function* () {
      const unknown = base()
      unknown["source"] = { type: "dbb" }
      const error = yield* failure(unknown)
      expect(messageAt(error, "source.type")).toBe(
        'unknown source type "dbb" — did you mean "db"?; known types: test, db'
      )

      const bad = base()
      bad["source"] = { type: "db", url: "", batchSize: 0, extra: true }
      const adapter = yield* failure(bad)
      expect(paths(adapter).sort()).toEqual([
        "source.batchSize",
        "source.extra",
        "source.password",
        "source.table",
        "source.url"
      ])
      expect(messageAt(adapter, "source.url")).toBe("must not be empty")
      expect(messageAt(adapter, "source.batchSize")).toBe("must be 1 or more")
      expect(messageAt(adapter, "source.password")).toMatch(/^is required: a secret/)

      const missingType = base()
      missingType["source"] = { path: "x" }
      expect(paths(yield* failure(missingType))).toEqual(["source.type"])
    })
  )
})

describe("secrets", () => {
  const dbPassword = "hunter2-db-password-value"

  it.effect("secret values never appear in error messages, even when an adapter echoes its input", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["okta"].orgUrl = "${OKTA_API_TOKEN}" // a secret in the wrong place
      raw["source"] = {
        type: "db",
        url: "postgres://db",
        password: "${DB_PASSWORD}",
        table: "${DB_PASSWORD} x"
      }
      const error = yield* failure(raw, { ...env, DB_PASSWORD: dbPassword })
      expect(paths(error)).toEqual(expect.arrayContaining(["okta.orgUrl", "source.table"]))
      expect(messageAt(error, "source.table")).toContain("<redacted>")
      for (const text of [
        error.message,
        JSON.stringify(error),
        String(error),
        JSON.stringify(error.issues)
      ]) {
        expect(text).not.toContain(token)
        expect(text).not.toContain(dbPassword)
      }
    })
  )

  it.effect("secrets read from *_FILE are scrubbed too", () =>
    Effect.gen(function* () {
      const file = Path.join(tempDir(), "pw")
      Fs.writeFileSync(file, `${dbPassword}\n`)
      const raw = base()
      raw["source"] = { type: "db", url: "postgres://db", password: "${PW}", table: "${PW} x" }
      const error = yield* failure(raw, { ...env, PW_FILE: file })
      expect(error.message).not.toContain(dbPassword)
    })
  )

  it.effect("adapter secrets are Redacted in sourceConfig and config.source", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["source"] = { type: "db", url: "postgres://db", password: "${DB_PASSWORD}", table: "people" }
      const loaded = yield* parse(raw, { ...env, DB_PASSWORD: dbPassword })
      const sourceConfig = loaded.sourceConfig as { password: Redacted.Redacted<string>; batchSize: number }
      expect(Redacted.value(sourceConfig.password)).toBe(dbPassword)
      expect(sourceConfig.batchSize).toBe(500)
      expect(JSON.stringify(loaded)).not.toContain(dbPassword)
      expect(Redacted.isRedacted(loaded.config.source["password"])).toBe(true)
    })
  )

  it.effect("configHash ignores secret values but follows everything else", () =>
    Effect.gen(function* () {
      const hash = (raw: unknown, environment: Record<string, string>) =>
        parse(raw, environment).pipe(Effect.map((l) => l.configHash))
      const first = yield* hash(base(), { OKTA_API_TOKEN: "token-one" })
      // Pinned: configHash is part of every plan's inputs (and so of its hash); another encoding would make
      // `apply --plan` refuse every plan reviewed with the previous version.
      expect(first).toBe("781eed06ab46ca1f2879887afca9651d5e5e0b292f063711c3e2dafc6086a487")
      expect(yield* hash(base(), { OKTA_API_TOKEN: "token-two" })).toBe(first)
      const mapping = base()
      mapping["mapping"].profile.email = "work_email"
      expect(yield* hash(mapping, { OKTA_API_TOKEN: "token-one" })).not.toBe(first)
      const safeguards = base()
      safeguards["safeguards"] = { users: { maxDeactivations: 5 } }
      expect(yield* hash(safeguards, { OKTA_API_TOKEN: "token-one" })).not.toBe(first)
      // Key order and defaults written out explicitly do not matter.
      const reordered = { state: { type: "memory" }, ...base(), validation: { strict: false } }
      expect(yield* hash(reordered, { OKTA_API_TOKEN: "token-two" })).toBe(first)
    })
  )
})

describe("ConfigLoader.parse", () => {
  it.effect("resolves relative state paths against baseDir and reports <inline> as the file", () =>
    Effect.gen(function* () {
      const raw = base()
      raw["state"] = { type: "sqlite" }
      const loaded = yield* parse(raw)
      expect(loaded.file).toBe("<inline>")
      expect(loaded.baseDir).toBe("/srv/sync")
      expect(loaded.config.state).toEqual({ type: "sqlite", path: "/srv/sync/.anysource/state.db" })
      const absolute = base()
      absolute["state"] = { type: "sqlite", path: "/var/lib/anysource/state.db" }
      expect((yield* parse(absolute)).config.state).toEqual({
        type: "sqlite",
        path: "/var/lib/anysource/state.db"
      })
    })
  )
})

describe("ConfigLoader with a source catalog", () => {
  /** A catalog that records which adapters were loaded. */
  const lazy = () => {
    const loaded: Array<string> = []
    const catalog: SourceCatalog = {
      ids: sources.map((d) => d.id),
      load: (id) =>
        Effect.sync(() => {
          loaded.push(id)
          return sources.find((d) => d.id === id)
        })
    }
    return { catalog, loaded }
  }

  it.effect("loads only the adapter the config names, and validates with it", () =>
    Effect.gen(function* () {
      const { catalog, loaded } = lazy()
      const raw = base()
      raw["source"] = { type: "db", url: "postgres://db/hr", password: "${DB_PASSWORD}", table: "people" }
      const result = yield* ConfigLoader.parse(raw, { env: { ...env, DB_PASSWORD: "pw-1234567" }, sources: catalog, baseDir: "/srv/sync" })
      expect(loaded).toEqual(["db"])
      expect(result.source).toBe(DbSource)
      expect(result.sourceConfig).toMatchObject({ table: "people", batchSize: 500 })
    })
  )

  it.effect("an unknown type lists the catalog's ids without loading any adapter", () =>
    Effect.gen(function* () {
      const { catalog, loaded } = lazy()
      const raw = base()
      raw["source"] = { type: "dbb" }
      const error = yield* Effect.flip(ConfigLoader.parse(raw, { env, sources: catalog, baseDir: "/srv/sync" }))
      expect(messageAt(error, "source.type")).toBe('unknown source type "dbb" — did you mean "db"?; known types: test, db')
      expect(loaded).toEqual(["dbb"])
      const none = base()
      delete none["source"]
      yield* Effect.flip(ConfigLoader.parse(none, { env, sources: catalog, baseDir: "/srv/sync" }))
      expect(loaded).toEqual(["dbb"])
    })
  )
})
