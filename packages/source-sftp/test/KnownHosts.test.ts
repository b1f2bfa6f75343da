/** known_hosts parsing and matching, and fingerprints — checked against vectors made with OpenSSH's ssh-keygen. */
import { describe, expect, it } from "vitest"
import { KnownHosts } from "../src/index.ts"

// `ssh-keygen -t ed25519`; `ssh-keygen -l -E sha256` printed FINGERPRINT; `ssh-keygen -H` hashed "[sftp.example.com]:2222".
const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIDqA888yf/2UOf67EUDY21sPU3ic3MINV8d9k70/W0pt"
const FINGERPRINT = "SHA256:cm43Q79gm/BCF+Ir1zI9pJrweTP5RG1n78oIhWmdN/E"
const HASHED = "|1|KNQq8MO//+d37HlyA+flyAy7zLU=|AfHPFEIfdrkG/HPI3LbfbeN3uv8="
const ECDSA =
  "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKlCDa5Gvaa3G+RH63HUAnrrv86arTBJFLjYqDuQzcffO0QverXUYSeGfPH9/Rr7J58C0LOs+b+hyT9pFRQyvC8="

const key = Buffer.from(ED25519, "base64")
const other = Buffer.from(ECDSA, "base64")

describe("fingerprints", () => {
  it("match ssh-keygen -l -E sha256", () => {
    expect(KnownHosts.fingerprint(key)).toBe(FINGERPRINT)
    expect(KnownHosts.keyType(key)).toBe("ssh-ed25519")
    expect(KnownHosts.keyType(other)).toBe("ecdsa-sha2-nistp256")
  })

  it("normalize what users paste (padding, spaces) and reject other forms", () => {
    expect(KnownHosts.normalizeFingerprint(` ${FINGERPRINT}= `)).toBe(FINGERPRINT)
    expect(KnownHosts.normalizeFingerprint(FINGERPRINT.slice(7))).toBeUndefined() // no prefix
    expect(KnownHosts.normalizeFingerprint("MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48")).toBeUndefined()
    expect(KnownHosts.normalizeFingerprint("SHA256:short")).toBeUndefined()
  })
})

describe("parse", () => {
  it("reads plain, hashed and marked lines, skips comments, and reports lines it cannot use", () => {
    const { entries, skipped } = KnownHosts.parse(
      [
        "# a comment",
        "",
        `sftp.example.com,10.0.0.5 ssh-ed25519 ${ED25519} comment here`,
        `${HASHED} ssh-ed25519 ${ED25519}`,
        `@revoked * ecdsa-sha2-nistp256 ${ECDSA}`,
        `@cert-authority *.example.com ssh-ed25519 ${ED25519}`,
        "broken-line-without-key",
        `host ssh-rsa ${ED25519}`,
        "@weird host ssh-ed25519 AAAA"
      ].join("\r\n")
    )
    expect(entries.map((e) => [e.line, e.marker, e.hosts._tag, e.keyType])).toEqual([
      [3, undefined, "Patterns", "ssh-ed25519"],
      [4, undefined, "Hashed", "ssh-ed25519"],
      [5, "revoked", "Patterns", "ecdsa-sha2-nistp256"],
      [6, "cert-authority", "Patterns", "ssh-ed25519"]
    ])
    expect(skipped.map((s) => s.line)).toEqual([7, 8, 9])
    expect(skipped[1]!.reason).toContain("does not decode to a ssh-rsa key")
  })
})

describe("matchesHost", () => {
  const patterns = (...p: Array<string>) => ({ _tag: "Patterns" as const, patterns: p })

  it("uses [host]:port for other ports than 22, and is case-insensitive", () => {
    expect(KnownHosts.hostName("SFTP.Example.com", 22)).toBe("sftp.example.com")
    expect(KnownHosts.hostName("sftp.example.com", 2222)).toBe("[sftp.example.com]:2222")
    expect(KnownHosts.matchesHost(patterns("SFTP.EXAMPLE.COM"), "sftp.example.com")).toBe(true)
    expect(KnownHosts.matchesHost(patterns("sftp.example.com"), "[sftp.example.com]:2222")).toBe(false)
  })

  it("supports * and ? wildcards and ! negation (a negated match wins)", () => {
    expect(KnownHosts.matchesHost(patterns("*.example.com"), "sftp.example.com")).toBe(true)
    expect(KnownHosts.matchesHost(patterns("sftp?.example.com"), "sftp1.example.com")).toBe(true)
    expect(KnownHosts.matchesHost(patterns("sftp?.example.com"), "sftp12.example.com")).toBe(false)
    expect(KnownHosts.matchesHost(patterns("*.example.com", "!evil.example.com"), "evil.example.com")).toBe(false)
    expect(KnownHosts.matchesHost(patterns("!evil.example.com"), "sftp.example.com")).toBe(false)
    expect(KnownHosts.matchesHost(patterns("[sftp.example.com]:*"), "[sftp.example.com]:2222")).toBe(true)
    expect(KnownHosts.matchesHost(patterns("a.b"), "axb")).toBe(false) // dots are literal
  })

  it("matches hashed entries made by ssh-keygen -H", () => {
    const [entry] = KnownHosts.parse(`${HASHED} ssh-ed25519 ${ED25519}`).entries
    expect(KnownHosts.matchesHost(entry!.hosts, "[sftp.example.com]:2222")).toBe(true)
    expect(KnownHosts.matchesHost(entry!.hosts, "sftp.example.com")).toBe(false)
    expect(KnownHosts.matchesHost(entry!.hosts, "[sftp.example.com]:22")).toBe(false)
  })
})

describe("verify", () => {
  const target = { host: "sftp.example.com", port: 2222 }
  const file = (...lines: Array<string>) => KnownHosts.parse(lines.join("\n")).entries

  it("Trusted when a matching entry has the key (plain or hashed)", () => {
    expect(KnownHosts.verify(file(`[sftp.example.com]:2222 ssh-ed25519 ${ED25519}`), target, key)).toEqual({ _tag: "Trusted", line: 1 })
    expect(KnownHosts.verify(file(`x ssh-ed25519 ${ED25519}`, `${HASHED} ssh-ed25519 ${ED25519}`), target, key)).toEqual({
      _tag: "Trusted",
      line: 2
    })
  })

  it("Changed when the host is known with other keys, listing them", () => {
    const verdict = KnownHosts.verify(file(`[sftp.example.com]:2222 ecdsa-sha2-nistp256 ${ECDSA}`), target, key)
    expect(verdict).toEqual({
      _tag: "Changed",
      known: [{ line: 1, keyType: "ecdsa-sha2-nistp256", fingerprint: KnownHosts.fingerprint(other) }]
    })
  })

  it("Unknown when no entry is for this host (another port is another host)", () => {
    expect(KnownHosts.verify(file(`sftp.example.com ssh-ed25519 ${ED25519}`), target, key)).toEqual({ _tag: "Unknown" })
    expect(KnownHosts.verify([], target, key)).toEqual({ _tag: "Unknown" })
  })

  it("Revoked beats a trusting entry; cert-authority lines never trust a plain key", () => {
    expect(KnownHosts.verify(file(`[sftp.example.com]:2222 ssh-ed25519 ${ED25519}`, `@revoked * ssh-ed25519 ${ED25519}`), target, key)).toEqual({
      _tag: "Revoked",
      line: 2
    })
    expect(KnownHosts.verify(file(`@cert-authority * ssh-ed25519 ${ED25519}`), target, key)).toEqual({ _tag: "Unknown" })
  })

  it("restricts the offered host key algorithms to the types known for the host", () => {
    const entries = file(`[sftp.example.com]:2222 ssh-rsa ${Buffer.from("\0\0\0\x07ssh-rsa").toString("base64")}`, `*.example.com ecdsa-sha2-nistp256 ${ECDSA}`)
    const types = KnownHosts.entriesFor(entries, "sftp.example.com", 2222).map((e) => e.keyType)
    expect(types).toEqual(["ssh-rsa"]) // *.example.com does not match [sftp.example.com]:2222
    expect(KnownHosts.hostKeyAlgorithms(types)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"])
    expect(KnownHosts.hostKeyAlgorithms([])).toBeUndefined()
  })

  it("prints a known_hosts line like ssh-keyscan", () => {
    expect(KnownHosts.line("sftp.example.com", 2222, key)).toBe(`[sftp.example.com]:2222 ssh-ed25519 ${ED25519}`)
    expect(KnownHosts.line("sftp.example.com", 22, key)).toBe(`sftp.example.com ssh-ed25519 ${ED25519}`)
  })
})
