/**
 * `check`: validate the config, probe the source (no rows read) and Okta (auth, identity source reachable, its schema
 * declares what the config sends), open the state.
 */
import { OktaClient, SchemaGuard, StateStore } from "@anysource/core"
import { Command } from "@effect/cli"
import { Effect, Either } from "effect"
import { renderError } from "../RenderError.ts"
import * as Runtime from "../Runtime.ts"
import { globalOptions, runCommand, setExitFromError } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"

export const command = Command.make("check", { ...globalOptions }, (o) =>
  runCommand(o, (io) =>
    Effect.gen(function* () {
      const s = io.out
      const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
      const cfg = loaded.config
      yield* io.print(
        `${s.green("✓")} config ${io.configPath}: source ${cfg.source.type}, identity source ${cfg.okta.identitySourceId}, state ${cfg.state.type}`
      )
      const results: Array<Either.Either<string, unknown>> = []
      const step = <E>(label: string, effect: Effect.Effect<string, E>) =>
        Effect.either(effect).pipe(
          Effect.tap((r) =>
            Either.isRight(r)
              ? io.print(`${s.green("✓")} ${label}: ${r.right}`)
              : io.print(
                  `${s.red("✗")} ${label}\n${renderError(r.left, s, { configFile: io.configPath })
                    .split("\n")
                    .map((l) => `    ${l}`)
                    .join("\n")}`
                )
          ),
          Effect.map((r) => results.push(r))
        )
      yield* step(
        `source (${cfg.source.type})`,
        Effect.scoped(
          Effect.flatMap(
            loaded.source.make(loaded.sourceConfig, { baseDir: loaded.baseDir }),
            (source) => source.check
          )
        ).pipe(Effect.as("reachable"))
      )
      yield* step(
        "okta",
        Effect.flatMap(OktaClient.OktaClient, (client) =>
          Effect.map(client.listSessions, (sessions) => {
            const open = sessions.filter((x) =>
              ["CREATED", "IN_PROGRESS", "TRIGGERED"].includes(x.status)
            ).length
            const where = cfg.okta.orgUrl === "embedded" ? "embedded emulator" : cfg.okta.orgUrl
            return `${where}: authenticated, identity source ${cfg.okta.identitySourceId} reachable (${sessions.length} sessions, ${open} open)`
          })
        ).pipe(Effect.provide(Runtime.oktaLayer(loaded)), Effect.scoped)
      )
      if (cfg.okta.schemaCheck !== false)
        yield* step(
          "identity source schema",
          SchemaGuard.check(loaded).pipe(
            Effect.as(
              `declares every attribute mapping.profile sends (${Object.keys(cfg.mapping.profile).length})`
            ),
            Effect.provide(Runtime.oktaLayer(loaded)),
            Effect.scoped
          )
        )
      yield* step(
        `state (${cfg.state.type})`,
        Effect.flatMap(StateStore.StateStore, (store) =>
          Effect.map(store.index("user"), (index) => `${index.size} users known`)
        ).pipe(Effect.provide(Runtime.stateLayer(loaded)))
      )
      const failed = results.find(Either.isLeft)
      if (failed) yield* setExitFromError(io, failed.left)
      else yield* io.print(s.green("All checks passed."))
    })
  )
).pipe(
  Command.withDescription(
    describe(
      "Validate the config, probe the source (reads no rows) and Okta (auth, identity source and its schema), open the state store.",
      { examples: ["anysource check", "anysource check -c hr/anysource.yaml"] }
    )
  )
)
