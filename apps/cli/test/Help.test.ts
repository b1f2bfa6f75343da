import { describe, expect, it } from "vitest"
import { helpModel, usageHint } from "../src/Cli.ts"
import { closest, type CommandHelp, render, request, walk } from "../src/internal/Help.ts"
import * as Style from "../src/internal/Style.ts"

const find = (path: string): CommandHelp => {
  const { command, rest } = walk(helpModel, path.split(" ").slice(1))
  expect(rest, path).toEqual([])
  return command
}

const page = (path: string, style: Style.Style = Style.plain) =>
  render(find(path), { style, columns: 100, version: "9.9.9" })

/** Every command that runs something (not a group). */
const leaves = (c: CommandHelp): Array<CommandHelp> =>
  c.subcommands.length === 0 ? [c] : c.subcommands.flatMap(leaves)

describe("help pages, rendered from the command descriptors", () => {
  it("each command's usage names its full path, with optional flags in brackets and required arguments bare", () => {
    expect(page("anysource plan")).toContain(
      "  anysource plan [-d|--detail] [--json] [-o|--out <file>] [--report <file>]... [--refresh]\n                 [--initial] [--skip-schema-check] [global options]"
    )
    expect(page("anysource setup apply")).toContain(
      "  anysource setup apply [--prune] [--force] [--json] [-y|--yes] [--plan <file>] [global options]"
    )
    expect(page("anysource sessions list")).toContain(
      "  anysource sessions list [--json] [-a|--all] [global options]"
    )
    expect(page("anysource sessions cancel")).toContain(
      "  anysource sessions cancel [-y|--yes] <sessionId> [global options]"
    )
    expect(page("anysource state show")).toMatch(/anysource state show .*\[<externalId>\]/)
    expect(page("anysource sessions")).toContain("  anysource sessions <command> [options]")
    for (const c of leaves(helpModel))
      expect(page(c.path.join(" ")), c.path.join(" ")).toContain(`\n  ${c.path.join(" ")} `)
  })

  it("shows the command's own examples only, one exit-code line pointing at `help exit-codes`, and none of the framework's boilerplate", () => {
    const plan = page("anysource plan")
    expect(plan).toContain("$ anysource plan --json | jq .summary")
    expect(plan).not.toContain("$ anysource init")
    expect(plan).toMatch(
      /EXIT CODES\n {2}0 no changes, 2 changes pending, 6 a safeguard would stop the apply, 10 the state is empty but\s+Okta holds this source's records \(--initial, or `state rebuild`\); every code: anysource help\s+exit-codes/
    )
    for (const c of [helpModel, ...leaves(helpModel)]) {
      const text = page(c.path.join(" "))
      expect(text).not.toContain("A user-defined piece of text")
      expect(text).not.toContain("This setting is optional")
      expect(text).not.toContain("--wizard")
      expect(text).not.toContain("anysource anysource")
      // short enough to read: no page repeats every example and exit code
      expect(text.split("\n").length, c.path.join(" ")).toBeLessThan(c === helpModel ? 60 : 40)
      // the examples are this command's: the first one runs it, and no other command's list is repeated
      const examples = [...text.matchAll(/^ {2}\$ (.*)$/gm)].map((m) => m[1]!)
      expect(examples, c.path.join(" ")).toEqual(c.examples)
      if (c !== helpModel && c.name !== "help")
        expect(examples[0], c.path.join(" ")).toContain(c.path.join(" "))
    }
  })

  it("the root lists every command and the global options once; a command lists the global options compactly", () => {
    const root = page("anysource")
    for (const name of [
      "init",
      "check",
      "plan",
      "apply",
      "setup",
      "sessions",
      "state",
      "emulator",
      "schema",
      "sources",
      "help"
    ])
      expect(root).toMatch(new RegExp(`\\n  ${name} +\\S`))
    expect(root).toContain("-c, --config <file>")
    expect(root).toContain("--no-color")
    expect(root).toContain("NO_COLOR")
    expect(page("anysource apply")).toMatch(
      /GLOBAL OPTIONS\n {2}\[-c\|--config <file>\] \[--log-format text\|json\] \[--no-color\]/
    )
  })

  it("has colours only when the style allows them (a terminal without NO_COLOR or --no-color)", () => {
    expect(page("anysource plan")).not.toContain("\u001b[")
    expect(page("anysource plan", Style.make(true))).toContain("\u001b[1mUSAGE")
  })
})

describe("what help is asked for", () => {
  it("--help or -h anywhere before --, skipping option values; help <command>; help exit-codes; nothing at all", () => {
    const path = (argv: Array<string>) => {
      const r = request(helpModel, argv)
      return r?._tag === "Command" ? r.command.path.join(" ") : r?._tag
    }
    expect(path([])).toBe("anysource")
    expect(path(["--help"])).toBe("anysource")
    expect(path(["plan", "--help"])).toBe("anysource plan")
    expect(path(["-c", "plan", "apply", "-h"])).toBe("anysource apply")
    expect(path(["sessions", "list", "--no-color", "-h"])).toBe("anysource sessions list")
    expect(path(["sessions"])).toBe("anysource sessions")
    expect(path(["--no-color"])).toBe("anysource")
    expect(path(["--log-level", "debug"])).toBe("anysource")
    expect(path(["--version"])).toBeUndefined()
    expect(path(["--completions", "bash"])).toBeUndefined()
    expect(path(["help", "sessions", "cancel"])).toBe("anysource sessions cancel")
    expect(path(["help", "exit-codes"])).toBe("ExitCodes")
    expect(path(["plan", "--", "--help"])).toBeUndefined()
    expect(path(["plan", "--detail"])).toBeUndefined()
    const unknown = request(helpModel, ["help", "plam"])
    expect(unknown).toMatchObject({ _tag: "Unknown", word: "plam", suggestion: "plan" })
  })

  it("suggests the closest command or flag after a usage error", () => {
    expect(closest("aply", ["plan", "apply", "state"])).toBe("apply")
    expect(closest("zzzzzz", ["plan", "apply"])).toBeUndefined()
    expect(usageHint(["plan", "--dtail"])).toBe(
      "Did you mean --detail? Run `anysource plan --help` for usage."
    )
    expect(usageHint(["sesions", "list"])).toBe(
      "Did you mean `anysource sessions`? Run `anysource --help` for usage."
    )
    expect(usageHint(["state", "show", "--limit"])).toBe("Run `anysource state show --help` for usage.")
  })
})
