/**
 * @anysource/source-example: the copy-me source adapter (see README.md and CONTRIBUTING.md).
 * Export the definition (registered in apps/cli/src/Sources.ts) and its config schema.
 */
export { ExampleConfig, ExampleSource } from "./ExampleSource.ts"
