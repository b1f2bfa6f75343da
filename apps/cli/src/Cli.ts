/**
 * The `anysource` command tree. Thin: each command parses flags, builds layers through `Runtime`,
 * calls core, renders. `main(argv)` runs it and resolves to the process exit code.
 */
import { Args, Command, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Cause, Console, Effect, Exit, Layer, Option, Ref } from "effect"
import pkg from "../package.json" with { type: "json" }
import type { CliEnv } from "./Env.ts"
import * as ExitCodes from "./ExitCodes.ts"
import * as Check from "./commands/Check.ts"
import * as Emulator from "./commands/Emulator.ts"
import * as Init from "./commands/Init.ts"
import * as Okta from "./commands/Okta.ts"
import * as PlanApply from "./commands/PlanApply.ts"
import * as SchemaSources from "./commands/SchemaSources.ts"
import * as Sessions from "./commands/Sessions.ts"
import * as Setup from "./commands/Setup.ts"
import * as State from "./commands/State.ts"
import * as Verify from "./commands/Verify.ts"
import * as Drift from "./commands/Drift.ts"
import * as Confirm from "./internal/Confirm.ts"
import { type Ask, CliContext, type CliContextService } from "./internal/Context.ts"
import * as Help from "./internal/Help.ts"
import { type Out, writeChunks } from "./internal/Output.ts"
import * as Style from "./internal/Style.ts"

export const version: string = pkg.version

const overview =
  "anysource syncs people and groups from any source of truth into Okta through the Identity Sources (Anything-as-a-Source) API: plan shows exactly what would change, apply sends only that."

const helpCommand = Command.make(
  "help",
  { topic: Args.text({ name: "topic" }).pipe(Args.withDescription("A command (plan, sessions list, …) or exit-codes."), Args.repeated) },
  // `help …` is answered before parsing (see `main`); this handler only runs if that is bypassed
  (o) => Effect.flatMap(CliContext, (ctx) => printHelp(["help", ...o.topic], ctx))
).pipe(
  Command.withDescription(
    Help.describe("Show help for a command, or a topic: exit-codes (every exit code and what it means).", {
      examples: ["anysource help apply", "anysource help sessions cancel", "anysource help exit-codes"]
    })
  )
)

const root = Command.make("anysource").pipe(
  Command.withDescription(
    Help.describe(overview, {
      examples: [
        "anysource init --source file",
        "anysource plan --detail",
        "anysource plan --json | jq .summary",
        "anysource apply --report run.html",
        "anysource plan --out plan.json && anysource apply --plan plan.json --yes"
      ]
    })
  ),
  Command.withSubcommands([
    Init.command,
    Check.command,
    ...PlanApply.commands,
    Verify.command,
    Drift.command,
    Setup.command,
    Sessions.command,
    State.command,
    Emulator.command,
    Okta.command,
    ...SchemaSources.commands,
    helpCommand
  ])
)

export const helpModel = Help.model(root as unknown as Command.Command<string, never, unknown, unknown>)

const cli = Command.run(root, { name: "anysource", version: `anysource ${version}` })

/** Exit code for the fiber's end: the command's own code, the error's, or 130 for Ctrl-C. */
export const exitCodeOf = (exit: Exit.Exit<number, unknown>): number =>
  Exit.isSuccess(exit)
    ? exit.value
    : Cause.isInterruptedOnly(exit.cause)
      ? ExitCodes.ExitCode.Interrupted
      : Option.match(Cause.failureOption(exit.cause), { onNone: () => ExitCodes.ExitCode.Internal, onSome: ExitCodes.fromError })

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

/** Colours for a stream: a terminal, no NO_COLOR, no --no-color (FORCE_COLOR forces them). */
const styleFor = (env: CliEnv, isTTY: boolean, argv: ReadonlyArray<string>): Style.Style => {
  const end = argv.indexOf("--")
  const noColorFlag = (end === -1 ? argv : argv.slice(0, end)).includes("--no-color")
  return Style.make(Style.decide({ isTTY, noColorFlag, noColorEnv: env.noColor, forceColor: env.forceColor }))
}

const print = (stream: Out, text: string) => writeChunks(stream, [text.endsWith("\n") ? text : `${text}\n`]).pipe(Effect.catchAll(() => Effect.interrupt))

/** Answer a help request (`--help`, `help …`, no arguments): the page on stdout, or an unknown topic on stderr (exit 64). */
const printHelp = (argv: ReadonlyArray<string>, ctx: CliContextService): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    const request = Help.request(helpModel, argv)
    if (!request) return false
    const out = styleFor(ctx.env, ctx.env.stdoutIsTTY, argv)
    const columns = ctx.env.stdoutIsTTY ? ctx.env.columns : 100
    switch (request._tag) {
      case "Command":
        yield* print(ctx.stdout, Help.render(request.command, { style: out, columns, version }))
        break
      case "ExitCodes":
        yield* print(ctx.stdout, Help.renderExitCodes(out, columns))
        break
      case "Unknown": {
        const err = styleFor(ctx.env, ctx.env.stderrIsTTY, argv)
        const where = request.within.path.join(" ")
        yield* print(
          ctx.stderr,
          [
            `${err.red(err.bold("Error:"))} no help topic "${request.word}" in \`${where}\`.${request.suggestion ? ` Did you mean \`${request.suggestion}\`?` : ""}`,
            `Run \`${where} --help\` for its commands, or \`anysource help exit-codes\`.`
          ].join("\n")
        )
        yield* Ref.set(ctx.exitCode, ExitCodes.ExitCode.Usage)
      }
    }
    return true
  })

/** @effect/cli's parse failures (already printed by it). */
const isUsageFailure = (error: unknown): boolean => ValidationError.isValidationError(error)

/** After a usage error: a "did you mean" for a mistyped command or flag, and where the help is. */
export const usageHint = (argv: ReadonlyArray<string>): string => {
  const { command, rest } = Help.walk(helpModel, argv)
  const name = command.path.join(" ")
  const end = argv.indexOf("--")
  const tokens = end === -1 ? argv : argv.slice(0, end)
  const known = new Set([...command.options, ...command.globals].flatMap((o) => [o.long, ...o.short]))
  for (const b of ["--log-level", "--help", "-h", "--version", "--completions", "--wizard"]) known.add(b)
  const unknownFlag = tokens.find((t) => t.startsWith("-") && !known.has(t.split("=")[0]!))
  const hints: Array<string> = []
  if (unknownFlag !== undefined) {
    const guess = Help.closest(unknownFlag.split("=")[0]!, [...known].filter((k) => k.startsWith("--")))
    if (guess) hints.push(`Did you mean ${guess}?`)
  } else if (command.subcommands.length > 0 && rest.length > 0) {
    const guess = Help.closest(rest[0]!, command.subcommands.map((c) => c.name))
    if (guess) hints.push(`Did you mean \`${name} ${guess}\`?`)
  }
  hints.push(`Run \`${name} --help\` for usage.`)
  return hints.join(" ")
}

/** A Console for @effect/cli's own messages (usage errors, --version): our streams, colours only where allowed. */
const consoleFor = (base: Console.Console, ctx: CliContextService, argv: ReadonlyArray<string>): Console.Console => {
  const keep = (isTTY: boolean) => styleFor(ctx.env, isTTY, argv).enabled
  const line = (stream: Out, colours: boolean, args: ReadonlyArray<unknown>) =>
    print(stream, ((s: string) => (colours ? s : Style.strip(s)))(args.map((a) => (typeof a === "string" ? a : String(a))).join(" ")))
  return {
    ...base,
    log: (...args: ReadonlyArray<unknown>) => line(ctx.stdout, keep(ctx.env.stdoutIsTTY), args),
    info: (...args: ReadonlyArray<unknown>) => line(ctx.stdout, keep(ctx.env.stdoutIsTTY), args),
    error: (...args: ReadonlyArray<unknown>) => line(ctx.stderr, keep(ctx.env.stderrIsTTY), args),
    warn: (...args: ReadonlyArray<unknown>) => line(ctx.stderr, keep(ctx.env.stderrIsTTY), args)
  }
}

export interface MainOptions {
  /** Where results go (default process.stdout). */
  readonly stdout?: Out
  /** Where logs, prompts and errors go (default process.stderr). */
  readonly stderr?: Out
  /** How yes/no questions are answered (default: asked on stderr, read from stdin). */
  readonly ask?: Ask
}

/** Parse `argv` (without node and the script), run the command, and return the exit code. */
export const main = (argv: ReadonlyArray<string>, env: CliEnv, options: MainOptions = {}): Effect.Effect<number, unknown> =>
  Effect.gen(function* () {
    const exitCode = yield* Ref.make<number>(ExitCodes.ExitCode.Ok)
    const stdout = options.stdout ?? process.stdout
    const stderr = options.stderr ?? process.stderr
    const ctx: CliContextService = { env, exitCode, stdout, stderr, ask: options.ask ?? Confirm.make(process.stdin, stderr) }
    if (yield* printHelp(argv, ctx)) return yield* Ref.get(exitCode)
    yield* cli(["node", "anysource", ...hoistLogLevel(argv)]).pipe(
      Effect.catchIf(isUsageFailure, () =>
        Effect.zipRight(print(stderr, usageHint(argv)), Ref.set(exitCode, ExitCodes.ExitCode.Usage))
      ),
      Console.withConsole(consoleFor(yield* Console.consoleWith(Effect.succeed), ctx, argv)),
      Effect.provide(Layer.merge(NodeContext.layer, Layer.succeed(CliContext, ctx)))
    )
    return yield* Ref.get(exitCode)
  })
