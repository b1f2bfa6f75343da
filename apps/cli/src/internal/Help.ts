/**
 * Help the way `git`, `gh` and `terraform` print it, rendered from @effect/cli's command descriptors (every
 * flag, alias, choice, default and description comes from the command definitions; nothing is copied here):
 * the full command path in the usage line, optional flags in brackets, this command's examples only, one
 * exit-code line pointing at `anysource help exit-codes`, no colour unless stdout is a terminal (and never
 * with NO_COLOR or --no-color).
 *
 * Commands describe themselves with `describe(description, { examples, exitCodes })`: the examples and the
 * exit-code line travel inside the command's HelpDoc as sections, so the descriptor is the only source.
 */
import { AutoCorrect, CliConfig, type Command, HelpDoc } from "@effect/cli"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as ExitCodes from "../ExitCodes.ts"
import * as Style from "./Style.ts"

// ---------------------------------------------------------------------------------------------
// Describing a command

export interface DescribeOptions {
  /** Command lines shown under EXAMPLES (without the `$ `). */
  readonly examples?: ReadonlyArray<string>
  /** The exit codes this command ends with, e.g. "0 no changes, 2 changes pending"; errors are added. */
  readonly exitCodes?: string
}

const EXAMPLES = "EXAMPLES"
const EXIT_CODES = "EXIT CODES"

/** A command's description with its examples and exit codes, as one HelpDoc for `Command.withDescription`. */
export const describe = (description: string, options: DescribeOptions = {}): HelpDoc.HelpDoc =>
  HelpDoc.blocks([
    HelpDoc.p(description),
    ...(options.examples && options.examples.length > 0
      ? [HelpDoc.h1(EXAMPLES), ...options.examples.map((l) => HelpDoc.p(Span.code(l)))]
      : []),
    ...(options.exitCodes ? [HelpDoc.h1(EXIT_CODES), HelpDoc.p(options.exitCodes)] : [])
  ])

// ---------------------------------------------------------------------------------------------
// The model: what help needs, read from the descriptors

export interface OptionHelp {
  /** `--config` */
  readonly long: string
  /** `-c` */
  readonly short: ReadonlyArray<string>
  /** `<file>`, `text|json`, or "" for a flag. */
  readonly value: string
  readonly description: string
  readonly optional: boolean
  readonly repeated: boolean
  readonly defaultValue?: string
}

export interface ArgHelp {
  readonly name: string
  readonly description: string
  readonly optional: boolean
  readonly repeated: boolean
}

export interface CommandHelp {
  readonly name: string
  /** `["anysource", "sessions", "list"]` */
  readonly path: ReadonlyArray<string>
  readonly description: string
  readonly examples: ReadonlyArray<string>
  readonly exitCodes: string | undefined
  /** The command's own options. */
  readonly options: ReadonlyArray<OptionHelp>
  /** The options every command accepts (`Context.globalOptions`), shown under GLOBAL OPTIONS. */
  readonly globals: ReadonlyArray<OptionHelp>
  readonly args: ReadonlyArray<ArgHelp>
  readonly subcommands: ReadonlyArray<CommandHelp>
}

/** Options every command accepts (`Context.globalOptions`), listed once under GLOBAL OPTIONS. */
const GLOBAL = new Set(["--config", "--log-format", "--no-color"])

// @effect/cli's descriptor shapes (0.77), read structurally.
type Node = { readonly _tag: string } & Readonly<Record<string, unknown>>

const spanText = (span: Span.Span): string => {
  switch (span._tag) {
    case "Sequence":
      return spanText(span.left) + spanText(span.right)
    case "Highlight":
    case "Strong":
    case "Weak":
      return spanText(span.value)
    default:
      return span.value
  }
}

/** Top-level blocks of a HelpDoc, in order. */
const blocksOf = (doc: HelpDoc.HelpDoc): Array<HelpDoc.HelpDoc> =>
  doc._tag === "Sequence"
    ? [...blocksOf(doc.left), ...blocksOf(doc.right)]
    : doc._tag === "Empty"
      ? []
      : [doc]

/** A HelpDoc as plain paragraphs, and its sections by header. */
const readDoc = (
  doc: HelpDoc.HelpDoc
): { readonly text: Array<string>; readonly sections: Map<string, Array<string>> } => {
  const text: Array<string> = []
  const sections = new Map<string, Array<string>>()
  let current: Array<string> = text
  for (const block of blocksOf(doc)) {
    switch (block._tag) {
      case "Header":
        current = []
        sections.set(spanText(block.value), current)
        break
      case "Paragraph":
        current.push(spanText(block.value))
        break
      case "DescriptionList":
        for (const [term, desc] of block.definitions)
          current.push(`${spanText(term)}: ${readDoc(desc).text.join(" ")}`)
        break
      case "Enumeration":
        for (const item of block.elements) current.push(`- ${readDoc(item).text.join(" ")}`)
        break
    }
  }
  return { text, sections }
}

const primitiveValue = (primitive: Node, pseudo: string | undefined): string => {
  if (primitive._tag === "Bool") return ""
  if (primitive._tag === "Choice")
    return (primitive.alternatives as ReadonlyArray<[string, unknown]>).map(([name]) => name).join("|")
  if (pseudo !== undefined) return `<${pseudo}>`
  switch (primitive._tag) {
    case "Integer":
      return "<n>"
    case "Float":
      return "<number>"
    case "Path":
      return "<path>"
    default:
      return "<text>"
  }
}

const optionOf = (single: Node, optional: boolean, repeated: boolean, defaultValue: unknown): OptionHelp => {
  const aliases = single.aliases as ReadonlyArray<string>
  const pseudo = single.pseudoName as { _tag: string; value?: string }
  const primitive = single.primitiveType as Node
  const isFlag = primitive._tag === "Bool"
  const shown =
    defaultValue === undefined || isFlag || (typeof defaultValue === "object" && defaultValue !== null)
      ? undefined
      : String(defaultValue)
  return {
    long: `--${single.name as string}`,
    short: aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`)),
    value: primitiveValue(primitive, pseudo._tag === "Some" ? pseudo.value : undefined),
    description: readDoc(single.description as HelpDoc.HelpDoc).text.join(" "),
    // a flag is always optional
    optional: optional || isFlag || repeated,
    repeated,
    ...(shown !== undefined ? { defaultValue: shown } : {})
  }
}

const collectOptions = (
  node: Node,
  out: Array<OptionHelp>,
  optional = false,
  repeated = false,
  defaultValue?: unknown
): void => {
  switch (node._tag) {
    case "Single":
      out.push(optionOf(node, optional, repeated, defaultValue))
      return
    case "Map":
    case "WithFallback":
      return collectOptions(node.options as Node, out, optional, repeated, defaultValue)
    case "WithDefault":
      return collectOptions(node.options as Node, out, true, repeated, node.fallback)
    case "Variadic":
      return collectOptions(node.argumentOption as Node, out, optional, true, defaultValue)
    case "Both":
    case "OrElse":
      collectOptions(node.left as Node, out, optional, repeated, defaultValue)
      collectOptions(node.right as Node, out, optional, repeated, defaultValue)
      return
    case "KeyValueMap":
      return collectOptions(node.argumentOption as Node, out, optional, true, defaultValue)
  }
}

const collectArgs = (node: Node, out: Array<ArgHelp>, optional = false, repeated = false): void => {
  switch (node._tag) {
    case "Single":
      out.push({
        name:
          (node.pseudoName as { _tag: string; value?: string })._tag === "Some"
            ? (node.pseudoName as { value: string }).value
            : (node.name as string),
        description: readDoc(node.description as HelpDoc.HelpDoc).text.join(" "),
        optional,
        repeated
      })
      return
    case "Map":
    case "WithFallbackConfig":
      return collectArgs(node.args as Node, out, optional, repeated)
    case "WithDefault":
      return collectArgs(node.args as Node, out, true, repeated)
    case "Variadic": {
      const min = node.min as { _tag: string; value?: number }
      return collectArgs(node.args as Node, out, optional || min._tag === "None" || min.value === 0, true)
    }
    case "Both":
      collectArgs(node.left as Node, out, optional, repeated)
      collectArgs(node.right as Node, out, optional, repeated)
      return
  }
}

const descriptorModel = (node: Node, parentPath: ReadonlyArray<string>): CommandHelp => {
  switch (node._tag) {
    case "Map":
      return descriptorModel(node.command as Node, parentPath)
    case "Subcommands": {
      const parent = descriptorModel(node.parent as Node, parentPath)
      return {
        ...parent,
        subcommands: (node.children as ReadonlyArray<Node>).map((c) => descriptorModel(c, parent.path))
      }
    }
    default: {
      const name = node.name as string
      const doc = readDoc(node.description as HelpDoc.HelpDoc)
      const options: Array<OptionHelp> = []
      const args: Array<ArgHelp> = []
      if (node._tag === "Standard") {
        collectOptions(node.options as Node, options)
        collectArgs(node.args as Node, args)
      }
      return {
        name,
        path: [...parentPath, name],
        description: doc.text.join("\n\n"),
        examples: doc.sections.get(EXAMPLES) ?? [],
        exitCodes: doc.sections.get(EXIT_CODES)?.join(" "),
        options: options.filter((o) => !GLOBAL.has(o.long)),
        globals: options.filter((o) => GLOBAL.has(o.long)),
        args,
        subcommands: []
      }
    }
  }
}

const firstGlobals = (c: CommandHelp): ReadonlyArray<OptionHelp> =>
  c.globals.length > 0 ? c.globals : (c.subcommands.map(firstGlobals).find((g) => g.length > 0) ?? [])

/** The help model of a command tree (`Command.make(…)` with its subcommands). */
export const model = (command: Command.Command<string, never, unknown, unknown>): CommandHelp => {
  const root = descriptorModel((command as unknown as { descriptor: Node }).descriptor, [])
  // the root takes no options itself; its page lists the ones every command takes
  return { ...root, globals: firstGlobals(root) }
}

// ---------------------------------------------------------------------------------------------
// Finding what help was asked for

export type HelpRequest =
  | { readonly _tag: "Command"; readonly command: CommandHelp }
  | { readonly _tag: "ExitCodes" }
  | {
      readonly _tag: "Unknown"
      readonly word: string
      readonly within: CommandHelp
      readonly suggestion: string | undefined
    }

const takesValue = (command: CommandHelp, token: string): boolean =>
  !token.includes("=") &&
  [...command.options, ...command.globals, ...builtIns(false)].some(
    (o) => (o.long === token || o.short.includes(token)) && o.value !== ""
  )

/** The closest of `candidates` to `word` (typo correction), if close enough. */
export const closest = (word: string, candidates: Iterable<string>): string | undefined => {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const c of candidates) {
    const d = AutoCorrect.levensteinDistance(word, c, CliConfig.defaultConfig)
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

/**
 * Follow the subcommand names in `argv` (skipping options and their values) from the root. Returns the
 * deepest command reached and the first word that is not one of its subcommands (an argument or a typo).
 */
export const walk = (
  root: CommandHelp,
  argv: ReadonlyArray<string>
): { readonly command: CommandHelp; readonly rest: ReadonlyArray<string> } => {
  let command = root
  const rest: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (token === "--") break
    if (token.startsWith("-")) {
      if (takesValue(command, token)) i++
      continue
    }
    const sub = rest.length === 0 ? command.subcommands.find((c) => c.name === token) : undefined
    if (sub) command = sub
    else rest.push(token)
  }
  return { command, rest }
}

const isHelpFlag = (t: string) => t === "--help" || t === "-h"

/**
 * What help `argv` asks for, if any: `--help`/`-h` anywhere before `--`, `help [command…|exit-codes]`, no
 * arguments at all, or a command group without its subcommand (`anysource sessions`).
 */
export const request = (root: CommandHelp, argv: ReadonlyArray<string>): HelpRequest | undefined => {
  const end = argv.indexOf("--")
  const before = end === -1 ? argv : argv.slice(0, end)
  const words = before.filter((t) => !t.startsWith("-"))
  if (before.length === 0) return { _tag: "Command", command: root }
  if (words[0] === "help") {
    const topic = words.slice(1)
    if (topic.length === 1 && topic[0] === "exit-codes") return { _tag: "ExitCodes" }
    const { command, rest } = walk(root, topic)
    if (rest.length > 0) {
      const candidates = [
        ...command.subcommands.map((c) => c.name),
        ...(command === root ? ["exit-codes"] : [])
      ]
      return { _tag: "Unknown", word: rest[0]!, within: command, suggestion: closest(rest[0]!, candidates) }
    }
    return { _tag: "Command", command }
  }
  const { command, rest } = walk(root, before)
  if (before.some(isHelpFlag)) return { _tag: "Command", command }
  // only global options (`anysource --no-color`): the root's page, unless a built-in action is asked for
  if (command === root && rest.length === 0 && !before.some((t) => /^--(version|completions|wizard)(=|$)/.test(t)))
    return { _tag: "Command", command }
  // `anysource sessions` (a group, nothing else): its help, as gh does
  if (command !== root && command.subcommands.length > 0 && rest.length === 0)
    return { _tag: "Command", command }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Rendering

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

/** Built-in options of @effect/cli (not in the descriptors). */
const builtIns = (isRoot: boolean): Array<OptionHelp> => [
  {
    long: "--log-level",
    short: [],
    value: "all|trace|debug|info|warning|error|fatal|none",
    description: "Minimum level of the log lines on stderr (default info).",
    optional: true,
    repeated: false
  },
  {
    long: "--help",
    short: ["-h"],
    value: "",
    description: "Show help for the command.",
    optional: true,
    repeated: false
  },
  ...(isRoot
    ? [
        {
          long: "--version",
          short: [],
          value: "",
          description: "Print the version.",
          optional: true,
          repeated: false
        },
        {
          long: "--completions",
          short: [],
          value: "bash|zsh|fish|sh",
          description: "Print a shell completion script.",
          optional: true,
          repeated: false
        }
      ]
    : [])
]

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
const wrapTokens = (tokens: ReadonlyArray<string>, width: number, first: string, indent: string): Array<string> => {
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
