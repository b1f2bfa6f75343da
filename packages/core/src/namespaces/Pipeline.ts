/** The `Pipeline` namespace of the public API: planning one run from the pipeline config (`plan/Planner.ts`). */
export { fromConfig as plan, type FromConfigOptions as PlanOptions } from "../plan/Planner.ts"
