/**
 * What verification costs: requests, time and the share of Okta's rate limit it takes, for N changed records.
 *
 *   pnpm --filter @anysource/bench verify                          # N = 1,000, 10,000, 100,000
 *   pnpm --filter @anysource/bench verify -- --n 1000,10000 --json
 *   pnpm --filter @anysource/bench verify -- --all-up-to 10000     # 100% read-back only up to 10,000
 *
 * For each N: an initial load of N people (users, one group per department, their memberships) applied with
 * `Sync.runWithReport` against the emulator with Okta's default rate limit for these endpoints (600 requests a
 * minute), with verification after the apply, once with the defaults (`sample: 100`, `maxRequests: 1000`,
 * `rateLimitShare: 50`) and once reading everything back (`sample: 100%`, no budget). Time is virtual (the
 * emulator's manual clock): pauses for rate-limit headroom jump it, so "wall time" is what a real org would
 * impose, plus loopback round trips measured apart.
 *
 * The rate-limit share is measured from the emulator's request log: the most requests the verification sent in
 * any one 60-second window, against the window's limit.
 */
import { writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { Effect } from "effect"
import { employees } from "./Dataset.ts"
import * as H from "./Harness.ts"

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    n: { type: "string", default: "1000,10000,100000" },
    limit: { type: "string", default: "600" },
    // reading 100% back is one request per record: at 100,000 that is ~30 minutes of loopback on a small machine
    "all-up-to": { type: "string", default: "100000" },
    json: { type: "boolean", default: false }
  }
})
const sizes = values.n.split(",").map((s) => Number(s.replace(/_/g, "")))
const limit = Number(values.limit)
const allUpTo = Number(values["all-up-to"].replace(/_/g, ""))
const WINDOW = 60_000
const log = (message: string) => process.stderr.write(`${message}\n`)

interface Row {
  readonly n: number
  readonly setting: string
  readonly changed: number
  readonly checked: number
  readonly verified: number
  readonly requests: number
  readonly applyRequests: number
  readonly maxPerWindow: number
  readonly virtualMs: number
  readonly pausedMs: number
  readonly realMs: number
  readonly stopped: string
}

const settings = [
  { label: "defaults (sample 100, maxRequests 1000)", verify: {} },
  { label: "everything (sample 100%)", verify: { sample: "100%", maxRequests: 10_000_000 } }
] as const

const rows: Array<Row> = []
for (const n of sizes) {
  const people = [...employees(n)]
  for (const setting of settings.filter((x) => !("sample" in x.verify) || n <= allUpTo)) {
    const dir = H.tempDir("verify")
    const org = await H.startOrg({ processingDelayMs: 30_000, rateLimit: { limit, windowMs: WINDOW }, requestLog: true })
    try {
      writeFileSync(join(dir.path, "people.csv"), H.csvOf(people))
      const loaded = await H.loadConfig(
        H.employeeConfig({ path: "people.csv", baseDir: dir.path, groups: true, extra: { verify: { after: "apply", ...setting.verify } } }, org.emu.url),
        dir.path
      )
      log(`n=${n.toLocaleString("en-US")}, ${setting.label}: initial load with verification`)
      let verifyStartedAt: number | undefined
      let verifyFromRequest = 0
      let realStarted = 0
      const { report, error } = await H.runSync({
        org,
        loaded,
        statePath: join(dir.path, "state.db"),
        onEvent: (event) =>
          Effect.sync(() => {
            if (event._tag === "ReadBack" && event.event._tag === "ReadBackStarted" && verifyStartedAt === undefined) {
              verifyStartedAt = org.clock.now()
              verifyFromRequest = org.emu.requests.length
              realStarted = performance.now()
            }
          })
      })
      const realMs = performance.now() - realStarted
      if (error._tag === "Some") throw new Error(`n=${n}: the run failed: ${report.error?.message}`)
      const v = report.verification
      if (v === undefined) throw new Error(`n=${n}: no verification in the report`)
      const reads = org.emu.requests.slice(verifyFromRequest).filter((r) => r.method === "GET")
      const perWindow = new Map<number, number>()
      for (const r of reads) {
        const w = Math.floor(Date.parse(r.at) / WINDOW)
        perWindow.set(w, (perWindow.get(w) ?? 0) + 1)
      }
      rows.push({
        n,
        setting: setting.label,
        changed: v.changed,
        checked: v.checked,
        verified: v.verified,
        requests: v.requests,
        applyRequests: report.okta.requests - v.requests,
        maxPerWindow: Math.max(0, ...perWindow.values()),
        virtualMs: verifyStartedAt === undefined ? 0 : v.durationMs,
        pausedMs: v.pausedMillis,
        realMs,
        stopped: v.stopped ?? "-"
      })
    } finally {
      await org.close()
      dir.remove()
    }
  }
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US")
const duration = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`)
if (values.json) process.stdout.write(`${JSON.stringify({ limit, windowMs: WINDOW, rows }, null, 2)}\n`)
else {
  const lines = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; emulator limit ${limit} requests / ${WINDOW / 1000} s`,
    "",
    `| changed records | verification | records read | verified | requests | apply's own requests | most requests in one window | share of the window | time (emulator clock) | of it paused for headroom | real time (loopback) | stopped |`,
    `| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |`,
    ...rows.map(
      (r) =>
        `| ${fmt(r.changed)} | ${r.setting} | ${fmt(r.checked)} | ${fmt(r.verified)} | ${fmt(r.requests)} | ${fmt(r.applyRequests)} | ${fmt(r.maxPerWindow)} | ${((r.maxPerWindow / limit) * 100).toFixed(0)}% | ${duration(r.virtualMs)} | ${duration(r.pausedMs)} | ${duration(r.realMs)} | ${r.stopped} |`
    )
  ]
  process.stdout.write(`${lines.join("\n")}\n`)
}
