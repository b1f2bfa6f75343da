import { project } from "@anysource/vitest-config"

export default project()
