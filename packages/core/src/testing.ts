/**
 * `@anysource/core/testing`: what adapter and app tests share.
 * - `SourceConformance.run({ definition, validConfig, invalidConfigs, ... })`: the battery every source adapter runs.
 * - `TestSource.fromRows(rows)`: an in-memory source (a `SourceDefinition`) that counts what it does.
 * Needs `vitest` (an optional peer dependency of @anysource/core).
 */
export * as SourceConformance from "./testing/SourceConformance.ts"
export * as TestSource from "./testing/TestSource.ts"
export * as StateStoreConformance from "./state/StateStoreConformance.ts"
