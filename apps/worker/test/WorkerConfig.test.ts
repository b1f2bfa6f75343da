import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as Env from "../src/Env.ts"
import * as WorkerConfig from "../src/WorkerConfig.ts"

const TOKEN = "s3cret-token-0123456789"
const base = { file: "/etc/anysource/worker.yaml", baseDir: "/etc/anysource", vars: { WORKER_TOKEN: TOKEN } }

const load = (raw: unknown, options: Partial<Parameters<typeof WorkerConfig.fromObject>[1]> = {}) =>
  Effect.runSync(Effect.either(WorkerConfig.fromObject(raw, { ...base, ...options })))

const ok = (raw: unknown, options: Partial<Parameters<typeof WorkerConfig.fromObject>[1]> = {}) => {
  const result = load(raw, options)
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

const problems = (raw: unknown, options: Partial<Parameters<typeof WorkerConfig.fromObject>[1]> = {}) => {
  const result = load(raw, options)
  if (Either.isRight(result)) throw new Error("expected a ConfigError")
  return result.left
}

describe("WorkerConfig", () => {
  it("applies defaults and resolves pipeline paths against the worker file", () => {
    const config = ok({ token: "${WORKER_TOKEN}", pipelines: [{ name: "hr", config: "pipelines/hr.yaml", schedule: "*/15 * * * *" }] })
    expect(config.http).toEqual({ port: 8080, host: "0.0.0.0" })
    expect(config.shutdownGraceMillis).toBe(600_000)
    expect(config.recentRuns).toBe(200)
    expect(config.logLevel).toBe("info")
    expect(config.pipelines).toEqual([
      {
        name: "hr",
        config: "pipelines/hr.yaml",
        configPath: "/etc/anysource/pipelines/hr.yaml",
        schedule: "*/15 * * * *",
        mode: "apply",
        allowDeletes: false,
        lockTtl: 900_000,
        resumeOnStart: true
      }
    ])
    expect(Redacted.isRedacted(config.token)).toBe(true)
    expect(Redacted.value(config.token)).toBe(TOKEN)
    expect(String(config.token)).not.toContain(TOKEN)
    expect(config.secrets).toContain(TOKEN)
  })

  it("reads durations, numbers and booleans written as strings (from ${VARS})", () => {
    const config = ok(
      {
        token: "${WORKER_TOKEN}",
        http: { port: "${PORT}" },
        shutdownGrace: "90s",
        pipelines: [{ name: "a", config: "a.yaml", lockTtl: "2h", allowDeletes: "${ALLOW}", timezone: "Europe/Berlin", schedule: "0 6 * * 1-5" }]
      },
      { vars: { WORKER_TOKEN: TOKEN, PORT: "9090", ALLOW: "true" } }
    )
    expect(config.http.port).toBe(9090)
    expect(config.shutdownGraceMillis).toBe(90_000)
    expect(config.pipelines[0]).toMatchObject({ lockTtl: 7_200_000, allowDeletes: true, timezone: "Europe/Berlin" })
  })

  it("takes secrets from VAR_FILE", () => {
    const dir = mkdtempSync(join(tmpdir(), "worker-config-"))
    try {
      writeFileSync(join(dir, "token"), `${TOKEN}\n`)
      const config = ok({ token: "${WORKER_TOKEN}", pipelines: [{ name: "a", config: "a.yaml" }] }, { vars: { WORKER_TOKEN_FILE: join(dir, "token") } })
      expect(Redacted.value(config.token)).toBe(TOKEN)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("names every problem by path, and never shows a secret", () => {
    const error = problems(
      {
        token: "short",
        http: { port: 70000 },
        pipelines: [
          { name: "hr", config: "hr.yaml", schedule: "every minute" },
          { name: "hr", config: "other.yaml", timezone: "Mars/Olympus", schedule: "* * * * *" },
          { name: "bad name!", config: "x.yaml" }
        ],
        extra: true
      },
      { vars: {} }
    )
    expect(error._tag).toBe("ConfigError")
    expect(error.reason).toBe("Invalid")
    const paths = error.issues!.map((i) => i.path)
    expect(paths).toEqual(expect.arrayContaining(["token", "http.port", "pipelines.0.schedule", "pipelines.1.timezone", "pipelines.2.name", ""]))
    expect(error.message).toMatch(/token: must be at least 16 characters/)
    expect(error.message).toMatch(/invalid cron pattern "every minute"/)
    expect(error.message).not.toContain("short")

    const missing = problems({ token: "${WORKER_TOKEN}", pipelines: [{ name: "a", config: "a.yaml" }] }, { vars: {} })
    expect(missing.reason).toBe("Interpolation")
    expect(missing.message).toContain("environment variable WORKER_TOKEN is not set (nor WORKER_TOKEN_FILE)")

    const dup = problems({ token: "${WORKER_TOKEN}", pipelines: [{ name: "a", config: "a.yaml" }, { name: "a", config: "b.yaml" }] })
    expect(dup.message).toContain('two pipelines are named "a"')
    expect(problems({ token: "${WORKER_TOKEN}" }).message).toContain("no pipelines")
  })

  describe("ANYSOURCE_CONFIGS", () => {
    let dir: string
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "worker-configs-"))
      mkdirSync(join(dir, "pipelines"))
      for (const f of ["hr.yaml", "contractors.json", "sheet.ts", "notes.txt", ".hidden.yaml"]) writeFileSync(join(dir, "pipelines", f), "")
      writeFileSync(join(dir, "single.yml"), "")
    })
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it("adds every pipeline config of a directory (or a file), named after the file, with the defaults' schedule", () => {
      const config = ok(
        {
          token: "${WORKER_TOKEN}",
          defaults: { schedule: "0 * * * *", timezone: "UTC" },
          pipelines: [{ name: "people", config: "pipelines/hr.yaml", schedule: "*/5 * * * *" }]
        },
        { baseDir: dir, file: join(dir, "worker.yaml"), cwd: dir, extraConfigs: ["pipelines", "single.yml"] }
      )
      expect(config.pipelines.map((p) => [p.name, p.schedule])).toEqual([
        ["people", "*/5 * * * *"], // listed in worker.yaml: that entry wins over the directory's
        ["contractors", "0 * * * *"],
        ["sheet", "0 * * * *"],
        ["single", "0 * * * *"]
      ])
    })

    it("without a default schedule they run on demand only; a missing path is an error", () => {
      const config = ok({ token: "${WORKER_TOKEN}" }, { baseDir: dir, file: join(dir, "worker.yaml"), cwd: dir, extraConfigs: ["single.yml"] })
      expect(config.pipelines).toMatchObject([{ name: "single", configPath: join(dir, "single.yml") }])
      expect(config.pipelines[0]!.schedule).toBeUndefined()
      const error = problems({ token: "${WORKER_TOKEN}" }, { baseDir: dir, file: join(dir, "worker.yaml"), cwd: dir, extraConfigs: ["nope"] })
      expect(error.message).toContain("ANYSOURCE_CONFIGS: not found: nope")
    })
  })

  it.effect("loads worker.yaml from disk, with YAML errors located", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "worker-yaml-"))
      writeFileSync(join(dir, "worker.yaml"), "token: ${WORKER_TOKEN}\npipelines:\n  - name: hr\n    config: hr.yaml\n")
      writeFileSync(join(dir, "broken.yaml"), "token: [unclosed\n")
      const config = yield* WorkerConfig.load("worker.yaml", { vars: { WORKER_TOKEN: TOKEN }, cwd: dir })
      expect(config.pipelines[0]!.configPath).toBe(join(dir, "hr.yaml"))
      const broken = yield* Effect.flip(WorkerConfig.load("broken.yaml", { vars: {}, cwd: dir }))
      expect(broken.reason).toBe("Parse")
      const missing = yield* Effect.flip(WorkerConfig.load("missing.yaml", { vars: {}, cwd: dir }))
      expect(missing.reason).toBe("NotFound")
      expect(missing.message).toContain("ANYSOURCE_WORKER_CONFIG")
      rmSync(dir, { recursive: true, force: true })
    })
  )
})

describe("Env", () => {
  it("reads the worker's variables and names the replica", () => {
    const env = Env.fromVars({ ANYSOURCE_CONFIGS: " a.yaml, dir/ ,", HOSTNAME: "anysource-worker-7d9f-abcde", ANYSOURCE_LOG_LEVEL: "debug" })
    expect(env.workerConfigPath).toBe("worker.yaml")
    expect(env.configs).toEqual(["a.yaml", "dir/"])
    expect(env.replicaId).toBe("anysource-worker-7d9f-abcde")
    expect(env.logLevel).toBe("debug")
    expect(Env.fromVars({ ANYSOURCE_REPLICA_ID: "r1", HOSTNAME: "h" }).replicaId).toBe("r1")
    expect(Env.fromVars({ ANYSOURCE_WORKER_CONFIG: "/etc/w.yaml" }).workerConfigPath).toBe("/etc/w.yaml")
  })
})
