import { library } from "@anysource/tsup-config"

// The CLI bundles the workspace packages (their in-repo exports point at TypeScript sources);
// native and heavy third-party modules stay external and are installed as dependencies.
export default library({
  entry: { index: "src/index.ts", bin: "src/bin.ts" },
  noExternal: [/^@anysource\//],
  dts: { entry: { index: "src/index.ts" } }
})
