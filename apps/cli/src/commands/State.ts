/**
 * `state show|history|export`: what anysource believes is in Okta (last-synced profiles, status,
 * first/last seen, source location) and what each run did. Reads the state store only.
 */
import { StateStore } from "@anysource/core"
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { safe } from "../Render.ts"
import * as Runtime from "../Runtime.ts"
import { globalOptions, runCommand, writeFileFrom, writeJsonFile } from "../internal/Context.ts"
import { linesToChunks } from "../internal/Output.ts"
import { describe } from "../internal/Help.ts"
import { entriesCsvLines, sortedMemberships } from "../internal/StateExport.ts"
import * as StateRebuild from "./StateRebuild.ts"

export { entriesCsv, entriesCsvLines } from "../internal/StateExport.ts"

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n))

const show = Command.make(
  "show",
  {
    ...globalOptions,
    id: Args.text({ name: "externalId" }).pipe(
      Args.withDescription("Show one record in full."),
      Args.optional
    ),
    kind: Options.choice("kind", ["users", "groups"]).pipe(
      Options.withDefault("users" as const),
      Options.withDescription("Which records to list.")
    ),
    limit: Options.integer("limit").pipe(
      Options.withDefault(50),
      Options.withDescription("How many records to list.")
    ),
    json: Options.boolean("json").pipe(Options.withDescription("Print JSON on stdout."))
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const kind = o.kind === "groups" ? ("group" as const) : ("user" as const)
        yield* Effect.gen(function* () {
          const store = yield* StateStore.StateStore
          if (Option.isSome(o.id)) {
            const found = (yield* store.entries(kind, [o.id.value])).get(o.id.value)
            if (!found) {
              yield* io.printErr(
                `No ${kind} with externalId ${safe(o.id.value)} in the state of ${loaded.config.okta.identitySourceId}.`
              )
              return yield* io.setExit(1)
            }
            if (o.json) return yield* io.printJson(found)
            const s = io.out
            const lines = [
              `${s.bold(safe(found.externalId))}  ${found.status === "ACTIVE" ? s.green(found.status) : s.red(found.status)}`,
              `  first seen ${found.firstSeen}, last seen ${found.lastSeen}, last run ${safe(found.lastRunId)}`,
              ...(found.location ? [`  from ${safe(found.location)}`] : []),
              ...Object.entries(found.profile).map(
                ([k, v]) => `  ${s.cyan(safe(k))}: ${v === null ? s.dim("null") : safe(v)}`
              )
            ]
            return yield* io.print(lines.join("\n"))
          }
          const entries = yield* store.list(kind)
          if (o.json) return yield* io.printJson(entries.slice(0, o.limit))
          const memberships = yield* store.memberships
          const active = entries.filter((e) => e.status === "ACTIVE").length
          const s = io.out
          const lines = [
            `${s.bold(`State of ${safe(loaded.config.okta.identitySourceId)}`)} ${s.dim(`(${loaded.config.state.type})`)}`,
            `  ${entries.length} ${o.kind}: ${s.green(`${active} active`)}, ${s.red(`${entries.length - active} deactivated`)}; ${memberships.size} groups with members`,
            ""
          ]
          for (const e of entries.slice(0, o.limit)) {
            const label =
              kind === "user" ? (e.profile.userName ?? e.profile.email ?? "") : (e.profile.displayName ?? "")
            lines.push(
              `  ${pad(safe(e.externalId), 14)} ${e.status === "ACTIVE" ? s.green(pad(e.status, 11)) : s.red(pad(e.status, 11))} ${pad(safe(label ?? ""), 40)} ${s.dim(`last seen ${e.lastSeen.slice(0, 19)}${e.location ? ` at ${safe(e.location)}` : ""}`)}`
            )
          }
          if (entries.length > o.limit)
            lines.push(s.dim(`  … ${entries.length - o.limit} more (--limit, or \`anysource state export\`)`))
          yield* io.print(lines.join("\n"))
        }).pipe(Effect.provide(Runtime.stateLayer(loaded)))
      })
    )
).pipe(
  Command.withDescription(
    describe(
      "What anysource believes is in Okta: every record it synced, with status and where it came from.",
      {
        examples: [
          "anysource state show",
          "anysource state show E1042",
          "anysource state show --kind groups --json"
        ]
      }
    )
  )
)

const history = Command.make(
  "history",
  {
    ...globalOptions,
    limit: Options.integer("limit").pipe(
      Options.withDefault(20),
      Options.withDescription("How many runs, newest first.")
    ),
    json: Options.boolean("json").pipe(Options.withDescription("Print JSON on stdout."))
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const runs = yield* Effect.flatMap(StateStore.StateStore, (store) => store.history(o.limit)).pipe(
          Effect.provide(Runtime.stateLayer(loaded))
        )
        if (o.json) return yield* io.printJson(runs)
        const s = io.out
        if (runs.length === 0) return yield* io.print("No runs recorded yet.")
        const lines = runs.map((r) => {
          const c = r.counts ?? {}
          const counts =
            r.counts !== undefined
              ? `+${c.usersCreate ?? 0} ~${c.usersUpdate ?? 0} -${c.usersDeactivate ?? 0} users, ${c.invalid ?? 0} invalid`
              : ""
          const outcome = r.outcome ?? "running"
          const color =
            outcome === "applied" || outcome === "no-changes"
              ? s.green
              : outcome === "planned"
                ? s.cyan
                : s.red
          return `  ${s.dim(r.startedAt.slice(0, 19))}  ${pad(r.mode, 5)} ${color(pad(outcome, 11))} ${pad(counts, 36)} ${s.dim(safe(r.runId))}${r.message ? `\n      ${s.dim(safe(r.message))}` : ""}`
        })
        yield* io.print(
          [s.bold(`Runs of ${safe(loaded.config.okta.identitySourceId)} (newest first)`), ...lines].join("\n")
        )
      })
    )
).pipe(
  Command.withDescription(
    describe("What each run did: mode, outcome, counts, plan hash.", {
      examples: ["anysource state history --limit 5"]
    })
  )
)

const exportCommand = Command.make(
  "export",
  {
    ...globalOptions,
    format: Options.choice("format", ["json", "ndjson", "csv"]).pipe(
      Options.withDefault("json" as const),
      Options.withDescription(
        "json: one document (users, groups, memberships); ndjson: one record per line; csv: users only."
      )
    ),
    out: Options.text("out").pipe(
      Options.withAlias("o"),
      Options.withPseudoName("file"),
      Options.withDescription("Write to a file instead of stdout."),
      Options.optional
    )
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
        const { users, groups, memberships } = yield* Effect.gen(function* () {
          const store = yield* StateStore.StateStore
          return {
            users: yield* store.list("user"),
            groups: yield* store.list("group"),
            memberships: yield* store.memberships
          }
        }).pipe(Effect.provide(Runtime.stateLayer(loaded)))
        // written as it is produced: a state of a million users is never one string
        const lines = function* (): Generator<string, void, undefined> {
          for (const u of users) yield JSON.stringify({ ...u })
          for (const g of groups) yield JSON.stringify({ ...g })
          for (const [g, m] of memberships)
            yield JSON.stringify({ kind: "membership", groupExternalId: g, memberExternalIds: [...m].sort() })
        }
        const document = () => ({
          identitySourceId: loaded.config.okta.identitySourceId,
          exportedAt: new Date().toISOString(),
          users,
          groups,
          memberships: sortedMemberships(memberships)
        })
        const out = Option.getOrUndefined(o.out)
        switch (o.format) {
          case "csv":
            yield* out !== undefined
              ? writeFileFrom(out, linesToChunks(entriesCsvLines(users)))
              : io.printLines(entriesCsvLines(users))
            break
          case "ndjson":
            yield* out !== undefined ? writeFileFrom(out, linesToChunks(lines())) : io.printLines(lines())
            break
          case "json":
            yield* out !== undefined ? writeJsonFile(out, document()) : io.printJson(document())
            break
        }
        if (out !== undefined) yield* io.printErr(`state exported to ${out}`)
      })
    )
).pipe(
  Command.withDescription(
    describe("Export the state store (a backup, or a diff against Okta).", {
      examples: ["anysource state export --out state.json", "anysource state export --format csv > users.csv"]
    })
  )
)

export const command = Command.make("state").pipe(
  Command.withDescription(
    "Inspect the state store, or rebuild a lost one. What anysource believes is in Okta, what each run did."
  ),
  Command.withSubcommands([show, history, exportCommand, StateRebuild.command])
)
