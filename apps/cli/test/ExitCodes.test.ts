import { ConfigError, PlanDriftError, SafeguardTripped, SourceError } from "@anysource/core"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { ExitCode, fromError, fromTag, table } from "../src/ExitCodes.ts"

describe("ExitCodes", () => {
  it("maps every core error to its own code", () => {
    const tags = ["ConfigError", "SourceError", "ValidationError", "SafeguardTripped", "OktaApiError", "PlanDriftError", "ApplyError", "StateError"]
    const codes = tags.map(fromTag)
    expect(new Set(codes).size).toBe(tags.length)
    expect(codes).not.toContain(ExitCode.Ok)
    expect(codes).not.toContain(ExitCode.Changes)
    expect(codes).not.toContain(ExitCode.Internal)
  })

  it("maps error values by tag", () => {
    expect(fromError(new ConfigError({ reason: "Invalid", message: "x" }))).toBe(3)
    expect(fromError(new SourceError({ source: "file", reason: "Decode", message: "x" }))).toBe(4)
    expect(fromError(new SafeguardTripped({ reason: "Limit", message: "x", violations: [], override: "--allow-deletes" }))).toBe(6)
    expect(fromError(new PlanDriftError({ reason: "HashMismatch", message: "x", expectedHash: "a", actualHash: "b" }))).toBe(8)
    expect(fromError({ _tag: "MissingValue" })).toBe(ExitCode.Usage)
    expect(fromError({ _tag: "ConfirmationRequired" })).toBe(ExitCode.ConfirmationRequired)
    expect(fromError(new Error("bug"))).toBe(ExitCode.Internal)
    expect(fromError(undefined)).toBe(ExitCode.Internal)
  })

  it("the README documents exactly the codes in the table", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
    const section = readme.slice(readme.indexOf("## Exit codes"))
    const documented = [...section.matchAll(/^\| (\d+) \| (.*) \|$/gm)].map((m) => [Number(m[1]), m[2]!.replace(/\\\|/g, "|")])
    expect(documented).toEqual(table.map(([code, , meaning]) => [code, meaning]))
    expect(new Set(Object.values(ExitCode))).toEqual(new Set(table.map(([code]) => code)))
  })
})
