export * as Formats from "./Formats.ts"
export { FileSource, FileSourceConfig } from "./FileSource.ts"
