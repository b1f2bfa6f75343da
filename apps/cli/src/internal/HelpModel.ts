/**
 * What help needs, read from @effect/cli's command descriptors: each command's path, description, examples,
 * exit-code line, options (with aliases, values, defaults), arguments and subcommands. `describe` (Help.ts) puts
 * the examples and the exit-code line into the descriptor as HelpDoc sections; this reads them back.
 */
import type { Command, HelpDoc } from "@effect/cli"
import * as Span from "@effect/cli/HelpDoc/Span"

/** The HelpDoc sections `describe` writes. */
export const EXAMPLES = "EXAMPLES"
export const EXIT_CODES = "EXIT CODES"

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
