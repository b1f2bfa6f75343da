import { library } from "@anysource/tsup-config"

// ONE file for Lambda: every dependency is bundled (pg is pure JavaScript; its optional native binding
// `pg-native` is never loaded). The banner gives bundled CommonJS modules a `require`.
export default library({
  entry: { handler: "src/handler.ts" },
  outExtension: () => ({ js: ".mjs" }),
  noExternal: [/.*/],
  external: ["pg-native"],
  dts: false,
  sourcemap: true,
  banner: { js: 'import { createRequire as __anysourceCreateRequire } from "node:module"; const require = __anysourceCreateRequire(import.meta.url);' }
})
