/**
 * The secret values a loaded config holds, for the log redactor's second line of defence (`Logging.Redactor`):
 * every `Redacted` string in the pipeline config and in the adapter's parsed config (tokens, private keys,
 * database URLs, passwords), at any depth.
 *
 * One collector for every app. The Lambda's and the worker's walkers used to differ: the Lambda stopped 20 levels
 * down (a secret nested deeper was missed) and the worker could loop on a cyclic value. This one walks every
 * depth, visits each object once, and leaves the length rule to the redactor.
 */
import type { ConfigLoader } from "@anysource/core"
import { Redacted } from "effect"

/** Every secret string inside `value`, each once. */
export const collect = (value: unknown): ReadonlyArray<string> => {
  const found = new Set<string>()
  const seen = new WeakSet<object>()
  const pending: Array<unknown> = [value]
  while (pending.length > 0) {
    const next = pending.pop()
    if (next === null || typeof next !== "object") continue
    if (seen.has(next)) continue
    seen.add(next)
    if (Redacted.isRedacted(next)) {
      const inner = Redacted.value(next as Redacted.Redacted<unknown>)
      if (typeof inner === "string") {
        if (inner.length > 0) found.add(inner)
      } else pending.push(inner)
      continue
    }
    if (next instanceof Map) pending.push(...next.values())
    else if (next instanceof Set) pending.push(...next)
    else if (Array.isArray(next)) pending.push(...next)
    else pending.push(...Object.values(next))
  }
  return [...found]
}

/** The secrets of a loaded config: the pipeline config (Okta token or key, state URL) and the adapter's config. */
export const ofConfig = (loaded: ConfigLoader.LoadedConfig): ReadonlyArray<string> => [...new Set([...collect(loaded.config), ...collect(loaded.sourceConfig)])]
