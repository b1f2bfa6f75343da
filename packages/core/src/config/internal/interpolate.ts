/**
 * `${ENV_VAR}` interpolation over every string of a raw config (keys are left alone):
 * - `${NAME}`: the variable; when unset and `NAME_FILE` is set, the content of that file (trailing newlines
 *   trimmed: the Docker/Kubernetes secrets convention).
 * - `${NAME:-default}`: the default when NAME is unset or empty (and no NAME_FILE).
 * - `$${` is a literal `${`.
 * Problems are collected (all of them) with the config path; messages name variables, never values.
 */
import { isPlainObject, type Segment, type Segments } from "./paths.ts"

export interface InterpolationProblem {
  readonly segments: Segments
  readonly reason: "Interpolation" | "SecretFile"
  readonly message: string
}

export interface Interpolated {
  readonly value: unknown
  /** Every value that came from the environment or a file, and where it landed. */
  readonly substitutions: ReadonlyArray<Substitution>
  /** Paths whose whole string was one `${…}` reference (candidates for number/boolean coercion). */
  readonly wholeReferences: ReadonlyArray<Segments>
  readonly problems: ReadonlyArray<InterpolationProblem>
}

export interface Substitution {
  readonly segments: Segments
  readonly variable: string
  readonly fromFile: boolean
  readonly value: string
}

export interface InterpolationContext {
  readonly env: Readonly<Record<string, string | undefined>>
  /** Reads a `*_FILE` secret; throws a Node error on failure. */
  readonly readFile: (file: string) => string
}

const reference = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/

export const interpolate = (raw: unknown, context: InterpolationContext): Interpolated => {
  const substitutions: Array<Substitution> = []
  const wholeReferences: Array<Segments> = []
  const problems: Array<InterpolationProblem> = []

  const resolve = (name: string, fallback: string | undefined, segments: Segments): string | undefined => {
    const value = context.env[name]
    if (value !== undefined && !(fallback !== undefined && value === "")) {
      substitutions.push({ segments, variable: name, fromFile: false, value })
      return value
    }
    const file = context.env[`${name}_FILE`]
    if (file !== undefined && file !== "") {
      try {
        const content = context.readFile(file).replace(/[\r\n]+$/, "")
        substitutions.push({ segments, variable: name, fromFile: true, value: content })
        return content
      } catch (error) {
        const code = (error as { code?: unknown }).code
        problems.push({
          segments,
          reason: "SecretFile",
          message: `cannot read ${name}_FILE (${file}): ${typeof code === "string" ? code : "unreadable"}`
        })
        return undefined
      }
    }
    if (fallback !== undefined) return fallback
    problems.push({
      segments,
      reason: "Interpolation",
      message: `environment variable ${name} is not set (set ${name}, or ${name}_FILE to a file holding it, or write \${${name}:-default})`
    })
    return undefined
  }

  const expand = (text: string, segments: Segments): string => {
    if (!text.includes("$")) return text
    let out = ""
    let i = 0
    let references = 0
    while (i < text.length) {
      if (text.startsWith("$${", i)) {
        out += "${"
        i += 3
        continue
      }
      if (text.startsWith("${", i)) {
        const end = text.indexOf("}", i + 2)
        if (end < 0) {
          problems.push({
            segments,
            reason: "Interpolation",
            message: "unterminated `${` (write `$${` for a literal `${`)"
          })
          return text
        }
        const inner = text.slice(i + 2, end)
        const match = reference.exec(inner)
        if (match === null) {
          problems.push({
            segments,
            reason: "Interpolation",
            message: `invalid reference \`\${${inner}}\`: expected \${NAME} or \${NAME:-default} (write \`$\${\` for a literal \`\${\`)`
          })
          return text
        }
        references++
        out += resolve(match[1]!, match[2], segments) ?? ""
        i = end + 1
        continue
      }
      out += text[i]
      i++
    }
    if (
      references === 1 &&
      reference.test(text.slice(2, -1)) &&
      text.startsWith("${") &&
      text.endsWith("}")
    ) {
      wholeReferences.push(segments)
    }
    return out
  }

  const walk = (value: unknown, segments: Array<Segment>): unknown => {
    if (typeof value === "string") return expand(value, segments)
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...segments, index]))
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...segments, key])
      return out
    }
    return value
  }

  const value = walk(raw, [])
  return { value, substitutions, wholeReferences, problems }
}

/** Variable names that hold secrets by convention. */
export const secretLikeName = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|PRIVATE|API_?KEY|CREDENTIAL|AUTH)/i

/** Replaces every given value (4+ chars) in `text` by `<redacted>`: a last line of defence for messages. */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text
  for (const value of [...secrets].sort((a, b) => b.length - a.length)) {
    if (value.length >= 4) out = out.split(value).join("<redacted>")
  }
  return out
}
