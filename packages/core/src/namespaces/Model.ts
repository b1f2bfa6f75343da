/**
 * The `Model` namespace of the public API: the identity model (`domain/Model.ts`) and Okta's limits, which
 * live with the Okta protocol (`okta/Limits.ts`) but were first published here.
 */
export * from "../domain/Model.ts"
export { OktaLimits, baseUserAttributes } from "../okta/Limits.ts"
