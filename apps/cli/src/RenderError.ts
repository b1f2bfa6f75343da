/**
 * One clear message per failure: what went wrong, where (config path, file:line:column, endpoint),
 * and what to do next. Core errors never carry secrets; this module adds none.
 */
import type {
  ApplyError,
  ConfigError,
  OktaApiError,
  PlanDriftError,
  SafeguardTripped,
  SourceError,
  StateError,
  ValidationError
} from "@anysource/core"
import * as ExitCodes from "./ExitCodes.ts"
import { renderIssues, safe, shortHash } from "./Render.ts"
import * as Style from "./internal/Style.ts"

export type KnownError =
  | ConfigError
  | SourceError
  | ValidationError
  | SafeguardTripped
  | OktaApiError
  | StateError
  | PlanDriftError
  | ApplyError

const oktaHints: Record<string, string> = {
  Unauthorized: "Check okta.auth: the API token or the service app's key is wrong, expired or revoked.",
  Forbidden:
    "The credentials lack a permission: grant the scopes okta.identitySources.manage and okta.identitySources.read (OAuth) or use an admin's token.",
  NotFound: "Check okta.identitySourceId: no Custom Identity Source with that id exists in this org.",
  SessionConflict:
    "Another import session is open for this identity source. See `anysource sessions list`; cancel a stale one with `anysource sessions cancel <id>`, or set okta.foreignSessionPolicy: cancel.",
  InvalidSessionState: "The session changed state under us. See `anysource sessions list`, then re-run.",
  RateLimited: "Okta kept rate-limiting after every retry. Run again later or raise okta.maxRetries.",
  Rejected: "Okta rejected the payload; the error causes above name the field.",
  Server: "Okta returned server errors after every retry. Re-run later; the apply resumes where it stopped.",
  Transport: "Okta could not be reached. Check okta.orgUrl and the network (proxy, DNS, TLS).",
  Timeout: "Okta did not answer in time. Raise okta.requestTimeoutMs or re-run.",
  Decode: "Okta answered with something unexpected. Please report this with the request id."
}

const sourceHints: Record<string, string> = {
  Decode: "Fix the input at the location above (quotes, delimiter, encoding, header row) and run `anysource plan` again.",
  NotFound: "Check the path in the config's source block (relative paths resolve against the config file's folder).",
  Config: "Fix the source block in the config; `anysource sources` lists each adapter's settings.",
  Auth: "Check the source credentials in the config (use ${ENV_VAR} or *_FILE secrets).",
  Permission: "The source account lacks read permission.",
  NotReady: "The input is not ready yet (still being written); it will be picked up on the next run.",
  Consistency: "The source looks incomplete or inconsistent: fix or re-export it, then run `anysource plan` again."
}

const stateHints: Record<string, string> = {
  Locked: "Another anysource run holds the lock for this identity source; wait for it to finish (a dead run's lock expires).",
  Corrupt: "The state store is damaged; restore it from a backup or `anysource state export` output.",
  Migration: "The state store's schema is newer than this anysource; upgrade the CLI.",
  Io: "The state store could not be read or written; check the state path and disk space.",
  Conflict: "The state changed under this run; re-run."
}

/** A multi-line message, indented, control characters escaped, at most `max` lines. */
export const messageLines = (message: string, indent = "  ", max = 12): string => {
  const lines = message.split(/\r?\n/).map((l) => safe(l))
  const shown = lines.length > max ? [...lines.slice(0, max), `… ${lines.length - max} more lines`] : lines
  return shown.map((l) => `${indent}${l}`).join("\n")
}

/** Up to the first ". " (the rest of a core message repeats what the issue list shows). */
const firstSentence = (message: string): string => {
  const i = message.indexOf(". ")
  return i === -1 ? message : message.slice(0, i + 1)
}

const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1))

const header = (s: Style.Style, title: string, code: number) => `${s.red(s.bold(`Error: ${title}`))} ${s.dim(`(exit ${code})`)}`

/** Render any failure; `configFile` is named for config errors that carry no file. */
export const renderError = (error: unknown, s: Style.Style = Style.plain, context: { readonly configFile?: string } = {}): string => {
  const code = ExitCodes.fromError(error)
  if (typeof error !== "object" || error === null || !("_tag" in error)) {
    const msg = error instanceof Error ? error.message : String(error)
    return `${header(s, "unexpected failure", code)}\n${messageLines(msg)}\n  ${s.dim("This is a bug in anysource: please report it with the command you ran (no secrets are printed).")}`
  }
  const e = error as KnownError
  switch (e._tag) {
    case "ConfigError": {
      const file = e.file ?? context.configFile
      const where = [file, e.path].filter((x): x is string => x !== undefined && x !== "").map(safe).join(" at ")
      const lines = [header(s, `configuration ${where ? `(${where})` : ""}`.trim(), code), messageLines(e.message)]
      // the loader's message usually lists its problems already: each problem line once
      for (const issue of e.issues ?? []) {
        const path = issue.path || "(root)"
        if (!e.message.includes(`${path}: ${issue.message}`)) lines.push(`  ${s.bold(safe(path))}: ${safe(issue.message)}`)
      }
      lines.push(
        s.dim(
          e.reason === "NotFound"
            ? "  Create one with `anysource init`, or pass --config <file>."
            : "  Fix the config and run `anysource check`. `anysource schema` prints the JSON Schema for editor autocompletion."
        )
      )
      return lines.join("\n")
    }
    case "SourceError": {
      const lines = [
        header(s, `source "${safe(e.source)}" (${e.reason})${e.location ? ` at ${safe(e.location)}` : ""}`, code),
        messageLines(e.message),
        s.dim("  Nothing was sent to Okta and nobody was deactivated.")
      ]
      const hint = sourceHints[e.reason]
      if (hint) lines.push(s.dim(`  ${hint}`))
      return lines.join("\n")
    }
    case "ValidationError": {
      const duplicates = e.issues.some((i) => i.kind === "duplicate")
      // the issues are listed below, each with its location: the summary line is enough of the message
      const lines = [header(s, duplicates ? "duplicate externalIds" : "validation", code), messageLines(firstSentence(e.message))]
      const issues = renderIssues(e.issues, s)
      if (issues) lines.push(issues)
      lines.push(
        s.dim(
          duplicates
            ? "  Nothing was sent to Okta. Each record needs its own externalId: fix the rows above in the source (duplicates are never skipped, whatever validation.strict says)."
            : "  Nothing was sent to Okta. Fix the rows above (or set validation.strict: false to leave invalid rows out and sync the rest)."
        )
      )
      return lines.join("\n")
    }
    case "SafeguardTripped": {
      // one line per tripped rule (the message repeats them all in one sentence)
      const lines = [header(s, "a safeguard stopped the run", code)]
      if (e.violations.length === 0) lines.push(messageLines(e.message))
      for (const v of e.violations)
        lines.push(`  ${s.bold(`${v.entity}.${v.rule}`)}: ${safe(v.message)} ${s.dim(`(limit ${num(v.limit)}, actual ${num(v.actual)})`)}`)
      lines.push(s.yellow("  Nothing was sent to Okta."))
      lines.push(
        s.dim(
          `  If the source really is complete, review the plan (\`anysource plan --detail\`) and re-run with ${safe(e.override)}.`
        )
      )
      return lines.join("\n")
    }
    case "OktaApiError": {
      const status = [e.status !== undefined ? `HTTP ${e.status}` : undefined, e.errorCode].filter(Boolean).join(" ")
      const lines = [header(s, `Okta API (${e.reason}${status ? `, ${status}` : ""})`, code), messageLines(e.message)]
      if (e.errorSummary && !e.message.includes(e.errorSummary)) lines.push(`  ${safe(e.errorSummary)}`)
      for (const c of e.errorCauses ?? []) lines.push(`  - ${safe(c.errorSummary)}`)
      if (e.method && e.url) lines.push(s.dim(`  ${safe(e.method)} ${safe(e.url)}`))
      if (e.errorId || e.requestId) lines.push(s.dim(`  errorId ${safe(e.errorId ?? "-")}, request ${safe(e.requestId ?? "-")}`))
      const hint =
        e.reason === "Forbidden" && e.scope !== undefined
          ? `Grant ${safe(e.scope)} to the credentials (for an OAuth service app also list it in okta.auth.scopes), then run the command again.`
          : oktaHints[e.reason]
      if (hint) lines.push(s.dim(`  ${hint}`))
      return lines.join("\n")
    }
    case "StateError": {
      const lines = [header(s, `state store (${e.reason})`, code), messageLines(e.message)]
      const hint = stateHints[e.reason]
      if (hint) lines.push(s.dim(`  ${hint}`))
      return lines.join("\n")
    }
    case "PlanDriftError":
      return [
        header(s, "the plan is out of date", code),
        messageLines(e.message),
        s.dim(`  plan ${shortHash(e.expectedHash)}, now ${shortHash(e.actualHash)}.${e.message.includes("Nothing was applied") ? "" : " Nothing was applied."}`),
        s.dim(
          e.message.includes("setup plan")
            ? "  Run `anysource setup plan`, review it, then `anysource setup apply`."
            : "  Run `anysource plan --out plan.json`, review it, then `anysource apply --plan plan.json --yes`."
        )
      ].join("\n")
    case "ApplyError":
      return [
        header(s, `apply incomplete (${e.reason})`, code),
        messageLines(e.message),
        ...(e.sessionId ? [s.dim(`  session ${safe(e.sessionId)}`)] : []),
        s.dim("  State holds everything Okta confirmed. Run `anysource apply` again to resume.")
      ].join("\n")
    default: {
      const refused = error as { _tag: string; title?: unknown; message?: unknown; hint?: unknown }
      if (refused._tag === "ConfirmationRequired" && typeof refused.title === "string" && typeof refused.message === "string")
        return [header(s, refused.title, code), messageLines(refused.message), ...(typeof refused.hint === "string" ? [s.dim(`  ${refused.hint}`)] : [])].join("\n")
      const other = e as { _tag: string; message?: unknown }
      return `${header(s, safe(other._tag), code)}\n  ${safe(typeof other.message === "string" ? other.message : "")}`
    }
  }
}
