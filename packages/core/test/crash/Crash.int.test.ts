/**
 * The crash test: an apply running in a child process is SIGKILLed at several points, then run again, until it
 * finishes. Afterwards the emulator's directory must equal the source, no completed session may have been
 * uploaded to again, and the (durable, JSON-file) state store must agree with the directory.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { DEFAULT_API_TOKEN, DEFAULT_IDENTITY_SOURCE_ID, startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Batching from "../../src/apply/Batching.ts"
import type { MembershipChange, Plan, UserChange } from "../../src/plan/Plan.ts"
import { createGroup, createUser, deactivateUser, makePlan, range, userProfile } from "../oktaFake.ts"
import type { ChildArgs } from "./child.ts"
import * as JsonFileStateStore from "./JsonFileStateStore.ts"

const here = dirname(fileURLToPath(import.meta.url))
const coreDir = resolve(here, "../..")
const limits = { maxEntitiesPerUpload: 50, maxUploadBytes: 200_000, maxUploadsPerSession: 5 }

interface ChildRun {
  readonly lines: Array<any>
  readonly hung?: string
  readonly exitCode: number | null
  readonly signal: NodeJS.Signals | null
}

const runChild = (args: ChildArgs): Promise<ChildRun> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", "jiti/register", join(here, "child.ts"), JSON.stringify(args)], {
      cwd: coreDir,
      stdio: ["ignore", "pipe", "pipe"]
    })
    const lines: Array<any> = []
    let hung: string | undefined
    let buffer = ""
    let stderr = ""
    const guard = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`child did not reach its kill point in time; last lines: ${JSON.stringify(lines.slice(-3))} ${stderr}`))
    }, 60_000)
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8")
      let nl: number
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl))
        buffer = buffer.slice(nl + 1)
        lines.push(line)
        if (line.hang !== undefined) {
          hung = line.hang
          child.kill("SIGKILL")
        }
      }
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    child.on("exit", (exitCode, signal) => {
      clearTimeout(guard)
      if (args.hang && hung === undefined) reject(new Error(`child exited (${exitCode}) before its kill point: ${JSON.stringify(lines.slice(-3))} ${stderr}`))
      else resolvePromise({ lines, exitCode, signal, ...(hung !== undefined ? { hung } : {}) })
    })
  })

/** The source's truth after applying plans in order. */
interface Expected {
  users: Map<string, { status: "ACTIVE" | "DEPROVISIONED"; profile: Record<string, string | null>; hash: string }>
  groups: Map<string, Record<string, string | null>>
  members: Map<string, Set<string>>
}

const expectAfter = (expected: Expected, plan: Plan) => {
  for (const g of plan.groups) {
    if (g.op === "deactivate") {
      expected.groups.delete(g.externalId)
      expected.members.delete(g.externalId)
    } else expected.groups.set(g.externalId, { ...g.profile })
  }
  for (const u of plan.users) {
    if (u.op === "deactivate") {
      const prev = expected.users.get(u.externalId)!
      expected.users.set(u.externalId, { ...prev, status: "DEPROVISIONED" })
    } else expected.users.set(u.externalId, { status: "ACTIVE", profile: { ...u.profile }, hash: u.hash })
  }
  for (const m of plan.memberships) {
    const set = expected.members.get(m.groupExternalId) ?? new Set<string>()
    for (const id of m.memberExternalIds) {
      if (m.op === "add") set.add(id)
      else set.delete(id)
    }
    expected.members.set(m.groupExternalId, set)
  }
}

describe("crash test: SIGKILL during apply, then resume", () => {
  let emu: RunningEmulator
  let dir: string
  const expected: Expected = { users: new Map(), groups: new Map(), members: new Map() }

  beforeAll(async () => {
    emu = await startEmulator({ strict: true, processingDelayMs: 20, identitySources: [{ id: DEFAULT_IDENTITY_SOURCE_ID, customAttributes: ["title", "department", "costCenter"] }] })
    dir = mkdtempSync(join(tmpdir(), "anysource-crash-"))
  })
  afterAll(async () => {
    await emu.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const argsFor = (planPath: string, runId: string, hang?: ChildArgs["hang"]): ChildArgs => ({
    orgUrl: emu.url,
    identitySourceId: DEFAULT_IDENTITY_SOURCE_ID,
    token: DEFAULT_API_TOKEN,
    statePath: join(dir, "state.json"),
    planPath,
    runId,
    limits,
    ...(hang ? { hang } : {})
  })

  /** Kill at each point in turn, then let the last run finish; returns the completed sessions' upload checks. */
  const applyWithCrashes = async (plan: Plan, runId: string, kills: ReadonlyArray<NonNullable<ChildArgs["hang"]>>) => {
    const planPath = join(dir, `${runId}.json`)
    writeFileSync(planPath, JSON.stringify(plan))
    const sessionsBefore = new Set(emu.sessions().map((s) => s.id))
    const requestsBefore = emu.requests.length
    const hangs: Array<string> = []
    for (const hang of kills) {
      const run = await runChild(argsFor(planPath, runId, hang))
      expect(run.signal).toBe("SIGKILL")
      hangs.push(run.hung!)
      // a killed run never finished, and completed sessions are never sent again: checked below from the log
    }
    const last = await runChild(argsFor(planPath, runId))
    expect(last.exitCode).toBe(0)
    expect(last.lines.at(-1)).toMatchObject({ done: { resumed: true, result: { completed: true } } })
    const packed = Batching.pack(plan, limits)
    const ours = emu.sessions().filter((s) => !sessionsBefore.has(s.id))
    const requests = emu.requests.slice(requestsBefore)
    return { packed, ours, requests, hangs }
  }

  const checkConsistency = () => {
    // the directory equals the source
    const users = emu.directory.users()
    expect(users).toHaveLength(expected.users.size)
    expect(new Set(users.map((u) => u.login)).size).toBe(users.length)
    for (const u of users) {
      const want = expected.users.get(u.externalId)
      expect(want, u.externalId).toBeDefined()
      expect(u.status).toBe(want!.status)
      expect(u.profile).toEqual(want!.profile)
    }
    const groups = emu.directory.groups()
    expect(new Map(groups.map((g) => [g.externalId, g.profile]))).toEqual(expected.groups)
    for (const [g, set] of expected.members) expect(emu.directory.members(g)).toEqual([...set].sort())
    // the state store agrees with the directory
    const state = JsonFileStateStore.read(join(dir, "state.json"))
    expect(state.journal).toBeNull()
    const stateUsers = Object.values(state.entries).filter((e) => e.kind === "user")
    expect(stateUsers).toHaveLength(users.length)
    for (const u of users) {
      const s = state.entries[`user:${u.externalId}`]!
      expect(s.status).toBe(u.status === "ACTIVE" ? "ACTIVE" : "DEACTIVATED")
      expect(s.hash).toBe(expected.users.get(u.externalId)!.hash)
    }
    const stateGroups = Object.values(state.entries).filter((e) => e.kind === "group" && e.status === "ACTIVE")
    expect(stateGroups.map((g) => g.externalId).sort()).toEqual(groups.map((g) => g.externalId).sort())
    for (const g of groups) expect(state.memberships[g.externalId] ?? []).toEqual(emu.directory.members(g.externalId))
  }

  /** Every plan session was imported by exactly one Okta session, and nothing was uploaded into a finished one. */
  const checkNoReupload = (r: Awaited<ReturnType<typeof applyWithCrashes>>, resentBatches: number) => {
    expect(r.ours.every((s) => s.status === "COMPLETED")).toBe(true)
    expect(r.ours).toHaveLength(r.packed.length)
    const planned = r.packed.reduce((n, s) => n + s.batches.length, 0)
    const accepted = r.ours.reduce((n, s) => n + s.uploads, 0)
    expect(accepted).toBe(planned + resentBatches)
    // no upload ever reached a session after its start-import (Okta would answer 400)
    expect(r.requests.filter((q) => q.path.includes("/bulk-") && q.status !== 202)).toEqual([])
    for (const s of r.ours) {
      const trigger = r.requests.findIndex((q) => q.path.endsWith(`${s.id}/start-import`) && q.status === 200)
      const lastUpload = r.requests.findLastIndex((q) => q.path.includes(`${s.id}/bulk-`))
      expect(trigger).toBeGreaterThan(lastUpload)
    }
  }

  it("initial load killed after create (unjournaled), mid-upload, after trigger, after COMPLETED, after create", async () => {
    const plan = makePlan({
      identitySourceId: DEFAULT_IDENTITY_SOURCE_ID,
      groups: range(6).map((g) => createGroup(`CG${g}`, `Crash group ${g}`)),
      users: range(1_500).map((i) => createUser(i)),
      memberships: range(6).map((g) => ({
        op: "add" as const,
        groupExternalId: `CG${g}`,
        memberExternalIds: range(250, g * 250).map((i) => createUser(i).externalId)
      }))
    })
    expect(Batching.pack(plan, limits).map((s) => s.batches.length)).toEqual([5, 5, 5, 5, 4, 4, 4])
    const r = await applyWithCrashes(plan, "p1", [
      { http: { method: "POST", path: "/sessions$", nth: 2 } },
      { http: { method: "POST", path: "/bulk-upsert$", nth: 3 } },
      { http: { method: "POST", path: "/start-import$", nth: 1 } },
      { event: "SessionStatus", status: "COMPLETED", nth: 1 },
      { event: "SessionCreated", nth: 1 }
    ])
    expect(r.hangs).toHaveLength(5)
    expectAfter(expected, plan)
    checkNoReupload(r, 1) // the batch Okta accepted just before the mid-upload kill went again, same session
    checkConsistency()
  }, 180_000)

  it("a change run (updates, deactivations, membership moves, a group removed) killed after an upload and after trigger", async () => {
    const updates: Array<UserChange> = range(50, 500).map((i) => ({
      op: "update",
      externalId: createUser(i).externalId,
      profile: userProfile(i, { title: "Promoted" }),
      hash: `h${i}-v2`,
      location: `people.csv:${i + 2}`,
      fields: [{ field: "title", after: "Promoted" }]
    }))
    const memberships: Array<MembershipChange> = [
      { op: "add", groupExternalId: "CG-new", memberExternalIds: range(40, 500).map((i) => createUser(i).externalId) },
      { op: "remove", groupExternalId: "CG0", memberExternalIds: range(100).map((i) => createUser(i).externalId) }
    ]
    const plan = makePlan({
      identitySourceId: DEFAULT_IDENTITY_SOURCE_ID,
      groups: [createGroup("CG-new", "New group"), { op: "deactivate", externalId: "CG5", reason: "missing" }],
      users: [...updates, ...range(100, 1_000).map((i) => deactivateUser(i))],
      memberships
    })
    const r = await applyWithCrashes(plan, "p2", [
      { event: "BatchUploaded", nth: 2 },
      { http: { method: "POST", path: "/start-import$", nth: 1 } }
    ])
    expectAfter(expected, plan)
    checkNoReupload(r, 0)
    checkConsistency()
  }, 120_000)
})
