/**
 * `okta conformance`: the differential conformance run (core's `Conformance`) against a real org and a local
 * emulator side by side, a table of every difference (or `--json` for a bug report). Thin: flags, the confirmation,
 * the local emulator, the journal file, rendering.
 */
import { type Config, type ConfigError, Conformance } from "@anysource/core"
import { ManualClock, startEmulator } from "@anysource/okta-emulator"
import { Command, Options } from "@effect/cli"
import { Effect, Option, Redacted } from "effect"
import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { ExitCode } from "../ExitCodes.ts"
import { safe } from "../Render.ts"
import * as Runtime from "../Runtime.ts"
import { globalOptions, type Io, requireTerminal, runCommand, UsageError } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"

const journalPath = (orgUrl: string, identitySourceId: string): string =>
  path.join(
    ".anysource",
    `conformance-${createHash("sha256").update(`${orgUrl}\n${identitySourceId}`).digest("hex").slice(0, 12)}.json`
  )

/** The journal as a small JSON file, written atomically (temp file + rename) before each request that may create a record. */
const fileJournal = (file: string): Conformance.ConformanceJournal => ({
  load: Effect.sync(() => {
    try {
      return JSON.parse(fs.readFileSync(file, "utf8")) as Conformance.Leftovers
    } catch {
      return undefined
    }
  }),
  save: (leftovers) =>
    Effect.sync(() => {
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(leftovers, null, 2)}\n`)
      fs.renameSync(`${file}.tmp`, file)
    }),
  clear: Effect.sync(() => fs.rmSync(file, { force: true }))
})

/** The org's credentials: the config's `okta.auth` when `--config` is given, otherwise an API token from the environment. */
const authFor = (
  io: Io,
  config: Option.Option<string>,
  tokenEnv: string
): Effect.Effect<Config.OktaAuthConfig, ConfigError | UsageError> =>
  Effect.gen(function* () {
    if (Option.isSome(config)) {
      const loaded = yield* Runtime.loadConfig(config.value, io.env)
      if (loaded.config.okta.auth !== undefined) return loaded.config.okta.auth
      return yield* Effect.fail(
        new UsageError({
          message: `${config.value} has no okta.auth to reach the org with; set one, or drop --config and export ${tokenEnv}.`
        })
      )
    }
    const token = io.env.vars[tokenEnv]
    if (token === undefined || token === "")
      return yield* Effect.fail(
        new UsageError({
          message: `No API token: export ${tokenEnv} (an SSWS token of the org), or pass --config with an okta.auth block (OAuth service apps too).`
        })
      )
    return { type: "ssws", token: Redacted.make(token) } as const
  })

/** An emulator on a manual clock, which the run moves on instead of waiting (the 5-minute rule costs nothing here). */
const localEmulator = (identitySourceId: string, responses: "recorded" | "spec") =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const clock = new ManualClock(Date.now())
      const token = `conformance-${randomBytes(12).toString("hex")}`
      const emu = await startEmulator({
        clock,
        responses,
        tokens: [{ token }],
        identitySources: [{ id: identitySourceId, name: "anysource conformance" }]
      })
      return { emu, clock, token }
    }),
    ({ emu }) => Effect.promise(() => emu.close())
  )

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

const renderTable = (io: Io, report: Conformance.Report): ReadonlyArray<string> => {
  const s = io.out
  const sub = report.subject.label
  const ref = report.reference.label
  if (report.differences.length === 0)
    return [
      `${s.green("No differences")}: ${report.subject.observations.length} steps, ${sub} and ${ref} answered alike.`
    ]
  const rows = report.differences.map((d) => [
    d.step,
    d.aspect === "body" || d.aspect === "facts" || d.aspect === "timingRule"
      ? `${d.aspect} ${d.path}`.trim()
      : d.aspect,
    d.subject,
    d.reference,
    d.known === undefined ? "NEW" : `${d.known.id}, ${d.known.evidence}`
  ])
  const header = ["step", "what", sub, ref, "known"]
  const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i]!.length))))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => safe(c).padEnd(widths[i]!))
      .join("  ")
      .trimEnd()
  const unknown = report.differences.filter((d) => d.known === undefined).length
  return [
    s.bold(line(header)),
    ...rows.map((r) => line(r)),
    "",
    `${plural(report.differences.length, "difference")}, ${unknown} not documented${unknown > 0 ? s.yellow(" (NEW: please report them, with --json output)") : ""}.`
  ]
}

const renderCleanup = (label: string, c: Conformance.CleanupResult | undefined) =>
  c === undefined
    ? []
    : [
        `${label}: ${plural(c.cancelledSessions, "open session")} cancelled, ${plural(c.deactivatedUsers, "user")} deactivated, ${plural(c.deletedGroups, "group")} deleted` +
          (c.problems.length > 0 ? `; left: ${c.problems.map(safe).join("; ")} (re-run with --cleanup)` : "")
      ]

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
