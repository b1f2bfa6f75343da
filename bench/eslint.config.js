import { appConfig } from "@anysource/eslint-config"

// bench/ holds scripts (they print results and read their arguments), so the app rules apply.
export default appConfig
