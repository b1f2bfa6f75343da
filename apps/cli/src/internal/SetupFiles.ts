/**
 * The files and names of `anysource setup plan|apply`: the saved setup plan (`--out`, `--plan`) and how the target
 * org is named in messages.
 */
import { SetupPlan } from "@anysource/core"
import { Effect } from "effect"
import type * as Runtime from "../Runtime.ts"
import { readFile, UsageError } from "./Context.ts"
import { jsonChunks } from "./JsonChunks.ts"

/** The org as messages name it. */
export const targetOf = (loaded: Runtime.LoadedConfig) =>
  loaded.config.okta.orgUrl === "embedded" ? "the embedded emulator" : loaded.config.okta.orgUrl

/** The setup plan as saved by `--out`. */
export const planJson = (plan: SetupPlan.SetupPlan) => jsonChunks(plan, { indent: 2, sortKeys: true })

/** A saved plan: the identity source, the options and the hash (`setup apply --plan`). */
export const readSaved = (file: string) =>
  Effect.flatMap(readFile(file), (text) => {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return Effect.fail(
        new UsageError({
          message: `${file} is not JSON: write it with \`anysource setup plan --out ${file}\`.`
        })
      )
    }
    const parsed = SetupPlan.SavedPlan.safeParse(value)
    return parsed.success
      ? Effect.succeed(parsed.data)
      : Effect.fail(
          new UsageError({
            message: `${file} is not a setup plan (${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}); write one with \`anysource setup plan --out ${file}\`.`
          })
        )
  })
