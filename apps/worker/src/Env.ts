/**
 * The ONE module that reads `process.env`. Everything else takes a `WorkerEnv` as an argument, so
 * tests pass their own.
 */
import * as Os from "node:os"

export interface WorkerEnv {
  /** Every variable, for `${VAR}` interpolation (and `VAR_FILE` secrets) in worker.yaml and the pipeline configs. */
  readonly vars: Readonly<Record<string, string | undefined>>
  /** `ANYSOURCE_WORKER_CONFIG`: the worker file (default `worker.yaml` in the working directory). */
  readonly workerConfigPath: string
  /** `ANYSOURCE_CONFIGS`: extra pipeline configs, comma-separated files or directories. */
  readonly configs: ReadonlyArray<string>
  /** `ANYSOURCE_LOG_LEVEL`: overrides worker.yaml's `logLevel`. */
  readonly logLevel: string | undefined
  /** `ANYSOURCE_REPLICA_ID`, else `HOSTNAME` (the pod name on Kubernetes), else the host name: names this replica in logs and lock owners. */
  readonly replicaId: string
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim()

export const fromProcess = (): WorkerEnv => fromVars(process.env)

/** Build the environment from a plain variables object (tests). */
export const fromVars = (vars: Readonly<Record<string, string | undefined>>): WorkerEnv => ({
  vars,
  workerConfigPath: nonEmpty(vars.ANYSOURCE_WORKER_CONFIG) ?? "worker.yaml",
  configs: (nonEmpty(vars.ANYSOURCE_CONFIGS) ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0),
  logLevel: nonEmpty(vars.ANYSOURCE_LOG_LEVEL),
  replicaId: nonEmpty(vars.ANYSOURCE_REPLICA_ID) ?? nonEmpty(vars.HOSTNAME) ?? Os.hostname()
})
