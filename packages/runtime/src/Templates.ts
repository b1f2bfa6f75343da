/**
 * `anysource init`'s starter configs, made from the registry: the adapter's commented `source:` block (its
 * `docs.example`) inside a common part (Okta, mapping, filter, groups, schema, safeguards, state) that is the same
 * for every source. The test loads every adapter's starter config as a valid pipeline config.
 */
import type { Source } from "@anysource/core"

export interface StarterOptions {
  /** The commented `source:` block (see `sourceBlock`). */
  readonly sourceBlock: string
  /** `embedded` (local emulator) or https://your-org.okta.com */
  readonly orgUrl: string
  readonly identitySourceId: string
}

/** An adapter's block for the starter config: its `docs.example`, or a minimal `type:` line pointing at its settings. */
export const sourceBlock = (definition: Source.SourceDefinition): string =>
  definition.docs?.example ??
  `source:
  type: ${definition.id}
  # ${definition.displayName}: \`anysource sources ${definition.id}\` lists every setting.`

const oktaBlock = (o: StarterOptions): string =>
  o.orgUrl === "embedded"
    ? `okta:
  # \`embedded\` runs a local Okta emulator inside the CLI (data in .anysource/emulator.json), so you
  # can try everything offline. For a real org: orgUrl: https://your-org.okta.com, plus auth below.
  orgUrl: embedded
  identitySourceId: ${o.identitySourceId}
  # auth:
  #   type: ssws
  #   token: \${OKTA_API_TOKEN}`
    : `okta:
  orgUrl: ${o.orgUrl}
  # The Custom Identity Source app's id (Applications → your identity source → General → App ID).
  identitySourceId: ${o.identitySourceId}
  auth:
    # An API token (SSWS) read from the environment, or an OAuth service app with private_key_jwt:
    #   type: oauth, clientId: 0oa..., privateKey: \${OKTA_PRIVATE_KEY}, keyId: ...
    # with the scopes okta.identitySources.manage and okta.identitySources.read granted.
    type: ssws
    token: \${OKTA_API_TOKEN}`

/** The whole starter config as commented YAML. */
export const starterConfig = (o: StarterOptions): string => `# anysource pipeline config. Docs: \`anysource --help\`.
# Editor autocompletion: \`anysource schema --out anysource.schema.json\`, then put
# "# yaml-language-server: $schema=./anysource.schema.json" at the top of this file.
version: 1

${oktaBlock(o)}

${o.sourceBlock}

# How a source row becomes an Okta user. A plain column name copies the column; anything else is a
# JSONata expression (e.g. "first_name & ' ' & last_name"). externalId is the immutable HR key.
mapping:
  externalId: employee_id
  profile:
    userName: email
    email: email
    firstName: first_name
    lastName: last_name
    title: title
    department: department
    managerId: manager_id

# Rows a rule excludes are counted in the plan; a person excluded after being synced is deactivated.
filter:
  - name: terminated
    include: "status != 'terminated'"

# One Okta group per department, with its members.
groups:
  - name: departments
    externalId: "'dept-' & $lowercase($replace(department, ' ', '-'))"
    displayName: "department & ' (from HR)'"

# Attributes beyond Okta's base ones must also be declared on the Custom Identity Source's profile.
schema:
  users:
    attributes:
      title: { maxLength: 100 }
      department: { maxLength: 100 }
      managerId: { maxLength: 20 }

# Circuit breakers: a run that would deactivate more than this stops before calling Okta
# (override once with --allow-deletes after reviewing \`anysource plan --detail\`).
safeguards:
  users:
    maxDeactivations: 50
    maxDeactivationPercent: 10
    minRecordsPercent: 50       # a source with fewer than half the known people is treated as truncated

state:
  type: sqlite
  path: .anysource/state.db
`
