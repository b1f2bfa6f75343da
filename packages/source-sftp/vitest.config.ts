import { project } from "@anysource/vitest-config"

// --expose-gc: the 200 MB streaming test forces a GC at checkpoints to measure what the stream retains.
export default project({ test: { execArgv: ["--expose-gc"] } })
