import { packageConfig } from "@anysource/eslint-config"

export default packageConfig
