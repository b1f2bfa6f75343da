import { describe, expect, it } from "vitest"
import * as Env from "../src/Env.ts"

describe("the environment", () => {
  it("has defaults next to the bundle", () => {
    const env = Env.parse({}, "/var/task")
    expect(env).toMatchObject({
      configPath: "/var/task/anysource.yaml",
      pipelinesDir: "/var/task/pipelines",
      safetyMarginMillis: 360_000,
      lockTtlMillis: 120_000,
      logLevel: "info",
      secrets: [],
      extension: { port: 2773, token: undefined },
      problems: []
    })
  })

  it("reads every setting and the secret references", () => {
    const env = Env.parse(
      {
        ANYSOURCE_CONFIG: "conf/prod.yaml",
        ANYSOURCE_PIPELINES_DIR: "/mnt/pipelines",
        ANYSOURCE_SAFETY_MARGIN_MS: "240000",
        ANYSOURCE_LOCK_TTL_MS: "90000",
        ANYSOURCE_LOG_LEVEL: "WARN",
        ANYSOURCE_SECRETS: "OKTA_API_TOKEN=secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:okta-AbC, PG_URL=ssm:/anysource/pg-url",
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: "2999",
        AWS_SESSION_TOKEN: "session"
      },
      "/var/task"
    )
    expect(env).toMatchObject({
      configPath: "/var/task/conf/prod.yaml",
      pipelinesDir: "/mnt/pipelines",
      safetyMarginMillis: 240_000,
      lockTtlMillis: 90_000,
      logLevel: "warning",
      extension: { port: 2999, token: "session" },
      problems: []
    })
    expect(env.secrets).toEqual([
      { name: "OKTA_API_TOKEN", store: "secretsmanager", id: "arn:aws:secretsmanager:eu-west-1:1:secret:okta-AbC" },
      { name: "PG_URL", store: "ssm", id: "/anysource/pg-url" }
    ])
  })

  it("lists every invalid setting", () => {
    const env = Env.parse({ ANYSOURCE_SAFETY_MARGIN_MS: "3 minutes", ANYSOURCE_LOCK_TTL_MS: "500", ANYSOURCE_LOG_LEVEL: "loud", ANYSOURCE_SECRETS: "TOKEN:okta" }, "/var/task")
    expect(env.problems).toHaveLength(4)
    expect(env.problems.join("\n")).toMatch(/ANYSOURCE_SAFETY_MARGIN_MS.*"3 minutes"/)
    expect(env.problems.join("\n")).toMatch(/ANYSOURCE_LOCK_TTL_MS.*≥ 10000/)
    expect(env.problems.join("\n")).toMatch(/ANYSOURCE_LOG_LEVEL/)
    expect(env.problems.join("\n")).toMatch(/ANYSOURCE_SECRETS: "TOKEN:okta"/)
  })
})
