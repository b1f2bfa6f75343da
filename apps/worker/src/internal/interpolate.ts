/**
 * `${VAR}` in worker.yaml string values, from the environment, or from the file named by `VAR_FILE`
 * (Kubernetes/Docker secrets mounted as files). Applied to the parsed YAML, never to its text, so a
 * value can never inject YAML structure. Missing variables are reported by name, never by value.
 */
import * as Fs from "node:fs"

export interface Interpolated {
  readonly value: unknown
  /** Values that came from the environment or files: scrubbed from logs when they sit in secret fields. */
  readonly substituted: ReadonlyArray<{ readonly path: string; readonly variable: string; readonly value: string }>
  readonly problems: ReadonlyArray<{ readonly path: string; readonly message: string }>
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

export const interpolate = (
  input: unknown,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (path) => Fs.readFileSync(path, "utf8")
): Interpolated => {
  const substituted: Array<{ path: string; variable: string; value: string }> = []
  const problems: Array<{ path: string; message: string }> = []

  const lookup = (variable: string, path: string): string | undefined => {
    const direct = env[variable]
    if (direct !== undefined) return direct
    const file = env[`${variable}_FILE`]
    if (file !== undefined && file !== "") {
      try {
        return readFile(file).replace(/\r?\n$/, "")
      } catch {
        problems.push({ path, message: `cannot read the file named by ${variable}_FILE` })
        return ""
      }
    }
    problems.push({ path, message: `environment variable ${variable} is not set (nor ${variable}_FILE)` })
    return ""
  }

  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === "string") {
      return value.replace(REFERENCE, (_match, variable: string) => {
        const resolved = lookup(variable, path) ?? ""
        substituted.push({ path, variable, value: resolved })
        return resolved
      })
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, `${path}[${i}]`))
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, path === "" ? k : `${path}.${k}`)
      return out
    }
    return value
  }

  return { value: walk(input, ""), substituted, problems }
}
