/**
 * The yes/no question before a command changes something (`apply`, `sessions cancel`). Asked on stderr, so
 * it is seen even when stdout goes to a file or a pipe (`anysource apply > run.txt`), and answered on stdin.
 * Only "y" or "yes" (any case) confirms; Enter, anything else or end of input (Ctrl-D) declines; Ctrl-C
 * interrupts the command.
 */
import { Effect } from "effect"
import * as readline from "node:readline"
import type { Ask } from "./Context.ts"
import type { Out } from "./Output.ts"

/** True when `answer` confirms. */
export const isYes = (answer: string): boolean => /^\s*y(es)?\s*$/i.test(answer)

/** A live `Ask` over a terminal (or any readable/writable pair, for tests). */
export const make =
  (input: NodeJS.ReadableStream, output: Out): Ask =>
  (question) =>
    Effect.async<boolean>((resume) => {
      const rl = readline.createInterface({
        input,
        output,
        terminal: (output as { isTTY?: boolean }).isTTY === true
      })
      let done = false
      const finish = (result: Effect.Effect<boolean>) => {
        if (done) return
        done = true
        rl.close()
        resume(result)
      }
      // Ctrl-C in the terminal's raw mode reaches readline, not the process: stop the command as a signal would.
      rl.on("SIGINT", () => {
        output.write("\n")
        finish(Effect.interrupt)
      })
      rl.on("close", () => finish(Effect.succeed(false)))
      rl.question(`${question} [y/N] `, (answer) => finish(Effect.succeed(isYes(answer))))
      return Effect.sync(() => {
        done = true
        rl.close()
      })
    })

/** An `Ask` that answers from a list (tests); records the questions asked. */
export const scripted = (answers: ReadonlyArray<boolean>, asked: Array<string> = []): Ask => {
  let i = 0
  return (question) =>
    Effect.sync(() => {
      asked.push(question)
      return answers[i++] ?? false
    })
}
