import { project } from "@anysource/vitest-config"

// --expose-gc: the 1,000,000-row tests force a GC at checkpoints to measure what the stream retains.
export default project({ test: { execArgv: ["--expose-gc"] } })
