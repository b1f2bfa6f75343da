import { defineConfig } from "tsup"

/**
 * `dist/main.mjs` (and `dist/decode-worker.mjs`, the file decoder's worker thread): the workspace packages and
 * every pure-JS dependency are bundled in.
 * External: the native better-sqlite3 and jiti (it loads its own files lazily, for pipeline configs
 * written as anysource.config.ts) — the worker's runtime `dependencies`, which `pnpm deploy --prod`
 * puts next to the bundle in the image — and optional native accelerators that their packages load
 * in try/catch and that are never installed. test/Dockerfile.int.test.ts checks the bundle needs
 * nothing else.
 */
export const runtimeDependencies = ["better-sqlite3", "jiti"]
export const optionalNative = [
  "pg-native", // optional in pg, never installed
  "cpu-features", // optional in ssh2
  "bufferutil", // optional in ws
  "utf-8-validate", // optional in ws
  "msgpackr-extract", // optional in msgpackr
  "@parcel/watcher" // optional in @effect/platform-node's file watcher
]
export const external = [...runtimeDependencies, ...optionalNative]

export default defineConfig({
  // decode-worker.mjs: source-file parses large files in a worker thread started from beside the bundle (ADR 0007)
  entry: { main: "src/main.ts", "decode-worker": "../../packages/source-file/src/internal/decodeWorker.ts" },
  format: ["esm"],
  outExtension: () => ({ js: ".mjs" }),
  target: "node20",
  platform: "node",
  dts: false,
  sourcemap: false,
  clean: true,
  splitting: false,
  // keep `node:` imports as written (undici lazily loads `node:sqlite`, which has no unprefixed form)
  removeNodeProtocol: false,
  // __dirname / __filename for bundled CommonJS modules (ssh2 uses __dirname)
  shims: true,
  // bundle everything except the externals and compiled addons (`*.node`)
  noExternal: [new RegExp(`^(?!(${external.map((e) => e.replace(/[/]/g, "\\/")).join("|")})(/|$))(?!.*\\.node$)`)],
  // ssh2 loads its optional compiled crypto binding in try/catch (built only where allowed); bundled, the
  // relative path finds nothing and ssh2 uses its JavaScript implementation
  external: [...external, /sshcrypto\.node$/],
  banner: {
    js: 'import { createRequire as __anysourceCreateRequire } from "node:module"; const require = __anysourceCreateRequire(import.meta.url);'
  }
})
