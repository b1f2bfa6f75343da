/**
 * Reading a config file before validation: finding it (a directory holds one of the default names), reading
 * text, parsing YAML or JSON with located errors, importing `anysource.config.ts` through jiti.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect } from "effect"
import { createJiti } from "jiti"
import { parseDocument } from "yaml"
import { ConfigError } from "../../domain/Errors.ts"
import { lineCol } from "./locate.ts"

/** `path` itself, or the first of `defaultFileNames` inside it when it is a directory. */
export const locateFile = (path: string, defaultFileNames: ReadonlyArray<string>): Effect.Effect<string, ConfigError> =>
  Effect.suspend(() => {
    const absolute = Path.resolve(path)
    let stat: Fs.Stats
    try {
      stat = Fs.statSync(absolute)
    } catch {
      return Effect.fail(
        new ConfigError({ reason: "NotFound", file: absolute, message: `config file not found: ${path}` })
      )
    }
    if (!stat.isDirectory()) return Effect.succeed(absolute)
    for (const name of defaultFileNames) {
      const candidate = Path.join(absolute, name)
      if (Fs.existsSync(candidate)) return Effect.succeed(candidate)
    }
    return Effect.fail(
      new ConfigError({
        reason: "NotFound",
        file: absolute,
        message: `no config file in ${path} (looked for ${defaultFileNames.join(", ")})`
      })
    )
  })

export const readText = (file: string, display: string): Effect.Effect<string, ConfigError> =>
  Effect.try({
    try: () => Fs.readFileSync(file, "utf8"),
    catch: (error) =>
      new ConfigError({
        reason: "NotFound",
        file,
        message: `cannot read ${display}: ${String((error as { code?: unknown }).code ?? "unreadable")}`
      })
  })

export const parseYaml = (text: string, file: string, display: string): Effect.Effect<unknown, ConfigError> =>
  Effect.suspend(() => {
    const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
    if (document.errors.length > 0) {
      const lines = document.errors.map((error) => {
        const at = error.linePos?.[0]
        const where = at ? `${display}:${at.line}:${at.col}` : display
        // yaml appends " at line L, column C:" and a source excerpt; keep only the explanation.
        const reason = error.message.split(/ at line \d+, column \d+/)[0]!.trim()
        return `${where}: ${reason}`
      })
      return Effect.fail(
        new ConfigError({
          reason: "Parse",
          file,
          message: `cannot parse ${display} as YAML:\n  ${lines.join("\n  ")}`
        })
      )
    }
    return Effect.try({
      try: () => document.toJS({ maxAliasCount: 100 }) as unknown,
      catch: (error) =>
        new ConfigError({
          reason: "Parse",
          file,
          message: `cannot parse ${display} as YAML: ${(error as Error).message}`
        })
    })
  })

export const parseJson = (text: string, file: string, display: string): Effect.Effect<unknown, ConfigError> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (error) => {
      const message = (error as Error).message
      const position = /position (\d+)/.exec(message)
      const where = position ? `${display}:${lineCol(text, Number(position[1]))}` : display
      const reason = message.replace(/ in JSON at position \d+.*$/s, "").replace(/^JSON\.parse: /, "")
      return new ConfigError({ reason: "Parse", file, message: `cannot parse ${where} as JSON: ${reason}` })
    }
  })

export const importModule = (file: string, display: string): Effect.Effect<unknown, ConfigError> =>
  Effect.tryPromise({
    try: async () => {
      const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false })
      const exported: unknown = await jiti.import(file, { default: true })
      return typeof exported === "function" ? await (exported as () => unknown)() : exported
    },
    catch: (error) =>
      new ConfigError({
        reason: "Parse",
        file,
        message: `cannot load ${display}: ${error instanceof Error ? error.message.split("\n")[0] : "it threw a non-error value"}`
      })
  })
