/**
 * Docker cannot build or run images on these machines, so this test reviews apps/worker/Dockerfile
 * against the bundle it copies and replays what the image does:
 * - the stages are the ones promised (turbo prune, frozen-lockfile install, a node:20-slim runtime with
 *   a numeric non-root user, exec-form CMD and HEALTHCHECK);
 * - the bundle needs nothing at run time beyond Node's built-ins and the packages the runtime stage
 *   copies (`pnpm deploy --prod` = the worker's `dependencies`);
 * - the build is replayed here in temp directories: `turbo prune`, the frozen-lockfile install of
 *   the pruned workspace, the bundle build, `pnpm deploy --prod` and the cleanup; the runtime stage's
 *   COPY lines lay out /app, and EXACTLY the Dockerfile's CMD starts the worker there: it answers
 *   /healthz, the HEALTHCHECK command passes, and a run with SQLite state (the native module)
 *   applies into the emulator.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { dirname, join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import tsupConfig, { optionalNative, runtimeDependencies } from "../tsup.config.ts"
import { envPairs, execForm, parseDockerfile, stage } from "./support/dockerfile.ts"
import {
  bundlePath,
  emulator,
  eventually,
  OKTA_TOKEN,
  people,
  pipelineYaml,
  startWorker,
  tempDir,
  TOKEN,
  workerDir,
  writeCsv,
  type Emulator,
  type WorkerProcess
} from "./support/harness.ts"

const repoRoot = resolve(workerDir, "../..")
const dockerfile = parseDockerfile(readFileSync(join(workerDir, "Dockerfile"), "utf8"))
const packageJson = JSON.parse(readFileSync(join(workerDir, "package.json"), "utf8")) as { name: string; dependencies: Record<string, string> }
const runtime = dockerfile.stages.at(-1)!
const runtimeOf = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword)

describe("Dockerfile review", () => {
  it("prunes with turbo and installs from the lockfile with node headers for native builds", () => {
    const prune = stage(dockerfile, "prune").instructions.filter((i) => i.keyword === "RUN").map((i) => i.args)
    expect(prune).toContain(`turbo prune ${packageJson.name} --docker`)
    const build = stage(dockerfile, "build")
    const runs = build.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args)
    expect(runs).toContain("pnpm install --frozen-lockfile")
    const base = stage(dockerfile, "base")
    expect(envPairs(base.instructions.find((i) => i.keyword === "ENV")!.args)).toMatchObject({ npm_config_nodedir: "/usr/local" })
    expect(base.instructions.find((i) => i.keyword === "RUN")!.args).toMatch(/pnpm@12\.21\.0/)
    // versions pinned in the repository
    const rootPkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { packageManager: string; devDependencies: Record<string, string> }
    expect(rootPkg.packageManager).toBe("pnpm@12.21.0")
    expect(base.instructions.find((i) => i.keyword === "RUN")!.args).toContain(`turbo@${rootPkg.devDependencies.turbo}`)
  })

  it("runs on node:20-slim as a numeric non-root user with an exec-form CMD and a HEALTHCHECK", () => {
    expect(dockerfile.globalArgs.NODE_VERSION).toMatch(/^20\.\d+\.\d+$/)
    for (const s of dockerfile.stages.filter((s) => !s.name || s.name === "base" || s.name === "runtime")) expect(s.from).toBe("node:${NODE_VERSION}-slim")
    const user = runtimeOf("USER").at(-1)!.args
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/)
    expect(execForm(runtimeOf("CMD").at(-1)!.args)).toEqual(["node", "dist/main.mjs"])
    expect(JSON.parse(readFileSync(join(workerDir, "package.json"), "utf8")).scripts.start).toBe("node dist/main.mjs")
    const health = runtimeOf("HEALTHCHECK").at(-1)!.args
    expect(health).toMatch(/CMD \[/)
    expect(runtimeOf("EXPOSE").map((i) => i.args)).toEqual(["8080"])
    expect(envPairs(runtimeOf("ENV")[0]!.args)).toMatchObject({ NODE_ENV: "production", ANYSOURCE_WORKER_CONFIG: "/etc/anysource/worker.yaml" })
  })

  it("copies only the bundle and the deployed runtime dependencies, which are exactly what the bundle imports", () => {
    const copies = runtimeOf("COPY").map((i) => i.args)
    expect(copies).toEqual([
      "--from=build /prod/node_modules ./node_modules",
      "--from=build /prod/dist/main.mjs ./dist/main.mjs",
      "--from=build /prod/dist/decode-worker.mjs ./dist/decode-worker.mjs"
    ])
    expect(Object.keys(packageJson.dependencies).sort()).toEqual([...runtimeDependencies].sort())
    const options = typeof tsupConfig === "function" ? undefined : (tsupConfig as { external?: Array<string> })
    expect(options?.external).toEqual([...runtimeDependencies, ...optionalNative, /sshcrypto\.node$/])

    // both bundles: the worker's and the file decoder's worker thread (started from beside it)
    const bundle = readFileSync(bundlePath, "utf8") + readFileSync(join(dirname(bundlePath), "decode-worker.mjs"), "utf8")
    const specifiers = new Set<string>()
    for (const m of bundle.matchAll(/(?:\b__require|\brequire)\("([^"]+)"\)|\bfrom\s*"([^"]+)"|\bimport\("([^"]+)"\)/g)) specifiers.add((m[1] ?? m[2] ?? m[3])!)
    const builtins = new Set([...builtinModules, ...builtinModules.map((b) => `node:${b}`)])
    const packageName = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?$/
    const bare = [...specifiers].filter((s) => packageName.test(s) && !s.startsWith(".") && !builtins.has(s))
    const root = (s: string) => (s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0]!)
    const allowed = new Set([...runtimeDependencies, ...optionalNative])
    expect([...new Set(bare.map(root))].filter((s) => !allowed.has(s)).sort()).toEqual([])
    expect(bare.map(root)).toEqual(expect.arrayContaining(["better-sqlite3", "jiti"]))
  })
})

describe("the image, replayed on this machine", { timeout: 180_000 }, () => {
  let okta: Emulator
  let tmp: ReturnType<typeof tempDir>
  let worker: WorkerProcess | undefined
  let appDir: string

  beforeAll(async () => {
    tmp = tempDir("image")
    const out = join(tmp.dir, "out") // the prune stage's /repo/out
    const repo = join(tmp.dir, "repo") // the build stage's /repo
    const prod = join(tmp.dir, "prod") // the build stage's /prod
    appDir = join(tmp.dir, "app") // the runtime stage's /app
    const sh = (command: string, cwd: string, line: number) => {
      // node headers live in /usr/include/node here, in /usr/local/include/node in the node image; turbo is
      // the repository's (the image installs it globally), pnpm the machine's
      const result = spawnSync("sh", ["-c", command], { cwd, encoding: "utf8", env: { ...process.env, PATH: `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH ?? ""}`, CI: "true", npm_config_nodedir: "/usr" } })
      if (result.status !== 0) throw new Error(`Dockerfile line ${line} failed here: ${command}\n${result.stdout}\n${result.stderr}`)
    }

    // prune: `COPY . .` is the repository itself; turbo writes to a temp dir instead of /repo/out
    const prune = stage(dockerfile, "prune").instructions
    expect(prune.map((i) => i.keyword)).toEqual(["WORKDIR", "COPY", "RUN"])
    expect(prune[1]!.args).toBe(". .")
    sh(`${prune[2]!.args} --out-dir ${out}`, repoRoot, prune[2]!.line)

    // build: every instruction but the apt-get line (python3, make and g++ are on this machine already)
    let cwd = repo
    const fromPrune = (path: string) => path.replace(/^\/repo\/out/, out)
    for (const ins of stage(dockerfile, "build").instructions) {
      if (ins.keyword === "WORKDIR") {
        expect(ins.args).toBe("/repo")
        mkdirSync((cwd = repo), { recursive: true })
      } else if (ins.keyword === "COPY") {
        const [, from, to] = /^--from=prune\s+(\S+)\s+(\S+)$/.exec(ins.args)!
        cpSync(fromPrune(from!), resolve(cwd, to!), { recursive: true, verbatimSymlinks: true })
      } else if (ins.keyword === "RUN") {
        if (ins.args.startsWith("apt-get")) continue
        sh(ins.args.replaceAll("/prod", prod), cwd, ins.line)
      } else throw new Error(`unexpected ${ins.keyword} in the build stage`)
    }

    // runtime: lay out /app from the build stage's files
    const workdir = runtimeOf("WORKDIR").at(-1)!.args
    expect(workdir).toBe("/app")
    for (const ins of runtimeOf("COPY")) {
      const [, from, to] = /^--from=build\s+(\S+)\s+(\S+)$/.exec(ins.args)!
      const source = from!.replace(/^\/prod/, prod).replace(/^\/repo/, repo)
      const target = resolve(appDir, to!)
      mkdirSync(dirname(target), { recursive: true })
      cpSync(source, target, { recursive: true, verbatimSymlinks: true })
    }
    // the bundle built in the pruned tree is the one the image runs
    expect(readFileSync(join(appDir, "dist/main.mjs")).length).toBeGreaterThan(1_000_000)
    expect(existsSync(join(appDir, "dist/decode-worker.mjs"))).toBe(true)
    expect(existsSync(join(appDir, "node_modules/better-sqlite3/build/Release/better_sqlite3.node"))).toBe(true)
    expect(existsSync(join(appDir, "node_modules/better-sqlite3/deps"))).toBe(false)

    okta = await emulator({ identitySources: [{ id: "0oaWORKERIMAGE000001" }] })
    const conf = join(tmp.dir, "etc")
    mkdirSync(conf)
    writeCsv(join(conf, "people.csv"), people(25))
    writeFileSync(join(conf, "hr.yaml"), pipelineYaml({ orgUrl: okta.emu.url, identitySourceId: "0oaWORKERIMAGE000001", csv: "people.csv", state: { type: "sqlite", path: join(tmp.dir, "state.db") } }))
    writeFileSync(join(conf, "worker.yaml"), `http: { port: 0, host: 127.0.0.1 }\ntoken: \${WORKER_TOKEN}\npipelines:\n  - name: hr\n    config: hr.yaml\n`)
  })

  afterAll(async () => {
    await worker?.stop("SIGKILL")
    await okta?.close()
    tmp?.remove()
  })

  it("starts with exactly the Dockerfile's CMD in the runtime layout and answers /healthz", { timeout: 180_000 }, async () => {
    const command = execForm(runtimeOf("CMD").at(-1)!.args)
    const imageEnv = Object.assign({}, ...runtimeOf("ENV").map((i) => envPairs(i.args))) as Record<string, string>
    worker = await startWorker({
      cwd: appDir,
      command,
      // ANYSOURCE_DECODE_WORKER=1: this small CSV is parsed by dist/decode-worker.mjs, as large files are (a missing or
      // broken worker script fails the run)
      env: {
        ...imageEnv,
        ANYSOURCE_WORKER_CONFIG: join(tmp.dir, "etc/worker.yaml"),
        WORKER_TOKEN: TOKEN,
        OKTA_API_TOKEN: OKTA_TOKEN,
        ANYSOURCE_DECODE_WORKER: "1"
      }
    })
    const health = await worker.api("/healthz", { token: null })
    expect(health).toMatchObject({ status: 200, json: { status: "ok" } })
    expect((await worker.api("/readyz", { token: null })).status).toBe(200)

    // the HEALTHCHECK command, pointed at this process's port
    const healthcheck = execForm(runtimeOf("HEALTHCHECK").at(-1)!.args.replace(/^.*?CMD\s+/, ""))
    expect(healthcheck[0]).toBe("node")
    const probe = spawnSync(process.execPath, healthcheck.slice(1).map((a) => a.replace("127.0.0.1:8080", `127.0.0.1:${worker!.port}`)), { cwd: appDir })
    expect(probe.status).toBe(0)

    // a run with SQLite state and the decode worker: the native module and the worker script work in this layout
    const post = await worker.api("/runs", { method: "POST", body: { pipeline: "hr" } })
    expect(post.status).toBe(202)
    await eventually(async () => ((await worker!.api(`/runs/${post.json.runId}`)).json?.outcome === "applied" ? true : undefined), 30_000, "the run")
    expect(okta.emu.directory.users()).toHaveLength(25)
    expect(await worker.stop()).toEqual({ code: 0, signal: null })
  })
})

