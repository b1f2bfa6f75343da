export * from "./OpenApi.ts"
