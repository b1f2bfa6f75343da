/**
 * The `anysource` command tree. Thin: each command parses flags, builds layers through `Runtime`,
 * calls core, renders. `main(argv)` runs it and resolves to the process exit code.
 */
import { Command, HelpDoc } from "@effect/cli"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Cause, Effect, Exit, Layer, Ref } from "effect"
import pkg from "../package.json" with { type: "json" }
import type { CliEnv } from "./Env.ts"
import * as ExitCodes from "./ExitCodes.ts"
import * as Check from "./commands/Check.ts"
import * as Emulator from "./commands/Emulator.ts"
import * as Init from "./commands/Init.ts"
import * as PlanApply from "./commands/PlanApply.ts"
import * as SchemaSources from "./commands/SchemaSources.ts"
import * as Sessions from "./commands/Sessions.ts"
import * as State from "./commands/State.ts"
import { CliContext } from "./internal/Context.ts"

export const version: string = pkg.version

const overview = `anysource syncs people and groups from any source of truth into Okta through the Identity Sources (Anything-as-a-Source) API: plan shows exactly what would change, apply sends only that.

Commands: init, check, plan, apply, sessions list|show|cancel, state show|history|export, emulator, schema, sources. Run \`anysource <command> --help\` for each.`

const root = Command.make("anysource", {}, () =>
  Effect.sync(() => {
    process.stdout.write(`${overview}\n\nStart with: anysource init, or try the bundled example: anysource apply -c examples/quickstart/anysource.yaml\n`)
  })
).pipe(
  Command.withDescription(HelpDoc.p(overview)),
  Command.withSubcommands([
    Init.command,
    Check.command,
    ...PlanApply.commands,
    Sessions.command,
    State.command,
    Emulator.command,
    ...SchemaSources.commands
  ])
)

const footer = HelpDoc.blocks([
  HelpDoc.h1("EXAMPLES"),
  ...[
    "anysource init --source file",
    "anysource plan --detail",
    "anysource apply --yes --report run.html",
    "anysource plan --out plan.json && anysource apply --plan plan.json"
  ].map((l) => HelpDoc.p(Span.code(`  $ ${l}`))),
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.descriptionList(
    ExitCodes.table.map(([code, meaning]) => [Span.text(String(code)), HelpDoc.p(meaning)] as [Span.Span, HelpDoc.HelpDoc]) as unknown as [
      [Span.Span, HelpDoc.HelpDoc],
      ...Array<[Span.Span, HelpDoc.HelpDoc]>
    ]
  ),
  HelpDoc.h1("ENVIRONMENT"),
  HelpDoc.p("ANYSOURCE_CONFIG (default --config), ANYSOURCE_LOG_FORMAT (text|json), NO_COLOR, CI (never prompt); ${VARS} used by the config.")
])

const cli = Command.run(root, { name: "anysource", version: `anysource ${version}`, footer })

/** Exit code for the fiber's end: the command's own code, the error's, or 130 for Ctrl-C. */
export const exitCodeOf = (exit: Exit.Exit<number, unknown>): number =>
  Exit.isSuccess(exit)
    ? exit.value
    : Cause.isInterruptedOnly(exit.cause)
      ? ExitCodes.ExitCode.Interrupted
      : Cause.failureOption(exit.cause).pipe((o) => (o._tag === "Some" ? ExitCodes.fromError(o.value) : ExitCodes.ExitCode.Internal))

/** Parse `argv` (without node and the script), run the command, and return the exit code. */
/**
 * @effect/cli reads its built-in `--log-level` only before the subcommand; users put it anywhere, as with kubectl
 * or gh (`anysource apply --log-level debug`). Moved to the front, up to a `--` (after which nothing is an option).
 */
export const hoistLogLevel = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const front: Array<string> = []
  const rest: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--") {
      rest.push(...argv.slice(i))
      break
    }
    if (a === "--log-level" && i + 1 < argv.length) {
      front.push(a, argv[i + 1]!)
      i++
    } else if (a.startsWith("--log-level=")) front.push(a)
    else rest.push(a)
  }
  return [...front, ...rest]
}

export const main = (argv: ReadonlyArray<string>, env: CliEnv): Effect.Effect<number, unknown> =>
  Effect.gen(function* () {
    const exitCode = yield* Ref.make<number>(ExitCodes.ExitCode.Ok)
    yield* cli(["node", "anysource", ...hoistLogLevel(argv)]).pipe(
      Effect.provide(Layer.merge(NodeContext.layer, Layer.succeed(CliContext, { env, exitCode })))
    )
    return yield* Ref.get(exitCode)
  })
