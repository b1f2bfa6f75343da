/**
 * The worker process: `node dist/main.mjs` (the container's CMD). Reads the environment (Env.ts),
 * logs JSON lines to stdout, and turns SIGTERM/SIGINT into a graceful stop (a second signal stops
 * waiting for safe points). Exit code 0 after a stop; 1 when it cannot start (bad config, state
 * unreachable, port taken), with the reason in the last log line.
 */
import { Logging } from "@anysource/runtime"
import { Cause, Deferred, Effect, Exit } from "effect"
import * as Env from "./Env.ts"
import * as Worker from "./Worker.ts"

// a closed stdout (a log shipper gone) must not take the worker down
process.stdout.on("error", () => {})

const env = Env.fromProcess()
const redactor = Logging.makeRedactor()

const program = Effect.gen(function* () {
  const shutdown = yield* Deferred.make<string>()
  const force = yield* Deferred.make<string>()
  const onSignal = (signal: NodeJS.Signals) => {
    const first = Effect.runSync(Deferred.succeed(shutdown, signal))
    if (!first) Effect.runSync(Deferred.succeed(force, signal))
  }
  process.on("SIGTERM", onSignal)
  process.on("SIGINT", onSignal)
  return yield* Worker.run({ env, redactor, shutdown, force }).pipe(
    Effect.tapErrorCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.void
        : Effect.logError(`cannot start: ${Cause.squash(cause) instanceof Error ? (Cause.squash(cause) as Error).message : String(Cause.squash(cause))}`)
    )
  )
}).pipe(Effect.provide(Logging.layer(redactor, (line) => process.stdout.write(`${line}\n`))))

Effect.runPromiseExit(program).then((exit) => {
  process.exit(Exit.isSuccess(exit) ? 0 : 1)
})
