import { library } from "@anysource/tsup-config"

// The CLI bundles the workspace packages (their in-repo exports point at TypeScript sources) and the
// third-party modules only they use; effect, @effect/*, zod, cli-progress and the native
// better-sqlite3 stay external and are installed as the CLI's dependencies. The banner gives bundled
// CommonJS modules a `require`. bin.js and index.js share one chunk.
export default library({
  entry: { index: "src/index.ts", bin: "src/bin.ts" },
  noExternal: [/^@anysource\//],
  splitting: true,
  banner: { js: 'import { createRequire as __anysourceCreateRequire } from "node:module"; const require = __anysourceCreateRequire(import.meta.url);' },
  dts: { entry: { index: "src/index.ts" } }
})
