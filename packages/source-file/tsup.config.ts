import { library } from "@anysource/tsup-config"

// decode-worker.js: the worker-thread entry that Formats.decode starts beside index.js (internal/workerRows.ts)
export default library({
  entry: { index: "src/index.ts", "decode-worker": "src/internal/decodeWorker.ts" },
  dts: { entry: { index: "src/index.ts" } }
})
