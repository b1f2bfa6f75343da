/**
 * `okta conformance`: the differential conformance run (core's `Conformance`) against a real org and a local
 * emulator side by side, a table of every difference (or `--json` for a bug report). Thin: flags, the confirmation,
 * the local emulator, the journal file, rendering.
 */
import { Conformance } from "@anysource/core"
import { Command, Options } from "@effect/cli"
import { Effect, Option, Redacted } from "effect"
import { ExitCode } from "../ExitCodes.ts"
import { safe } from "../Render.ts"
import { globalOptions, requireTerminal, runCommand, UsageError } from "../internal/Context.ts"
import {
  authFor,
  fileJournal,
  journalPath,
  localEmulator,
  renderCleanup,
  renderTable
} from "../internal/Conformance.ts"
import { describe } from "../internal/Help.ts"

export const conformance = Command.make(
  "conformance",
  {
    ...globalOptions,
    org: Options.text("org").pipe(
      Options.withPseudoName("url"),
      Options.withDescription("The Okta org to check, e.g. https://acme.oktapreview.com.")
    ),
    identitySourceId: Options.text("identity-source-id").pipe(
      Options.withPseudoName("0oa…"),
      Options.withDescription("The Custom Identity Source to use (required; use a test one).")
    ),
    tokenEnv: Options.text("token-env").pipe(
      Options.withPseudoName("name"),
      Options.withDefault("OKTA_API_TOKEN"),
      Options.withDescription("Variable with the org's SSWS token (or --config with okta.auth).")
    ),
    yes: Options.boolean("yes").pipe(
      Options.withAlias("y"),
      Options.withDescription("Run without asking (needed off a terminal or in CI).")
    ),
    json: Options.boolean("json").pipe(
      Options.withDescription("The whole report as JSON, for a bug report.")
    ),
    includeSlow: Options.boolean("include-slow").pipe(
      Options.withDescription("Also wait out the 5-minute rule.")
    ),
    cleanup: Options.boolean("cleanup").pipe(Options.withDescription("Only remove what a killed run left.")),
    againstResponses: Options.choice("against-responses", ["recorded", "spec"]).pipe(
      Options.withDefault("recorded" as const),
      Options.withDescription("The local emulator's reply mode.")
    ),
    journal: Options.text("journal").pipe(
      Options.withPseudoName("file"),
      Options.withDescription(
        "What the run created, until removed (default .anysource/conformance-<hash>.json)."
      ),
      Options.optional
    )
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        if (o.identitySourceId.trim() === "")
          return yield* Effect.fail(
            new UsageError({ message: "--identity-source-id must name the identity source to use." })
          )
        let orgUrl: URL
        try {
          orgUrl = new URL(o.org)
        } catch {
          return yield* Effect.fail(
            new UsageError({ message: `--org ${safe(o.org)} is not a URL (https://<your org>.okta.com).` })
          )
        }
        const auth = yield* authFor(io, o.config, o.tokenEnv)
        const journal = fileJournal(
          Option.getOrElse(o.journal, () => journalPath(orgUrl.origin, o.identitySourceId))
        )
        const subject: Conformance.ConformanceTarget = {
          label: "org",
          orgUrl: orgUrl.origin,
          identitySourceId: o.identitySourceId,
          auth,
          journal
        }
        if (o.cleanup) {
          const result = yield* Conformance.cleanup(subject)
          return yield* io.print(
            result === undefined
              ? "Nothing to clean up: the journal lists nothing."
              : renderCleanup(safe(orgUrl.origin), result).join("\n")
          )
        }
        const prefix = `${Conformance.externalIdPrefix}<run>-`
        if (!o.yes) {
          yield* requireTerminal(io, {
            command: "okta conformance",
            does: `creates and removes test records (${prefix}…) in identity source ${safe(o.identitySourceId)} of ${safe(orgUrl.origin)}`,
            hint: "Read what it does first: `anysource okta conformance --help`."
          })
          yield* io.printErr(
            [
              `This runs a scripted scenario against ${io.err.bold(safe(orgUrl.origin))}, identity source ${io.err.bold(safe(o.identitySourceId))}:`,
              `  - up to 5 import sessions (one gets 50 small uploads; its data is discarded by cancelling it),`,
              `  - users ${prefix}u1…u4, groups ${prefix}g1…g3 and their memberships,`,
              `  - at the end, or on failure or Ctrl-C: sessions cancelled, users deactivated (Okta cannot delete them), groups deleted.`,
              `  No other record is read or changed. Use a test identity source on a preview org.`
            ].join("\n")
          )
          if (!(yield* io.ask("Run the conformance scenario?")))
            return yield* io.printErr("Not run; nothing was changed.")
        }
        const local = yield* localEmulator(o.identitySourceId, o.againstResponses)
        const reference: Conformance.ConformanceTarget = {
          label: "emulator",
          orgUrl: local.emu.url,
          identitySourceId: o.identitySourceId,
          auth: { type: "ssws", token: Redacted.make(local.token) },
          advance: (millis) => Effect.sync(() => local.clock.advance(millis))
        }
        const report = yield* Conformance.run({
          subject,
          reference,
          includeSlow: o.includeSlow,
          onObservation: (label, obs) =>
            label === "org"
              ? io.printErr(io.err.dim(`  ${safe(Conformance.describeObservation(obs))}`))
              : Effect.void
        })
        if (o.json) yield* io.printJson(report)
        else
          yield* io.printLines([
            ...renderTable(io, report),
            ...renderCleanup("Leftovers of an earlier run", report.subject.earlier),
            ...renderCleanup(`Cleanup on ${safe(orgUrl.origin)}`, report.subject.cleanup)
          ])
        if (report.differences.length > 0) yield* io.setExit(ExitCode.Changes)
      }).pipe(Effect.scoped)
    )
).pipe(
  Command.withDescription(
    describe(
      "Help confirm the emulator: run one scripted scenario (session rules, limits, the 5-minute rule, single entities) against a real org and a local emulator side by side, and list every difference. Creates only anysource-conformance- records and removes them at the end.",
      {
        examples: [
          "OKTA_API_TOKEN=… anysource okta conformance --org https://acme.oktapreview.com --identity-source-id 0oa…",
          "anysource okta conformance --org https://acme.oktapreview.com --identity-source-id 0oa… --cleanup"
        ],
        exitCodes:
          "0 no difference, 2 differences found, 11 no terminal to ask and no --yes, 64 bad usage, 130 interrupted (cleaned up)"
      }
    )
  )
)

export const command = Command.make("okta").pipe(
  Command.withDescription(describe("Check an Okta org against what anysource expects of it.")),
  Command.withSubcommands([conformance])
)
