import { library } from "@anysource/tsup-config"

export default library({ entry: { "index": "src/index.ts" } })
