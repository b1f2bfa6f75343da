import { project } from "@anysource/vitest-config"

// The suite spawns the built CLI and runs emulators; on a 2-core machine one file at a time is faster overall.
export default project({ test: { fileParallelism: false, testTimeout: 120_000 } })
