export * as Corpus from "./Corpus.ts"
export * as Scenario from "./Scenario.ts"
export * as Secrets from "./Secrets.ts"
export * as Standalone from "./Standalone.ts"
