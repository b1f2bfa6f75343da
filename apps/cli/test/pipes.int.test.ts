/**
 * End-to-end: the BUILT binary the way people pipe, script and misuse it. Output through a pipe to a slow reader
 * arrives whole (it was cut at 64 KiB: the process exited before stdout drained); a reader that goes away ends
 * the run quietly; `apply` refuses without --yes where nobody can be asked and asks on a real pseudo-terminal;
 * help has no colours in a pipe.
 */
import { PlanJson } from "@anysource/core"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, copyQuickstart, emulatorOf, ensureBuilt, removeTempDirs, run, show, tempDir } from "./support/cli.ts"

beforeAll(ensureBuilt, 120_000)
afterAll(removeTempDirs)

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const out: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("ANYSOURCE_") && k !== "FORCE_COLOR") out[k] = v
  return { ...out, NO_COLOR: "1", CI: "true", ...extra }
}

/** Reads its stdin `size` bytes at a time with a pause of `pauseMs` after each read, into the file `argv[1]`. */
const SLOW_READER = `
const fs = require("fs")
const [out, size, pause] = process.argv.slice(1)
const fd = fs.openSync(out, "w")
const buf = Buffer.alloc(Number(size))
const sleep = new Int32Array(new SharedArrayBuffer(4))
for (;;) {
  let n
  try { n = fs.readSync(0, buf, 0, buf.length, null) } catch (e) {
    if (e.code === "EAGAIN") { Atomics.wait(sleep, 0, 0, 1); continue }
    if (e.code === "EOF") break
    throw e
  }
  if (n === 0) break
  fs.writeSync(fd, buf, 0, n)
  Atomics.wait(sleep, 0, 0, Number(pause))
}
fs.closeSync(fd)
`

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => resolve(code))
  })

interface Piped {
  readonly code: number | null
  readonly readerCode: number | null
  /** What the reader received. */
  readonly received: Buffer
  readonly stderr: string
}

/** `anysource <args> | <reader>`: the reader is a separate process holding the only read end of the pipe. */
const pipeInto = async (cwd: string, args: ReadonlyArray<string>, reader: ReadonlyArray<string>, extraEnv: NodeJS.ProcessEnv = {}): Promise<Piped & { out: string }> => {
  const out = path.join(tempDir(), "received")
  const cli = spawn(process.execPath, [bin, ...args], { cwd, env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] })
  let stderr = ""
  cli.stderr!.on("data", (d) => (stderr += d))
  const child = spawn(reader[0]!, [...reader.slice(1).map((a) => a.replace("{out}", out))], { stdio: [cli.stdout!, "ignore", "inherit"] })
  // the test keeps no copy of the read end: when the reader goes away, the writer sees it
  cli.stdout!.destroy()
  const [code, readerCode] = await Promise.all([exited(cli), exited(child)])
  return { code, readerCode, received: fs.existsSync(out) ? fs.readFileSync(out) : Buffer.alloc(0), stderr, out }
}

/** 1 KiB every 2 ms (a `| jq` or `| less` that cannot keep up). */
const slowReader = (size = 1024, pauseMs = 2) => [process.execPath, "-e", SLOW_READER, "{out}", String(size), String(pauseMs)]

/** `anysource <args> > file`. */
const toFile = async (cwd: string, args: ReadonlyArray<string>) => {
  const file = path.join(tempDir(), "stdout")
  const fd = fs.openSync(file, "w")
  const cli = spawn(process.execPath, [bin, ...args], { cwd, env: env(), stdio: ["ignore", fd, "pipe"] })
  fs.closeSync(fd)
  let stderr = ""
  cli.stderr!.on("data", (d) => (stderr += d))
  const code = await exited(cli)
  return { code, bytes: fs.readFileSync(file), stderr }
}

const exportedAt = (b: Buffer) => b.toString("utf8").replace(/"exportedAt": "[^"]*"/, '"exportedAt": "…"')

describe("every output larger than a pipe's 64 KiB reaches a slow reader whole", () => {
  const dir = copyQuickstart()

  it("plan --json: the bytes through the pipe are the bytes of --out (same run), and jq-able", async () => {
    const r = await pipeInto(dir, ["plan", "--json", "--out", "plan.json"], slowReader())
    expect(r.code, r.stderr).toBe(2)
    expect(r.received.length).toBeGreaterThan(100_000)
    expect(r.received.equals(fs.readFileSync(path.join(dir, "plan.json")))).toBe(true)
    expect(JSON.parse(r.received.toString("utf8")).summary.users.create).toBe(288)
  })

  it("plan --detail: the same bytes as written to a file", async () => {
    const piped = await pipeInto(dir, ["plan", "--detail"], slowReader())
    const file = await toFile(dir, ["plan", "--detail"])
    expect(piped.code, piped.stderr).toBe(2)
    expect(file.bytes.length).toBeGreaterThan(65_536)
    expect(piped.received.equals(file.bytes)).toBe(true)
  })

  it("schema and sources --json: the same bytes as written to a file", async () => {
    for (const args of [["schema"], ["sources", "--json"]]) {
      const piped = await pipeInto(dir, args, slowReader())
      const file = await toFile(dir, args)
      expect(piped.code, piped.stderr).toBe(0)
      expect(piped.received.equals(file.bytes), args.join(" ")).toBe(true)
    }
    expect((await toFile(dir, ["schema"])).bytes.length).toBeGreaterThan(65_536)
  })

  it("apply --yes --json: the whole run report arrives", async () => {
    const r = await pipeInto(dir, ["apply", "--yes", "--json"], slowReader())
    expect(r.code, r.stderr).toBe(0)
    expect(r.received.length).toBeGreaterThan(65_536)
    expect(JSON.parse(r.received.toString("utf8"))).toMatchObject({ outcome: "applied", plan: { summary: { users: { create: 288 } } } })
  })

  it("state export (json, ndjson, csv): the same bytes as written to a file", async () => {
    for (const format of ["json", "ndjson", "csv"]) {
      const args = ["state", "export", "--format", format]
      const piped = await pipeInto(dir, args, slowReader())
      const file = await toFile(dir, args)
      expect(piped.code, piped.stderr).toBe(0)
      if (format !== "csv") expect(file.bytes.length, format).toBeGreaterThan(65_536)
      expect(exportedAt(piped.received), format).toBe(exportedAt(file.bytes))
    }
  })

  it("a reader that goes away (| head -c 100): exit 141, no stack trace, nothing else on stderr but logs", async () => {
    const r = await pipeInto(dir, ["state", "export"], ["head", "-c", "100"])
    expect(r.code, r.stderr).toBe(141)
    expect(r.received.length).toBe(0)
    expect(r.stderr).not.toMatch(/Error|EPIPE|\n\s+at /)
  })
})

describe("a first plan of a large source with --json", () => {
  it("streams 30,000 people through a slow pipe: byte for byte the saved plan, which apply --plan can read", async () => {
    const dir = copyQuickstart()
    const header = fs.readFileSync(path.join(dir, "people.csv"), "utf8").split("\n")[0]
    const rows = Array.from(
      { length: 30_000 },
      (_, i) => `E${100_000 + i},First${i},Last${i},person${i}@example.com,Dept${i % 40},Engineer ${i % 7},,active,2020-01-0${(i % 9) + 1},City ${i % 13}`
    )
    fs.writeFileSync(path.join(dir, "people.csv"), `${[header, ...rows].join("\n")}\n`)
    const r = await pipeInto(dir, ["plan", "--json", "--out", "plan.json"], slowReader(8 * 1024, 1))
    expect(r.code, r.stderr).toBe(2)
    const saved = fs.readFileSync(path.join(dir, "plan.json"))
    expect(saved.length).toBeGreaterThan(10_000_000)
    expect(r.received.equals(saved)).toBe(true)
    const plan = await Effect.runPromise(PlanJson.parse(saved.toString("utf8"), "plan.json"))
    expect(plan.summary.users.create).toBe(30_000)
  }, 120_000)
})

describe("apply without --yes", () => {
  it("in a pipe or CI: refuses with exit 11 before anything is read or sent", async () => {
    const dir = copyQuickstart({ setup: false })
    const r = await run(dir, ["apply"])
    expect(r.code, show(r)).toBe(11)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain("apply needs a confirmation (exit 11)")
    expect(r.stderr).toContain("--yes")
    expect(fs.existsSync(path.join(dir, ".anysource"))).toBe(false)
    const noCi = await run(dir, ["apply"], { CI: "false" })
    expect(noCi.code, show(noCi)).toBe(11)
    expect(noCi.stderr).toContain("stdin is not a terminal")
  })

  /** Run the binary on a pseudo-terminal (util-linux `script`), answering `answer` once the question shows. */
  const onTerminal = async (cwd: string, args: string, answer: string | undefined, extraEnv: NodeJS.ProcessEnv = {}) => {
    const child = spawn("script", ["-qec", `${process.execPath} ${bin} ${args}`, "/dev/null"], {
      cwd,
      env: env({ CI: "false", NO_COLOR: "", TERM: "xterm", ...extraEnv }),
      stdio: ["pipe", "pipe", "pipe"]
    })
    let screen = ""
    child.stdout!.on("data", (d) => {
      screen += d
      if (answer !== undefined && screen.includes("[y/N]")) {
        child.stdin!.write(answer)
        answer = undefined
      }
    })
    const code = await exited(child)
    // eslint-disable-next-line no-control-regex -- the terminal's escape sequences (colours, cursor) are what is removed
    return { code, screen, text: screen.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "") }
  }

  it("on a terminal: shows the plan and asks; n sends nothing (exit 2), y applies (exit 0)", async () => {
    const dir = copyQuickstart()
    const declined = await onTerminal(dir, "apply", "n\r")
    expect(declined.code, declined.text).toBe(2)
    expect(declined.text).toMatch(/Plan for identity source[\s\S]*298 record changes and 288 membership changes to apply/)
    expect(declined.text).toContain("Apply these 586 changes to the embedded emulator (identity source 0oaqu1ckstart0000001)? [y/N]")
    expect(declined.text).toContain("Apply cancelled; nothing was sent to Okta.")
    expect(emulatorOf(dir).sessions).toHaveLength(0)
    const confirmed = await onTerminal(dir, "apply", "y\r")
    expect(confirmed.code, confirmed.text).toBe(0)
    expect(confirmed.text).toContain("Applied")
    expect(emulatorOf(dir).users.filter((u) => u.status === "ACTIVE")).toHaveLength(288)
  }, 60_000)

  it("on a terminal with CI set: still refuses (exit 11)", async () => {
    const dir = copyQuickstart()
    const r = await onTerminal(dir, "apply", undefined, { CI: "true" })
    expect(r.code, r.text).toBe(11)
    expect(r.text).toContain("CI is set")
  })

  it("help: colours on a terminal, none with NO_COLOR, --no-color or in a pipe", async () => {
    const dir = tempDir()
    expect((await onTerminal(dir, "plan --help", undefined)).screen).toContain("\u001b[1mUSAGE")
    expect((await onTerminal(dir, "plan --help", undefined, { NO_COLOR: "1" })).screen).not.toContain("\u001b[")
    expect((await onTerminal(dir, "plan --help --no-color", undefined)).screen).not.toContain("\u001b[")
    const piped = await run(dir, ["plan", "--help"], { NO_COLOR: "" })
    expect(piped.code).toBe(0)
    expect(piped.stdout).not.toContain("\u001b[")
    expect(piped.stdout).toContain("  anysource plan [-d|--detail]")
  })
})

describe("the other findings, through the binary", () => {
  it("a safeguard on an unchanged source: the summary says the run was stopped, never \"Okta is up to date\"", async () => {
    const dir = copyQuickstart()
    expect((await run(dir, ["apply", "--yes"])).code).toBe(0)
    const config = path.join(dir, "anysource.yaml")
    fs.writeFileSync(config, fs.readFileSync(config, "utf8").replace("    minRecordsPercent: 50\n", "    minRecordsPercent: 50\n    minRecords: 1000\n"))
    for (const args of [["plan"], ["apply", "--yes"]]) {
      const r = await run(dir, args)
      expect(r.code, show(r)).toBe(6)
      expect(r.stdout).not.toContain("up to date")
      expect(r.stdout).toContain("No changes planned, but a safeguard stopped the run")
      expect(r.stderr).toContain("users.minRecords")
      expect(r.stderr.match(/at least 1,000 are required/g)).toHaveLength(1)
    }
  })

  it("schema --out with an absolute path hints a file:// $schema reference", async () => {
    const dir = tempDir()
    const out = path.join(dir, "schemas", "anysource.schema.json")
    const r = await run(dir, ["schema", "--out", out])
    expect(r.code, show(r)).toBe(0)
    expect(r.stderr).toContain(`$schema=file://${out}`)
    expect(JSON.parse(fs.readFileSync(out, "utf8")).properties.okta).toBeDefined()
  })
})
