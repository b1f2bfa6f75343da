export * from "../OpenApi.ts"
export { specFiles, specPath, type SpecName } from "../Spec.ts"
