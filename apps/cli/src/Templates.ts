/**
 * `anysource init`: commented starter configs, one per source type. The common part (Okta,
 * mapping, filter, groups, schema, safeguards, state) is the same for every source.
 */
export const sourceTypes = ["file", "sql", "sftp", "google-sheets", "rest"] as const
export type SourceType = (typeof sourceTypes)[number]

export interface StarterOptions {
  readonly source: SourceType
  /** `embedded` (local emulator) or https://your-org.okta.com */
  readonly orgUrl: string
  readonly identitySourceId: string
}

const sourceBlocks: Record<SourceType, string> = {
  file: `source:
  type: file
  # A CSV, NDJSON or JSON file, relative to this config. See \`anysource sources file\` for every setting
  # (format, delimiter, encoding, globs picking the newest file).
  path: people.csv`,
  sql: `source:
  type: sql
  # PostgreSQL, MySQL/MariaDB or SQLite. The query runs read-only. See \`anysource sources sql\`.
  dialect: postgres                 # postgres | mysql | sqlite
  url: \${HR_DATABASE_URL}          # never paste credentials here: an env var, or HR_DATABASE_URL_FILE
  query: |
    SELECT employee_id, first_name, last_name, email, department, title, manager_id, status
    FROM employees
  keyColumn: employee_id            # stable order; rows are located as employee_id=E1042`,
  sftp: `source:
  type: sftp
  # A file dropped on an SFTP server. See \`anysource sources sftp\` for readiness rules and archiving.
  host: sftp.example.com
  username: okta-sync
  privateKey: \${SFTP_KEY}          # or SFTP_KEY_FILE=/run/secrets/sftp_key
  # The server's host key, verified on every connection: a known_hosts file next to this config
  # (ssh-keyscan sftp.example.com > known_hosts, then check it), or hostKey: { fingerprint: "SHA256:…" }.
  hostKey: { knownHosts: known_hosts }
  path: outbound/people-*.csv       # relative to the login directory; the newest match is read
  pick: newest
  ready: { marker: "{name}.done" }  # only read a file once the HR system wrote people-….csv.done`,
  "google-sheets": `source:
  type: google-sheets
  # One tab of a spreadsheet shared with the service account. See \`anysource sources google-sheets\`.
  spreadsheetId: your-spreadsheet-id
  sheet: Employees                  # the first row is the header
  auth:
    type: serviceAccount
    key: \${GOOGLE_SA_KEY}          # the key JSON, or GOOGLE_SA_KEY_FILE=/run/secrets/sa.json`,
  rest: `source:
  type: rest
  # Any paginated JSON API. See \`anysource sources rest\` for pagination and auth options.
  baseUrl: https://hr.example.com/api/v1
  path: /employees
  records: $.data[*]                # where the records are in each page (JSONPath or JSON Pointer)
  auth:
    type: bearer
    token: \${HR_API_TOKEN}
  pagination:
    type: cursor
    cursorPath: $.next_cursor
    cursorParam: cursor`
}

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

${sourceBlocks[o.source]}

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
