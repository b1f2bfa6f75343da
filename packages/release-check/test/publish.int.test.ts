/**
 * The release, rehearsed on loopback: a local Verdaccio registry (no uplinks, storage in a temp dir) receives every
 * public package through `pnpm publish` (packed first with `pnpm pack`, so `workspace:` ranges and publishConfig
 * are applied exactly as on a real release and the worktree is never touched), then an empty folder installs
 * `@anysource/cli` from it with plain npm and runs the quickstart offline with the installed binary
 * (scripts/install-cli-quickstart.sh, shared with scripts/check-packages.sh).
 *
 * Third-party dependencies (effect, better-sqlite3, …) are not ours to publish: npm takes them from its usual
 * registry or cache; only the `@anysource` scope is pointed at the local registry.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = Path.resolve(import.meta.dirname, "..", "..", "..")

interface Workspace {
  readonly dir: string
  readonly name: string
  readonly version: string
}

/** The packages a release publishes: every package under packages/ and apps/ that is not private. */
const publicPackages = (): ReadonlyArray<Workspace> =>
  ["packages", "apps"].flatMap((group) =>
    readdirSync(Path.join(root, group)).flatMap((entry) => {
      const file = Path.join(root, group, entry, "package.json")
      if (!existsSync(file)) return []
      const pkg = JSON.parse(readFileSync(file, "utf8")) as {
        name: string
        version: string
        private?: boolean
      }
      return pkg.private === true
        ? []
        : [{ dir: Path.join(root, group, entry), name: pkg.name, version: pkg.version }]
    })
  )

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

interface Registry {
  readonly url: string
  readonly env: NodeJS.ProcessEnv
  readonly stop: () => Promise<void>
}

/** Verdaccio on a free loopback port, its config, storage and users in `dir`; resolves once it listens. */
const startRegistry = async (dir: string): Promise<Registry> => {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  writeFileSync(
    Path.join(dir, "config.yaml"),
    [
      `storage: ${JSON.stringify(Path.join(dir, "storage"))}`,
      "auth:",
      "  htpasswd:",
      `    file: ${JSON.stringify(Path.join(dir, "htpasswd"))}`,
      "    max_users: 1",
      "uplinks: {}", // nothing is fetched from anywhere else
      "packages:",
      "  '@anysource/*':",
      "    access: $all",
      "    publish: $authenticated",
      "  '**':",
      "    access: $all",
      "max_body_size: 200mb",
      "web:",
      "  enable: false",
      "log: { type: stdout, format: pretty, level: warn }",
      ""
    ].join("\n")
  )
  const bin = Path.join(import.meta.dirname, "..", "node_modules", "verdaccio", "bin", "verdaccio")
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, "--config", Path.join(dir, "config.yaml"), "--listen", `127.0.0.1:${port}`],
    {
      stdio: ["ignore", "pipe", "pipe"]
    }
  )
  let output = ""
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      if (output.includes(`http address - ${url}`)) resolve()
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.once("exit", (code) => reject(new Error(`verdaccio exited (${code}) before listening:\n${output}`)))
  })
  // one user; its token authorises `pnpm publish`
  const created = await fetch(`${url}-/user/org.couchdb.user:release`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "release", password: "release-check-only" })
  })
  const { token } = (await created.json()) as { token?: string }
  if (created.status !== 201 || token === undefined)
    throw new Error(`verdaccio refused the user (${created.status})`)
  const npmrc = Path.join(dir, ".npmrc")
  writeFileSync(npmrc, `//127.0.0.1:${port}/:_authToken=${token}\n`)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_userconfig: npmrc,
    NPM_CONFIG_USERCONFIG: npmrc
  }
  return {
    url,
    env,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.kill("SIGTERM")
      })
  }
}

describe("release: publish to a local registry, install the CLI from it, run the quickstart", () => {
  let dir: string
  let registry: Registry
  const packages = publicPackages()

  beforeAll(async () => {
    dir = mkdtempSync(Path.join(tmpdir(), "anysource-release-"))
    registry = await startRegistry(dir)
  })

  afterAll(async () => {
    await registry?.stop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("pnpm publish puts every public package in the registry, with workspace ranges resolved", async () => {
    expect(packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(["@anysource/cli", "@anysource/core", "@anysource/source-rest"])
    )
    const tarballs = Path.join(dir, "tarballs")
    mkdirSync(tarballs)
    const publish = async (pkg: Workspace) => {
      const { stdout } = await run("pnpm", ["pack", "--pack-destination", tarballs], {
        cwd: pkg.dir,
        env: registry.env
      })
      const tarball = stdout.trim().split("\n").pop()!.trim()
      await run("pnpm", ["publish", tarball, "--registry", registry.url, "--no-git-checks"], {
        cwd: pkg.dir,
        env: registry.env
      })
    }
    // three at a time: packing is mostly waiting on the disk
    const queue = [...packages]
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let pkg = queue.shift(); pkg !== undefined; pkg = queue.shift()) await publish(pkg)
      })
    )
    for (const pkg of packages) {
      const response = await fetch(`${registry.url}${pkg.name.replace("/", "%2f")}`)
      expect(response.status, `${pkg.name} in the registry`).toBe(200)
      const manifest = (await response.json()) as {
        "dist-tags": Record<string, string>
        versions: Record<string, { dependencies?: Record<string, string>; exports?: unknown }>
      }
      expect(manifest["dist-tags"]["latest"]).toBe(pkg.version)
      const published = manifest.versions[pkg.version]!
      // what a user installs: no workspace protocol, exports pointing at dist
      expect(JSON.stringify(published.dependencies ?? {})).not.toContain("workspace:")
      expect(JSON.stringify(published.exports ?? {})).not.toContain("src/")
    }
  })

  it("npm installs @anysource/cli from the registry into an empty folder and the installed binary runs the quickstart", async () => {
    const { stdout } = await run(
      "bash",
      [
        Path.join(root, "scripts", "install-cli-quickstart.sh"),
        "@anysource/cli",
        `--@anysource:registry=${registry.url}`,
        "--prefer-offline"
      ],
      { cwd: dir, env: registry.env, maxBuffer: 16 * 1024 * 1024 }
    )
    const cli = packages.find((p) => p.name === "@anysource/cli")!
    expect(stdout).toContain(`anysource --version → anysource ${cli.version}`)
    expect(stdout).toMatch(/installed CLI quickstart ok: \d+ users created/)
  })
})
