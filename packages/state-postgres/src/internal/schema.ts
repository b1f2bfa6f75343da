/**
 * The state tables and their migrations. Versions are rows of `<schema>.schema_migrations`.
 *
 * `migrate` runs in ONE transaction under a transaction-level advisory lock keyed by the schema name, so
 * two processes starting at once (two Lambda invocations, a rolling deploy of workers) never run a
 * migration twice or see half a schema: the second waits, then finds everything applied. A failing
 * migration rolls back with the version rows, leaving the schema at its previous version.
 *
 * Adding a migration: append it with the next version, never edit a released one, keep it transactional
 * (no `CREATE INDEX CONCURRENTLY`), and add a test that opens a schema written at the previous version.
 */
import { StateError } from "@anysource/core"
import type pg from "pg"

export interface Migration {
  readonly version: number
  readonly name: string
  /** SQL for the quoted schema identifier `q` (e.g. `"anysource"`). */
  readonly up: (q: string) => string
}

/**
 * v1. Every table is keyed by the identity source id, so one schema can hold several identity sources.
 * - `entities` is the narrow part the planner reads every run; `profiles` holds the wide part (last-synced
 *   profile, source location), read only for changed records. Ids use the "C" collation: byte order,
 *   cheap comparisons, the same order everywhere.
 * - `profile` is `json`, not `jsonb`: it keeps the text as written and accepts `\u0000` escapes.
 * - The journal is split: `journal` holds the plan once per run (written when the run starts), and
 *   `journal_sessions` one row per session checkpoint, so a checkpoint rewrites a small row, not the plan.
 * - `locks` holds the lease row per identity source.
 */
const v1 = (q: string) => `
CREATE TABLE ${q}.entities (
  identity_source_id text COLLATE "C" NOT NULL,
  kind               text NOT NULL CHECK (kind IN ('user', 'group')),
  external_id        text COLLATE "C" NOT NULL,
  hash               text NOT NULL,
  status             text NOT NULL CHECK (status IN ('ACTIVE', 'DEACTIVATED')),
  first_seen         timestamptz NOT NULL,
  last_seen          timestamptz NOT NULL,
  last_run_id        text NOT NULL,
  PRIMARY KEY (identity_source_id, kind, external_id)
);

CREATE TABLE ${q}.profiles (
  identity_source_id text COLLATE "C" NOT NULL,
  kind               text NOT NULL,
  external_id        text COLLATE "C" NOT NULL,
  profile            json NOT NULL,
  location           text,
  PRIMARY KEY (identity_source_id, kind, external_id),
  FOREIGN KEY (identity_source_id, kind, external_id)
    REFERENCES ${q}.entities (identity_source_id, kind, external_id) ON DELETE CASCADE
);

CREATE TABLE ${q}.memberships (
  identity_source_id text COLLATE "C" NOT NULL,
  group_external_id  text COLLATE "C" NOT NULL,
  member_external_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (identity_source_id, group_external_id, member_external_id)
);

CREATE TABLE ${q}.journal (
  identity_source_id      text COLLATE "C" PRIMARY KEY,
  run_id                  text NOT NULL,
  plan_hash               text NOT NULL,
  plan_identity_source_id text NOT NULL,
  plan_json               text NOT NULL,
  started_at              timestamptz NOT NULL,
  created_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ${q}.journal_sessions (
  identity_source_id text COLLATE "C" NOT NULL REFERENCES ${q}.journal (identity_source_id) ON DELETE CASCADE,
  position           integer NOT NULL,
  session_index      integer NOT NULL,
  okta_session_id    text,
  uploaded_batches   integer[] NOT NULL,
  status             text NOT NULL,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (identity_source_id, position)
);

CREATE TABLE ${q}.runs (
  identity_source_id text COLLATE "C" NOT NULL,
  run_id             text COLLATE "C" NOT NULL,
  seq                bigint GENERATED ALWAYS AS IDENTITY,
  started_at         timestamptz NOT NULL,
  finished_at        timestamptz,
  mode               text NOT NULL,
  outcome            text,
  plan_hash          text,
  counts             jsonb,
  message            text,
  PRIMARY KEY (identity_source_id, run_id)
);
CREATE INDEX runs_by_seq ON ${q}.runs (identity_source_id, seq DESC);

CREATE TABLE ${q}.locks (
  identity_source_id text COLLATE "C" PRIMARY KEY,
  owner              text NOT NULL,
  acquired_at        timestamptz NOT NULL,
  expires_at         timestamptz NOT NULL,
  renewed_at         timestamptz NOT NULL
);
`

/**
 * v2 (state rebuild): where an unfinished `anysource state rebuild` stands, one row per identity source while it
 * runs (the progress as JSON text through `text.encode`, since an externalId may hold U+0000: phase, last externalId
 * done, running counts), deleted when the rebuild finishes.
 */
const v2 = (q: string) => `
CREATE TABLE ${q}.rebuild_progress (
  identity_source_id text COLLATE "C" PRIMARY KEY,
  progress           text NOT NULL,
  updated_at         timestamptz NOT NULL
);
`

export const migrations: ReadonlyArray<Migration> = [
  { version: 1, name: "initial tables", up: v1 },
  { version: 2, name: "the progress of an unfinished state rebuild", up: v2 }
]

export const latestVersion = (list: ReadonlyArray<Migration>): number => list.reduce((max, m) => Math.max(max, m.version), 0)

/** A quoted identifier (`"my schema"` → `"my ""schema"""`-style escaping). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`

export interface MigrateResult {
  readonly from: number
  readonly to: number
}

/**
 * Bring `schema` up to the latest of `list` on `client` (a dedicated connection). Throws (pg errors or a
 * `StateError{Migration}`); the caller maps errors.
 */
export const migrate = async (client: pg.ClientBase, schema: string, list: ReadonlyArray<Migration> = migrations): Promise<MigrateResult> => {
  const q = quoteIdent(schema)
  const latest = latestVersion(list)
  await client.query("BEGIN")
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`anysource:state-postgres:migrate:${schema}`])
    // CREATE SCHEMA IF NOT EXISTS checks the database's CREATE privilege even when the schema exists:
    // look first, so a role that may only use a schema made by an administrator works.
    const exists = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${q}`)
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${q}.schema_migrations (
         version    integer PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`
    )
    const current = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${q}.schema_migrations`)
    const from = current.rows[0]?.version ?? 0
    if (from > latest)
      throw new StateError({
        reason: "Migration",
        message: `The state schema "${schema}" is at version ${from}, written by a newer anysource (this one knows up to version ${latest}). Upgrade anysource, or point state.schema at another schema.`
      })
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (m.version <= from) continue
      try {
        await client.query(m.up(q))
      } catch (error) {
        throw new StateError({
          reason: "Migration",
          message: `Migration ${m.version} (${m.name}) of the state schema "${schema}" failed; the schema stays at version ${from}: ${error instanceof Error ? error.message : String(error)}`,
          cause: { message: error instanceof Error ? error.message : String(error) }
        })
      }
      await client.query(`INSERT INTO ${q}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name])
    }
    await client.query("COMMIT")
    return { from, to: Math.max(from, latest) }
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined)
    throw error
  }
}
