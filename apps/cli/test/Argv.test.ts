import { describe, expect, it } from "vitest"
import { hoistLogLevel } from "../src/Cli.ts"

describe("hoistLogLevel", () => {
  it("moves --log-level (both spellings) before the subcommand, keeping everything else in order", () => {
    expect(hoistLogLevel(["apply", "--yes", "--log-level", "debug", "-c", "x.yaml"])).toEqual(["--log-level", "debug", "apply", "--yes", "-c", "x.yaml"])
    expect(hoistLogLevel(["plan", "--log-level=warning"])).toEqual(["--log-level=warning", "plan"])
    expect(hoistLogLevel(["--log-level", "info", "plan"])).toEqual(["--log-level", "info", "plan"])
  })

  it("leaves arguments after -- alone, and a trailing --log-level without a value for the parser to report", () => {
    expect(hoistLogLevel(["init", "--", "--log-level", "debug"])).toEqual(["init", "--", "--log-level", "debug"])
    expect(hoistLogLevel(["plan", "--log-level"])).toEqual(["plan", "--log-level"])
  })
})
