/**
 * The OpenAPI subsets this package ships in `spec/` (Okta's public management spec, version 2026.06.3,
 * Apache-2.0; origin and changes in each file's header). The emulator's strict mode and the contract tests
 * validate against them, and docs/okta/identity-sources-api.md in the repository explains the rules.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** The vendored files, by name. */
export const specFiles = {
  /** The 15 Identity Sources paths with every schema, example and security scheme they use. */
  identitySources: "openapi-identity-sources.yaml",
  /** App user schema, user schema and profile mapping paths (`/api/v1/meta/schemas/…`, `/api/v1/mappings`). */
  schemasMappings: "openapi-schemas-mappings.yaml"
} as const

export type SpecName = keyof typeof specFiles

// Where `spec/` is, seen from the module that runs this code: `../spec` from `src/` in the repository and from
// `dist/` in the published package, `../../spec` from `dist/testing/`, and `./spec` from a bundle that ships the
// folder beside itself (the CLI's `dist/spec`).
const places = ["../spec/", "./spec/", "../../spec/"]

/**
 * The absolute path of a vendored spec file. Throws, naming the places it looked in, when the package was
 * installed without its `spec` folder.
 */
export const specPath = (name: SpecName = "identitySources"): string => {
  const file = specFiles[name]
  const tried: Array<string> = []
  for (const place of places) {
    const path = fileURLToPath(new URL(`${place}${file}`, import.meta.url))
    if (existsSync(path)) return path
    tried.push(path)
  }
  throw new Error(
    `@anysource/okta-emulator: the OpenAPI file ${file} is missing (looked for ${tried.join(", ")}). ` +
      "The package ships it in spec/; reinstall it, or copy spec/ beside a bundle that includes the emulator."
  )
}
