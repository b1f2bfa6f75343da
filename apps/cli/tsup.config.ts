import { cpSync } from "node:fs"
import { library } from "@anysource/tsup-config"

// The CLI ships as one bundle: the workspace packages (their in-repo exports point at TypeScript
// sources) and every pure-JS dependency are bundled, which also halves start-up time (far fewer
// modules to resolve). Only the native better-sqlite3 and jiti (it loads its own files lazily, for
// anysource.config.ts) stay external; they are the CLI's runtime dependencies (test/Packaging.test.ts).
// The banner gives bundled CommonJS modules a `require`. bin.js and index.js share one chunk.
export const external = ["better-sqlite3", "jiti", "ssh2"]

export default library({
  // decode-worker.js: source-file parses large files in a worker thread, started from beside the bundle
  entry: { index: "src/index.ts", bin: "src/bin.ts", "decode-worker": "../../packages/source-file/src/internal/decodeWorker.ts" },
  noExternal: [new RegExp(`^(?!(${external.join("|")})(/|$))`)],
  external,
  splitting: true,
  // the bundle is 3.7 MB; its source map would be 13 MB in the published package
  sourcemap: false,
  banner: { js: 'import { createRequire as __anysourceCreateRequire } from "node:module"; const require = __anysourceCreateRequire(import.meta.url);' },
  dts: { entry: { index: "src/index.ts" } },
  // spec/: the OpenAPI files the bundled emulator validates against in strict mode (`anysource emulator --strict`);
  // its specPath() looks for them beside the bundle, as the published emulator keeps them beside its dist/
  onSuccess: async () => cpSync("../../packages/okta-emulator/spec", "dist/spec", { recursive: true })
})
