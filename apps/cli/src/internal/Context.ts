/**
 * What every command shares: the global options, the environment, output streams with the right
 * colors, the exit code, and one error handler that renders failures as a single clear message.
 */
import { Options } from "@effect/cli"
import { Context, Data, Effect, Option, Ref } from "effect"
import * as fs from "node:fs"
import type { CliEnv } from "../Env.ts"
import { isInteractive } from "../Env.ts"
import * as ExitCodes from "../ExitCodes.ts"
import * as Logging from "../Logging.ts"
import { renderError } from "../RenderError.ts"
import { jsonChunks, type JsonChunksOptions } from "./JsonChunks.ts"
import { linesToChunks, type Out, writeChunks, writeFileChunks } from "./Output.ts"
import * as Style from "./Style.ts"

/** The answer to a yes/no question asked on the terminal (see `Confirm.ts`). */
export type Ask = (question: string) => Effect.Effect<boolean>

export interface CliContextService {
  readonly env: CliEnv
  readonly exitCode: Ref.Ref<number>
  readonly stdout: Out
  readonly stderr: Out
  /** Ask a yes/no question on the terminal (stderr), reading the answer from stdin; only called when interactive. */
  readonly ask: Ask
}

export class CliContext extends Context.Tag("@anysource/cli/CliContext")<CliContext, CliContextService>() {}

/** Bad command-line usage detected after parsing (e.g. a report file with an unknown extension). */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/** A local file could not be written or read (reports, plan files, init output). */
export class FileError extends Data.TaggedError("FileError")<{ readonly message: string; readonly file: string }> {}

/**
 * A command that changes things (apply, sessions cancel) was run without `--yes` where nobody can be asked:
 * stdin or stderr is not a terminal, or CI is set. Like `terraform apply` without `-auto-approve`.
 */
export class ConfirmationRequired extends Data.TaggedError("ConfirmationRequired")<{
  /** "apply needs a confirmation" */
  readonly title: string
  readonly message: string
  /** What to run instead. */
  readonly hint: string
}> {}

export const globalOptions = {
  config: Options.text("config").pipe(
    Options.withAlias("c"),
    Options.withPseudoName("file"),
    Options.withDescription("The pipeline config (YAML, JSON or anysource.config.ts). Default: anysource.yaml, or $ANYSOURCE_CONFIG."),
    Options.optional
  ),
  logFormat: Options.choice("log-format", ["text", "json"]).pipe(
    Options.withDescription("Log lines on stderr as text (default) or JSON objects. Default: $ANYSOURCE_LOG_FORMAT or text."),
    Options.optional
  ),
  noColor: Options.boolean("no-color").pipe(Options.withDescription("No colors (also when NO_COLOR is set)."))
}

export interface Globals {
  readonly config: Option.Option<string>
  readonly logFormat: Option.Option<"text" | "json">
  readonly noColor: boolean
}

export interface Io {
  readonly env: CliEnv
  /** The config path as given (relative to the working directory). */
  readonly configPath: string
  readonly logFormat: Logging.LogFormat
  /** Styles for stdout and stderr (colors only where that stream is a terminal). */
  readonly out: Style.Style
  readonly err: Style.Style
  /** Prompts and progress bars allowed (stdin and stderr are terminals, not CI). */
  readonly interactive: boolean
  /** Print text on stdout (a newline is added when missing), waiting for a slow reader. */
  readonly print: (text: string) => Effect.Effect<void>
  /** Print lines on stdout as they are produced, never all of them as one string. */
  readonly printLines: (lines: Iterable<string>) => Effect.Effect<void>
  /** Print a value as JSON on stdout, in chunks (see `JsonChunks`). */
  readonly printJson: (value: unknown, options?: JsonChunksOptions) => Effect.Effect<void>
  readonly printErr: (text: string) => Effect.Effect<void>
  readonly printErrLines: (lines: Iterable<string>) => Effect.Effect<void>
  /** Ask a yes/no question (stderr/stdin); callers check `interactive` first. */
  readonly ask: Ask
  readonly setExit: (code: number) => Effect.Effect<void>
}

/** `anysource.yaml`, or the first other default name (anysource.config.ts, …) present in the working directory. */
const defaultConfigPath = (): string =>
  ["anysource.yaml", "anysource.yml", "anysource.config.ts", "anysource.config.mts", "anysource.config.js", "anysource.config.mjs", "anysource.json"].find(
    (name) => fs.existsSync(name)
  ) ?? "anysource.yaml"

/**
 * A write whose stream failed (EPIPE: the reader went away) ends the command quietly: the entry point sees
 * the closed stream and exits the way `git` and `gh` do, without a stack trace.
 */
const write = (stream: Out, chunks: Iterable<string>): Effect.Effect<void> =>
  writeChunks(stream, chunks).pipe(Effect.catchAll(() => Effect.interrupt))

const withNewline = (text: string) => (text.endsWith("\n") ? text : `${text}\n`)

export const makeIo = (globals: Globals, ctx: CliContextService): Io => {
  const env = ctx.env
  const logFormat: Logging.LogFormat = Option.getOrElse(globals.logFormat, () =>
    env.logFormat === "json" ? ("json" as const) : ("text" as const)
  )
  const color = (isTTY: boolean) =>
    Style.make(Style.decide({ isTTY, noColorFlag: globals.noColor, noColorEnv: env.noColor, forceColor: env.forceColor }))
  return {
    env,
    configPath: Option.getOrElse(globals.config, () => env.configPath ?? defaultConfigPath()),
    logFormat,
    out: color(env.stdoutIsTTY),
    err: logFormat === "json" ? Style.plain : color(env.stderrIsTTY),
    interactive: isInteractive(env) && logFormat === "text",
    print: (text) => write(ctx.stdout, [withNewline(text)]),
    printLines: (lines) => write(ctx.stdout, linesToChunks(lines)),
    printJson: (value, options = { indent: 2 }) => write(ctx.stdout, withTrailingNewline(jsonChunks(value, options))),
    printErr: (text) => write(ctx.stderr, [withNewline(text)]),
    printErrLines: (lines) => write(ctx.stderr, linesToChunks(lines)),
    ask: ctx.ask,
    setExit: (code) => Ref.set(ctx.exitCode, code)
  }
}

/** Why nobody can be asked here (for `ConfirmationRequired`); undefined when asking is possible. */
export const whyNotInteractive = (io: Io): string | undefined => {
  if (io.interactive) return undefined
  const env = io.env
  return env.ci
    ? "CI is set"
    : !env.stdinIsTTY
      ? "stdin is not a terminal"
      : !env.stderrIsTTY
        ? "stderr is not a terminal"
        : io.logFormat === "json"
          ? "--log-format json"
          : "no terminal"
}

/**
 * Fail with `ConfirmationRequired` when a command that changes something would have to ask and cannot (see
 * `whyNotInteractive`): what the command does, and what to run instead.
 */
export const requireTerminal = (
  io: Io,
  what: { readonly command: string; readonly does: string; readonly hint: string }
): Effect.Effect<void, ConfirmationRequired> => {
  const why = whyNotInteractive(io)
  return why === undefined
    ? Effect.void
    : Effect.fail(
        new ConfirmationRequired({
          title: `${what.command} needs a confirmation`,
          message: `\`${what.command}\` ${what.does} and asks first, but nobody can be asked here (${why}), so nothing was done. Pass --yes to go ahead without asking.`,
          hint: what.hint
        })
      )
}

const describe = (error: unknown) => {
  const e = error as { _tag?: unknown; reason?: unknown; message?: unknown; path?: unknown; file?: unknown; location?: unknown }
  return {
    tag: typeof e._tag === "string" ? e._tag : "Defect",
    ...(typeof e.reason === "string" ? { reason: e.reason } : {}),
    ...(typeof e.path === "string" ? { path: e.path } : {}),
    ...(typeof e.file === "string" ? { file: e.file } : {}),
    ...(typeof e.location === "string" ? { location: e.location } : {}),
    message: typeof e.message === "string" ? e.message : String(error)
  }
}

/** Print a failure: one rendered message (text) or one JSON line (--log-format json); set the exit code. */
export const reportFailure = (io: Io, error: unknown): Effect.Effect<void> => {
  const code = ExitCodes.fromError(error)
  if ((error as { _tag?: unknown } | null)?._tag === "QuitException")
    return Effect.zipRight(io.printErr("Cancelled; nothing was changed."), io.setExit(code))
  const text =
    io.logFormat === "json"
      ? JSON.stringify({ timestamp: new Date().toISOString(), level: "ERROR", error: describe(error), exitCode: code })
      : ["UsageError", "FileError"].includes(String((error as { _tag?: unknown })?._tag))
        ? `${io.err.red(io.err.bold("Error:"))} ${(error as { message: string }).message}`
        : renderError(error, io.err, { configFile: io.configPath })
  return Effect.zipRight(io.printErr(text), io.setExit(code))
}

/** Set the exit code for an error that was already shown (e.g. by `check`'s own listing). */
export const setExitFromError = (io: Io, error: unknown): Effect.Effect<void> => io.setExit(ExitCodes.fromError(error))

/**
 * Run a command body with the logger for its --log-format, rendering any failure (typed error or
 * defect) once and turning it into the exit code.
 */
export const runCommand = <E, R>(globals: Globals, body: (io: Io) => Effect.Effect<void, E, R>) =>
  Effect.gen(function* () {
    const ctx = yield* CliContext
    const io = makeIo(globals, ctx)
    yield* body(io).pipe(
      Effect.catchAll((error) => reportFailure(io, error)),
      Effect.catchAllDefect((defect) => reportFailure(io, defect)),
      Effect.provide(Logging.layer(io.logFormat, io.err, (line) => ctx.stderr.write(`${line}\n`)))
    )
  })

const fileError = (file: string) => (cause: unknown) =>
  new FileError({ file, message: `Could not write ${file}: ${cause instanceof Error ? cause.message : String(cause)}` })

/** Write a file, creating its folder; failures are `FileError`s naming the file. */
export const writeFile = (file: string, text: string): Effect.Effect<void, FileError> => writeFileChunks(file, [text], fileError(file))

/** Write a file from chunks (a plan, a report, an export), never holding it as one string. */
export const writeFileFrom = (file: string, chunks: Iterable<string>): Effect.Effect<void, FileError> =>
  writeFileChunks(file, chunks, fileError(file))

/** Write `value` as JSON (2-space indent, a final newline) to `file`, in chunks. */
export const writeJsonFile = (file: string, value: unknown, options: JsonChunksOptions = { indent: 2 }): Effect.Effect<void, FileError> =>
  writeFileFrom(file, withTrailingNewline(jsonChunks(value, options)))

/** `chunks` followed by a newline. */
export function* withTrailingNewline(chunks: Iterable<string>): Generator<string, void, undefined> {
  yield* chunks
  yield "\n"
}

export const readFile = (file: string): Effect.Effect<string, FileError> =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (cause) =>
      new FileError({
        file,
        message: `Could not read ${file}: ${(cause as NodeJS.ErrnoException)?.code === "ENOENT" ? "no such file" : cause instanceof Error ? cause.message : String(cause)}`
      })
  })
