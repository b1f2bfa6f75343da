import { project } from "@anysource/vitest-config"

export default project({
  test: {
    globalSetup: ["test/support/globalSetup.ts"],
    // the integration tests start real worker processes; keep them from competing for the 2 cores
    fileParallelism: false,
    // each test waits on real processes (start-up, a scheduled tick, an import): on a loaded 2-core machine a
    // worker can take well over 30 s to listen, so the waits are bounded by these rather than the 30 s default
    testTimeout: 120_000
  }
})
