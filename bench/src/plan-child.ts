/**
 * One measurement of the plan benchmark, in its own process (started by plan.ts): it does one job, then prints
 * one JSON line with its wall time (the job only, not Node's start-up and module loading) and its peak RSS
 * (`process.resourceUsage().maxRSS`, which covers the whole process life).
 *
 *   tsx src/plan-child.ts '{"job":"plan","source":"csv","n":100000,"dataDir":".data","groups":true}'
 */
import { csvFile, csvParseAlone, sqliteFile, sqliteReadAlone, type ChildJob, type ChildResult } from "./PlanFiles.ts"

type Outcome = { readonly rows: number; readonly detail?: Record<string, number> }

/** Load what the job needs first (module loading is not measured), then return the measured work. */
const prepare = async (job: ChildJob): Promise<() => Promise<Outcome>> => {
  switch (job.job) {
    case "csv-parse":
      return async () => ({ rows: await csvParseAlone(csvFile(job.dataDir, job.n)) })
    case "sqlite-read":
      return async () => ({ rows: sqliteReadAlone(sqliteFile(job.dataDir, job.n)) })
    case "pg-read": {
      const { pgReadAlone } = await import("./PlanPostgres.ts")
      const url = job.pgUrl ?? ""
      return async () => ({ rows: await pgReadAlone(url, job.n) })
    }
    case "plan":
    case "plan-initial":
    case "build-state":
    case "state-index": {
      const { Effect } = await import("effect")
      const jobs = await import("./PlanJobs.ts")
      const run =
        job.job === "plan"
          ? jobs.planOnce
          : job.job === "plan-initial"
            ? jobs.planInitial
            : job.job === "build-state"
              ? jobs.buildState
              : jobs.stateIndexOnly
      return () => Effect.runPromise(run(job))
    }
  }
}

const main = async () => {
  const described = JSON.parse(process.argv[2] ?? "{}") as ChildJob
  // the PostgreSQL server's URL comes in the environment (see PlanData.child)
  const pgUrl = process.env["PG_URL"]
  const job: ChildJob = described.source === "postgres" && pgUrl !== undefined ? { ...described, pgUrl } : described
  const work = await prepare(job)
  let maxHeap = 0
  const sample = () => {
    const m = process.memoryUsage()
    maxHeap = Math.max(maxHeap, m.heapUsed + m.external + m.arrayBuffers)
  }
  const sampler = setInterval(sample, 50)
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const { rows, detail } = await work()
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  clearInterval(sampler)
  sample()
  const result: ChildResult = {
    job: job.job,
    source: job.source,
    n: job.n,
    groups: job.groups,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    maxHeapMiB: Math.round(maxHeap / 2 ** 20),
    rows,
    ...(detail ? { detail } : {})
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

await main()
