/** `sessions list|show|cancel`: see and clear the identity source's Okta import sessions. */
import { OktaClient } from "@anysource/core"
import { Args, Command, Options, Prompt } from "@effect/cli"
import { Effect } from "effect"
import { safe } from "../Render.ts"
import * as Runtime from "../Runtime.ts"
import { globalOptions, type Io, runCommand } from "../internal/Context.ts"
import { examples } from "../internal/Help.ts"

const ACTIVE = new Set(["CREATED", "IN_PROGRESS", "TRIGGERED"])

const withClient = <A, E>(io: Io, f: (client: OktaClient.OktaClientService) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
    return yield* Effect.flatMap(OktaClient.OktaClient, f).pipe(Effect.provide(Runtime.oktaLayer(loaded)), Effect.scoped)
  })

const statusColor = (io: Io, status: string) =>
  ACTIVE.has(status) ? io.out.yellow(status) : status === "COMPLETED" ? io.out.green(status) : status === "ERROR" ? io.out.red(status) : io.out.dim(status)

const sessionId = Args.text({ name: "sessionId" }).pipe(Args.withDescription("The session id (aps…)."))
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON on stdout."))

const list = Command.make("list", { ...globalOptions, json }, (o) =>
  runCommand(o, (io) =>
    Effect.gen(function* () {
      const sessions = yield* withClient(io, (c) => c.listSessions)
      if (o.json) return yield* io.print(JSON.stringify(sessions, null, 2))
      if (sessions.length === 0) return yield* io.print("No import sessions.")
      const lines = sessions.map(
        (x) =>
          `  ${safe(x.id).padEnd(22)} ${statusColor(io, x.status).padEnd(io.out.enabled ? 21 : 11)} ${io.out.dim(`created ${safe(x.created ?? "?")}, updated ${safe(x.lastUpdated ?? "?")}`)}`
      )
      const open = sessions.filter((x) => ACTIVE.has(x.status)).length
      yield* io.print([io.out.bold(`Import sessions (${sessions.length}, ${open} open)`), ...lines].join("\n"))
    })
  )
).pipe(Command.withDescription(examples("List the identity source's import sessions.", ["anysource sessions list", "anysource sessions list --json"])))

const show = Command.make("show", { ...globalOptions, json, id: sessionId }, (o) =>
  runCommand(o, (io) =>
    Effect.gen(function* () {
      const session = yield* withClient(io, (c) => c.getSession(o.id))
      if (o.json) return yield* io.print(JSON.stringify(session, null, 2))
      yield* io.print(
        Object.entries(session)
          .map(([k, v]) => `  ${io.out.cyan(k.padEnd(18))} ${k === "status" ? statusColor(io, String(v)) : safe(typeof v === "string" ? v : JSON.stringify(v))}`)
          .join("\n")
      )
    })
  )
).pipe(Command.withDescription("Show one import session."))

const cancel = Command.make(
  "cancel",
  { ...globalOptions, id: sessionId, yes: Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("Do not ask for confirmation.")) },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        if (io.interactive && !o.yes) {
          const ok = yield* Prompt.confirm({
            message: `Cancel session ${o.id}? Its staged data is discarded (only CREATED / IN_PROGRESS sessions can be cancelled).`,
            initial: false
          })
          if (!ok) return yield* io.print("Not cancelled.")
        }
        yield* withClient(io, (c) => c.cancelSession(o.id))
        yield* io.print(`${io.out.green("Cancelled")} session ${safe(o.id)}; its staged data was discarded.`)
      })
    )
).pipe(
  Command.withDescription(
    examples("Cancel a CREATED or IN_PROGRESS session (e.g. one left by a crashed run of another tool) so new syncs can start.", [
      "anysource sessions cancel aps1qqonvr2SZv6o70h8 --yes"
    ])
  )
)

export const command = Command.make("sessions").pipe(
  Command.withDescription("See and clear the identity source's Okta import sessions."),
  Command.withSubcommands([list, show, cancel])
)
