/**
 * SSH host keys: SHA256 fingerprints (as `ssh-keygen -l` prints them) and OpenSSH `known_hosts` files —
 * plain and hashed (`|1|salt|hash`) host entries, `[host]:port` for non-standard ports, comma-separated
 * patterns with `*` / `?` wildcards and `!` negation, `@revoked` lines, comments. `@cert-authority` lines are
 * recognised and skipped (host certificates are not supported).
 *
 * ```ts
 * const entries = KnownHosts.parse(text)
 * KnownHosts.verify(entries, { host: "sftp.example.com", port: 2222 }, serverKeyBlob) // → { _tag: "Trusted" } | …
 * ```
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto"

// ---------------------------------------------------------------------------------------------- keys

/** The key type inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …). */
export const keyType = (blob: Uint8Array): string | undefined => {
  if (blob.byteLength < 4) return undefined
  const view = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength)
  const length = view.readUInt32BE(0)
  if (length === 0 || length > 64 || 4 + length > view.length) return undefined
  const name = view.subarray(4, 4 + length).toString("latin1")
  return /^[\x21-\x7e]+$/.test(name) ? name : undefined
}

/** `SHA256:<base64 without padding>` of a public key blob: the form `ssh-keygen -l -E sha256` prints. */
export const fingerprint = (blob: Uint8Array): string =>
  `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`

/** A fingerprint as the user wrote it, in canonical form (`SHA256:` prefix, no `=` padding), or undefined if malformed. */
export const normalizeFingerprint = (text: string): string | undefined => {
  const match = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text.trim())
  return match === null ? undefined : `SHA256:${match[1]}`
}

// ---------------------------------------------------------------------------------------------- known_hosts

export interface Entry {
  /** 1-based line number in the file, for messages. */
  readonly line: number
  readonly marker: "revoked" | "cert-authority" | undefined
  /** Plain comma-separated patterns, or a hashed host. */
  readonly hosts: { readonly _tag: "Patterns"; readonly patterns: ReadonlyArray<string> } | { readonly _tag: "Hashed"; readonly salt: Buffer; readonly hash: Buffer }
  readonly keyType: string
  readonly key: Buffer
}

export interface ParseResult {
  readonly entries: ReadonlyArray<Entry>
  /** Lines that could not be understood (reported, never fatal: OpenSSH skips them too). */
  readonly skipped: ReadonlyArray<{ readonly line: number; readonly reason: string }>
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** Parse an OpenSSH known_hosts file. */
export const parse = (text: string): ParseResult => {
  const entries: Array<Entry> = []
  const skipped: Array<{ line: number; reason: string }> = []
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = index + 1
    const trimmed = raw.trim()
    if (trimmed === "" || trimmed.startsWith("#")) return
    const fields = trimmed.split(/\s+/)
    let marker: Entry["marker"]
    if (fields[0]?.startsWith("@") === true) {
      const name = fields.shift()!
      if (name === "@revoked") marker = "revoked"
      else if (name === "@cert-authority") marker = "cert-authority"
      else {
        skipped.push({ line, reason: `unknown marker ${name}` })
        return
      }
    }
    const [hostField, type, keyText] = fields
    if (hostField === undefined || type === undefined || keyText === undefined) {
      skipped.push({ line, reason: "expected: hosts key-type base64-key [comment]" })
      return
    }
    if (!BASE64.test(keyText)) {
      skipped.push({ line, reason: "the key is not base64" })
      return
    }
    const key = Buffer.from(keyText, "base64")
    if (keyType(key) !== type) {
      skipped.push({ line, reason: `the key does not decode to a ${type} key` })
      return
    }
    let hosts: Entry["hosts"]
    if (hostField.startsWith("|1|")) {
      const [, , saltText, hashText] = hostField.split("|")
      if (saltText === undefined || hashText === undefined || !BASE64.test(saltText) || !BASE64.test(hashText)) {
        skipped.push({ line, reason: "malformed hashed host (expected |1|salt|hash)" })
        return
      }
      hosts = { _tag: "Hashed", salt: Buffer.from(saltText, "base64"), hash: Buffer.from(hashText, "base64") }
    } else {
      hosts = { _tag: "Patterns", patterns: hostField.split(",").filter((p) => p !== "") }
    }
    entries.push({ line, marker, hosts, keyType: type, key })
  })
  return { entries, skipped }
}

/** The name known_hosts stores for a host: `host` on port 22, `[host]:port` otherwise (lower-cased). */
export const hostName = (host: string, port: number): string => {
  const lower = host.toLowerCase()
  return port === 22 ? lower : `[${lower}]:${port}`
}

/** OpenSSH's wildcard match: `*` any run of characters, `?` one character, everything else literal. */
const wildcard = (pattern: string, text: string): boolean => {
  const regex = new RegExp(
    `^${pattern
      .toLowerCase()
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "s"
  )
  return regex.test(text)
}

/** Does a known_hosts host field apply to `name` (as made by `hostName`)? */
export const matchesHost = (hosts: Entry["hosts"], name: string): boolean => {
  if (hosts._tag === "Hashed") {
    const computed = createHmac("sha1", hosts.salt).update(name).digest()
    return computed.length === hosts.hash.length && timingSafeEqual(computed, hosts.hash)
  }
  let matched = false
  for (const pattern of hosts.patterns) {
    const negated = pattern.startsWith("!")
    if (wildcard(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false // a negated match excludes the host whatever else matches
      matched = true
    }
  }
  return matched
}

export type Verdict =
  | { readonly _tag: "Trusted"; readonly line: number }
  | { readonly _tag: "Revoked"; readonly line: number }
  /** The host is known, but with other key(s): the key changed, or someone is in the middle. */
  | { readonly _tag: "Changed"; readonly known: ReadonlyArray<{ readonly line: number; readonly keyType: string; readonly fingerprint: string }> }
  | { readonly _tag: "Unknown" }

/** Host key entries (not revoked, not CA) for a host: their key types restrict what the server may offer. */
export const entriesFor = (entries: ReadonlyArray<Entry>, host: string, port: number): ReadonlyArray<Entry> => {
  const name = hostName(host, port)
  return entries.filter((e) => e.marker === undefined && matchesHost(e.hosts, name))
}

/** Is `key` (the server's public key blob) trusted for `host:port` by these entries? */
export const verify = (entries: ReadonlyArray<Entry>, target: { readonly host: string; readonly port: number }, key: Uint8Array): Verdict => {
  const blob = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  const revoked = entries.find((e) => e.marker === "revoked" && e.key.equals(blob))
  if (revoked !== undefined) return { _tag: "Revoked", line: revoked.line }
  const candidates = entriesFor(entries, target.host, target.port)
  const trusted = candidates.find((e) => e.key.equals(blob))
  if (trusted !== undefined) return { _tag: "Trusted", line: trusted.line }
  if (candidates.length > 0) {
    return {
      _tag: "Changed",
      known: candidates.map((e) => ({ line: e.line, keyType: e.keyType, fingerprint: fingerprint(e.key) }))
    }
  }
  return { _tag: "Unknown" }
}

/**
 * The server host key algorithms to offer when known_hosts pins these key types (like OpenSSH, so a host known
 * only by its RSA key is asked for its RSA key, not an unknown ed25519 one). Undefined: no restriction.
 */
export const hostKeyAlgorithms = (keyTypes: ReadonlyArray<string>): ReadonlyArray<string> | undefined => {
  const out: Array<string> = []
  for (const type of keyTypes) {
    const algorithms = type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]
    for (const a of algorithms) if (!out.includes(a)) out.push(a)
  }
  return out.length === 0 ? undefined : out
}

/** A known_hosts line for a key, as `ssh-keyscan` would print it. */
export const line = (host: string, port: number, key: Uint8Array): string =>
  `${hostName(host, port)} ${keyType(key) ?? "ssh-unknown"} ${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64")}`
