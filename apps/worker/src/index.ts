/** The worker's modules, for tests and for embedding the worker in another Node program. */
export * as Env from "./Env.ts"
export * as Http from "./Http.ts"
export * as Metrics from "./Metrics.ts"
export * as Runner from "./Runner.ts"
export * as Schedule from "./Schedule.ts"
export * as Worker from "./Worker.ts"
export * as WorkerConfig from "./WorkerConfig.ts"
