/**
 * End-to-end: spawn the BUILT binary (dist/bin.js) in a temporary copy of examples/quickstart,
 * against the embedded Okta emulator, and check what a user would see: exit codes, output, the
 * reports, the state, and the emulator's persisted org (what really reached "Okta").
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, copyQuickstart, emulatorOf, ensureBuilt, quickstart, removeTempDirs, run, show } from "./support/cli.ts"

const csvLines = fs.readFileSync(path.join(quickstart, "people.csv"), "utf8").trimEnd().split("\n")
const header = csvLines[0]!
const rows = csvLines.slice(1)
const terminated = rows.filter((r) => r.includes(",terminated,")).length
const INVALID = 4
const expectedUsers = rows.length - terminated - INVALID

beforeAll(ensureBuilt, 120_000)
afterAll(removeTempDirs)

describe.sequential("quickstart: plan, apply, plan again, edit, drift, safeguards, bad input", () => {
  const dir = copyQuickstart()
  const csv = path.join(dir, "people.csv")
  const original = fs.readFileSync(csv, "utf8")

  it("plan shows the whole population as creates and the invalid rows with their lines (exit 2)", async () => {
    const r = await run(dir, ["plan"])
    expect(r.code, show(r)).toBe(2)
    expect(r.stdout).toMatch(new RegExp(`Users\\s+\\+${expectedUsers} create`))
    expect(r.stdout).toContain(`${terminated} excluded by filter (terminated: ${terminated})`)
    expect(r.stdout).toMatch(/people\.csv:46 email/)
    expect(r.stdout).toMatch(/people\.csv:70 lastName/)
    expect(r.stdout).toMatch(/people\.csv:107 userName/)
    expect(r.stdout).toMatch(/people\.csv:141 (email|userName)/)
    // nothing was sent: no session in the emulator
    expect(emulatorOf(dir).sessions).toHaveLength(0)
  })

  it("--log-level works before and after the subcommand", async () => {
    const normal = await run(dir, ["plan"])
    expect(normal.stderr).toMatch(/INFO {2}planned:/)
    // @effect/cli alone took it only right after the subcommand's name; `plan --detail --log-level error` was exit 64
    for (const args of [
      ["--log-level", "error", "plan"],
      ["plan", "--log-level", "error"],
      ["plan", "--detail", "--log-level", "error"],
      ["plan", "--detail", "--log-level=error"]
    ]) {
      const r = await run(dir, args)
      expect(r.code, `${args.join(" ")}\n${show(r)}`).toBe(2)
      expect(r.stderr, args.join(" ")).not.toMatch(/INFO/)
    }
  })

  it("plan --json prints only the plan, parseable, with counts, issues and a hash", async () => {
    const r = await run(dir, ["plan", "--json"])
    expect(r.code, show(r)).toBe(2)
    const plan = JSON.parse(r.stdout)
    expect(plan.version).toBe(1)
    expect(plan.identitySourceId).toBe("0oaqu1ckstart0000001")
    expect(plan.hash).toMatch(/[0-9a-f]{32,}/)
    expect(plan.summary.users.create).toBe(expectedUsers)
    expect(plan.summary.rowsRead).toBe(rows.length)
    expect(plan.summary.excluded).toEqual({ terminated })
    expect(plan.summary.groups.create).toBe(10)
    expect(plan.users.filter((u: { op: string }) => u.op === "create")).toHaveLength(expectedUsers)
    const invalid = plan.issues.filter((i: { kind: string }) => i.kind === "invalid")
    expect(new Set(invalid.map((i: { location: string }) => i.location))).toEqual(
      new Set(["people.csv:46", "people.csv:70", "people.csv:107", "people.csv:141"])
    )
    const zoe = plan.users.find((u: { op: string; profile: Record<string, string> }) => /[^ -~]/.test(u.profile.firstName ?? ""))
    expect(zoe, "non-ASCII names survive").toBeDefined()
  })

  it("the bundle's decode worker (dist/decode-worker.js) parses the CSV to the very same plan", async () => {
    // ANYSOURCE_DECODE_WORKER=1 sends even this small file through the worker thread the bundle starts for large ones
    const inWorker = await run(dir, ["plan", "--json"], { ANYSOURCE_DECODE_WORKER: "1" })
    const onMain = await run(dir, ["plan", "--json"], { ANYSOURCE_DECODE_WORKER: "0" })
    expect(inWorker.code, show(inWorker)).toBe(2)
    expect(onMain.code, show(onMain)).toBe(2)
    const a = JSON.parse(inWorker.stdout)
    const b = JSON.parse(onMain.stdout)
    // the hash covers createdAt; everything else must be identical
    expect({ ...a, createdAt: undefined, hash: undefined }).toEqual({ ...b, createdAt: undefined, hash: undefined })
    expect(a.summary.rowsRead).toBe(rows.length)
    // the worker script is part of the bundle and refuses to run anywhere but in a worker thread
    const alone = spawnSync(process.execPath, [path.join(path.dirname(bin), "decode-worker.js")], { encoding: "utf8" })
    expect(alone.status).not.toBe(0)
    expect(alone.stderr).toContain("runs as a worker thread only")
  })

  it("apply --yes creates the users in the emulator and writes JSON and HTML reports", async () => {
    const r = await run(dir, ["apply", "--yes", "--report", "out/run.json", "--report", "out/run.html"])
    expect(r.code, show(r)).toBe(0)
    expect(r.stdout).toContain("Applied")
    const report = JSON.parse(fs.readFileSync(path.join(dir, "out/run.json"), "utf8"))
    expect(report.outcome).toBe("applied")
    expect(report.summary.users.create).toBe(expectedUsers)
    expect(report.sessions.length).toBeGreaterThanOrEqual(1)
    expect(report.sessions.every((s: { status: string }) => s.status === "COMPLETED")).toBe(true)
    const html = fs.readFileSync(path.join(dir, "out/run.html"), "utf8")
    expect(html).toContain("<svg")
    expect(html).toContain("people.csv:46")
    const org = emulatorOf(dir)
    const active = org.users.filter((u) => u.status === "ACTIVE")
    expect(active).toHaveLength(expectedUsers)
    expect(org.groups).toHaveLength(10)
    const engineering = org.groups.find((g) => g.externalId === "dept-engineering")
    expect(engineering?.members.length).toBeGreaterThan(0)
    // the invalid rows were left out
    expect(org.users.map((u) => u.externalId)).not.toContain("E1045")
  })

  it("a second plan finds nothing to change (exit 0)", async () => {
    const r = await run(dir, ["plan"])
    expect(r.code, show(r)).toBe(0)
    expect(r.stdout).toContain("No changes")
  })

  it("editing one cell of the CSV plans exactly that edit", async () => {
    const line = rows.findIndex((r) => r.startsWith("E1010,"))
    const before = rows[line]!
    const oldTitle = before.split(",")[5]!
    const edited = rows.map((r, i) => (i === line ? r.replace(`,${oldTitle},`, ",Chief Coffee Officer,") : r))
    fs.writeFileSync(csv, [header, ...edited].join("\n") + "\n")
    const r = await run(dir, ["plan", "--json"])
    expect(r.code, show(r)).toBe(2)
    const plan = JSON.parse(r.stdout)
    expect(plan.users).toEqual([
      expect.objectContaining({
        op: "update",
        externalId: "E1010",
        location: `people.csv:${line + 2}`,
        fields: [{ field: "title", before: oldTitle, after: "Chief Coffee Officer" }]
      })
    ])
    expect(plan.groups).toEqual([])
    expect(plan.memberships).toEqual([])
    const detail = await run(dir, ["plan", "--detail"])
    expect(detail.stdout).toContain(`title: "${oldTitle}" → "Chief Coffee Officer"`)
  })

  it("apply --plan refuses when the CSV changed after the plan (exit 8) and applies nothing", async () => {
    const saved = await run(dir, ["plan", "--out", "plan.json"])
    expect(saved.code, show(saved)).toBe(2)
    expect(JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8")).users).toHaveLength(1)
    const sessionsBefore = emulatorOf(dir).sessions.length
    fs.writeFileSync(csv, fs.readFileSync(csv, "utf8").replace("Chief Coffee Officer", "Chief Tea Officer"))
    const r = await run(dir, ["apply", "--plan", "plan.json", "--yes"])
    expect(r.code, show(r)).toBe(8)
    expect(r.stderr).toContain("plan is out of date")
    // says which input moved (only the CSV did) and what plans differently, without printing the fresh plan first
    expect(r.stderr).toContain("The plan in plan.json is out of date: the source data changed. Nothing was applied.")
    expect(r.stderr).toContain("user E1010: update in the plan, update with other values now")
    expect(r.stdout).not.toContain("Plan for identity source")
    expect(r.stdout).not.toContain("Failed")
    expect(emulatorOf(dir).sessions).toHaveLength(sessionsBefore)
    const e1010 = emulatorOf(dir).users.find((u) => u.externalId === "E1010")
    expect(e1010?.profile.title).not.toMatch(/Coffee|Tea/)
  })

  it("apply --plan applies a plan whose data did not move", async () => {
    fs.writeFileSync(csv, fs.readFileSync(csv, "utf8").replace("Chief Tea Officer", "Chief Coffee Officer"))
    const r = await run(dir, ["apply", "--plan", "plan.json", "--yes"])
    expect(r.code, show(r)).toBe(0)
    expect(emulatorOf(dir).users.find((u) => u.externalId === "E1010")?.profile.title).toBe("Chief Coffee Officer")
    fs.writeFileSync(csv, original)
    const back = await run(dir, ["apply", "--yes", "--json"])
    expect(back.code, show(back)).toBe(0)
    const report = JSON.parse(back.stdout)
    expect(report).toMatchObject({ mode: "apply", outcome: "applied", summary: { users: { update: 1 } } })
    expect(report.plan.users[0].fields).toEqual([{ field: "title", before: "Chief Coffee Officer", after: expect.any(String) }])
  })

  it("a truncated file trips the safeguard: exit 6, nothing sent to Okta", async () => {
    const sessionsBefore = emulatorOf(dir).sessions.length
    fs.writeFileSync(csv, [header, ...rows.slice(0, 40)].join("\n") + "\n")
    const r = await run(dir, ["apply", "--yes"])
    expect(r.code, show(r)).toBe(6)
    expect(r.stderr).toContain("safeguard")
    expect(r.stderr).toContain("Nothing was sent to Okta")
    expect(r.stderr).toContain("--allow-deletes")
    const org = emulatorOf(dir)
    expect(org.sessions).toHaveLength(sessionsBefore)
    expect(org.users.filter((u) => u.status === "ACTIVE")).toHaveLength(expectedUsers)
    fs.writeFileSync(csv, original)
  })

  const badInputs: ReadonlyArray<readonly [name: string, content: string | Buffer, where: RegExp, codes: ReadonlyArray<number>]> = [
    ["unbalanced quotes", [header, rows[0], `E9999,"Una,Balanced,una@example.com,Sales,Rep,E1001,active,2020-01-01,Berlin`, ...rows.slice(1, 20)].join("\n") + "\n", /people\.csv:3(:\d+)?/, [4]],
    ["a missing externalId column", [header.replace("employee_id", "emp_no"), ...rows].join("\n") + "\n", /mapping\.externalId copies the column "employee_id"[\s\S]*people\.csv:2 has the columns "emp_no"/, [3]],
    ["a binary file", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0xff, 0xfe, 0, 1]), /people\.csv/, [4]],
    ["an empty file", "", /people\.csv/, [4, 6]]
  ]
  for (const [name, content, where, codes] of badInputs) {
    it(`bad input (${name}): one clear error naming the file and line, nobody deactivated`, async () => {
      const sessionsBefore = emulatorOf(dir).sessions.length
      fs.writeFileSync(csv, content)
      const r = await run(dir, ["apply", "--yes"])
      fs.writeFileSync(csv, original)
      expect(codes, show(r)).toContain(r.code)
      expect(`${r.stdout}${r.stderr}`, show(r)).toMatch(where)
      expect(r.stderr.match(/Error:/g) ?? [], show(r)).toHaveLength(1)
      const org = emulatorOf(dir)
      expect(org.sessions).toHaveLength(sessionsBefore)
      expect(org.users.filter((u) => u.status === "ACTIVE")).toHaveLength(expectedUsers)
    })
  }

  it("a wrong delimiter (config says comma, file uses semicolons): one error naming the file, nobody deactivated", async () => {
    const config = path.join(dir, "anysource.yaml")
    const yaml = fs.readFileSync(config, "utf8")
    fs.writeFileSync(config, yaml.replace("  path: people.csv", '  path: people.csv\n  csv: { delimiter: "," }'))
    fs.writeFileSync(csv, original.split("\n").map((l) => l.replace(/"[^"]*"/g, (q) => q.replace(/,/g, " "))).map((l) => l.replace(/,/g, ";")).join("\n"))
    const sessionsBefore = emulatorOf(dir).sessions.length
    const r = await run(dir, ["apply", "--yes"])
    fs.writeFileSync(csv, original)
    fs.writeFileSync(config, yaml)
    expect([4, 6], show(r)).toContain(r.code)
    expect(r.stderr, show(r)).toMatch(/people\.csv/)
    expect(r.stderr.match(/Error:/g) ?? [], show(r)).toHaveLength(1)
    expect(emulatorOf(dir).sessions).toHaveLength(sessionsBefore)
    expect(emulatorOf(dir).users.filter((u) => u.status === "ACTIVE")).toHaveLength(expectedUsers)
  })

  it("state history and state show tell what each run did", async () => {
    const h = await run(dir, ["state", "history", "--json"])
    expect(h.code, show(h)).toBe(0)
    const runs = JSON.parse(h.stdout)
    expect(runs.some((x: { mode: string; outcome: string }) => x.mode === "apply" && x.outcome === "applied")).toBe(true)
    expect(runs.some((x: { outcome: string }) => x.outcome === "safeguard")).toBe(true)
    const one = await run(dir, ["state", "show", "E1010", "--json"])
    expect(one.code, show(one)).toBe(0)
    expect(JSON.parse(one.stdout)).toMatchObject({ externalId: "E1010", status: "ACTIVE" })
    const csvOut = await run(dir, ["state", "export", "--format", "csv"])
    expect(csvOut.stdout.split("\n")[0]).toMatch(/^externalId,status,firstSeen,lastSeen,location,/)
    expect(csvOut.stdout.trim().split("\n")).toHaveLength(expectedUsers + 1)
  })

  it("sessions list shows the import sessions of the embedded org", async () => {
    const r = await run(dir, ["sessions", "list", "--json"])
    expect(r.code, show(r)).toBe(0)
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true)
  })
})

