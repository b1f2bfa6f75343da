import type { OptionHelp } from "./HelpModel.ts"

/** Built-in options of @effect/cli (not in the descriptors). */
export const builtIns = (isRoot: boolean): Array<OptionHelp> => [
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
