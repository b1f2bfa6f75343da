// pnpm --filter @anysource/bench generate -- --n 100000 --out .data/people.csv [--seed 42] [--updates 0.01 --leavers 0.005 --joiners 0.005]
import { createWriteStream } from "node:fs"
import { mkdir } from "node:fs/promises"
import { dirname } from "node:path"
import { parseArgs } from "node:util"
import { csvHeader, csvLine, employees, withChanges } from "./Dataset.ts"

const { values } = parseArgs({
  // `pnpm --filter @anysource/bench <script> -- --n 10` passes the "--" through
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    n: { type: "string", default: "1000" },
    out: { type: "string", default: ".data/people.csv" },
    seed: { type: "string", default: "42" },
    updates: { type: "string", default: "0" },
    leavers: { type: "string", default: "0" },
    joiners: { type: "string", default: "0" }
  }
})
const n = Number(values.n)
await mkdir(dirname(values.out), { recursive: true })
const out = createWriteStream(values.out)
const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r())))
await write(csvHeader())
const spec = { updates: Number(values.updates), leavers: Number(values.leavers), joiners: Number(values.joiners) }
const rows = spec.updates || spec.leavers || spec.joiners ? withChanges(employees(n, Number(values.seed)), n, spec) : employees(n, Number(values.seed))
for (const e of rows) await write(csvLine(e))
await new Promise<void>((r) => out.end(() => r()))
console.log(`wrote ${values.out}`)
