import type { UserConfig } from "vitest/config"
export declare const project: (overrides?: UserConfig) => UserConfig
