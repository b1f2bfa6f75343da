/**
 * The flags of reading back from Okta that several commands share: `--refresh` and `--initial` (plan, apply),
 * sample sizes (`apply --verify-sample`, `verify --sample`, `drift --sample`) and `--max-requests`.
 */
import { Sample } from "@anysource/core"
import { Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { UsageError } from "./Context.ts"

export const refreshOption = Options.boolean("refresh").pipe(
  Options.withDescription("Read what the plan would touch from Okta first and plan against it.")
)

export const initialOption = Options.boolean("initial").pipe(
  Options.withDescription("First sync: go ahead on an empty state though Okta holds records.")
)

export const maxRequestsOption = Options.integer("max-requests").pipe(
  Options.withPseudoName("n"),
  Options.withDescription("Stop cleanly after this many Okta requests. Default: verify.maxRequests."),
  Options.optional
)

/** `--sample` / `--verify-sample`: a count, a share or all; a usage error otherwise. */
export const sampleFrom = (flag: string, text: Option.Option<string>): Effect.Effect<Sample.Sample | undefined, UsageError> =>
  Option.match(text, {
    onNone: () => Effect.succeed(undefined),
    onSome: (t) => {
      const parsed = Sample.parse(t)
      return parsed === undefined
        ? Effect.fail(new UsageError({ message: `${flag} ${t}: use a count (100), a share (10%) or 100% for all` }))
        : Effect.succeed(parsed)
    }
  })
