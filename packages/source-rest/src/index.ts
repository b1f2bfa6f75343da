/**
 * @anysource/source-rest: people from any paginated JSON HTTP API (see README.md).
 * Register `RestSource` in the apps' source registry; `RestSourceConfig` is its zod config schema.
 */
export { RestSourceConfig } from "./RestConfig.ts"
export { makeRestSource, RestSource, type RestSourceHandle, type Stats } from "./RestSource.ts"
export * as Preset from "./Preset.ts"
export { findPreset, presetIds, presets } from "./presets/index.ts"
