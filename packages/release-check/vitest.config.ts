import { project } from "@anysource/vitest-config"

// One slow end-to-end file: it packs, publishes and installs every package (npm compiles better-sqlite3).
export default project({ test: { testTimeout: 600_000, hookTimeout: 600_000 } })
