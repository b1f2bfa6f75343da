/**
 * Host key verification against the real OpenSSH server: a pinned fingerprint (right and wrong), known_hosts files
 * (the services script's, hashed with `ssh-keygen -H`, one without the host, one with a changed key, a missing
 * file), and the explicit, warned-about opt-out.
 */
import { it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { baseConfig, csv, Remote, sftpEnv } from "./support/sftp.ts"
import { checkError, readAll, readError, withLogs } from "./support/run.ts"

const remote = new Remote()
let tmp = ""
let dataPath = ""
/** A public key that is not the server's. */
let otherKeyLine = ""

beforeAll(async () => {
  await remote.open()
  dataPath = await remote.put("people.csv", csv(2))
  tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-sftp-hostkey-"))
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.join(tmp, "other")])
  otherKeyLine = Fs.readFileSync(Path.join(tmp, "other.pub"), "utf8").split(" ").slice(0, 2).join(" ")
})

afterAll(async () => {
  await remote.close()
  if (tmp !== "") Fs.rmSync(tmp, { recursive: true, force: true })
})

const withHostKey = (hostKey: unknown) => ({ ...baseConfig(dataPath), hostKey })
const hostPattern = () => `[${sftpEnv().host}]:${sftpEnv().port}`

describe.concurrent("pinned fingerprint", () => {
  it.live("the right fingerprint connects", () =>
    Effect.gen(function* () {
      expect(yield* readAll(withHostKey({ fingerprint: sftpEnv().fingerprint }))).toHaveLength(2)
    })
  )

  it.live("a list with the right fingerprint among others connects (key rotation)", () =>
    Effect.gen(function* () {
      const rows = yield* readAll(withHostKey({ fingerprint: [`SHA256:${"A".repeat(43)}`, sftpEnv().fingerprint] }))
      expect(rows).toHaveLength(2)
    })
  )

  it.live("a wrong fingerprint is a HostKey error that shows the key seen and how to pin it", () =>
    Effect.gen(function* () {
      const wrong = `SHA256:${"B".repeat(43)}`
      const error = yield* readError(withHostKey({ fingerprint: wrong }))
      expect(error.reason).toBe("HostKey")
      expect(error.retryable).toBe(false)
      expect(error.message).toContain(`the server presented ssh-ed25519 ${sftpEnv().fingerprint}`)
      expect(error.message).toContain(`expected ${wrong}`)
      expect(error.message).toContain(`hostKey: { fingerprint: "${sftpEnv().fingerprint}" }`)
    })
  )

  it.live("check fails the same way (no rows are read from an unverified server)", () =>
    Effect.gen(function* () {
      const error = yield* checkError(withHostKey({ fingerprint: `SHA256:${"C".repeat(43)}` }))
      expect(error.reason).toBe("HostKey")
    })
  )
})

describe.concurrent("known_hosts", () => {
  it.live("the services script's known_hosts ([host]:port entry) connects", () =>
    Effect.gen(function* () {
      expect(yield* readAll(withHostKey({ knownHosts: sftpEnv().knownHosts }))).toHaveLength(2)
    })
  )

  it.live("a hashed known_hosts (ssh-keygen -H) connects, with a relative path resolved against the config's directory", () =>
    Effect.gen(function* () {
      const file = Path.join(tmp, "known_hosts_hashed")
      Fs.writeFileSync(file, `# comment\nother.example.com ${otherKeyLine}\n${Fs.readFileSync(sftpEnv().knownHosts, "utf8")}`)
      execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" })
      const text = Fs.readFileSync(file, "utf8")
      expect(text).not.toContain(sftpEnv().host) // really hashed
      expect(text).toContain("|1|")
      const rows = yield* readAll(withHostKey({ knownHosts: "known_hosts_hashed" }), tmp)
      expect(rows).toHaveLength(2)
    })
  )

  it.live("a known_hosts without the host is a HostKey error with the fingerprint and the line to add", () =>
    Effect.gen(function* () {
      const file = Path.join(tmp, "known_hosts_other")
      Fs.writeFileSync(file, `other.example.com ${otherKeyLine}\n[${sftpEnv().host}]:1 ${otherKeyLine}\n`)
      const error = yield* readError(withHostKey({ knownHosts: file }))
      expect(error.reason).toBe("HostKey")
      expect(error.message).toContain("is unknown")
      expect(error.message).toContain(sftpEnv().fingerprint)
      expect(error.message).toContain(`hostKey: { fingerprint: "${sftpEnv().fingerprint}" }`)
      expect(error.message).toContain(`add this line to ${file}: ${hostPattern()} ssh-ed25519 `)
    })
  )

  it.live("a known_hosts with another key for the host is a HOST KEY CHANGED error", () =>
    Effect.gen(function* () {
      const file = Path.join(tmp, "known_hosts_changed")
      Fs.writeFileSync(file, `${hostPattern()} ${otherKeyLine}\n`)
      const error = yield* readError(withHostKey({ knownHosts: file }))
      expect(error.reason).toBe("HostKey")
      expect(error.message).toContain("HOST KEY CHANGED")
      expect(error.message).toContain(sftpEnv().fingerprint)
      expect(error.message).toContain("(line 1)")
    })
  )

  it.live("a key marked @revoked is refused even when also listed", () =>
    Effect.gen(function* () {
      const file = Path.join(tmp, "known_hosts_revoked")
      const serverLine = Fs.readFileSync(sftpEnv().knownHosts, "utf8").trim()
      const key = serverLine.split(" ").slice(1, 3).join(" ")
      Fs.writeFileSync(file, `${serverLine}\n@revoked * ${key}\n`)
      const error = yield* readError(withHostKey({ knownHosts: file }))
      expect(error.reason).toBe("HostKey")
      expect(error.message).toContain("@revoked")
    })
  )

  it.live("a missing known_hosts file is a HostKey error that says how to create it", () =>
    Effect.gen(function* () {
      const error = yield* readError(withHostKey({ knownHosts: Path.join(tmp, "does-not-exist") }))
      expect(error.reason).toBe("HostKey")
      expect(error.message).toContain("ssh-keyscan")
    })
  )
})

describe.concurrent("insecureAcceptAnyHostKey", () => {
  it.live("connects, but warns on every run and logs the fingerprint to pin", () =>
    Effect.gen(function* () {
      const { hostKey: _omit, ...config } = baseConfig(dataPath)
      const insecure = { ...config, insecureAcceptAnyHostKey: true }
      for (let run = 0; run < 2; run++) {
        const { value: rows, logs } = yield* withLogs(readAll(insecure))
        expect(rows).toHaveLength(2)
        const warnings = logs.filter((l) => l.level === "WARN").map((l) => l.message)
        expect(warnings.some((w) => w.includes("insecureAcceptAnyHostKey is on"))).toBe(true)
        expect(warnings.some((w) => w.includes(`hostKey: { fingerprint: "${sftpEnv().fingerprint}" }`))).toBe(true)
      }
    })
  )
})
