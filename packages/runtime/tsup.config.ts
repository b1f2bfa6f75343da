import { library } from "@anysource/tsup-config"

// The adapters and state stores stay external (they are dependencies): each is imported when a config uses it.
export default library({ entry: { index: "src/index.ts" } })
