/**
 * `setup plan` and `setup apply`: the identity source's schema and its profile mapping onto the Okta user, from the
 * config, with the conventions of `plan`/`apply` (exit 2 = changes, `--json`, `--out`/`--plan`, apply asks on a
 * terminal and needs `--yes` elsewhere, and applies exactly the plan it showed: core refuses when the org moved).
 */
import { PlanDriftError, Setup, SetupPlan } from "@anysource/core"
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as ExitCodes from "../ExitCodes.ts"
import { safe } from "../Render.ts"
import * as RenderSetup from "../internal/RenderSetup.ts"
import { planJson, readSaved, targetOf } from "../internal/SetupFiles.ts"
import * as Runtime from "../Runtime.ts"
import {
  globalOptions,
  type Globals,
  type Io,
  requireTerminal,
  runCommand,
  UsageError,
  withTrailingNewline,
  writeFileFrom
} from "../internal/Context.ts"
import { describe } from "../internal/Help.ts"

const prune = Options.boolean("prune").pipe(
  Options.withDescription(
    "Also remove custom attributes the config never sends (and the mappings reading them); shown in the plan first."
  )
)
const force = Options.boolean("force").pipe(
  Options.withDescription(
    "Replace existing mappings whose expression differs from the config's (conflicts are kept otherwise)."
  )
)
const json = Options.boolean("json").pipe(
  Options.withDescription("Print the setup plan (apply: what was applied) as JSON on stdout.")
)

/** Load the config and run `f` with an Okta client (the embedded emulator starts and stops around it). */
const withOkta = <A, E, R>(io: Io, f: (loaded: Runtime.LoadedConfig) => Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const loaded = yield* Runtime.loadConfig(io.configPath, io.env)
    return yield* f(loaded).pipe(Effect.provide(Runtime.oktaLayer(loaded)), Effect.scoped)
  })

const planCommand = Command.make(
  "plan",
  {
    ...globalOptions,
    prune,
    force,
    json,
    out: Options.text("out").pipe(
      Options.withAlias("o"),
      Options.withPseudoName("file"),
      Options.withDescription(
        "Save the setup plan as JSON, to apply exactly it later with `setup apply --plan <file>`."
      ),
      Options.optional
    )
  },
  (o) =>
    runCommand(o as Globals, (io) =>
      withOkta(io, (loaded) =>
        Effect.gen(function* () {
          const plan = yield* Setup.plan(loaded, { prune: o.prune, force: o.force })
          if (o.json) yield* io.printJson(plan, { indent: 2, sortKeys: true })
          else yield* io.printLines(RenderSetup.planLines(plan, targetOf(loaded), io.out))
          if (Option.isSome(o.out)) {
            yield* writeFileFrom(o.out.value, withTrailingNewline(planJson(plan)))
            if (!o.json)
              yield* io.print(
                io.out.dim(
                  `Setup plan saved to ${o.out.value}. Apply exactly it with: anysource setup apply --plan ${o.out.value}`
                )
              )
          }
          const invalid = Setup.errorsOf(plan, loaded)
          if (invalid !== undefined) return yield* Effect.fail(invalid)
          if (!o.json && plan.summary.changes > 0 && Option.isNone(o.out))
            yield* io.print(io.out.dim("Run `anysource setup apply` to make these changes in Okta."))
          yield* io.setExit(plan.summary.changes > 0 ? ExitCodes.ExitCode.Changes : ExitCodes.ExitCode.Ok)
        })
      )
    )
).pipe(
  Command.withDescription(
    describe(
      "Compare the identity source's schema and its mapping onto the Okta user with the config: attributes to add (as strings), unused ones, mappings to add, conflicts. Changes nothing.",
      {
        examples: [
          "anysource setup plan",
          "anysource setup plan --prune",
          "anysource setup plan --json | jq .summary",
          "anysource setup plan --out setup.json"
        ],
        exitCodes:
          "0 nothing to change, 2 changes pending, 3 the config needs fixing first, 7 Okta refused (a missing scope is named)"
      }
    )
  )
)

const applyCommand = Command.make(
  "apply",
  {
    ...globalOptions,
    prune,
    force,
    json,
    yes: Options.boolean("yes").pipe(
      Options.withAlias("y"),
      Options.withDescription(
        "Apply without asking. Required where nobody can be asked (no terminal, or CI set)."
      )
    ),
    plan: Options.text("plan").pipe(
      Options.withPseudoName("file"),
      Options.withDescription(
        "Apply exactly this saved setup plan; refuse (exit 8) if Okta's schema or mapping moved since."
      ),
      Options.optional
    )
  },
  (o) =>
    runCommand(o as Globals, (io) =>
      Effect.gen(function* () {
        if (!o.yes)
          yield* requireTerminal(io, {
            command: "setup apply",
            does: "changes the identity source's schema and mapping in Okta",
            hint: "Review the changes with `anysource setup plan`, then run `anysource setup apply --yes`; or save them with `anysource setup plan --out setup.json` and apply exactly those with `anysource setup apply --plan setup.json --yes`."
          })
        if (Option.isSome(o.plan) && (o.prune || o.force))
          return yield* Effect.fail(
            new UsageError({
              message: "--plan applies the saved plan with its own --prune/--force: leave them off."
            })
          )
        const saved = Option.isSome(o.plan)
          ? Option.some(yield* readSaved(o.plan.value))
          : Option.none<SetupPlan.SavedPlan>()
        yield* withOkta(io, (loaded) =>
          Effect.gen(function* () {
            const identitySourceId = loaded.config.okta.identitySourceId
            if (Option.isSome(saved) && saved.value.identitySourceId !== identitySourceId)
              return yield* Effect.fail(
                new UsageError({
                  message: `${Option.getOrElse(o.plan, () => "")} was made for identity source ${safe(saved.value.identitySourceId)}, but ${io.configPath} sets up ${safe(identitySourceId)}.`
                })
              )
            const options = Option.isSome(saved) ? saved.value.options : { prune: o.prune, force: o.force }
            const plan = yield* Setup.plan(loaded, options)
            // the plan goes where the person answering sees it: stdout on a terminal (and not --json), else stderr
            const onStdout = io.env.stdoutIsTTY && !o.json
            const style = onStdout ? io.out : io.err
            const lines = RenderSetup.planLines(plan, targetOf(loaded), style)
            yield* onStdout ? io.printLines(lines) : io.printErrLines(lines)
            const invalid = Setup.errorsOf(plan, loaded)
            if (invalid !== undefined) return yield* Effect.fail(invalid)
            if (Option.isSome(saved) && saved.value.hash !== plan.hash)
              return yield* Effect.fail(
                new PlanDriftError({
                  reason: "HashMismatch",
                  message: `Okta's schema or mapping moved since ${Option.getOrElse(o.plan, () => "")} was made; it would now do something else (above). Nothing was applied. Run \`anysource setup plan\` again and review it.`,
                  expectedHash: saved.value.hash,
                  actualHash: plan.hash
                })
              )
            if (SetupPlan.isEmpty(plan)) {
              if (o.json) yield* io.printJson({ plan, applied: [] }, { indent: 2, sortKeys: true })
              return yield* io.setExit(ExitCodes.ExitCode.Ok)
            }
            if (!o.yes) {
              const n = plan.summary.changes
              const ok = yield* io.ask(
                `Apply ${n === 1 ? "this change" : `these ${n} changes`} to ${targetOf(loaded)} (identity source ${identitySourceId})?`
              )
              if (!ok) {
                yield* io.printErr(io.err.yellow("Setup cancelled; nothing was sent to Okta."))
                return yield* io.setExit(ExitCodes.ExitCode.Changes)
              }
            }
            const result = yield* Setup.apply(loaded, plan)
            if (o.json) yield* io.printJson(result, { indent: 2, sortKeys: true })
            else
              yield* io.print(
                `${io.out.green("Applied")} ${result.applied.length === 1 ? "1 change" : `${result.applied.length} changes`} to identity source ${safe(identitySourceId)}. ${io.out.dim("`anysource setup plan` now finds nothing to change.")}`
              )
            yield* io.setExit(ExitCodes.ExitCode.Ok)
          })
        )
      })
    )
).pipe(
  Command.withDescription(
    describe(
      "Make the changes `setup plan` shows: add the config's attributes to the identity source's schema (as strings) and map them onto the Okta user. On a terminal it shows the plan and asks; elsewhere it needs --yes.",
      {
        examples: [
          "anysource setup apply",
          "anysource setup apply --yes",
          "anysource setup apply --prune --force",
          "anysource setup plan --out setup.json && anysource setup apply --plan setup.json --yes"
        ],
        exitCodes:
          "0 applied (or nothing to do), 2 declined at the prompt, 3 the config needs fixing first, 7 Okta refused, 8 Okta moved since the plan, 11 no terminal to ask and no --yes"
      }
    )
  )
)

export const command = Command.make("setup").pipe(
  Command.withDescription(
    describe(
      "Setup as code: the identity source's schema and its Okta user mapping, from the config. Needs the scopes okta.schemas.read/manage and okta.profileMappings.read/manage.",
      { examples: ["anysource setup plan", "anysource setup apply"] }
    )
  ),
  Command.withSubcommands([planCommand, applyCommand])
)
