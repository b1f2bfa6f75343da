/**
 * The parts of `okta conformance` that are not flags: the journal file, the org's credentials, the local
 * emulator on a manual clock, and the table and cleanup lines it prints.
 */
import { type Config, type ConfigError, type Conformance } from "@anysource/core"
import { ManualClock, startEmulator } from "@anysource/okta-emulator"
import { Effect, Option, Redacted } from "effect"
import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { safe } from "../Render.ts"
import * as Runtime from "../Runtime.ts"
import { type Io, UsageError } from "./Context.ts"

export const journalPath = (orgUrl: string, identitySourceId: string): string =>
  path.join(
    ".anysource",
    `conformance-${createHash("sha256").update(`${orgUrl}\n${identitySourceId}`).digest("hex").slice(0, 12)}.json`
  )

/** The journal as a small JSON file, written atomically (temp file + rename) before each request that may create a record. */
export const fileJournal = (file: string): Conformance.ConformanceJournal => ({
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
export const authFor = (
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
export const localEmulator = (identitySourceId: string, responses: "recorded" | "spec") =>
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

export const renderTable = (io: Io, report: Conformance.Report): ReadonlyArray<string> => {
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

export const renderCleanup = (label: string, c: Conformance.CleanupResult | undefined) =>
  c === undefined
    ? []
    : [
        `${label}: ${plural(c.cancelledSessions, "open session")} cancelled, ${plural(c.deactivatedUsers, "user")} deactivated, ${plural(c.deletedGroups, "group")} deleted` +
          (c.problems.length > 0 ? `; left: ${c.problems.map(safe).join("; ")} (re-run with --cleanup)` : "")
      ]
