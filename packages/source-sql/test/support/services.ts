/**
 * Integration tests read the servers started by `scripts/services-up.sh` (PG_URL, MYSQL_URL, PG_TLS_CA,
 * MYSQL_TLS_CA). A missing variable fails the test (in CI and locally alike): run
 * `source scripts/services-up.sh` at the repository root first.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect, Stream } from "effect"

const repoRoot = Path.resolve(import.meta.dirname, "../../../..")

export const requireEnv = (name: "PG_URL" | "MYSQL_URL"): string => {
  const value = process.env[name]
  if (value === undefined || value.length === 0) {
    throw new Error(
      `${name} is not set (CI=${process.env["CI"] ?? "unset"}): these tests need the real servers; run \`source scripts/services-up.sh\` at the repository root, then the tests`
    )
  }
  return value
}

/**
 * The CA that signed the test servers' certificate: from the environment, else from the latest services-up run
 * (turbo passes only PG_URL/MYSQL_URL/SFTP_* through to tasks).
 */
export const tlsCaFile = (name: "PG_TLS_CA" | "MYSQL_TLS_CA"): string => {
  const fromEnv = process.env[name]
  if (fromEnv !== undefined && Fs.existsSync(fromEnv)) return fromEnv
  const latest = Path.join(repoRoot, ".anysource/services/latest")
  const state = Fs.existsSync(latest) ? Fs.readFileSync(latest, "utf8").trim() : undefined
  const candidate = state === undefined ? undefined : Path.join(state, "tls/ca.pem")
  if (candidate !== undefined && Fs.existsSync(candidate)) return candidate
  throw new Error(`${name} is not set and no services-up run is recorded: run \`source scripts/services-up.sh\` first`)
}

export interface MemoryReport {
  readonly rows: number
  readonly seconds: number
  /** RSS before the stream started. */
  readonly baselineMb: number
  /** Highest RSS seen while streaming (sampled every 25 ms and every 10,000 rows), and its growth over the baseline. */
  readonly peakMb: number
  readonly growthMb: number
  /** Most heap still in use after a forced full GC at every 250,000 rows, over the baseline: what the stream retains. */
  readonly retainedMb: number
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10

/**
 * Drain `stream` and measure memory: the natural peak RSS (GC left alone between checkpoints) and the heap retained
 * at checkpoints (after `gc()`, so garbage waiting for collection does not count). Needs `node --expose-gc`.
 */
export const drainMeasuringRss = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<MemoryReport, E> =>
  Effect.gen(function* () {
    const gc = (globalThis as { gc?: () => void }).gc
    if (gc === undefined) return yield* Effect.die(new Error("run the tests with node --expose-gc (see vitest.config.ts)"))
    gc()
    const baseline = process.memoryUsage.rss()
    const baselineHeap = process.memoryUsage().heapUsed
    let peak = baseline
    let retained = 0
    const sample = () => {
      const now = process.memoryUsage.rss()
      if (now > peak) peak = now
    }
    const timer = setInterval(sample, 25)
    const started = Date.now()
    let rows = 0
    yield* Stream.runForEachChunk(stream, (chunk) =>
      Effect.sync(() => {
        for (let i = 0; i < chunk.length; i++) {
          rows++
          if (rows % 10_000 === 0) sample()
          if (rows % 250_000 === 0) {
            sample()
            gc()
            retained = Math.max(retained, process.memoryUsage().heapUsed - baselineHeap)
          }
        }
      })
    ).pipe(Effect.ensuring(Effect.sync(() => clearInterval(timer))))
    sample()
    return {
      rows,
      seconds: (Date.now() - started) / 1000,
      baselineMb: mb(baseline),
      peakMb: mb(peak),
      growthMb: mb(peak - baseline),
      retainedMb: mb(retained)
    }
  })
