/**
 * Authentication against the real OpenSSH server: key (inline, from a file, encrypted with a passphrase), password,
 * SSH agent, and the typed errors for wrong credentials and unreachable servers. Secrets never reach messages.
 */
import { it } from "@effect/vitest"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { baseConfig, csv, Remote, sftpEnv } from "./support/sftp.ts"
import { readAll, readError } from "./support/run.ts"

const remote = new Remote()
let tmp = ""
let dataPath = ""
const PASSPHRASE = "correct horse battery staple"

beforeAll(async () => {
  await remote.open()
  dataPath = await remote.put("people.csv", csv(3))
  tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-sftp-auth-"))
  // The same key as the server trusts, encrypted with a passphrase.
  Fs.copyFileSync(sftpEnv().keyFile, Path.join(tmp, "encrypted_ed25519"))
  Fs.chmodSync(Path.join(tmp, "encrypted_ed25519"), 0o600)
  execFileSync("ssh-keygen", ["-q", "-p", "-N", PASSPHRASE, "-f", Path.join(tmp, "encrypted_ed25519")])
})

afterAll(async () => {
  await remote.close()
  if (tmp !== "") Fs.rmSync(tmp, { recursive: true, force: true })
})

const withoutKey = (extra: Record<string, unknown>) => {
  const { privateKey: _drop, ...rest } = baseConfig(dataPath, extra)
  return { ...rest, ...extra }
}

describe.concurrent("key and password authentication", () => {
  it.live("a private key given inline (as ${SFTP_KEY} would give it)", () =>
    Effect.gen(function* () {
      const rows = yield* readAll(baseConfig(dataPath))
      expect(rows.map((r) => r.data["email"])).toEqual(["user1@example.com", "user2@example.com", "user3@example.com"])
    })
  )

  it.live("a private key file (privateKeyPath, relative to the config's directory)", () =>
    Effect.gen(function* () {
      const env = sftpEnv()
      const rows = yield* readAll(withoutKey({ privateKeyPath: Path.basename(env.keyFile) }), Path.dirname(env.keyFile))
      expect(rows).toHaveLength(3)
    })
  )

  it.live("an encrypted key with its passphrase", () =>
    Effect.gen(function* () {
      const rows = yield* readAll(withoutKey({ privateKeyPath: Path.join(tmp, "encrypted_ed25519"), passphrase: PASSPHRASE }))
      expect(rows).toHaveLength(3)
    })
  )

  it.live("an encrypted key without a passphrase is an Auth error that says to set one", () =>
    Effect.gen(function* () {
      const error = yield* readError(withoutKey({ privateKeyPath: Path.join(tmp, "encrypted_ed25519") }))
      expect(error.reason).toBe("Auth")
      expect(error.message).toMatch(/encrypted: set passphrase/)
    })
  )

  it.live("a wrong passphrase is an Auth error, without the passphrase in it", () =>
    Effect.gen(function* () {
      const error = yield* readError(withoutKey({ privateKeyPath: Path.join(tmp, "encrypted_ed25519"), passphrase: "wrong-passphrase-xyz" }))
      expect(error.reason).toBe("Auth")
      expect(error.message).toMatch(/passphrase is wrong/)
      expect(error.message).not.toContain("wrong-passphrase-xyz")
      expect(error.retryable).toBe(false)
    })
  )

  it.live("password authentication", () =>
    Effect.gen(function* () {
      const rows = yield* readAll(withoutKey({ password: sftpEnv().password }))
      expect(rows).toHaveLength(3)
    })
  )

  it.live("a wrong password is a non-retryable Auth error that names the user and host but not the password", () =>
    Effect.gen(function* () {
      const error = yield* readError(withoutKey({ password: "definitely-not-the-password" }))
      expect(error.reason).toBe("Auth")
      expect(error.retryable).toBe(false)
      expect(error.message).toContain(`${sftpEnv().user}@${sftpEnv().host}:${sftpEnv().port}`)
      expect(error.message).not.toContain("definitely-not-the-password")
    })
  )

  it.live("a key the server does not know is an Auth error", () =>
    Effect.gen(function* () {
      const other = Path.join(tmp, "other_ed25519")
      if (!Fs.existsSync(other)) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other])
      const error = yield* readError(withoutKey({ privateKeyPath: other }))
      expect(error.reason).toBe("Auth")
      expect(error.message).toMatch(/authentication failed/)
    })
  )

  it.live("garbage instead of a key is an Auth error that does not echo the text", () =>
    Effect.gen(function* () {
      const error = yield* readError(baseConfig(dataPath, { privateKey: "not-a-key-SECRETSECRETSECRET" }))
      expect(error.reason).toBe("Auth")
      expect(error.message).not.toContain("SECRETSECRETSECRET")
    })
  )

  it.live("a refused connection is a retryable Connect error", () =>
    Effect.gen(function* () {
      // Port 1 on loopback: nothing listens there.
      const error = yield* readError(baseConfig(dataPath, { port: 1 }))
      expect(error.reason).toBe("Connect")
      expect(error.retryable).toBe(true)
      expect(error.message).toMatch(/refused/)
    })
  )
})

describe.concurrent("SSH agent", () => {
  let agent: ChildProcess | undefined
  let socket = ""

  beforeAll(async () => {
    socket = Path.join(tmp, "agent.sock")
    agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" })
    for (let i = 0; i < 50 && !Fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50))
    execFileSync("ssh-add", [sftpEnv().keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: "ignore" })
  })

  afterAll(() => {
    if (agent?.pid !== undefined) process.kill(agent.pid)
  })

  it.live("agent: true authenticates with the agent's key (agentSocket from ${SSH_AUTH_SOCK})", () =>
    Effect.gen(function* () {
      const rows = yield* readAll(withoutKey({ agent: true, agentSocket: socket }))
      expect(rows).toHaveLength(3)
    })
  )

  it.live("an agent socket that is not there is an Auth error", () =>
    Effect.gen(function* () {
      const error = yield* readError(withoutKey({ agent: true, agentSocket: Path.join(tmp, "no-agent.sock") }))
      expect(error.reason).toBe("Auth")
    })
  )
})
