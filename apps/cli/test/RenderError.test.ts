import {
  ApplyError,
  ConfigError,
  OktaApiError,
  PlanDriftError,
  SafeguardTripped,
  SourceError,
  StateError,
  ValidationError
} from "@anysource/core"
import { describe, expect, it } from "vitest"
import { renderError } from "../src/RenderError.ts"

describe("renderError", () => {
  it("names the config file and the path, lists every issue and says what to do", () => {
    const text = renderError(
      new ConfigError({
        reason: "Invalid",
        message: "2 problems in the config",
        file: "anysource.yaml",
        path: "mapping.profile.email",
        issues: [
          { path: "mapping.profile.email", message: "expected a column name or an expression" },
          { path: "okta.identitySourceId", message: "required" }
        ]
      })
    )
    expect(text).toContain("Error: configuration (anysource.yaml at mapping.profile.email) (exit 3)")
    expect(text).toContain("mapping.profile.email: expected a column name or an expression")
    expect(text).toContain("okta.identitySourceId: required")
    expect(text).toContain("anysource check")
  })

  it("prints each problem of a config error once, even when the loader's message already lists them", () => {
    // the loader's own message lists its problems; they used to be printed again from `issues`
    const message =
      "invalid config anysource.yaml (1 problem):\n  - mapping.profile.email: expected a column name, got an integer (anysource.yaml:28:5)"
    const text = renderError(
      new ConfigError({
        reason: "Invalid",
        message,
        file: "anysource.yaml",
        path: "mapping.profile.email",
        issues: [{ path: "mapping.profile.email", message: "expected a column name, got an integer (anysource.yaml:28:5)" }]
      })
    )
    expect(text.match(/expected a column name, got an integer/g)).toHaveLength(1)
  })

  it("falls back to the --config path when the error names no file, and suggests init when missing", () => {
    const text = renderError(new ConfigError({ reason: "NotFound", message: "no config" }), undefined, { configFile: "hr.yaml" })
    expect(text).toContain("(hr.yaml)")
    expect(text).toContain("anysource init")
  })

  it("names the source location and promises nothing was deactivated", () => {
    const text = renderError(
      new SourceError({ source: "file", reason: "Decode", message: "unbalanced quote", location: "people.csv:12:5" })
    )
    expect(text).toContain('source "file" (Decode) at people.csv:12:5 (exit 4)')
    expect(text).toContain("unbalanced quote")
    expect(text).toContain("nobody was deactivated")
  })

  it("explains a tripped safeguard: each violation, nothing sent, the override", () => {
    const text = renderError(
      new SafeguardTripped({
        reason: "Limit",
        message: "This run would deactivate 250 of 296 users.",
        override: "--allow-deletes",
        violations: [
          { entity: "users", rule: "maxDeactivationPercent", limit: 10, actual: 84.4594, message: "84.5% of active users" },
          { entity: "users", rule: "minRecords", limit: 148, actual: 46, message: "46 valid records, fewer than 50%" }
        ]
      })
    )
    expect(text).toContain("(exit 6)")
    expect(text).toContain("users.maxDeactivationPercent: 84.5% of active users (limit 10, actual 84.5)")
    expect(text).toContain("users.minRecords")
    expect(text).toContain("Nothing was sent to Okta.")
    expect(text).toContain("--allow-deletes")
  })

  it("lists each tripped rule once (the message repeats them in one sentence)", () => {
    const text = renderError(
      new SafeguardTripped({
        reason: "Limit",
        message: "Safeguard tripped, nothing was sent to Okta: would deactivate 251 users; limit is 25. If this is expected, re-run with --allow-deletes.",
        override: "--allow-deletes",
        violations: [{ entity: "users", rule: "maxDeactivations", limit: 25, actual: 251, message: "would deactivate 251 users; limit is 25" }]
      })
    )
    expect(text.match(/would deactivate 251 users/g)).toHaveLength(1)
  })

  it("duplicate externalIds: no hint to set validation.strict: false (duplicates are never skipped)", () => {
    const duplicate = renderError(
      new ValidationError({
        reason: "Duplicate",
        message: '1 duplicate externalId in the source; each record must have its own externalId. duplicate externalId "E1": rows a.csv:2 and a.csv:9 both have it',
        issues: [{ location: "a.csv:9", externalId: "E1", field: "externalId", message: 'duplicate externalId "E1": rows a.csv:2 and a.csv:9 both have it', kind: "duplicate" }]
      })
    )
    expect(duplicate).toContain("duplicate externalIds (exit 5)")
    expect(duplicate).toContain("a.csv:9")
    expect(duplicate).not.toContain("strict: false")
    expect(duplicate.match(/rows a\.csv:2 and a\.csv:9/g)).toHaveLength(1)
    const strict = renderError(
      new ValidationError({
        reason: "Invalid",
        message: "1 source row invalid and validation.strict is true. a.csv:3: not a valid email address",
        issues: [{ location: "a.csv:3", field: "email", message: "not a valid email address", kind: "invalid" }]
      })
    )
    expect(strict).toContain("validation (exit 5)")
    expect(strict).toContain("validation.strict: false")
  })

  it("shows Okta's error code, causes and request id with a hint, never a token", () => {
    const text = renderError(
      new OktaApiError({
        reason: "Unauthorized",
        message: "Invalid token provided",
        status: 401,
        errorCode: "E0000011",
        errorCauses: [{ errorSummary: "token expired" }],
        method: "GET",
        url: "https://acme.okta.com/api/v1/identity-sources/0oa1/sessions",
        requestId: "req-1"
      })
    )
    expect(text).toContain("Okta API (Unauthorized, HTTP 401 E0000011) (exit 7)")
    expect(text).toContain("- token expired")
    expect(text).toContain("GET https://acme.okta.com/api/v1/identity-sources/0oa1/sessions")
    expect(text).toContain("request req-1")
    expect(text).toContain("okta.auth")
  })

  it("covers drift, validation, state and apply errors with their exit codes", () => {
    expect(renderError(new PlanDriftError({ reason: "HashMismatch", message: "moved", expectedHash: "sha256:aaaaaaaaaaaaaaaa", actualHash: "sha256:bbbbbbbbbbbbbbbb" }))).toMatch(
      /plan is out of date \(exit 8\)[\s\S]*plan aaaaaaaaaaaa, now bbbbbbbbbbbb[\s\S]*Nothing was applied/
    )
    expect(
      renderError(new ValidationError({ reason: "Duplicate", message: "duplicate externalId E1", issues: [{ location: "a.csv:2", message: "also at a.csv:9", kind: "duplicate" }] }))
    ).toMatch(/\(exit 5\)[\s\S]*a\.csv:2/)
    expect(renderError(new StateError({ reason: "Locked", message: "locked by run-1" }))).toMatch(/state store \(Locked\) \(exit 10\)[\s\S]*Another anysource run/)
    expect(renderError(new ApplyError({ reason: "SessionFailed", message: "session ERROR", sessionId: "aps1" }))).toMatch(
      /apply incomplete \(SessionFailed\) \(exit 9\)[\s\S]*aps1[\s\S]*resume/
    )
  })

  it("keeps a multi-line message readable: indented lines, escapes, at most 12 lines", () => {
    const message = ["cannot parse anysource.yaml as YAML:", ...Array.from({ length: 20 }, (_, i) => `anysource.yaml:${i + 1}:1: Unexpected token \u001b[31m`)].join("\n")
    const text = renderError(new ConfigError({ reason: "Parse", message, file: "anysource.yaml" }))
    const lines = text.split("\n")
    expect(lines[1]).toBe("  cannot parse anysource.yaml as YAML:")
    expect(lines[2]).toBe("  anysource.yaml:1:1: Unexpected token \\u001b[31m")
    expect(text).toContain("  … 9 more lines")
    expect(text).not.toContain("\u001b")
  })

  it("treats anything else as a bug (exit 1)", () => {
    expect(renderError(new Error("boom"))).toMatch(/unexpected failure \(exit 1\)[\s\S]*boom[\s\S]*bug/)
  })
})
