/**
 * The deployment pieces stay consistent with the code: the SAM template (plain YAML, long-form intrinsics),
 * the example pipelines and events in examples/lambda.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { ConfigLoader } from "@anysource/core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { parse as parseYaml } from "yaml"
import * as Env from "../src/Env.ts"
import * as Event from "../src/Event.ts"
import * as handlerModule from "../src/handler.ts"
import * as Runtime from "../src/Runtime.ts"

const appDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
const exampleDir = Path.resolve(appDir, "../../examples/lambda")
const template = parseYaml(Fs.readFileSync(Path.join(appDir, "template.yaml"), "utf8")) as {
  Parameters: Record<string, unknown>
  Resources: { SyncFunction: { Properties: Record<string, any> } }
}
const fn = template.Resources.SyncFunction.Properties
const vars = fn["Environment"]["Variables"] as Record<string, unknown>

/** ANYSOURCE_SECRETS with the template's parameters filled in (both branches of the condition). */
const secretSettings = (): Array<string> =>
  (vars["ANYSOURCE_SECRETS"] as { "Fn::If": [string, { "Fn::Sub": string }, { "Fn::Sub": string }] })["Fn::If"]
    .slice(1)
    .map((b) => (b as { "Fn::Sub": string })["Fn::Sub"].replace(/\$\{(\w+)\}/g, (_, p: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${p}`))

describe("the SAM template", () => {
  it("points at the bundle's exported handler on Node 20 with the longest timeout", () => {
    expect(fn["Handler"]).toBe("handler.handler")
    expect(typeof handlerModule.handler).toBe("function")
    expect(fn["Runtime"]).toBe("nodejs20.x")
    expect(fn["CodeUri"]).toBe("dist/lambda-package/")
    expect(fn["Timeout"]).toBe(900)
    expect(Number(vars["ANYSOURCE_SAFETY_MARGIN_MS"])).toBeLessThan(fn["Timeout"] * 1000)
  })

  it("sets only variables the function reads, with valid values", () => {
    const known = ["ANYSOURCE_CONFIG", "ANYSOURCE_PIPELINES_DIR", "ANYSOURCE_SAFETY_MARGIN_MS", "ANYSOURCE_LOCK_TTL_MS", "ANYSOURCE_LOG_LEVEL", "ANYSOURCE_SECRETS", "NODE_OPTIONS"]
    expect(Object.keys(vars).filter((k) => !known.includes(k))).toEqual([])
    for (const secrets of secretSettings()) {
      const env = Env.parse({ ...(vars as Record<string, string>), ANYSOURCE_SECRETS: secrets, AWS_SESSION_TOKEN: "t" }, "/var/task")
      expect(env.problems).toEqual([])
      expect(env.secrets.every((s) => s.store === "secretsmanager")).toBe(true)
    }
  })

  it("lets the function read exactly the secrets it is given, and schedules a scheduled event the handler accepts", () => {
    const statement = fn["Policies"][0]["Statement"][0]
    expect(statement.Action).toBe("secretsmanager:GetSecretValue")
    expect(statement.Resource).toEqual([{ Ref: "OktaTokenSecretArn" }, { Ref: "PgUrlSecretArn" }, { "Fn::If": ["HasSourceSecret", { Ref: "SourceSecretArn" }, { Ref: "AWS::NoValue" }] }])
    const schedule = fn["Events"]["Schedule"]
    expect(schedule.Type).toBe("ScheduleV2")
    const parsed = Event.parse(JSON.parse(schedule.Properties.Input as string))
    expect(parsed).toEqual({ ok: true, event: { kind: "scheduled", options: {} } })
  })
})

describe("examples/lambda", () => {
  const configs = ["anysource.yaml", ...Fs.readdirSync(Path.join(exampleDir, "pipelines")).map((f) => `pipelines/${f}`)]

  it.each(configs)("%s is a valid Lambda pipeline using only the secrets the template provides", async (file) => {
    const provided = Object.fromEntries(
      Env.parse({ ANYSOURCE_SECRETS: secretSettings()[0]!, AWS_SESSION_TOKEN: "t" }, "/var/task").secrets.map((s) => [s.name, `value-of-${s.name}-0123456789`])
    )
    provided["ANYSOURCE_PG_URL"] = "postgres://anysource:pw@db.internal:5432/identity"
    const loaded = await Effect.runPromise(ConfigLoader.load(Path.join(exampleDir, file), { env: provided, sources: Runtime.sources }))
    await Effect.runPromise(Runtime.check(loaded))
    expect(loaded.config.state.type).toBe("postgres")
  })

  it("ships events the handler accepts", () => {
    const events = Fs.readdirSync(Path.join(exampleDir, "events"))
    expect(events.length).toBeGreaterThanOrEqual(3)
    for (const e of events) expect(Event.parse(JSON.parse(Fs.readFileSync(Path.join(exampleDir, "events", e), "utf8"))).ok, e).toBe(true)
  })
})
