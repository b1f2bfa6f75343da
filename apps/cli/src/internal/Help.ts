/**
 * Help the way `git`, `gh` and `terraform` print it, rendered from @effect/cli's command descriptors (every
 * flag, alias, choice, default and description comes from the command definitions; nothing is copied here):
 * the full command path in the usage line, optional flags in brackets, this command's examples only, one
 * exit-code line pointing at `anysource help exit-codes`, no colour unless stdout is a terminal (and never
 * with NO_COLOR or --no-color).
 *
 * Commands describe themselves with `describe(description, { examples, exitCodes })`: the examples and the
 * exit-code line travel inside the command's HelpDoc as sections, so the descriptor is the only source.
 *
 * This module: `describe`, and which help a command line asks for; the model is HelpModel.ts, the pages
 * HelpRender.ts (both re-exported here).
 */
import { AutoCorrect, CliConfig, HelpDoc } from "@effect/cli"
import * as Span from "@effect/cli/HelpDoc/Span"
import { builtIns } from "./HelpBuiltIns.ts"
import { type CommandHelp, EXAMPLES, EXIT_CODES } from "./HelpModel.ts"

export { type ArgHelp, type CommandHelp, model, type OptionHelp } from "./HelpModel.ts"
export { render, renderExitCodes, type RenderOptions } from "./HelpRender.ts"

// ---------------------------------------------------------------------------------------------
// Describing a command

export interface DescribeOptions {
  /** Command lines shown under EXAMPLES (without the `$ `). */
  readonly examples?: ReadonlyArray<string>
  /** The exit codes this command ends with, e.g. "0 no changes, 2 changes pending"; errors are added. */
  readonly exitCodes?: string
}

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
  if (
    command === root &&
    rest.length === 0 &&
    !before.some((t) => /^--(version|completions|wizard)(=|$)/.test(t))
  )
    return { _tag: "Command", command }
  // `anysource sessions` (a group, nothing else): its help, as gh does
  if (command !== root && command.subcommands.length > 0 && rest.length === 0)
    return { _tag: "Command", command }
  return undefined
}
