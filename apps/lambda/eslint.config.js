import { appConfig } from "@anysource/eslint-config"

export default appConfig
