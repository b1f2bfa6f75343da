/**
 * The names `@anysource/core` and `@anysource/core/testing` export, listed by hand: moving a module between
 * folders (or splitting one) must not drop or rename anything adapters, stores and apps import. A name added
 * on purpose is added here in the same change.
 */
import { describe, expect, it } from "vitest"

const publicNames = {
  ApplyError: "class",
  Batching: ["defaultLimits", "kindOrder", "minimumUploads", "pack", "uploads"],
  Config: [
    "AttributeSpec",
    "FilterConfig",
    "FilterRule",
    "GroupRule",
    "GroupSafeguards",
    "MappingConfig",
    "MembershipSafeguards",
    "OktaAuthConfig",
    "OktaConfig",
    "PipelineConfig",
    "SafeguardsConfig",
    "SampleSize",
    "SchemaConfig",
    "SetupConfig",
    "SourceConfig",
    "StateConfig",
    "UserSafeguards",
    "ValueExpr",
    "VerifyConfig",
    "defineConfig",
    "secret"
  ],
  ConfigError: "class",
  Conformance: [
    "cleanup",
    "describeObservation",
    "diff",
    "diffShapes",
    "externalIdPrefix",
    "externalIdsIn",
    "knownDifferences",
    "refusal",
    "renderShape",
    "run",
    "shapeOf"
  ],
  ConfigLoader: ["defaultFileNames", "load", "parse"],
  Errors: [
    "ApplyError",
    "ConfigError",
    "OktaApiError",
    "PlanDriftError",
    "SafeguardTripped",
    "SourceError",
    "StateError",
    "ValidationError"
  ],
  Expr: ["EvalError", "compile", "compileExpression", "isColumnName", "isEvalError", "loadJsonata"],
  Filter: ["apply", "compile", "defaultRuleName", "none"],
  Hash: ["MultisetDigest", "profileHash", "sha256", "stableHash", "stableJsonText", "stableStringify"],
  JsonSchema: ["jsonSchema"],
  Mapping: ["compile", "describeValue", "externalId", "groups", "isProfile", "profile"],
  Model: ["OktaLimits", "baseUserAttributes"],
  Normalize: [
    "Failure",
    "defaultEmailAttributes",
    "groupOptions",
    "idOptions",
    "isFailure",
    "numberToString",
    "profile",
    "string",
    "userOptions",
    "value"
  ],
  OktaApiError: "class",
  ProfileApi: [
    "MappingProperty",
    "ProfileMapping",
    "ProfileMappingList",
    "ProfileMappingSummary",
    "ProfileScopes",
    "SchemaAttribute",
    "UserSchema",
    "schemaUpdate"
  ],
  SchemaGuard: ["check", "missing", "missingError"],
  Setup: ["apply", "displayName", "errorsOf", "plan", "readOrg"],
  SetupPlan: ["SavedPlan", "appuserAttribute", "changeKinds", "declaredAttribute", "isEmpty", "plan"],
  OktaAuth: [
    "accessTokenHash",
    "clientAssertion",
    "defaultScopes",
    "dpopProof",
    "generateDpopKey",
    "htu",
    "importSigningKey",
    "make",
    "tokenUrl"
  ],
  OktaClient: [
    "OktaClient",
    "defaultUserAgent",
    "isOktaApiError",
    "layer",
    "layerConfig",
    "layerWithHttp",
    "make",
    "makeUploadBudget",
    "nextCursor"
  ],
  Orchestrator: ["apply", "resumePending"],
  Pipeline: ["plan"],
  Plan: ["isEmpty"],
  PlanDriftError: "class",
  PlanFile: ["read"],
  ProfileCompare: ["normalizeReadProfile", "profileDifferences", "profilesEqual"],
  PlanJson: ["PlanSchema", "explain", "explainFields", "hash", "parse", "stringify"],
  Planner: ["committedChanges", "compile", "diffProfiles", "fromConfig", "issueLimit", "plan"],
  RateLimit: [
    "baseWaitMillis",
    "defaultWaitPolicy",
    "makeLimiter",
    "parseHeaders",
    "slowDownMillis",
    "waitAfter429"
  ],
  Retry: ["backoff", "currentRetryObserver", "defaultBackoff", "okta", "withRetryObserver"],
  RunReport: ["describeError", "emptyOktaUsage", "notStarted"],
  SafeguardTripped: "class",
  Safeguards: ["baselineOf", "check", "formatPercent", "violations"],
  Source: ["catalog", "defineSource", "errorFactory"],
  SourceError: "class",
  StateError: "class",
  StateStore: ["StateStore", "layerMemory", "makeMemory", "runOutcome"],
  Sync: ["newRunId", "run", "runWithReport"],
  Verify: ["check", "foundDifferences", "lastApplied", "optionsFrom", "recordLimit", "targetsOfPlan", "targetsOfRun", "verifyPlan", "verifyTargets"],
  Drift: ["check", "fix", "found", "scopes"],
  Refresh: ["commit", "membersCorrection", "observedProfile", "refreshPlan", "toChanges"],
  Sample: ["all", "describe", "fromSize", "parse", "pick", "sizeOf"],
  Reader: ["headroomWait", "make", "start"],
  ReadBack: ["counter", "silent"],
  Probe: ["guard", "isFirstRun", "probe", "spread"],
  StateRebuild: ["desiredPlan", "rebuildState"],
  Validate: ["groupFields", "make"],
  ValidationError: "class",
  defineConfig: "function",
  defineSource: "function"
} as const

const testingNames = {
  SourceConformance: [
    "checkCheck",
    "checkDefinition",
    "checkFailure",
    "checkInvalidConfigs",
    "checkLazy",
    "checkRead",
    "checkReleaseOnInterrupt",
    "checkReleaseOnTake",
    "checkValidConfig",
    "run"
  ],
  StateStoreConformance: ["stateStoreContract"],
  TestSource: ["TestSourceConfig", "fromRows", "fromSourceRows"]
} as const

type Shape = Record<string, "class" | "function" | ReadonlyArray<string>>

/** What a module exports, in the shape of the lists above: a namespace's member names, or the kind of value. */
const shapeOf = (module: Record<string, unknown>): Shape => {
  const out: Record<string, "class" | "function" | ReadonlyArray<string>> = {}
  for (const name of Object.keys(module).sort()) {
    const value = module[name]
    if (typeof value === "function")
      out[name] = /^class\b/.test(Function.prototype.toString.call(value)) ? "class" : "function"
    else if (typeof value === "object" && value !== null) out[name] = Object.keys(value).sort()
    else out[name] = typeof value as never
  }
  return out
}

describe("public API", () => {
  it("@anysource/core exports exactly the listed namespaces, members and classes", async () => {
    const module = (await import("../src/index.ts")) as Record<string, unknown>
    expect(shapeOf(module)).toEqual(publicNames)
  })

  it("@anysource/core/testing exports exactly the listed namespaces and members", async () => {
    const module = (await import("../src/testing.ts")) as Record<string, unknown>
    expect(shapeOf(module)).toEqual(testingNames)
  })

  it("the tagged errors exported by name are the Errors namespace's classes", async () => {
    const core = (await import("../src/index.ts")) as Record<string, unknown> & {
      Errors: Record<string, unknown>
    }
    for (const name of Object.keys(core.Errors)) expect(core[name]).toBe(core.Errors[name])
  })
})
