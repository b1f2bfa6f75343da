import { library } from "@anysource/tsup-config"
import { registry } from "../../packages/runtime/src/Sources.ts"

/**
 * Source adapters the Lambda does not offer (not pure JavaScript, see Runtime.sources) stay out of the bundle: the
 * registry's import of them is left as it is and never runs. Computed from the registry, so adding a source needs no
 * change here.
 */
export const leftOut = registry.entries.filter((entry) => !entry.pureJs).map((entry) => entry.packageName)

/**
 * Also left out: the SQLite state store (its native better-sqlite3; a Lambda refuses file-backed state before any
 * store is opened) and pg's optional native binding `pg-native`, which it never loads.
 */
export const external = [...leftOut, "@anysource/state-sqlite", "pg-native"]

// ONE file for Lambda: every other dependency is bundled (pg is pure JavaScript). The banner gives bundled CommonJS
// modules a `require`.
export default library({
  entry: { handler: "src/handler.ts" },
  outExtension: () => ({ js: ".mjs" }),
  noExternal: [new RegExp(`^(?!(${external.map((e) => e.replace(/[/]/g, "\\/")).join("|")})(/|$))`)],
  external,
  dts: false,
  sourcemap: true,
  banner: { js: 'import { createRequire as __anysourceCreateRequire } from "node:module"; const require = __anysourceCreateRequire(import.meta.url);' }
})
