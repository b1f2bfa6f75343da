import { defineConfig } from "tsup"

/**
 * One self-contained file, `dist/main.mjs`: every JavaScript dependency is bundled in; only native
 * addons (and optional native accelerators that their packages load in try/catch) stay external.
 * The Dockerfile's final stage copies this file plus the external packages that exist
 * (`better-sqlite3`), nothing else — keep `external` and the Dockerfile in step
 * (test/Dockerfile.int.test.ts checks it).
 */
export const external = [
  "better-sqlite3", // native (SQLite state, sql source): copied into the image
  "pg-native", // optional in pg, never installed
  "cpu-features", // optional in ssh2
  "bufferutil", // optional in ws
  "utf-8-validate", // optional in ws
  "msgpackr-extract", // optional in msgpackr
  "@parcel/watcher" // optional in @effect/platform-node's file watcher
]

export default defineConfig({
  entry: { main: "src/main.ts" },
  format: ["esm"],
  outExtension: () => ({ js: ".mjs" }),
  target: "node20",
  platform: "node",
  dts: false,
  sourcemap: true,
  clean: true,
  splitting: false,
  noExternal: [/.*/],
  external,
  banner: {
    js: 'import { createRequire as __anysourceCreateRequire } from "node:module"; const require = __anysourceCreateRequire(import.meta.url);'
  }
})
