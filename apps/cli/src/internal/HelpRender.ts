/**
 * Rendering help pages: usage line with the full command path, optional flags in brackets, options and global
 * options in aligned tables wrapped to the terminal (at most 100 columns), this command's examples, and the
 * exit-code page. Colour only through the given `Style`.
 */
import * as ExitCodes from "../ExitCodes.ts"
import { builtIns } from "./HelpBuiltIns.ts"
import type { ArgHelp, CommandHelp, OptionHelp } from "./HelpModel.ts"
import type * as Style from "./Style.ts"

const wrap = (text: string, width: number, indent: string, firstIndent = indent): Array<string> => {
  const out: Array<string> = []
  for (const paragraph of text.split("\n")) {
    let line = firstIndent
    let empty = true
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (!empty && line.length + 1 + word.length > width) {
        out.push(line)
        line = indent + word
      } else line += (empty ? "" : " ") + word
      empty = false
    }
    out.push(empty ? line.trimEnd() : line)
  }
  return out
}

/** The first sentence of a description (for command lists): up to a full stop followed by a capital. */
const firstSentence = (text: string): string => text.split("\n")[0]!.replace(/\.\s+(?=[A-Z`]).*$/, ".")

const optionLabel = (o: OptionHelp): string => {
  const names = [...o.short.filter((s) => s.length === 2), o.long, ...o.short.filter((s) => s.length > 2)]
  const label = names.join(", ")
  return `${o.short.some((s) => s.length === 2) ? "" : "    "}${label}${o.value ? ` ${o.value}` : ""}`
}

const usageToken = (o: OptionHelp): string => {
  const short = o.short.find((s) => s.length === 2)
  const name = short ? `${short}|${o.long}` : o.long
  const body = o.value ? `${name} ${o.value}` : name
  return o.optional ? `[${body}]${o.repeated ? "..." : ""}` : `${body}${o.repeated ? "..." : ""}`
}

const argToken = (a: ArgHelp): string => {
  const body = `<${a.name}>`
  return a.optional ? `[${body}]${a.repeated ? "..." : ""}` : `${body}${a.repeated ? "..." : ""}`
}

const table = (
  rows: ReadonlyArray<readonly [string, string]>,
  s: Style.Style,
  width: number
): Array<string> => {
  const left = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2)
  const out: Array<string> = []
  for (const [label, text] of rows) {
    const head = `  ${label}`
    if (head.length + 1 > left + 2) {
      out.push(s.bold(head).replace(/^(\s*)/, "$1"))
      out.push(...wrap(text, width, " ".repeat(left + 2)))
    } else {
      const lines = wrap(text, width, " ".repeat(left + 2), " ".repeat(left + 2))
      out.push(`${head}${" ".repeat(left + 2 - head.length)}${lines[0]!.trimStart()}`, ...lines.slice(1))
    }
  }
  return out
}

const optionRows = (options: ReadonlyArray<OptionHelp>) =>
  options.map(
    (o) =>
      [
        optionLabel(o),
        `${o.description}${o.defaultValue !== undefined && !o.description.includes("Default") ? ` (default ${o.defaultValue})` : ""}${
          o.repeated ? (o.description.includes("Repeatable") ? "" : " Repeatable.") : ""
        }`
      ] as const
  )

const exitLine = (command: CommandHelp): string =>
  `${command.exitCodes ?? `0 success, ${ExitCodes.ExitCode.Config}–${ExitCodes.ExitCode.ConfirmationRequired} and ${ExitCodes.ExitCode.Usage} errors`}; every code: anysource help exit-codes`

/** Usage tokens (`[--out <file>]`) laid out on lines of `width`, never split inside a token. */
const wrapTokens = (
  tokens: ReadonlyArray<string>,
  width: number,
  first: string,
  indent: string
): Array<string> => {
  const out: Array<string> = []
  let line = first
  let fresh = first.trim() === ""
  for (const token of tokens) {
    if (!fresh && line.length + 1 + token.length > width) {
      out.push(line)
      line = indent + token
    } else line += (fresh ? "" : " ") + token
    fresh = false
  }
  out.push(line)
  return out
}

export interface RenderOptions {
  readonly style: Style.Style
  /** Terminal width (wraps at min(width, 100)). */
  readonly columns: number
  readonly version: string
}

/** The help page of one command (or the root). */
export const render = (command: CommandHelp, options: RenderOptions): string => {
  const s = options.style
  const width = Math.max(60, Math.min(100, options.columns))
  const isRoot = command.path.length === 1
  const h = (title: string) => s.bold(title)
  const out: Array<string> = []
  const name = command.path.join(" ")
  out.push(...wrap(isRoot ? `${command.description}` : command.description, width, ""))
  out.push("", h("USAGE"))
  const own = command.options
  const globals = command.globals
  if (command.subcommands.length > 0) out.push(`  ${name} <command> [options]`)
  else {
    const tokens = [
      ...own.map(usageToken),
      ...command.args.map(argToken),
      ...(globals.length > 0 ? ["[global options]"] : [])
    ]
    out.push(...wrapTokens(tokens, width, `  ${name}`, `   ${" ".repeat(name.length)}`))
  }
  if (command.subcommands.length > 0) {
    out.push("", h("COMMANDS"))
    out.push(
      ...table(
        command.subcommands.map((c) => [c.name, firstSentence(c.description)] as const),
        s,
        width
      )
    )
  }
  if (command.args.length > 0) {
    out.push("", h("ARGUMENTS"))
    out.push(
      ...table(
        command.args.map(
          (a) => [`<${a.name}>`, `${a.description}${a.optional ? " Optional." : ""}`] as const
        ),
        s,
        width
      )
    )
  }
  if (own.length > 0) {
    out.push("", h("OPTIONS"))
    out.push(...table(optionRows(own), s, width))
  }
  if (isRoot) {
    out.push("", h("GLOBAL OPTIONS (every command)"))
    out.push(...table(optionRows([...globals, ...builtIns(true)]), s, width))
  } else if (command.subcommands.length === 0) {
    // described once, on the root's page
    out.push("", h("GLOBAL OPTIONS"))
    const compact = [...globals, ...builtIns(false)].map((o) =>
      usageToken({ ...o, value: o.long === "--log-level" ? "<level>" : o.value })
    )
    out.push(...wrapTokens([...compact, "(see anysource --help)"], width, "  ", "  "))
  }
  if (command.examples.length > 0) {
    out.push("", h("EXAMPLES"))
    for (const e of command.examples) out.push(`  $ ${e}`)
  }
  if (!isRoot && command.subcommands.length === 0) {
    out.push("", h("EXIT CODES"))
    out.push(...wrap(exitLine(command), width, "  "))
  }
  if (isRoot) {
    out.push("", h("ENVIRONMENT"))
    out.push(
      ...table(
        [
          ["ANYSOURCE_CONFIG", "Default for --config."],
          ["ANYSOURCE_LOG_FORMAT", "Default for --log-format (text|json)."],
          ["NO_COLOR", "Any value: no colours (https://no-color.org). FORCE_COLOR: colours even in a pipe."],
          ["CI", "Set: never prompt, no progress bars; apply and sessions cancel need --yes."],
          ["${VARS}, VAR_FILE", "Values the config refers to (secrets stay redacted)."]
        ],
        s,
        width
      )
    )
    out.push("", h("EXIT CODES"))
    out.push(
      ...wrap(
        `0 success, 2 plan: changes pending, 3–${ExitCodes.ExitCode.ConfirmationRequired} and 64 errors. All codes: anysource help exit-codes`,
        width,
        "  "
      )
    )
  }
  out.push("", h("LEARN MORE"))
  out.push(
    ...wrap(
      command.subcommands.length > 0
        ? `Run \`${name} <command> --help\` for a command's options and examples. Version ${options.version}.`
        : `Run \`${command.path.slice(0, -1).join(" ")} --help\` for the other commands.`,
      width,
      "  "
    )
  )
  return out.join("\n")
}

/** `anysource help exit-codes`. */
export const renderExitCodes = (style: Style.Style, columns: number): string => {
  const width = Math.max(60, Math.min(100, columns))
  return [
    style.bold("EXIT CODES"),
    ...table(
      ExitCodes.table.map(([code, , meaning]) => [String(code), meaning.replace(/`/g, "")] as const),
      style,
      width
    ),
    "",
    ...wrap(
      "Scripts can branch on them: `anysource plan` exits 2 when there is something to apply, like `terraform plan -detailed-exitcode`.",
      width,
      ""
    )
  ].join("\n")
}
