/**
 * The published package carries the OpenAPI files its strict mode and contract tests read, with their origin,
 * and the validator's libraries as dependencies (a user's install must be able to run `strict: true`).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { specFiles, specPath } from "../src/index.ts"

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)))
const out = mkdtempSync(join(tmpdir(), "okta-emulator-pack-"))
let listing: ReadonlyArray<string> = []
let packed: {
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  files?: Array<string>
} = {}

beforeAll(() => {
  const pack = spawnSync("pnpm", ["pack", "--pack-destination", out], { cwd: packageDir, encoding: "utf8" })
  expect(pack.status, pack.stderr).toBe(0)
  const tgz = readdirSync(out).find((f) => f.endsWith(".tgz"))
  expect(tgz, pack.stdout).toBeDefined()
  const tar = spawnSync("tar", ["-tzf", join(out, tgz!)], { encoding: "utf8" })
  expect(tar.status, tar.stderr).toBe(0)
  listing = tar.stdout.split("\n").filter((l) => l !== "")
  const manifest = spawnSync("tar", ["-xzOf", join(out, tgz!), "package/package.json"], { encoding: "utf8" })
  packed = JSON.parse(manifest.stdout)
}, 60_000)

afterAll(() => rmSync(out, { recursive: true, force: true }))

describe("the packed @anysource/okta-emulator", () => {
  it("contains spec/openapi-identity-sources.yaml and spec/openapi-schemas-mappings.yaml", () => {
    expect(listing).toEqual(
      expect.arrayContaining([
        "package/spec/openapi-identity-sources.yaml",
        "package/spec/openapi-schemas-mappings.yaml"
      ])
    )
    expect(packed.files).toContain("spec")
  })

  it("depends on the validator's libraries (strict mode needs them at run time), not as optional peers", () => {
    for (const dep of ["openapi-backend", "ajv-formats", "yaml"]) {
      expect(packed.dependencies?.[dep], dep).toMatch(/^\d+\.\d+\.\d+$/)
      expect(packed.peerDependencies?.[dep], dep).toBeUndefined()
    }
  })
})

describe("the vendored spec files", () => {
  it.each(Object.keys(specFiles) as Array<keyof typeof specFiles>)(
    "%s is found next to the sources and says where it comes from",
    (name) => {
      const path = specPath(name)
      expect(path).toBe(join(packageDir, "spec", specFiles[name]))
      const header = readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("#"))
        .join("\n")
      expect(header).toContain("okta/okta-management-openapi-spec")
      expect(header).toContain("dist/current/management-oneOfInheritance.yaml")
      expect(header).toContain("2026.06.3")
      expect(header).toContain("fdda229e82940cf5af4611ad673ca6a27974e31b")
      expect(header).toContain("Apache-2.0")
      expect(header).toContain("unchanged apart from dropping unrelated paths")
    }
  )
})
