/**
 * What every command shares: the global options, the environment, output streams with the right
 * colors, the exit code, and one error handler that renders failures as a single clear message.
 */
import { Options } from "@effect/cli"
import { Context, Data, Effect, Option, Ref } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { CliEnv } from "../Env.ts"
import { isInteractive } from "../Env.ts"
import * as ExitCodes from "../ExitCodes.ts"
import * as Logging from "../Logging.ts"
import { renderError } from "../RenderError.ts"
import * as Style from "./Style.ts"

export interface CliContextService {
  readonly env: CliEnv
  readonly exitCode: Ref.Ref<number>
}

export class CliContext extends Context.Tag("@anysource/cli/CliContext")<CliContext, CliContextService>() {}

/** Bad command-line usage detected after parsing (e.g. a report file with an unknown extension). */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/** A local file could not be written or read (reports, plan files, init output). */
export class FileError extends Data.TaggedError("FileError")<{ readonly message: string; readonly file: string }> {}

export const globalOptions = {
  config: Options.text("config").pipe(
    Options.withAlias("c"),
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
  readonly print: (text: string) => Effect.Effect<void>
  readonly printErr: (text: string) => Effect.Effect<void>
  readonly setExit: (code: number) => Effect.Effect<void>
}

/** `anysource.yaml`, or the first other default name (anysource.config.ts, …) present in the working directory. */
const defaultConfigPath = (): string =>
  ["anysource.yaml", "anysource.yml", "anysource.config.ts", "anysource.config.mts", "anysource.config.js", "anysource.config.mjs", "anysource.json"].find(
    (name) => fs.existsSync(name)
  ) ?? "anysource.yaml"

const write = (stream: NodeJS.WriteStream, text: string) =>
  Effect.sync(() => {
    stream.write(text.endsWith("\n") ? text : `${text}\n`)
  })

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
    print: (text) => write(process.stdout, text),
    printErr: (text) => write(process.stderr, text),
    setExit: (code) => Ref.set(ctx.exitCode, code)
  }
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
      : (error as { _tag?: unknown })?._tag === "UsageError" || (error as { _tag?: unknown })?._tag === "FileError"
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
      Effect.provide(Logging.layer(io.logFormat, io.err))
    )
  })

/** Write a file, creating its folder; failures are `FileError`s naming the file. */
export const writeFile = (file: string, text: string): Effect.Effect<void, FileError> =>
  Effect.try({
    try: () => {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
      fs.writeFileSync(file, text)
    },
    catch: (cause) => new FileError({ file, message: `Could not write ${file}: ${cause instanceof Error ? cause.message : String(cause)}` })
  })

export const readFile = (file: string): Effect.Effect<string, FileError> =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (cause) =>
      new FileError({
        file,
        message: `Could not read ${file}: ${(cause as NodeJS.ErrnoException)?.code === "ENOENT" ? "no such file" : cause instanceof Error ? cause.message : String(cause)}`
      })
  })
