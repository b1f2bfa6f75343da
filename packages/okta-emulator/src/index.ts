export {
  DEFAULT_API_TOKEN,
  DEFAULT_IDENTITY_SOURCE_ID,
  startEmulator,
  type EmulatorOptions,
  type Exchange,
  type OAuthClientConfig,
  type RequestLogEntry,
  type RunningEmulator,
  type TokenConfig
} from "./Emulator.ts"
export { ManualClock, scaledClock, systemClock, type EmulatorClock } from "./Clock.ts"
export type { Fault, FaultInjector, FaultKind } from "./Faults.ts"
export type {
  EmulatedGroup,
  EmulatedUser,
  ImportResult,
  SessionStatus,
  SessionView,
  StagedCounts,
  UserStatus
} from "./Directory.ts"
export { specFiles, specPath, type SpecName } from "./Spec.ts"
export type { ResponsesMode } from "./OpenApi.ts"
