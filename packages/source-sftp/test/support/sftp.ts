/**
 * Integration tests talk to the real OpenSSH server started by `scripts/services-up.sh` (SFTP_HOST, SFTP_PORT,
 * SFTP_USER, SFTP_KEY, SFTP_PASSWORD, SFTP_HOST_FINGERPRINT, SFTP_KNOWN_HOSTS, SFTP_HOME). With CI=true a missing
 * SFTP_HOST fails the tests; locally the variables of the latest services-up run are used when the shell has none
 * (`source scripts/services-up.sh` first if there is none). Each test file works in its own directory
 * `$SFTP_HOME/anysource-sftp-test-<random>` (the server is shared with other packages' tests) and removes it.
 */
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Posix from "node:path/posix"
import { Effect, Stream } from "effect"
import SftpClient from "ssh2-sftp-client"

const repoRoot = Path.resolve(import.meta.dirname, "../../../..")

export interface SftpEnv {
  readonly host: string
  readonly port: number
  readonly user: string
  /** Path of the client's private key file (ed25519, no passphrase). */
  readonly keyFile: string
  readonly password: string
  readonly fingerprint: string
  readonly knownHosts: string
  readonly home: string
}

const NAMES = ["SFTP_HOST", "SFTP_PORT", "SFTP_USER", "SFTP_KEY", "SFTP_PASSWORD", "SFTP_HOST_FINGERPRINT", "SFTP_KNOWN_HOSTS", "SFTP_HOME"] as const

/** `export NAME=value` lines of a services-up env file (values may be shell-quoted with printf %q). */
const readEnvFile = (file: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const line of Fs.readFileSync(file, "utf8").split("\n")) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line)
    if (match) out[match[1]!] = match[2]!.replace(/\\(.)/g, "$1").replace(/^'(.*)'$/, "$1")
  }
  return out
}

let cached: SftpEnv | undefined

export const sftpEnv = (): SftpEnv => {
  if (cached) return cached
  let source: Record<string, string | undefined> = process.env
  if (!process.env["SFTP_HOST"]) {
    if (process.env["CI"] === "true") {
      throw new Error("SFTP_HOST is not set (CI=true): the sftp integration tests need the real server — source scripts/services-up.sh before the tests")
    }
    const latest = Path.join(repoRoot, ".anysource/services/latest")
    const state = Fs.existsSync(latest) ? Fs.readFileSync(latest, "utf8").trim() : undefined
    const envFile = state === undefined ? undefined : Path.join(state, "env.sh")
    if (envFile === undefined || !Fs.existsSync(envFile)) {
      throw new Error("SFTP_HOST is not set and no services-up run is recorded: run `source scripts/services-up.sh` at the repository root first")
    }
    source = readEnvFile(envFile)
  }
  const missing = NAMES.filter((n) => !source[n])
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}: run \`source scripts/services-up.sh\` at the repository root`)
  cached = {
    host: source["SFTP_HOST"]!,
    port: Number(source["SFTP_PORT"]),
    user: source["SFTP_USER"]!,
    keyFile: source["SFTP_KEY"]!,
    password: source["SFTP_PASSWORD"]!,
    fingerprint: source["SFTP_HOST_FINGERPRINT"]!,
    knownHosts: source["SFTP_KNOWN_HOSTS"]!,
    home: source["SFTP_HOME"]!
  }
  return cached
}

/** A config (before parsing) that connects with the test key and the pinned fingerprint. */
export const baseConfig = (path: string, extra: Record<string, unknown> = {}): Record<string, unknown> => {
  const env = sftpEnv()
  return {
    host: env.host,
    port: env.port,
    username: env.user,
    privateKey: Fs.readFileSync(env.keyFile, "utf8"),
    hostKey: { fingerprint: env.fingerprint },
    path,
    ...extra
  }
}

/** A helper connection for arranging files (uploads, renames, mtimes) on the server. */
export class Remote {
  readonly client = new SftpClient("test", { error: () => {}, end: () => {}, close: () => {} })
  dir = ""

  async open(): Promise<this> {
    const env = sftpEnv()
    await this.client.connect({
      host: env.host,
      port: env.port,
      username: env.user,
      privateKey: Fs.readFileSync(env.keyFile),
      hostVerifier: () => true
    })
    this.dir = Posix.join(env.home, `anysource-sftp-test-${randomBytes(6).toString("hex")}`)
    await this.client.mkdir(this.dir, true)
    return this
  }

  path(name: string): string {
    return Posix.join(this.dir, name)
  }

  async put(name: string, content: string | Buffer): Promise<string> {
    const path = this.path(name)
    await this.client.mkdir(Posix.dirname(path), true)
    await this.client.put(typeof content === "string" ? Buffer.from(content) : content, path)
    return path
  }

  async append(name: string, content: string): Promise<void> {
    await this.client.append(Buffer.from(content), this.path(name))
  }

  /** Set the modification time (seconds since the epoch). */
  async touch(name: string, mtimeSeconds: number): Promise<void> {
    const sftp = (this.client as unknown as { sftp: import("ssh2").SFTPWrapper }).sftp
    await new Promise<void>((resolve, reject) =>
      sftp.utimes(this.path(name), mtimeSeconds, mtimeSeconds, (error) => (error ? reject(error) : resolve()))
    )
  }

  async rename(from: string, to: string): Promise<void> {
    await this.client.rename(this.path(from), this.path(to))
  }

  async exists(name: string): Promise<boolean> {
    return (await this.client.exists(this.path(name))) !== false
  }

  async list(sub = "."): Promise<Array<string>> {
    return (await this.client.list(this.path(sub))).map((e) => e.name).sort()
  }

  async close(): Promise<void> {
    if (this.dir !== "") await this.client.rmdir(this.dir, true).catch(() => undefined)
    await this.client.end().catch(() => undefined)
  }
}

export const csv = (rows: number, offset = 0): string =>
  ["id,email,name", ...Array.from({ length: rows }, (_, i) => `${offset + i + 1},user${offset + i + 1}@example.com,User ${offset + i + 1}`)].join("\n") + "\n"

export interface MemoryReport {
  readonly rows: number
  readonly seconds: number
  readonly growthMb: number
  readonly retainedMb: number
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10

/** Drain a stream while sampling RSS (peak growth) and, after a forced GC every 250,000 rows, the heap it retains. */
export const drainMeasuring = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<MemoryReport, E> =>
  Effect.gen(function* () {
    const gc = (globalThis as { gc?: () => void }).gc
    if (gc === undefined) return yield* Effect.die(new Error("run the tests with node --expose-gc (see vitest.config.ts)"))
    gc()
    const baseline = process.memoryUsage.rss()
    const baselineHeap = process.memoryUsage().heapUsed
    let peak = baseline
    let retained = 0
    const sample = () => {
      const now = process.memoryUsage.rss()
      if (now > peak) peak = now
    }
    const timer = setInterval(sample, 25)
    const started = Date.now()
    let rows = 0
    yield* Stream.runForEachChunk(stream, (chunk) =>
      Effect.sync(() => {
        for (let i = 0; i < chunk.length; i++) {
          rows++
          if (rows % 250_000 === 0) {
            sample()
            gc()
            retained = Math.max(retained, process.memoryUsage().heapUsed - baselineHeap)
          }
        }
      })
    ).pipe(Effect.ensuring(Effect.sync(() => clearInterval(timer))))
    sample()
    return { rows, seconds: (Date.now() - started) / 1000, growthMb: mb(peak - baseline), retainedMb: mb(retained) }
  })
