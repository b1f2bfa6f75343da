export * as SqliteStateStore from "./SqliteStateStore.ts"
