/**
 * `emulator`: run the local Okta Identity Sources emulator in the foreground, with a seeded
 * identity source and an API token printed once, optionally persisting its org to a file.
 */
import { startEmulator } from "@anysource/okta-emulator"
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { randomBytes } from "node:crypto"
import { globalOptions, runCommand, UsageError } from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"

export const command = Command.make(
  "emulator",
  {
    ...globalOptions,
    port: Options.integer("port").pipe(Options.withAlias("p"), Options.withDefault(8010), Options.withDescription("Port on 127.0.0.1 (0 = any free port).")),
    data: Options.text("data").pipe(
      Options.withPseudoName("file"),
      Options.withDescription("Persist the org (sessions, users, groups) to this JSON file, so restarts keep it."),
      Options.optional
    ),
    identitySourceId: Options.text("identity-source-id").pipe(
      Options.withPseudoName("id"),
      Options.withDefault("0oaemulator000000001"),
      Options.withDescription("The seeded Custom Identity Source id.")
    ),
    token: Options.text("token").pipe(
      Options.withPseudoName("token"),
      Options.withDescription("Use this API token instead of a random one (e.g. to keep a config working across restarts)."),
      Options.optional
    ),
    timeScale: Options.float("time-scale").pipe(
      Options.withDefault(1),
      Options.withDescription("Run the emulator's clock faster (e.g. 60: the 5-minute rule lasts 5 seconds). For demos.")
    ),
    responses: Options.choice("responses", ["recorded", "spec"]).pipe(
      Options.withDefault("recorded" as const),
      Options.withDescription(
        "Where traffic recorded from real orgs and Okta's spec disagree, answer as recorded (default) or as the spec says."
      )
    ),
    rejectShare: Options.float("reject-share").pipe(
      Options.withPseudoName("share"),
      Options.withDescription(
        "Reject this share (0–1) of the users and groups each import upserts, one by one, while the session still COMPLETES (what `verify` catches)."
      ),
      Options.withDefault(0)
    ),
    adminEditShare: Options.float("admin-edit-share").pipe(
      Options.withPseudoName("share"),
      Options.withDescription("After each completed import, an admin edits an attribute of this share (0–1) of the active users (what `drift` catches)."),
      Options.withDefault(0)
    ),
    secondWriterShare: Options.float("second-writer-share").pipe(
      Options.withPseudoName("share"),
      Options.withDescription(
        "After each completed import, another client writing to the identity source changes this share (0–1) of the users and groups (an attribute; one member out, one in)."
      ),
      Options.withDefault(0)
    ),
    simulateSeed: Options.text("simulate-seed").pipe(
      Options.withPseudoName("seed"),
      Options.withDescription("Picks the records the three modes above act on (the same seed picks the same ones)."),
      Options.withDefault("anysource")
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
        if (o.timeScale <= 0) return yield* Effect.fail(new UsageError({ message: "--time-scale must be greater than 0" }))
        for (const [flag, share] of [
          ["--reject-share", o.rejectShare],
          ["--admin-edit-share", o.adminEditShare],
          ["--second-writer-share", o.secondWriterShare]
        ] as const)
          if (!(share >= 0 && share <= 1)) return yield* Effect.fail(new UsageError({ message: `${flag} ${share}: use a share from 0 to 1 (0.05 = 5%)` }))
        const simulate = { rejectShare: o.rejectShare, adminEditShare: o.adminEditShare, secondWriterShare: o.secondWriterShare, seed: o.simulateSeed }
        const simulating = [
          o.rejectShare > 0 ? `${o.rejectShare * 100}% of imported records rejected` : "",
          o.adminEditShare > 0 ? `admin edits ${o.adminEditShare * 100}% of users after each import` : "",
          o.secondWriterShare > 0 ? `a second writer changes ${o.secondWriterShare * 100}% of users and groups after each import` : ""
        ].filter((x) => x !== "")
        const token = Option.getOrElse(o.token, () => `emu_${randomBytes(18).toString("base64url")}`)
        const emulator = yield* Effect.acquireRelease(
          Effect.tryPromise({
            try: () =>
              startEmulator({
                port: o.port,
                tokens: [{ token }],
                identitySources: [{ id: o.identitySourceId, name: "anysource emulator" }],
                timeScale: o.timeScale,
                strict: o.strict,
                responses: o.responses,
                simulate,
                ...(Option.isSome(o.data) ? { persistPath: o.data.value } : {})
              }),
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
            `  strict           ${o.strict ? "on: requests and replies are checked against the OpenAPI spec" : "off (--strict checks requests and replies against the OpenAPI spec)"}`,
            ...(simulating.length > 0 ? [`  simulating       ${simulating.join("; ")} (seed ${o.simulateSeed})`] : []),
            "",
            s.dim("In anysource.yaml:"),
            s.dim(`  okta: { orgUrl: ${emulator.url}, identitySourceId: ${o.identitySourceId}, auth: { type: ssws, token: \${OKTA_API_TOKEN} } }`),
            s.dim("Press Ctrl-C to stop.")
          ].join("\n")
        )
        yield* Effect.never
      }).pipe(Effect.scoped)
    )
).pipe(
  Command.withDescription(
    describe("Run a local Okta Identity Sources emulator (sessions, uploads, import, a simulated directory) to try pipelines offline.", { examples: [
      "anysource emulator --port 8010 --data .anysource/emulator.json",
      "anysource emulator --strict",
      "anysource emulator --reject-share 0.05 --admin-edit-share 0.01   # then: anysource apply; anysource drift",
      "OKTA_API_TOKEN=<printed token> anysource plan"
    ] })
  )
)
