/**
 * The Lambda's logs: one JSON object per line on stdout (CloudWatch Logs keeps each line as one event), in the
 * runtime's format (`@anysource/runtime` `Logging`: Effect's `Logger.jsonLogger` shape, every line scrubbed of the
 * secret values the invocation knows: the config's secret fields and the fetched secrets). Every line of an
 * invocation carries its annotations (`runId`, `awsRequestId`, `pipeline`).
 */
import { Logging } from "@anysource/runtime"
import type { Layer } from "effect"
import type { LogLevelName } from "./Env.ts"

export interface LogSink {
  readonly write: (line: string) => void
}

export const stdoutSink = (): LogSink => ({
  write: (line) => {
    process.stdout.write(`${line}\n`)
  }
})

/** The logger for one invocation: `sink`, scrubbed by `redactor`, at `level` and above. */
export const layer = (sink: LogSink, redactor: Logging.Redactor, level: LogLevelName): Layer.Layer<never> =>
  Logging.layer(redactor, sink.write, Logging.levelOf(level))
