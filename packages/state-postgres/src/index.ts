export * as PostgresStateStore from "./PostgresStateStore.ts"
