import type { Plan, RunReport } from "@anysource/core"

const counts = (o: Partial<Plan.EntityCounts> = {}): Plan.EntityCounts => ({
  create: 0,
  update: 0,
  reactivate: 0,
  deactivate: 0,
  unchanged: 0,
  ...o
})

export const samplePlan = (overrides: Partial<Plan.Plan> = {}): Plan.Plan => ({
  version: 1,
  identitySourceId: "0oaqu1ckstart0000001",
  createdAt: "2026-11-28T10:00:00.000Z",
  inputs: { configHash: "c".repeat(64), stateHash: "s".repeat(64) },
  users: [
    {
      op: "create",
      externalId: "E1001",
      profile: { userName: "zoe.muller@example.com", email: "zoe.muller@example.com", firstName: "Zoë", lastName: "Müller", title: null },
      hash: "h1",
      location: "people.csv:2"
    },
    {
      op: "update",
      externalId: "E1002",
      profile: { userName: "ana@example.com", title: "Staff Engineer" },
      hash: "h2",
      location: "people.csv:3",
      fields: [
        { field: "title", before: "Senior Engineer", after: "Staff Engineer" },
        { field: "mobilePhone", before: "+1 555", after: null },
        { field: "department", after: "R&D" }
      ]
    },
    { op: "deactivate", externalId: "E1003", reason: "missing", lastSeen: "2026-11-27T10:00:00.000Z", lastLocation: "people.csv:4" },
    { op: "deactivate", externalId: "E1004", reason: "filtered", filterRule: "terminated" }
  ],
  groups: [
    {
      op: "create",
      externalId: "dept-engineering",
      profile: { displayName: "Engineering (from HR)" },
      hash: "g1",
      location: "people.csv:2"
    }
  ],
  memberships: [{ op: "add", groupExternalId: "dept-engineering", memberExternalIds: ["E1001", "E1002"] }],
  summary: {
    users: counts({ create: 1, update: 1, deactivate: 2, unchanged: 290 }),
    groups: counts({ create: 1 }),
    memberships: { add: 2, remove: 0 },
    rowsRead: 300,
    excluded: { terminated: 8 },
    invalid: 2
  },
  issues: [
    { location: "people.csv:46", externalId: "E1045", field: "email", message: "not a valid email address", kind: "invalid" },
    { location: "people.csv:70", externalId: "E1069", field: "lastName", message: "required", kind: "invalid" },
    { location: "people.csv:90", externalId: "E1089", message: "excluded by terminated", kind: "filter" }
  ],
  hash: "sha256:0123456789abcdef0123456789abcdef",
  ...overrides
})

export const emptyPlan = (): Plan.Plan =>
  samplePlan({
    users: [],
    groups: [],
    memberships: [],
    issues: [],
    summary: {
      users: counts({ unchanged: 296 }),
      groups: counts({ unchanged: 10 }),
      memberships: { add: 0, remove: 0 },
      rowsRead: 300,
      excluded: {},
      invalid: 0
    }
  })

export const sampleReport = (overrides: Partial<RunReport.RunReport> = {}): RunReport.RunReport => {
  const plan = samplePlan()
  return {
    runId: "run-20261128-100000-abc123",
    identitySourceId: plan.identitySourceId,
    mode: "apply",
    outcome: "applied",
    startedAt: "2026-11-28T10:00:00.000Z",
    finishedAt: "2026-11-28T10:00:04.200Z",
    durationMs: 4200,
    planHash: plan.hash,
    plan,
    summary: plan.summary,
    issues: plan.issues,
    sessions: [{ index: 0, oktaSessionId: "aps1qqonvr2SZv6o70h8", uploads: 3, entities: 6, bytes: 2048, status: "COMPLETED" }],
    okta: { requests: 7, retries: 1, rateLimited: 0, waitedMillis: 0, bytesSent: 2048 },
    ...overrides
  }
}
