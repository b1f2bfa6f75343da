/**
 * The schema of the state file and its migrations, versioned with `PRAGMA user_version`.
 *
 * Rules for adding a migration: append it with the next version number, never edit a released one,
 * make it run inside one transaction (no `VACUUM`, no `PRAGMA journal_mode`), and add a test that
 * opens a file written at the previous version.
 */
import { StateError } from "@anysource/core"
import type Database from "better-sqlite3"
import { Effect } from "effect"
import { isBusyCode, isCorruptCode, toStateError } from "./errors.ts"

export interface Migration {
  readonly version: number
  readonly description: string
  readonly up: (db: Database.Database) => void
}

/**
 * v1: every table is keyed by the Okta identity source id, so one file can hold several identity sources.
 * An entity is split in two: `entities` holds the narrow part the planner reads every run (hash, status,
 * seen times) in a clustered WITHOUT ROWID table, so `index(kind)` and `touch` read and rewrite only small
 * rows; `profiles` holds the wide part (last-synced profile JSON, source location), loaded only for records
 * that changed. (Profiles can be several KB: in a WITHOUT ROWID table they would make every scan slow.)
 */
const v1 = `
CREATE TABLE identity_sources (
  id         TEXT PRIMARY KEY NOT NULL,
  created_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE entities (
  identity_source_id TEXT NOT NULL REFERENCES identity_sources (id) ON DELETE CASCADE,
  kind               TEXT NOT NULL CHECK (kind IN ('user', 'group')),
  external_id        TEXT NOT NULL,
  hash               TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('ACTIVE', 'DEACTIVATED')),
  first_seen         TEXT NOT NULL,
  last_seen          TEXT NOT NULL,
  last_run_id        TEXT NOT NULL,
  PRIMARY KEY (identity_source_id, kind, external_id)
) WITHOUT ROWID;

CREATE TABLE profiles (
  identity_source_id TEXT NOT NULL,
  kind               TEXT NOT NULL,
  external_id        TEXT NOT NULL,
  profile            TEXT NOT NULL,
  location           TEXT,
  PRIMARY KEY (identity_source_id, kind, external_id),
  FOREIGN KEY (identity_source_id, kind, external_id)
    REFERENCES entities (identity_source_id, kind, external_id) ON DELETE CASCADE
);

CREATE TABLE memberships (
  identity_source_id TEXT NOT NULL REFERENCES identity_sources (id) ON DELETE CASCADE,
  group_external_id  TEXT NOT NULL,
  member_external_id TEXT NOT NULL,
  PRIMARY KEY (identity_source_id, group_external_id, member_external_id)
) WITHOUT ROWID;

CREATE TABLE journal (
  identity_source_id TEXT PRIMARY KEY NOT NULL REFERENCES identity_sources (id) ON DELETE CASCADE,
  run_id             TEXT NOT NULL,
  plan_hash          TEXT NOT NULL,
  journal            TEXT NOT NULL,
  updated_at         TEXT NOT NULL
);

CREATE TABLE runs (
  seq                INTEGER PRIMARY KEY AUTOINCREMENT,
  identity_source_id TEXT NOT NULL REFERENCES identity_sources (id) ON DELETE CASCADE,
  run_id             TEXT NOT NULL,
  started_at         TEXT NOT NULL,
  finished_at        TEXT,
  mode               TEXT NOT NULL CHECK (mode IN ('plan', 'apply')),
  outcome            TEXT,
  plan_hash          TEXT,
  counts             TEXT,
  message            TEXT,
  UNIQUE (identity_source_id, run_id)
);

CREATE TABLE locks (
  identity_source_id TEXT PRIMARY KEY NOT NULL REFERENCES identity_sources (id) ON DELETE CASCADE,
  owner              TEXT NOT NULL,
  acquired_at        INTEGER NOT NULL,
  expires_at         INTEGER NOT NULL
);
`

/**
 * v2: the plan of an apply is stored once (`journal.plan_json`); each checkpoint rewrites only the small
 * journal JSON (sessions). A v1 row keeps its plan inside `journal` and is still read as written.
 */
const v2 = `ALTER TABLE journal ADD COLUMN plan_json TEXT;`

/**
 * v3 (state rebuild): where an unfinished `anysource state rebuild` stands, one row per identity source while it
 * runs (the progress JSON: phase, last externalId done, running counts). Deleted when the rebuild finishes.
 */
const v3 = `
CREATE TABLE rebuild_progress (
  identity_source_id TEXT PRIMARY KEY NOT NULL REFERENCES identity_sources (id) ON DELETE CASCADE,
  progress           TEXT NOT NULL,
  updated_at         TEXT NOT NULL
);
`

export const migrations: ReadonlyArray<Migration> = [
  { version: 1, description: "create the state tables", up: (db) => db.exec(v1) },
  {
    version: 2,
    description: "store the plan of an apply once, apart from its checkpoints",
    up: (db) => db.exec(v2)
  },
  { version: 3, description: "keep the progress of an unfinished state rebuild", up: (db) => db.exec(v3) }
]

export const latestVersion = (list: ReadonlyArray<Migration>): number => list[list.length - 1]?.version ?? 0

const userVersion = (db: Database.Database): number => db.pragma("user_version", { simple: true }) as number

/**
 * Bring the file up to the newest schema. Each migration runs in its own `BEGIN IMMEDIATE` transaction
 * together with the `user_version` bump, so a crash or a failing step leaves the file at the previous
 * version. Two processes opening an old file at once are fine: the second sees the new version inside
 * its transaction and skips the step.
 */
export const migrate = (
  db: Database.Database,
  path: string,
  list: ReadonlyArray<Migration> = migrations
): Effect.Effect<number, StateError> =>
  Effect.gen(function* () {
    list.forEach((m, i) => {
      if (m.version !== i + 1)
        throw new Error(`migrations must be numbered 1..n; found v${m.version} at position ${i}`)
    })
    const latest = latestVersion(list)
    const current = yield* Effect.try({
      try: () => userVersion(db),
      catch: (cause) => toStateError(path, "read the schema version of the state database", cause)
    })
    if (current > latest) {
      return yield* Effect.fail(
        new StateError({
          reason: "Migration",
          message:
            `The state database ${path} has schema v${current}, written by a newer anysource; this version ` +
            `understands up to v${latest}. Upgrade anysource (or point state.path at another file).`
        })
      )
    }
    for (const m of list) {
      if (m.version <= current) continue
      yield* Effect.try({
        try: () =>
          db
            .transaction(() => {
              if (userVersion(db) >= m.version) return
              m.up(db)
              db.pragma(`user_version = ${m.version}`)
            })
            .immediate(),
        catch: (cause) => {
          const code = (cause as { code?: unknown } | null)?.code
          if (typeof code === "string" && (isCorruptCode(code) || isBusyCode(code))) {
            return toStateError(path, `upgrade the state database to schema v${m.version}`, cause)
          }
          return new StateError({
            reason: "Migration",
            message:
              `Could not upgrade the state database ${path} to schema v${m.version} (${m.description}): ` +
              `${cause instanceof Error ? cause.message : String(cause)}. The file was left at schema v${m.version - 1}.`,
            cause
          })
        }
      })
      yield* Effect.logDebug(`state database ${path} migrated to schema v${m.version} (${m.description})`)
    }
    return latest
  })
