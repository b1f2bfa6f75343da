/** The config schema: defaults, cross-field rules, durations, fingerprints and secrets. */
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { SftpSource, SftpSourceConfig } from "../src/index.ts"
import { formatDuration, parseDuration } from "../src/internal/duration.ts"

const base = { host: "sftp.example.com", username: "hr", password: "pw-123", path: "in/people-*.csv", hostKey: { knownHosts: "known_hosts" } }

const issues = (raw: unknown) => {
  const result = SftpSourceConfig.safeParse(raw)
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
}

describe("SftpSourceConfig", () => {
  it("fills defaults, and keeps secrets Redacted", () => {
    const config = SftpSourceConfig.parse(base)
    expect(config).toMatchObject({ port: 22, pick: "newest", agent: false, insecureAcceptAnyHostKey: false, timeout: 30_000, format: "auto", gzip: "auto" })
    expect(Redacted.isRedacted(config.password)).toBe(true)
    expect(Redacted.value(config.password!)).toBe("pw-123")
    expect(JSON.stringify(config)).not.toContain("pw-123")
    expect(SftpSource.id).toBe("sftp")
  })

  it("requires host key verification unless explicitly turned off, and not both", () => {
    const { hostKey: _h, ...noHostKey } = base
    expect(issues(noHostKey).join()).toContain("hostKey: host key verification is required")
    expect(issues({ ...noHostKey, insecureAcceptAnyHostKey: true })).toEqual([])
    expect(issues({ ...base, insecureAcceptAnyHostKey: true }).join()).toContain("contradict each other")
    expect(issues({ ...base, hostKey: {} }).join()).toContain("hostKey: set one of fingerprint, knownHosts")
    expect(issues({ ...base, hostKey: { knownHosts: "kh", fingerprint: "SHA256:" + "A".repeat(43) } }).join()).toContain("set only one of")
  })

  it("normalizes fingerprints (one or a list) and rejects other formats", () => {
    const fp = "SHA256:" + "Ab+/".repeat(10) + "xyz"
    expect(SftpSourceConfig.parse({ ...base, hostKey: { fingerprint: `${fp}=` } }).hostKey).toEqual({ fingerprint: [fp] })
    expect(SftpSourceConfig.parse({ ...base, hostKey: { fingerprint: [fp, fp] } }).hostKey?.fingerprint).toHaveLength(2)
    expect(issues({ ...base, hostKey: { fingerprint: "ab:cd:ef" } }).join()).toContain('"ab:cd:ef" is not a SHA256 fingerprint')
  })

  it("needs credentials, and consistent ones", () => {
    const { password: _p, ...noAuth } = base
    expect(issues(noAuth).join()).toContain("no credentials")
    expect(issues({ ...noAuth, privateKey: "k", privateKeyPath: "id_ed25519" }).join()).toContain("privateKeyPath: set privateKey or privateKeyPath, not both")
    expect(issues({ ...base, passphrase: "x" }).join()).toContain("passphrase: passphrase is for an encrypted private key")
    expect(issues({ ...noAuth, agent: true }).join()).toContain("agentSocket: agent: true needs the agent's socket")
    expect(issues({ ...noAuth, agent: true, agentSocket: "/run/agent.sock" })).toEqual([])
  })

  it("allows a glob only in the file name", () => {
    expect(issues({ ...base, path: "in/*/people.csv" }).join()).toContain("only the file name may be a glob")
    expect(issues({ ...base, path: "in/" }).join()).toContain("is a directory")
    expect(issues({ ...base, path: "/exports/{hr,it}-*.csv" })).toEqual([])
  })

  it("readiness: exactly one rule; marker: true means {name}.done; durations in seconds or text", () => {
    expect(SftpSourceConfig.parse({ ...base, ready: { marker: true } }).ready).toEqual({ marker: "{name}.done" })
    expect(SftpSourceConfig.parse({ ...base, ready: { stable: "1m30s" } }).ready).toEqual({ stable: 90_000 })
    expect(SftpSourceConfig.parse({ ...base, ready: { stable: 20 }, minAge: "2h" })).toMatchObject({ ready: { stable: 20_000 }, minAge: 7_200_000 })
    expect(issues({ ...base, ready: {} }).join()).toContain("ready: set one of stable, marker, finalPattern")
    expect(issues({ ...base, ready: { stable: 10, marker: true } }).join()).toContain("set only one of stable, marker")
    expect(issues({ ...base, ready: { stable: "soon" } }).join()).toContain('ready.stable: "soon" is not a duration')
  })

  it("takes the shared format keys", () => {
    const config = SftpSourceConfig.parse({ ...base, csv: { delimiter: "tab" }, encoding: "windows-1252", checksum: { file: "{name}.sha256" } })
    expect(config.csv.delimiter).toBe("\t")
    expect(config.allowUnterminatedLastRecord).toBe(false)
    expect(SftpSourceConfig.parse({ ...base, allowUnterminatedLastRecord: true }).allowUnterminatedLastRecord).toBe(true)
    expect(issues({ ...base, encoding: "klingon" }).join()).toContain("unknown encoding")
    expect(issues({ ...base, colour: "blue" }).length).toBeGreaterThan(0)
  })
})

describe("durations", () => {
  it("parse seconds and unit text; reject anything else", () => {
    expect(parseDuration("45")).toBe(45_000)
    expect(parseDuration("1.5")).toBe(1500)
    expect(parseDuration("250ms")).toBe(250)
    expect(parseDuration("1h 30m")).toBe(5_400_000)
    expect(parseDuration("2d")).toBe(172_800_000)
    expect(parseDuration("5 minutes")).toBeUndefined()
    expect(parseDuration("")).toBeUndefined()
    expect(parseDuration("10x")).toBeUndefined()
  })

  it("format for messages", () => {
    expect(formatDuration(500)).toBe("500 ms")
    expect(formatDuration(1500)).toBe("1.5s")
    expect(formatDuration(90_000)).toBe("1m 30s")
    expect(formatDuration(3_600_000)).toBe("1h")
  })
})
