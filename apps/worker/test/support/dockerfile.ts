/**
 * A small Dockerfile reader for the image test: instructions (continuations joined, comments
 * dropped), stages, and the exec-form JSON of CMD / HEALTHCHECK CMD.
 */
export interface Instruction {
  readonly keyword: string
  readonly args: string
  readonly line: number
}

export interface Stage {
  readonly name: string | undefined
  readonly from: string
  readonly instructions: ReadonlyArray<Instruction>
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  readonly globalArgs: Readonly<Record<string, string | undefined>>
  readonly stages: ReadonlyArray<Stage>
}

export const parseDockerfile = (text: string): Dockerfile => {
  const instructions: Array<Instruction> = []
  let pending = ""
  let start = 0
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trimEnd()
    if (pending === "" && (line.trim() === "" || line.trim().startsWith("#"))) return
    if (pending !== "" && line.trim().startsWith("#")) return // comment lines inside a continuation
    if (pending === "") start = index + 1
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `
      return
    }
    const full = `${pending}${line.trim()}`.trim()
    pending = ""
    const m = /^(\S+)\s*(.*)$/s.exec(full)!
    instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: start })
  })
  const globalArgs: Record<string, string | undefined> = {}
  const stages: Array<{ name: string | undefined; from: string; instructions: Array<Instruction> }> = []
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!
      stages.push({ from: m[1]!, name: m[2], instructions: [] })
    } else if (stages.length === 0) {
      if (ins.keyword === "ARG") {
        const [name, ...value] = ins.args.split("=")
        globalArgs[name!.trim()] = value.length > 0 ? value.join("=").trim() : undefined
      }
    } else stages.at(-1)!.instructions.push(ins)
  }
  return { globalArgs, stages }
}

/** `["node", "dist/main.mjs"]` → the array; throws for the shell form. */
export const execForm = (args: string): Array<string> => {
  const parsed: unknown = JSON.parse(args)
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) throw new Error(`not an exec-form array: ${args}`)
  return parsed
}

/** `KEY=value KEY2="v w"` (ENV) → record. */
export const envPairs = (args: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) out[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!
  return out
}

export const stage = (file: Dockerfile, name: string): Stage => {
  const found = file.stages.find((s) => s.name === name)
  if (!found) throw new Error(`no stage ${name}`)
  return found
}
