#!/usr/bin/env node
/**
 * The `anysource` executable. Every way the process ends waits for stdout and stderr to drain first
 * (success, a typed error, a defect, SIGINT/SIGTERM), so a pipe gets every byte; a reader that goes away
 * (`| head`) ends the run quietly with 141, as `git` and `gh` do when SIGPIPE kills them.
 */
import { Cause, Effect, type Exit, Option } from "effect"
import { exitCodeOf, main } from "./Cli.ts"
import * as Env from "./Env.ts"
import { ExitCode } from "./ExitCodes.ts"
import { drain } from "./internal/Output.ts"
import { renderError } from "./RenderError.ts"

let outputClosed = false
let signal: "SIGINT" | "SIGTERM" | undefined
let exiting = false

const program = main(process.argv.slice(2), Env.fromProcess()).pipe(
  Effect.tapErrorCause((cause) =>
    Effect.sync(() => {
      // commands render their own failures; what reaches here is unexpected (a bug), unless it is an interruption
      if (Cause.isInterruptedOnly(cause) || outputClosed) return
      const failure = Cause.failureOption(cause)
      process.stderr.write(`${renderError(Option.getOrElse(failure, () => Cause.squash(cause)))}\n`)
    })
  )
)

const fiber = Effect.runFork(program)
// the fiber's timers and sockets keep Node alive; this keeps it alive while it waits on nothing else
const keepAlive = setInterval(() => {}, 2 ** 31 - 1)

/** Exit once stdout and stderr have drained (what is still queued would be lost by process.exit). */
const exitAfterDrain = (code: number) => {
  if (exiting) return
  exiting = true
  void Promise.all([drain(process.stdout), drain(process.stderr)]).then(() => process.exit(code))
}

fiber.addObserver((exit) => {
  clearInterval(keepAlive)
  const code = outputClosed
    ? ExitCode.OutputClosed
    : signal === "SIGTERM"
      ? ExitCode.Terminated
      : signal === "SIGINT"
        ? ExitCode.Interrupted
        : exitCodeOf(exit as Exit.Exit<number, unknown>)
  exitAfterDrain(code)
})

// EPIPE (the reader closed the pipe) arrives as an 'error' event; unhandled it would crash with a stack trace.
// Any other failure of the pipe, terminal or file we write to ends the run the same way: no one is left to tell.
const onOutputError = () => {
  if (outputClosed) return
  outputClosed = true
  // stop the work; the observer above exits once the finalizers (state lock, emulator) have run
  fiber.unsafeInterruptAsFork(fiber.id())
}
process.stdout.on("error", onOutputError)
process.stderr.on("error", onOutputError)

const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
  // a second signal, or one while waiting for a stuck reader to drain: stop now
  if (signal !== undefined || exiting) process.exit(name === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted)
  signal = name
  fiber.unsafeInterruptAsFork(fiber.id())
}
process.on("SIGINT", onSignal("SIGINT"))
process.on("SIGTERM", onSignal("SIGTERM"))
