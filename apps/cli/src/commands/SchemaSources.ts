/** `schema` (the config's JSON Schema, with every installed adapter) and `sources` (the adapters and their settings). */
import { JsonSchema } from "@anysource/core"
import { Sources } from "@anysource/runtime"
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { z } from "zod"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { globalOptions, runCommand, UsageError, writeJsonFile } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"

/**
 * How a YAML file in the working directory refers to the schema written to `out`: a relative path (`./x.json`,
 * `../x.json`), or a file:// URL for an absolute one (a bare absolute path is not a valid `$schema` reference).
 */
export const schemaReference = (out: string): string => {
  if (path.isAbsolute(out)) return pathToFileURL(out).href
  const relative = path.posix.normalize(out.split(path.sep).join("/"))
  return relative.startsWith("../") ? relative : `./${relative.replace(/^\.\//, "")}`
}

const schemaCommand = Command.make(
  "schema",
  {
    ...globalOptions,
    out: Options.text("out").pipe(
      Options.withAlias("o"),
      Options.withPseudoName("file"),
      Options.withDescription("Write to a file instead of stdout."),
      Options.optional
    )
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        const schema = JsonSchema.jsonSchema(yield* Sources.registry.loadAll)
        if (Option.isSome(o.out)) {
          yield* writeJsonFile(o.out.value, schema)
          yield* io.printErr(
            `JSON Schema written to ${o.out.value}. In YAML add: # yaml-language-server: $schema=${schemaReference(o.out.value)}`
          )
        } else yield* io.printJson(schema)
      })
    )
).pipe(
  Command.withDescription(
    describe("Print the config's JSON Schema (for editor autocompletion and validation).", {
      examples: ["anysource schema --out anysource.schema.json"]
    })
  )
)

/** One adapter's settings as rows: key, type, required, default, secret, description. */
export const settingsOf = (
  schema: Record<string, unknown>
): Array<{
  key: string
  type: string
  required: boolean
  default?: unknown
  secret: boolean
  description: string
}> => {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
  const required = new Set(Array.isArray(schema.required) ? (schema.required as Array<string>) : [])
  return Object.entries(props).map(([key, p]) => {
    const type =
      typeof p.type === "string"
        ? p.type
        : Array.isArray(p.enum)
          ? (p.enum as Array<unknown>).map((x) => JSON.stringify(x)).join(" | ")
          : Array.isArray(p.anyOf) || Array.isArray(p.oneOf)
            ? "one of several forms"
            : "any"
    return {
      key,
      type:
        Array.isArray(p.enum) && typeof p.type === "string"
          ? (p.enum as Array<unknown>).map((x) => String(x)).join(" | ")
          : type,
      required: required.has(key),
      ...(p.default !== undefined ? { default: p.default } : {}),
      secret: p["x-secret"] === true || JSON.stringify(p).includes('"x-secret":true'),
      description: typeof p.description === "string" ? p.description : ""
    }
  })
}

const adapterSchema = (config: z.ZodType): Record<string, unknown> => {
  try {
    return z.toJSONSchema(config, { io: "input", unrepresentable: "any" }) as Record<string, unknown>
  } catch {
    return {}
  }
}

const sourcesCommand = Command.make(
  "sources",
  {
    ...globalOptions,
    id: Args.text({ name: "type" }).pipe(Args.withDescription("Show one adapter's settings."), Args.optional),
    json: Options.boolean("json").pipe(Options.withDescription("Print JSON on stdout."))
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        const s = io.out
        const wanted = Option.getOrUndefined(o.id)
        if (wanted !== undefined && !Sources.registry.ids.includes(wanted))
          return yield* Effect.fail(
            new UsageError({
              message: `No source adapter "${wanted}" in this build. Installed: ${Sources.registry.ids.join(", ")}.`
            })
          )
        // listing loads every adapter (for its name and description); one type loads that one only
        const selected = yield* (wanted !== undefined ? Sources.registry.only([wanted]) : Sources.registry)
          .loadAll
        const described = selected.map((d) => ({
          id: d.id,
          displayName: d.displayName,
          ...(d.description ? { description: d.description } : {}),
          config: adapterSchema(d.config)
        }))
        if (o.json) return yield* io.printJson(described)
        const lines: Array<string> = []
        for (const d of described) {
          lines.push(
            `${s.bold(d.id.padEnd(15))} ${d.displayName}${d.description ? s.dim(` — ${d.description}`) : ""}`
          )
          if (Option.isSome(o.id) || described.length === 1) {
            for (const row of settingsOf(d.config)) {
              const flags = [
                row.required ? s.yellow("required") : "",
                row.secret ? s.magenta("secret") : "",
                row.default !== undefined ? s.dim(`default ${JSON.stringify(row.default)}`) : ""
              ]
                .filter(Boolean)
                .join(" ")
              lines.push(`  ${s.cyan(row.key.padEnd(22))} ${row.type.padEnd(20)} ${flags}`)
              if (row.description) lines.push(`  ${" ".repeat(22)} ${s.dim(row.description)}`)
            }
          }
        }
        if (Option.isNone(o.id) && described.length > 1)
          lines.push("", s.dim("`anysource sources <type>` shows one adapter's settings."))
        yield* io.print(lines.join("\n"))
      })
    )
).pipe(
  Command.withDescription(
    describe("List the source adapters in this build and their config settings.", {
      examples: ["anysource sources", "anysource sources file", "anysource sources --json"]
    })
  )
)

export const commands = [schemaCommand, sourcesCommand] as const
