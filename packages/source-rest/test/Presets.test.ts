/**
 * The preset machinery (not one preset): the registry, how a preset expands and how the user's keys merge over
 * it, config errors at the key the user wrote, every preset's starter config loading as a valid pipeline
 * config, the JSON Schema, and the generated README sections being current.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { ConfigLoader, JsonSchema } from "@anysource/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { findPreset, Preset, presetIds, presets, RestSource, RestSourceConfig } from "../src/index.ts"
import { restShape } from "../src/RestConfig.ts"

const issues = (raw: unknown) => {
  const result = RestSourceConfig.safeParse(raw)
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
}

describe("the preset registry", () => {
  it("has unique ids, each found by id, and no preset key shadows a REST key", () => {
    expect(presetIds).toEqual(["bamboohr", "workday", "hibob", "personio", "successfactors"])
    expect(new Set(presetIds).size).toBe(presetIds.length)
    for (const preset of presets) {
      expect(findPreset(preset.id)).toBe(preset)
      for (const key of Object.keys(preset.params)) expect(Object.keys(restShape)).not.toContain(key)
      expect(preset.references.length).toBeGreaterThan(0)
      for (const ref of preset.references) expect(ref.read).toMatch(/^\d{4}-\d{2}-\d{2}$/)
      // the default mapping only reads the columns every preset produces
      const columns = Object.keys(Preset.PRESET_COLUMNS)
      expect(columns).toContain(preset.defaults.mapping.externalId)
      expect(Object.keys(preset.defaults.mapping.profile)).toEqual(
        expect.arrayContaining(["userName", "email", "firstName", "lastName"])
      )
    }
    expect(findPreset("adp")).toBeUndefined()
  })

  it("every preset has its own test file against a local server (test/presets/<id>.test.ts)", () => {
    for (const preset of presets) {
      const file = Path.join(import.meta.dirname, "presets", `${preset.id}.test.ts`)
      expect(readFileSync(file, "utf8")).toContain(`preset: ${preset.id}`)
    }
  })

  it("an unknown preset is an error at source.preset listing the known ones", () => {
    expect(issues({ preset: "adp" })).toEqual([
      'preset: unknown preset "adp"; known presets: bamboohr, workday, hibob, personio, successfactors'
    ])
  })

  it("a preset's own keys are checked: missing, malformed and unknown keys are named", () => {
    expect(issues({ preset: "bamboohr", apiKey: "k" })).toEqual([
      "companyDomain: Invalid input: expected string, received undefined"
    ])
    expect(issues({ preset: "bamboohr", companyDomain: "acme.bamboohr.com", apiKey: "k" })).toEqual([
      "companyDomain: the company's BambooHR subdomain, e.g. acme for acme.bamboohr.com"
    ])
    expect(
      issues({ preset: "bamboohr", companyDomain: "acme", apiKey: "k", companyDomian: "x" })[0]
    ).toContain('Unrecognized key: "companyDomian"')
  })

  it("a REST key next to a preset is checked after the merge, at the path the user wrote", () => {
    expect(issues({ preset: "personio", clientId: "c", clientSecret: "s", maxPages: 0 })).toEqual([
      "maxPages: Too small: expected number to be >0"
    ])
    expect(
      issues({ preset: "personio", clientId: "c", clientSecret: "s", pagination: { limit: "many" } })
    ).toEqual(["pagination.limit: Invalid input: expected number, received string"])
    expect(
      issues({ preset: "personio", clientId: "c", clientSecret: "s", baseUrl: "http://hr.example.com/v1" })
    ).toEqual([
      "baseUrl: must use https:// (plain http is allowed only to loopback hosts, or with allowInsecureHttp: true)"
    ])
  })
})

describe("expanding a preset", () => {
  it("gives an ordinary REST config; secrets stay Redacted", () => {
    const config = RestSourceConfig.parse({ preset: "bamboohr", companyDomain: "acme", apiKey: "k-1" })
    expect(config).toMatchObject({
      baseUrl: "https://api.bamboohr.com/api/gateway.php/acme/v1",
      path: "/reports/custom",
      method: "POST",
      records: "/employees",
      throttleStatuses: [429, 503],
      auth: { type: "basic" }
    })
    expect(config.preset).toBeUndefined()
    const auth = config.auth as { username: Redacted.Redacted<string> }
    expect(Redacted.isRedacted(auth.username)).toBe(true)
    expect(Redacted.value(auth.username)).toBe("k-1")
  })

  it("merges the user's keys: objects key by key, a different `type` replaces, null removes, the rest replaces", () => {
    const config = RestSourceConfig.parse({
      preset: "personio",
      clientId: "c",
      clientSecret: "s",
      fields: { cost_center: "$.attributes.dynamic_1.value" },
      auth: { tokenUrl: "https://login.example.com/token" },
      pagination: { limit: 50 },
      requestsPerSecond: null,
      maxPages: 20
    })
    expect(config.fields).toMatchObject({
      employee_id: "$.attributes.id.value",
      cost_center: "$.attributes.dynamic_1.value"
    })
    expect(config.auth).toMatchObject({
      type: "oauth2",
      clientId: "c",
      tokenUrl: "https://login.example.com/token",
      clientAuth: "body"
    })
    expect(config.pagination).toMatchObject({
      type: "offset",
      limit: 50,
      totalPath: "$.metadata.total_elements"
    })
    expect(config.requestsPerSecond).toBeUndefined()
    expect(config.maxPages).toBe(20)

    const bearer = RestSourceConfig.parse({
      preset: "personio",
      clientId: "c",
      clientSecret: "s",
      auth: { type: "bearer", token: "t" }
    })
    expect(bearer.auth).toEqual({ type: "bearer", token: expect.anything() })
    const list = RestSourceConfig.parse({
      preset: "personio",
      clientId: "c",
      clientSecret: "s",
      fields: ["id"]
    })
    expect(list.fields).toEqual(["id"])
  })

  it("mergeOverrides on its own", () => {
    const secret = Redacted.make("x")
    expect(
      Preset.mergeOverrides(
        { a: { b: 1, c: 2 }, d: [1, 2], e: "keep", s: secret, auth: { type: "basic", username: "u" } },
        { a: { c: 3 }, d: [3], e: undefined, f: null, s: "new", auth: { type: "bearer", token: "t" } }
      )
    ).toEqual({ a: { b: 1, c: 3 }, d: [3], e: "keep", s: "new", auth: { type: "bearer", token: "t" } })
    expect(Preset.mergeOverrides({ a: 1, b: 2 }, { b: null })).toEqual({ a: 1 })
  })
})

describe("starter configs (what `init --source <preset>` will write)", () => {
  for (const preset of presets) {
    it.effect(`${preset.id}: loads as a valid pipeline config with its env vars set, secrets Redacted`, () =>
      Effect.gen(function* () {
        const dir = mkdtempSync(Path.join(tmpdir(), `starter-${preset.id}-`))
        try {
          const file = Path.join(dir, "anysource.yaml")
          writeFileSync(
            file,
            `version: 1\nokta:\n  orgUrl: embedded\n  identitySourceId: 0oa0000000000000001\n\n${Preset.starterYaml(preset)}`
          )
          const env = Object.fromEntries(
            preset.env.map((v) => [
              v.name,
              v.secret
                ? "secret-value"
                : "https://wd2-impl-services1.workday.com/ccx/service/customreport2/acme/ISU_Okta/Okta_Workers"
            ])
          )
          const loaded = yield* ConfigLoader.load(file, { env, sources: [RestSource] })
          expect(loaded.source.id).toBe("rest")
          expect(loaded.config.mapping).toEqual(preset.defaults.mapping)
          expect(loaded.config.filter).toEqual(preset.defaults.filter)
          expect(JSON.stringify(loaded.sourceConfig)).not.toContain("secret-value")
          // every env var the starter mentions is one it reads
          for (const v of preset.env) expect(Preset.starterYaml(preset)).toContain(`\${${v.name}}`)
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      })
    )
  }
})

describe("documentation", () => {
  it("the JSON Schema of `source` is one object: every REST key, `preset` and each preset's keys (secrets marked)", () => {
    const schema = JsonSchema.jsonSchema([RestSource]) as {
      properties: { source: { oneOf: Array<Record<string, any>> } }
    }
    const rest = schema.properties.source.oneOf[0]!
    expect(rest["type"]).toBe("object")
    expect(rest["additionalProperties"]).toBe(false)
    const properties = rest["properties"] as Record<string, Record<string, unknown>>
    expect(properties["type"]).toMatchObject({ const: "rest" })
    for (const key of Object.keys(restShape)) expect(properties, key).toHaveProperty(key)
    expect(properties["preset"]).toMatchObject({ enum: [...presetIds] })
    expect(properties["maxPages"]).toMatchObject({ type: "integer", default: 1000 })
    for (const preset of presets)
      for (const key of Object.keys(preset.params)) expect(properties, key).toHaveProperty(key)
    expect(properties["apiKey"]).toMatchObject({ "x-secret": true })
    expect(String(properties["clientId"]!["description"])).toContain("`preset: workday`")
    expect(String(properties["clientId"]!["description"])).toContain("`preset: personio`")
    expect(rest["required"]).toEqual(["type"])
  })

  it("core's config-path lookups see every key: a preset's secret from a plainly named variable never shows in errors", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          ConfigLoader.parse(
            {
              version: 1,
              okta: { orgUrl: "embedded", identitySourceId: "0oa0000000000000001" },
              source: {
                type: "rest",
                preset: "bamboohr",
                companyDomain: "acme",
                apiKey: "${BAMBOO}",
                maxPages: "${PAGES}"
              },
              mapping: { externalId: "employee_id", profile: { userName: "email", email: "email" } }
            },
            {
              env: { BAMBOO: "sk-plain-name-1", PAGES: "0" },
              sources: [RestSource],
              baseDir: "/",
              file: "anysource.yaml"
            }
          )
        )
        // PAGES became a number (the lookup found maxPages' type), then failed its rule
        expect(error.message).toContain("source.maxPages")
        expect(error.message).not.toContain("sk-plain-name-1")
      })
    ))

  it("the generated README sections are current (run `pnpm --filter @anysource/source-rest gen:presets`)", () => {
    const own = readFileSync(Path.join(import.meta.dirname, "..", "README.md"), "utf8")
    expect(own).toBe(Preset.replaceSection(own, Preset.presetsMarkdown(presets)))
    const root = readFileSync(Path.join(import.meta.dirname, "..", "..", "..", "README.md"), "utf8")
    expect(root).toBe(Preset.replaceSection(root, Preset.presetsList(presets)))
    for (const preset of presets) {
      expect(own).toContain(`<a id="preset-${preset.id}"></a>`)
      for (const ref of preset.references) expect(own).toContain(ref.url)
    }
  })
})
