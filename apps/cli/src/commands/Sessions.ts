/** `sessions list|show|cancel`: see and clear the identity source's Okta import sessions. */
import { type OktaApiError, OktaClient } from "@anysource/core"
import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { safe } from "../Render.ts"
import * as Runtime from "../Runtime.ts"
import { globalOptions, type Io, requireTerminal, runCommand, UsageError } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"

/** Sessions that still hold the identity source (and block a new one). */
const OPEN = new Set(["CREATED", "IN_PROGRESS", "TRIGGERED"])
/** Sessions Okta lets us cancel (DELETE). */
const CANCELLABLE = new Set(["CREATED", "IN_PROGRESS"])

type Session = OktaClient.IdentitySourceSession

const withClient = <A, E>(
  io: Io,
  f: (client: OktaClient.OktaClientService, identitySourceId: string) => Effect.Effect<A, E>
) =>
  Effect.gen(function* () {
    const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
    return yield* Effect.flatMap(OktaClient.OktaClient, (client) =>
      f(client, loaded.config.okta.identitySourceId)
    ).pipe(Effect.provide(Runtime.oktaLayer(loaded)), Effect.scoped)
  })

/**
 * A session that Okta does not know: say so (exit 64) instead of blaming the identity source, unless the identity
 * source itself is what is missing (then Okta's error and its hint about okta.identitySourceId stand).
 */
const getSession = (
  client: OktaClient.OktaClientService,
  identitySourceId: string,
  id: string
): Effect.Effect<Session, OktaApiError | UsageError> =>
  client.getSession(id).pipe(
    Effect.catchIf(
      (e) => e.reason === "NotFound",
      (notFound) =>
        client.listSessions.pipe(
          Effect.matchEffect({
            onFailure: () => Effect.fail(notFound),
            onSuccess: () =>
              Effect.fail(
                new UsageError({
                  message: `No import session ${safe(id)} for identity source ${safe(identitySourceId)} (Okta answered 404). \`anysource sessions list --all\` lists the sessions Okta knows.`
                })
              )
          })
        )
    )
  )

const statusColor = (io: Io, status: string) =>
  OPEN.has(status)
    ? io.out.yellow(status)
    : status === "COMPLETED"
      ? io.out.green(status)
      : status === "ERROR"
        ? io.out.red(status)
        : io.out.dim(status)

const newestFirst = (a: Session, b: Session) => (b.created ?? "").localeCompare(a.created ?? "")

const sessionId = Args.text({ name: "sessionId" }).pipe(Args.withDescription("The session id (aps…)."))
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON on stdout."))

const list = Command.make(
  "list",
  {
    ...globalOptions,
    json,
    all: Options.boolean("all").pipe(
      Options.withAlias("a"),
      Options.withDescription(
        "Every session Okta lists (COMPLETED, CLOSED, EXPIRED, …), newest first; by default only open ones."
      )
    )
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        const { identitySourceId, sessions } = yield* withClient(io, (c, identitySourceId) =>
          Effect.map(c.listSessions, (sessions) => ({ identitySourceId, sessions }))
        )
        const open = sessions.filter((x) => OPEN.has(x.status))
        const shown = [...(o.all ? sessions : open)].sort(newestFirst)
        if (o.json) return yield* io.printJson(shown)
        const s = io.out
        const lines = shown.map(
          (x) =>
            `  ${safe(x.id).padEnd(22)} ${statusColor(io, x.status).padEnd(s.enabled ? 21 : 11)} ${s.dim(`created ${safe(x.created ?? "?")}, updated ${safe(x.lastUpdated ?? "?")}`)}`
        )
        const closed = sessions.length - open.length
        const header = o.all
          ? `Import sessions of ${safe(identitySourceId)} (${sessions.length}, ${open.length} open), newest first`
          : `Open import sessions of ${safe(identitySourceId)} (${open.length})`
        const notes: Array<string> = []
        if (!o.all)
          notes.push(
            closed > 0
              ? `Only open sessions (CREATED, IN_PROGRESS, TRIGGERED) are listed; \`--all\` also shows the ${closed} finished one${closed === 1 ? "" : "s"}.`
              : "Only open sessions (CREATED, IN_PROGRESS, TRIGGERED) are listed. Okta may list only open ones, so finished runs are in `anysource state history`."
          )
        else if (shown.length === 0 || closed === 0)
          notes.push("Okta may list only open sessions; what each run did is in `anysource state history`.")
        const body =
          shown.length === 0
            ? [
                o.all
                  ? `No import sessions for ${safe(identitySourceId)}.`
                  : `No open import sessions for ${safe(identitySourceId)}.`
              ]
            : [s.bold(header), ...lines]
        yield* io.print([...body, ...notes.map((n) => s.dim(n))].join("\n"))
      })
    )
).pipe(
  Command.withDescription(
    describe("List the identity source's open import sessions; --all lists every session Okta returns.", {
      examples: ["anysource sessions list", "anysource sessions list --all", "anysource sessions list --json"]
    })
  )
)

const show = Command.make("show", { ...globalOptions, json, id: sessionId }, (o) =>
  runCommand(o, (io) =>
    Effect.gen(function* () {
      const session = yield* withClient(io, (c, identitySourceId) => getSession(c, identitySourceId, o.id))
      if (o.json) return yield* io.printJson(session)
      yield* io.print(
        Object.entries(session)
          .map(
            ([k, v]) =>
              `  ${io.out.cyan(k.padEnd(18))} ${k === "status" ? statusColor(io, String(v)) : safe(typeof v === "string" ? v : JSON.stringify(v))}`
          )
          .join("\n")
      )
    })
  )
).pipe(
  Command.withDescription(
    describe("Show one import session: status, created, last updated.", {
      examples: [
        "anysource sessions show aps1qqonvr2SZv6o70h8",
        "anysource sessions show aps1qqonvr2SZv6o70h8 --json"
      ],
      exitCodes: "0 shown, 64 no such session"
    })
  )
)

const cancel = Command.make(
  "cancel",
  {
    ...globalOptions,
    id: sessionId,
    yes: Options.boolean("yes").pipe(
      Options.withAlias("y"),
      Options.withDescription(
        "Cancel without asking. Required where nobody can be asked (no terminal, or CI set)."
      )
    )
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        if (!o.yes)
          yield* requireTerminal(io, {
            command: "sessions cancel",
            does: `discards the staged data of ${safe(o.id)}`,
            hint: `Check the session first: \`anysource sessions show ${safe(o.id)}\`.`
          })
        yield* withClient(io, (client, identitySourceId) =>
          Effect.gen(function* () {
            const session = yield* getSession(client, identitySourceId, o.id)
            const id = safe(o.id)
            switch (session.status) {
              case "CLOSED":
                return yield* io.print(`Session ${id} is already cancelled (CLOSED); nothing to do.`)
              case "EXPIRED":
                return yield* io.print(
                  `Session ${id} has expired; Okta already discarded its staged data. Nothing to do.`
                )
            }
            if (!CANCELLABLE.has(session.status))
              return yield* Effect.fail(
                new UsageError({
                  message: `Session ${id} is ${session.status}: only CREATED or IN_PROGRESS sessions can be cancelled${
                    session.status === "COMPLETED"
                      ? " (its import has already happened)"
                      : session.status === "TRIGGERED"
                        ? " (Okta is importing it now)"
                        : ""
                  }. Nothing was changed.`
                })
              )
            if (!o.yes) {
              const ok = yield* io.ask(
                `Cancel session ${id} (${session.status})? Its staged data is discarded.`
              )
              if (!ok) return yield* io.printErr("Not cancelled.")
            }
            yield* client.cancelSession(o.id)
            yield* io.print(`${io.out.green("Cancelled")} session ${id}; its staged data was discarded.`)
          })
        )
      })
    )
).pipe(
  Command.withDescription(
    describe(
      "Cancel a CREATED or IN_PROGRESS session (e.g. one left by a crashed run of another tool) so new syncs can start. Asks on a terminal; elsewhere it needs --yes.",
      {
        examples: [
          "anysource sessions cancel aps1qqonvr2SZv6o70h8",
          "anysource sessions cancel aps1qqonvr2SZv6o70h8 --yes"
        ],
        exitCodes:
          "0 cancelled (or already closed), 11 no terminal to ask and no --yes, 64 no such session or not cancellable"
      }
    )
  )
)

export const command = Command.make("sessions").pipe(
  Command.withDescription(describe("See and clear the identity source's Okta import sessions.")),
  Command.withSubcommands([list, show, cancel])
)
