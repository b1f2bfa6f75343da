import { project } from "@anysource/vitest-config"

export default project({
  test: {
    globalSetup: ["test/support/globalSetup.ts"],
    // the integration tests start real worker processes; keep them from competing for the 2 cores
    fileParallelism: false
  }
})
