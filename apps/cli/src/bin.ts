#!/usr/bin/env node
/** The `anysource` executable. */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit } from "effect"
import { exitCodeOf, main } from "./Cli.ts"
import * as Env from "./Env.ts"
import { renderError } from "./RenderError.ts"

const program = main(process.argv.slice(2), Env.fromProcess()).pipe(
  Effect.tapErrorCause((cause) =>
    Effect.sync(() => {
      // @effect/cli has already printed usage errors; anything else here is unexpected.
      const failure = Cause.failureOption(cause)
      if (failure._tag === "Some") {
        const tag = (failure.value as { _tag?: string })?._tag ?? ""
        if (/^(InvalidValue|MissingValue|MissingFlag|MultipleValuesDetected|MissingSubcommand|NoBuiltInMatch|UnclusteredFlag|CorrectedFlag|InvalidArgument|CommandMismatch|QuitException)$/.test(tag)) return
        process.stderr.write(`${renderError(failure.value)}\n`)
      } else if (!Cause.isInterruptedOnly(cause)) process.stderr.write(`${renderError(Cause.squash(cause))}\n`)
    })
  )
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => {
    const code = exitCodeOf(exit as Exit.Exit<number, unknown>)
    process.exitCode = code
    onExit(code)
    // Exit even when a library left a handle open (an idle keep-alive socket): the work is done.
    if (code === 0) setImmediate(() => process.exit(0))
  }
})
