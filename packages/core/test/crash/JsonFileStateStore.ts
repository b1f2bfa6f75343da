/**
 * A durable StateStore test double for the crash test: the whole state is one JSON file, rewritten
 * atomically (write to a temp file, fsync, rename) on every change, so a SIGKILL leaves either the old or
 * the new state, never a torn one. Same semantics as the in-memory store; not for production.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs"
import { Effect, Layer, Option } from "effect"
import type { EntityKind } from "../../src/domain/Model.ts"
import {
  StateStore,
  type IndexEntry,
  type Journal,
  type RebuildProgress,
  type RunRecord,
  type StateEntry,
  type StateStoreService
} from "../../src/state/StateStore.ts"

interface FileData {
  entries: Record<string, StateEntry>
  memberships: Record<string, Array<string>>
  journal: Journal | null
  rebuild?: RebuildProgress | null
  runs: Array<RunRecord>
}

const key = (kind: EntityKind, id: string) => `${kind}:${id}`

export const read = (path: string): FileData =>
  existsSync(path)
    ? (JSON.parse(readFileSync(path, "utf8")) as FileData)
    : { entries: {}, memberships: {}, journal: null, runs: [] }

const write = (path: string, data: FileData) => {
  const tmp = `${path}.tmp`
  const fd = openSync(tmp, "w")
  try {
    writeSync(fd, JSON.stringify(data))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

export const make = (path: string): StateStoreService => {
  const data = read(path)
  const save = () => write(path, data)
  return {
    index: (kind) =>
      Effect.sync(() => {
        const out = new Map<string, IndexEntry>()
        for (const e of Object.values(data.entries)) if (e.kind === kind) out.set(e.externalId, { hash: e.hash, status: e.status })
        return out
      }),
    entries: (kind, ids) =>
      Effect.sync(() => {
        const out = new Map<string, StateEntry>()
        for (const id of ids) {
          const e = data.entries[key(kind, id)]
          if (e) out.set(id, e)
        }
        return out
      }),
    memberships: Effect.sync(() => new Map(Object.entries(data.memberships).map(([g, m]) => [g, new Set(m)] as const))),
    list: (kind) => Effect.sync(() => Object.values(data.entries).filter((e) => e.kind === kind)),
    commit: (batch) =>
      Effect.sync(() => {
        for (const c of batch.changes) {
          if (c.kind === "membership") {
            const set = new Set(data.memberships[c.groupExternalId] ?? [])
            for (const m of c.memberExternalIds) {
              if (c.op === "add") set.add(m)
              else set.delete(m)
            }
            if (set.size === 0) delete data.memberships[c.groupExternalId]
            else data.memberships[c.groupExternalId] = [...set].sort()
          } else if (c.op === "upsert") {
            const prev = data.entries[key(c.kind, c.externalId)]
            data.entries[key(c.kind, c.externalId)] = {
              kind: c.kind,
              externalId: c.externalId,
              hash: c.hash,
              status: "ACTIVE",
              profile: c.profile,
              ...(c.location !== undefined ? { location: c.location } : {}),
              firstSeen: prev?.firstSeen ?? batch.at,
              lastSeen: batch.at,
              lastRunId: batch.runId
            }
          } else if (c.op === "forget") {
            delete data.entries[key(c.kind, c.externalId)]
            if (c.kind === "group") delete data.memberships[c.externalId]
            else
              for (const [g, members] of Object.entries(data.memberships)) {
                const rest = members.filter((m) => m !== c.externalId)
                if (rest.length === 0) delete data.memberships[g]
                else data.memberships[g] = rest
              }
          } else {
            const prev = data.entries[key(c.kind, c.externalId)]
            if (prev) data.entries[key(c.kind, c.externalId)] = { ...prev, status: "DEACTIVATED", lastRunId: batch.runId }
          }
        }
        if (batch.journal) data.journal = batch.journal
        save()
      }),
    touch: (kind, ids, at) =>
      Effect.sync(() => {
        for (const id of ids) {
          const prev = data.entries[key(kind, id)]
          if (prev) data.entries[key(kind, id)] = { ...prev, lastSeen: at }
        }
        save()
      }),
    journal: Effect.sync(() => Option.fromNullable(data.journal)),
    saveJournal: (journal) =>
      Effect.sync(() => {
        data.journal = journal
        save()
      }),
    clearJournal: Effect.sync(() => {
      data.journal = null
      save()
    }),
    rebuildProgress: Effect.sync(() => Option.fromNullable(data.rebuild)),
    saveRebuildProgress: (progress) =>
      Effect.sync(() => {
        data.rebuild = progress
        save()
      }),
    clearRebuildProgress: Effect.sync(() => {
      data.rebuild = null
      save()
    }),
    recordRun: (run) =>
      Effect.sync(() => {
        const i = data.runs.findIndex((r) => r.runId === run.runId)
        if (i >= 0) data.runs[i] = run
        else data.runs.push(run)
        save()
      }),
    history: (limit) => Effect.sync(() => data.runs.slice(-limit).reverse()),
    lock: () => Effect.void
  }
}

export const layer = (path: string): Layer.Layer<StateStore> => Layer.sync(StateStore, () => make(path))
