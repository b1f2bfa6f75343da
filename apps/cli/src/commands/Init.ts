/**
 * `init`: write a commented starter config. Flags decide everything; on an interactive terminal the
 * missing answers are asked for (never in CI or when stdin is not a terminal).
 */
import { Sources, Templates } from "@anysource/runtime"
import { Command, Options, Prompt } from "@effect/cli"
import { Effect, Option } from "effect"
import * as fs from "node:fs"
import { globalOptions, runCommand, UsageError, writeFile } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"

/** Every source type the registry offers (the adapters themselves load only when a template is written). */
const sourceTypes = Sources.registry.ids as [string, ...Array<string>]

export const command = Command.make(
  "init",
  {
    ...globalOptions,
    source: Options.choice("source", sourceTypes).pipe(
      Options.withDescription("Where the people come from."),
      Options.optional
    ),
    orgUrl: Options.text("org-url").pipe(
      Options.withPseudoName("url"),
      Options.withDescription(
        "Your Okta org (https://your-org.okta.com), or `embedded` for the local emulator (default)."
      ),
      Options.optional
    ),
    identitySourceId: Options.text("identity-source-id").pipe(
      Options.withPseudoName("id"),
      Options.withDescription("The Custom Identity Source app id (0oa…)."),
      Options.optional
    ),
    force: Options.boolean("force").pipe(Options.withDescription("Overwrite an existing config."))
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        const target = io.configPath
        if (fs.existsSync(target) && !o.force)
          return yield* Effect.fail(
            new UsageError({
              message: `${target} already exists; pass --force to overwrite it, or --config <other file>.`
            })
          )
        const ask = io.interactive
        const source: string = Option.isSome(o.source)
          ? o.source.value
          : ask
            ? yield* Prompt.select({
                message: "Where does your HR data live?",
                choices: (yield* Sources.registry.loadAll).map((d) => ({
                  title: d.id,
                  value: d.id,
                  description: d.docs?.summary ?? d.displayName
                }))
              })
            : "file"
        const orgUrl = Option.isSome(o.orgUrl)
          ? o.orgUrl.value
          : ask
            ? yield* Prompt.text({
                message: "Okta org URL (or `embedded` to try it offline)",
                default: "embedded"
              })
            : "embedded"
        const identitySourceId = Option.isSome(o.identitySourceId)
          ? o.identitySourceId.value
          : ask && orgUrl !== "embedded"
            ? yield* Prompt.text({ message: "Custom Identity Source app id (0oa…)" })
            : "0oaexampleidsource01"
        if (orgUrl !== "embedded" && !/^https?:\/\//.test(orgUrl))
          return yield* Effect.fail(
            new UsageError({
              message: `--org-url ${orgUrl}: expected https://your-org.okta.com or embedded.`
            })
          )
        const definition = yield* Sources.registry.load(source)
        if (definition === undefined)
          return yield* Effect.fail(
            new UsageError({ message: `--source ${source}: no such source adapter in this build.` })
          )
        yield* writeFile(
          target,
          Templates.starterConfig({
            sourceBlock: Templates.sourceBlock(definition),
            orgUrl,
            identitySourceId
          })
        )
        const s = io.out
        const lines = [
          `${s.green("Wrote")} ${target} (${definition.displayName}${definition.docs ? `: ${definition.docs.summary}` : ""}).`
        ]
        lines.push(
          "Next:",
          `  1. edit ${target}: the source block, the mapping from your columns to Okta attributes`,
          `  2. anysource check${target === "anysource.yaml" ? "" : ` -c ${target}`}     validate the config, reach the source and Okta`,
          `  3. anysource setup plan${target === "anysource.yaml" ? "" : ` -c ${target}`}  what the identity source's schema and mapping lack (\`setup apply\` adds it)`,
          `  4. anysource plan${target === "anysource.yaml" ? "" : ` -c ${target}`}      see exactly what would change`
        )
        yield* io.print(lines.join("\n"))
      })
    )
).pipe(
  Command.withDescription(
    describe("Write a commented starter config (asks on a terminal, flags otherwise).", {
      examples: [
        "anysource init",
        "anysource init --source sql --org-url https://acme.okta.com --identity-source-id 0oa1b2c3d4e5f6g7h8i9",
        "anysource init --source file -c hr/anysource.yaml"
      ]
    })
  )
)
