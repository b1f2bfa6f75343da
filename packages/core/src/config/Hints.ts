/**
 * Pointers into the user's config for problems found after it was loaded (the schema guard, `setup`): the closest
 * known word ("did you mean …?") and where a config path sits in its file (`anysource.yaml:27:5`).
 */
import { readFileSync } from "node:fs"
import { extname } from "node:path"
import { yamlLocator } from "./internal/locate.ts"

export { closest } from "./internal/suggest.ts"

/**
 * `file:line:col` of a dotted config path (`mapping.profile.department`) in a YAML or JSON config, or undefined when
 * the file cannot be read or is a module (`anysource.config.ts`). `display` is how the file is named in messages.
 */
export const locate = (file: string, path: string, display: string = file): string | undefined => {
  if (![".yaml", ".yml", ".json"].includes(extname(file).toLowerCase())) return undefined
  let text: string
  try {
    text = readFileSync(file, "utf8")
  } catch {
    return undefined
  }
  const at = yamlLocator(text)(path.split("."))
  return at === undefined ? undefined : `${display}:${at}`
}
