/**
 * `emulator`: run the local Okta Identity Sources emulator in the foreground, with a seeded
 * identity source and an API token printed once, optionally persisting its org to a file.
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { randomBytes } from "node:crypto"
import { globalOptions, runCommand, UsageError } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"
import * as SimulateFlag from "../internal/SimulateFlag.ts"

export const command = Command.make(
  "emulator",
  {
    ...globalOptions,
    port: Options.integer("port").pipe(
      Options.withAlias("p"),
      Options.withDefault(8010),
      Options.withDescription("Port on 127.0.0.1 (0 = any free port).")
    ),
    data: Options.text("data").pipe(
      Options.withPseudoName("file"),
      Options.withDescription("Keep the org (sessions, users, groups) in this JSON file."),
      Options.optional
    ),
    identitySourceId: Options.text("identity-source-id").pipe(
      Options.withPseudoName("id"),
      Options.withDefault("0oaemulator000000001"),
      Options.withDescription("The seeded identity source.")
    ),
    token: Options.text("token").pipe(
      Options.withPseudoName("token"),
      Options.withDescription(
        "Use this API token instead of a random one (e.g. to keep a config working across restarts)."
      ),
      Options.optional
    ),
    timeScale: Options.float("time-scale").pipe(
      Options.withDefault(1),
      Options.withDescription(
        "Run the emulator's clock faster (e.g. 60: the 5-minute rule lasts 5 seconds). For demos."
      )
    ),
    unknownAttributes: Options.choice("unknown-attributes", ["reject", "ignore"]).pipe(
      Options.withDefault("reject" as const),
      Options.withDescription("Undeclared attributes: a 400, or dropped.")
    ),
    rateLimit: Options.integer("rate-limit").pipe(
      Options.withPseudoName("n"),
      Options.withDefault(600),
      Options.withDescription("Requests a minute before a 429 (Okta: 600).")
    ),
    responses: Options.choice("responses", ["recorded", "spec"]).pipe(
      Options.withDefault("recorded" as const),
      Options.withDescription("Answer as real orgs do, or as the spec says.")
    ),
    simulate: Options.text("simulate").pipe(
      Options.withPseudoName("modes"),
      Options.withDescription("Faults: reject=0.05,admin-edit=0.01,second-writer=0.1,seed=s"),
      Options.optional
    ),
    strict: Options.boolean("strict").pipe(
      Options.withDescription(
        "Check every request and reply against Okta's OpenAPI spec (shipped with the emulator): a request that breaks it gets a 400 naming the field, a reply that breaks it a 500."
      )
    )
  },
  (o) =>
    runCommand(o, (io) =>
      Effect.gen(function* () {
        if (o.rateLimit < 1)
          return yield* Effect.fail(
            new UsageError({ message: "--rate-limit must be at least 1 (requests a minute)" })
          )
        if (o.timeScale <= 0)
          return yield* Effect.fail(new UsageError({ message: "--time-scale must be greater than 0" }))
        const simulate = Option.isSome(o.simulate)
          ? SimulateFlag.parse(o.simulate.value)
          : SimulateFlag.parse("")
        if ("error" in simulate) return yield* Effect.fail(new UsageError({ message: simulate.error }))
        const simulating = SimulateFlag.describe(simulate)
        const token = Option.getOrElse(o.token, () => `emu_${randomBytes(18).toString("base64url")}`)
        const emulator = yield* Effect.acquireRelease(
          Effect.tryPromise({
            // loaded only for this command (and `orgUrl: embedded`): the emulator and its OpenAPI validator are large
            try: () =>
              import("@anysource/okta-emulator").then(({ startEmulator }) =>
                startEmulator({
                  port: o.port,
                  tokens: [{ token }],
                  identitySources: [{ id: o.identitySourceId, name: "anysource emulator" }],
                  timeScale: o.timeScale,
                  strict: o.strict,
                  unknownAttributes: o.unknownAttributes,
                  responses: o.responses,
                  rateLimit: { limit: o.rateLimit },
                  simulate,
                  ...(Option.isSome(o.data) ? { persistPath: o.data.value } : {})
                })
              ),
            catch: (cause) =>
              new UsageError({
                message: `Could not start the emulator on port ${o.port}: ${cause instanceof Error ? cause.message : String(cause)}`
              })
          }),
          (e) => Effect.promise(() => e.close())
        )
        const s = io.out
        yield* io.print(
          [
            `${s.green("Okta emulator")} listening on ${s.bold(emulator.url)}`,
            `  identity source  ${s.bold(o.identitySourceId)}`,
            `  API token        ${s.bold(token)}${Option.isSome(o.token) ? "" : s.dim("   (shown once)")}`,
            `  data             ${Option.isSome(o.data) ? o.data.value : "in memory (use --data <file> to keep it)"}`,
            `  responses        ${o.responses === "recorded" ? "as recorded from real orgs (--responses spec: as the spec says)" : "as the spec says"}`,
            `  rate limit       ${o.rateLimit} requests a minute${o.rateLimit === 600 ? " (Okta's default)" : ""}`,
            `  strict           ${o.strict ? "on: requests and replies are checked against the OpenAPI spec" : "off (--strict checks requests and replies against the OpenAPI spec)"}`,
            ...(simulating !== "" ? [`  simulating       ${simulating} (seed ${simulate.seed})`] : []),
            "",
            s.dim("In anysource.yaml:"),
            s.dim(
              `  okta: { orgUrl: ${emulator.url}, identitySourceId: ${o.identitySourceId}, auth: { type: ssws, token: \${OKTA_API_TOKEN} } }`
            ),
            s.dim("Press Ctrl-C to stop.")
          ].join("\n")
        )
        yield* Effect.never
      }).pipe(Effect.scoped)
    )
).pipe(
  Command.withDescription(
    describe(
      "Run a local Okta Identity Sources emulator (sessions, uploads, import, a simulated directory) to try pipelines offline.",
      {
        examples: [
          "anysource emulator --port 8010 --data .anysource/emulator.json",
          "anysource emulator --strict --simulate reject=0.05   # apply then exits 12",
          "OKTA_API_TOKEN=<printed token> anysource plan"
        ]
      }
    )
  )
)
