/** The worker refuses to start on a pipeline it could never run, before it serves anything (in process, no servers). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Logging } from "@anysource/runtime"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { afterAll } from "vitest"
import * as Env from "../src/Env.ts"
import * as Worker from "../src/Worker.ts"

const dir = mkdtempSync(join(tmpdir(), "anysource-worker-start-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("Worker.run", () => {
  it.effect("an `embedded` org is refused at start, naming the pipeline config's key", () =>
    Effect.gen(function* () {
      writeFileSync(join(dir, "people.csv"), "id,email\nE1,e1@example.com\n")
      writeFileSync(
        join(dir, "hr.yaml"),
        "version: 1\nokta: { orgUrl: embedded, identitySourceId: 0oaSTART }\nsource: { type: file, path: people.csv }\nmapping: { externalId: id, profile: { userName: email, email: email } }\nstate: { type: memory }\n"
      )
      writeFileSync(join(dir, "worker.yaml"), "http: { port: 0, host: 127.0.0.1 }\ntoken: ${WORKER_TOKEN}\npipelines:\n  - name: hr\n    config: hr.yaml\n")
      const env = Env.fromVars({ ANYSOURCE_WORKER_CONFIG: join(dir, "worker.yaml"), WORKER_TOKEN: "worker-token-0123456789" })
      const shutdown = yield* Deferred.make<string>()
      const force = yield* Deferred.make<string>()
      const error = yield* Effect.flip(Worker.run({ env, redactor: Logging.makeRedactor(), shutdown, force }))
      expect(error).toMatchObject({ _tag: "ConfigError", reason: "Unsupported", path: "okta.orgUrl" })
      expect(error.message).toContain("the worker needs a real org URL")
    })
  )
})
