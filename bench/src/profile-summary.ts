/**
 * Summarise a V8 `.cpuprofile` (from `node --cpu-prof`): self time per module and per function, so a slow plan
 * can be blamed on a precise module.
 *
 *   tsx src/profile-summary.ts .data/prof/CPU.*.cpuprofile [--top 25]
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const { values, positionals } = parseArgs({
  // `pnpm --filter @anysource/bench <script> -- --n 10` passes the "--" through
  args: process.argv.slice(2).filter((a) => a !== "--"), allowPositionals: true, options: { top: { type: "string", default: "25" } } })
const top = Number(values.top)

/** `…/packages/core/src/Planner.ts` → `core/src/Planner.ts`; node_modules → the package name. */
const moduleOf = (url: string): string => {
  if (url === "") return "(native / V8)"
  const nm = url.lastIndexOf("node_modules/")
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/")
    const pkg = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]
    return `${pkg} (${rest.slice(rest[0]?.startsWith("@") ? 2 : 1).join("/")})`
  }
  const m = /\/(packages|apps|bench)\/(.*)$/.exec(url)
  if (m) return `${m[1]}/${m[2]}`
  return url.replace(/^file:\/\//, "")
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  let total = 0
  const perModule = new Map<string, number>()
  const perFunction = new Map<string, number>()
  for (const [id, micros] of self) {
    const node = byId.get(id)!
    total += micros
    const mod = moduleOf(node.callFrame.url)
    const fn = `${node.callFrame.functionName || "(anonymous)"} ${mod}:${node.callFrame.lineNumber + 1}`
    perModule.set(mod, (perModule.get(mod) ?? 0) + micros)
    perFunction.set(fn, (perFunction.get(fn) ?? 0) + micros)
  }
  const show = (title: string, m: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`)
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}\n`)
  }
  process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n`)
  show("self time by module", perModule)
  show("self time by function", perFunction)
}
