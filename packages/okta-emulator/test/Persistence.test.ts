import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, expect, it } from "vitest"
import { ManualClock } from "../src/index.ts"
import { closeAll, harness, MINUTE, T0, user } from "./helpers.ts"

const dirs: Array<string> = []
afterEach(async () => {
  await closeAll()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const tempState = () => {
  const dir = mkdtempSync(join(tmpdir(), "okta-emulator-"))
  dirs.push(dir)
  return { dir, path: join(dir, "nested", "org.json") }
}

it("saves the whole org and loads it again: same ids, memberships and open session", async () => {
  const { dir, path } = tempState()
  const first = await harness({ persistPath: path })
  const done = await first.importUsers([user(1), user(2)])
  const gs = await first.newSession()
  await first.call("POST", first.is(`/sessions/${gs}/bulk-groups-upsert`), { body: { profiles: [{ externalId: "G1", profile: { displayName: "One" } }] } })
  await first.call("POST", first.is(`/sessions/${gs}/bulk-group-memberships-upsert`), {
    body: { memberships: [{ groupExternalId: "G1", memberExternalIds: ["EXT00001"] }] }
  })
  await first.call("POST", first.is(`/sessions/${gs}/start-import`))
  first.clock.advance(1_000)
  const open = await first.newSession()
  // Saved after every change, before the reply: the file already holds the open session.
  expect(JSON.parse(readFileSync(path, "utf8")).sessions.map((s: { id: string }) => s.id)).toContain(open)
  const users = first.emu.directory.users()
  const groups = first.emu.directory.groups()
  await first.emu.close()

  const second = await harness({ persistPath: path, clock: new ManualClock(first.clock.now()) })
  expect(second.emu.directory.users()).toEqual(users)
  expect(second.emu.directory.groups()).toEqual(groups)
  expect(second.emu.directory.members("G1")).toEqual(["EXT00001"])
  expect(second.emu.sessions().map((s) => [s.id, s.status])).toEqual([
    [done, "COMPLETED"],
    [gs, "COMPLETED"],
    [open, "CREATED"]
  ])
  // The one-open-session rule holds across restarts.
  expect((await second.call("POST", second.is("/sessions"))).status).toBe(400)
  expect((await second.call("DELETE", second.is(`/sessions/${open}`))).status).toBe(204)
  const s = (await second.call("GET", `/api/v1/users?search=${encodeURIComponent('profile.externalId eq "EXT00002"')}`)).json
  expect(s[0].id).toBe(users.find((u) => u.externalId === "EXT00002")?.id)
  await second.emu.close()
  // Atomic writes leave no temporary files behind.
  expect(readdirSync(join(dir, "nested"))).toEqual(["org.json"])
})

it("processes a session that was still TRIGGERED when the org was saved", async () => {
  const { path } = tempState()
  const first = await harness({ persistPath: path, processingDelayMs: 10 * MINUTE })
  const id = await first.importUsers([user(1)])
  expect(first.emu.sessions()[0]?.status).toBe("TRIGGERED")
  await first.emu.close()
  const clock = new ManualClock(T0 + 5 * MINUTE)
  const second = await harness({ persistPath: path, processingDelayMs: 10 * MINUTE, clock })
  expect(second.emu.sessions()[0]?.status).toBe("TRIGGERED")
  clock.advance(5 * MINUTE)
  expect(second.emu.sessions()[0]).toMatchObject({ id, status: "COMPLETED" })
  expect(second.emu.directory.users()).toHaveLength(1)
})

it("refuses a file that is not emulator state", async () => {
  const { dir } = tempState()
  const path = join(dir, "bad.json")
  const { writeFileSync } = await import("node:fs")
  writeFileSync(path, JSON.stringify({ hello: "world" }))
  await expect(harness({ persistPath: path })).rejects.toThrow(/not an okta-emulator state file/)
})
