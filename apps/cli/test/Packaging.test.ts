/**
 * The CLI bundles the workspace packages' code but not their third-party dependencies: those must be
 * the CLI's own dependencies (same versions), or the published CLI would miss them at run time.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const read = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, string> | undefined>
const cli = read(path.join(appDir, "package.json"))

describe("packaging", () => {
  const bundled = Object.keys(cli.devDependencies ?? {}).filter(
    (name) => name.startsWith("@anysource/") && fs.existsSync(path.join(appDir, "../../packages", name.slice("@anysource/".length), "package.json"))
  )

  it("bundles the runtime workspace packages instead of depending on them", () => {
    expect(bundled).toEqual(expect.arrayContaining(["@anysource/core", "@anysource/okta-emulator", "@anysource/source-file", "@anysource/state-sqlite"]))
    expect(Object.keys(cli.dependencies ?? {}).filter((d) => d.startsWith("@anysource/"))).toEqual([])
  })

  it("depends on every third-party runtime dependency of the bundled packages, at the same version", () => {
    const missing: Array<string> = []
    for (const name of bundled) {
      const pkg = read(path.join(appDir, "../../packages", name.slice("@anysource/".length), "package.json"))
      for (const [dep, version] of Object.entries(pkg.dependencies ?? {})) {
        if (dep.startsWith("@anysource/")) continue
        if (cli.dependencies?.[dep] !== version) missing.push(`${dep}@${version} (from ${name})`)
      }
    }
    expect(missing).toEqual([])
  })
})
