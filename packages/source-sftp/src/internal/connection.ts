/**
 * One SSH/SFTP connection (ssh2-sftp-client) held in an Effect scope: host key verification, key / password /
 * agent authentication, and every failure as a typed `SourceError`. Closing the scope ends the connection; an
 * interrupted connect destroys the socket at once.
 */
import type { SourceError } from "@anysource/core"
import { Effect, Redacted, type Scope } from "effect"
import { promises as Fs } from "node:fs"
import ssh2 from "ssh2"
import SftpClient from "ssh2-sftp-client"
import * as KnownHosts from "../KnownHosts.ts"
import { describe, sourceError } from "./errors.ts"

export type HostKeyPolicy =
  | { readonly _tag: "Fingerprints"; readonly fingerprints: ReadonlyArray<string> }
  | { readonly _tag: "KnownHosts"; readonly file: string }
  | { readonly _tag: "AcceptAny" }

export interface ConnectOptions {
  readonly host: string
  readonly port: number
  readonly username: string
  readonly password?: Redacted.Redacted<string> | undefined
  /** Key text (OpenSSH or PEM), from config or read from `privateKeyPath`. */
  readonly privateKey?: { readonly key: Redacted.Redacted<string> | (() => Effect.Effect<Redacted.Redacted<string>, SourceError>); readonly origin: string } | undefined
  readonly passphrase?: Redacted.Redacted<string> | undefined
  /** Path of an SSH agent's socket (`SSH_AUTH_SOCK`). */
  readonly agentSocket?: string | undefined
  readonly hostKey: HostKeyPolicy
  readonly timeoutMillis: number
  /** Called once per connection when the host key was accepted without verification. */
  readonly onUnverifiedHostKey?: (fingerprint: string) => Effect.Effect<void>
}

export interface Connection {
  readonly client: SftpClient
  readonly sftp: ssh2.SFTPWrapper
  /** `user@host:port`, for messages. */
  readonly label: string
  /** The login directory: relative remote paths resolve against it. */
  readonly home: string
}

/** `host:port`, with IPv6 addresses in brackets. */
import { hostPort } from "./hostPort.ts"

export { hostPort }

type Verification =
  | { readonly _tag: "Accepted"; readonly fingerprint: string; readonly verified: boolean }
  | { readonly _tag: "Rejected"; readonly message: string }

const keyscanHint = (host: string, port: number): string => `ssh-keyscan ${port === 22 ? "" : `-p ${port} `}${host}`

const pinHint = (seen: string, host: string, port: number, key: Uint8Array, knownHostsFile?: string): string =>
  `If this is your server (compare with \`ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_*_key.pub\` run on it, or ask its administrator), pin it with ` +
  `hostKey: { fingerprint: "${seen}" }` +
  (knownHostsFile !== undefined
    ? `, or add this line to ${knownHostsFile}: ${KnownHosts.line(host, port, key)}`
    : `, or use hostKey: { knownHosts: <file> } with a line from \`${keyscanHint(host, port)}\``)

/** Decide about the key the server presented; the message says what was seen and how to pin it. */
const verifyKey = (
  options: ConnectOptions,
  known: ReadonlyArray<KnownHosts.Entry> | undefined,
  key: Buffer
): Verification => {
  const seen = KnownHosts.fingerprint(key)
  const type = KnownHosts.keyType(key) ?? "unknown-type"
  const where = hostPort(options.host, options.port)
  const policy = options.hostKey
  switch (policy._tag) {
    case "AcceptAny":
      return { _tag: "Accepted", fingerprint: seen, verified: false }
    case "Fingerprints":
      return policy.fingerprints.includes(seen)
        ? { _tag: "Accepted", fingerprint: seen, verified: true }
        : {
            _tag: "Rejected",
            message:
              `host key of ${where} does not match hostKey.fingerprint: the server presented ${type} ${seen}, ` +
              `expected ${policy.fingerprints.join(" or ")}. The server was reinstalled or re-keyed, or someone is intercepting the connection: ` +
              `do not connect until you know which. ${pinHint(seen, options.host, options.port, key)}`
          }
    case "KnownHosts": {
      const verdict = KnownHosts.verify(known ?? [], options, key)
      switch (verdict._tag) {
        case "Trusted":
          return { _tag: "Accepted", fingerprint: seen, verified: true }
        case "Revoked":
          return {
            _tag: "Rejected",
            message: `host key of ${where} (${type} ${seen}) is marked @revoked in ${policy.file} line ${verdict.line}: refusing to connect`
          }
        case "Changed":
          return {
            _tag: "Rejected",
            message:
              `HOST KEY CHANGED for ${where}: the server presented ${type} ${seen}, but ${policy.file} expects ` +
              `${verdict.known.map((k) => `${k.keyType} ${k.fingerprint} (line ${k.line})`).join(", ")}. ` +
              `The server was reinstalled or re-keyed, or someone is intercepting the connection: do not connect until you know which. ` +
              `Once verified, replace the old line(s) with: ${KnownHosts.line(options.host, options.port, key)}`
          }
        case "Unknown":
          return {
            _tag: "Rejected",
            message:
              `host key of ${where} is unknown: the server presented ${type} ${seen} and ${policy.file} has no entry for ` +
              `${KnownHosts.hostName(options.host, options.port)}. ${pinHint(seen, options.host, options.port, key, policy.file)}`
          }
      }
    }
  }
}

const loadKnownHosts = (file: string): Effect.Effect<ReadonlyArray<KnownHosts.Entry>, SourceError> =>
  Effect.tryPromise({
    try: () => Fs.readFile(file, "utf8"),
    catch: (error) =>
      sourceError(
        "HostKey",
        `cannot read the known_hosts file ${file} (${describe(error)}): create it with \`ssh-keyscan -p <port> <host> > ${file}\` ` +
          `and check the fingerprint it prints with the server's administrator, or pin hostKey.fingerprint instead`,
        { cause: error }
      )
  }).pipe(
    Effect.tap((text) => {
      const { skipped } = KnownHosts.parse(text)
      return skipped.length === 0
        ? Effect.void
        : Effect.logWarning(`known_hosts ${file}: ignored ${skipped.map((s) => `line ${s.line} (${s.reason})`).join(", ")}`)
    }),
    Effect.map((text) => KnownHosts.parse(text).entries)
  )

const privateKeyError = (origin: string, parsed: Error, hasPassphrase: boolean): SourceError => {
  const text = parsed.message
  if (/encrypted/i.test(text) && /no passphrase/i.test(text)) {
    return sourceError("Auth", `the private key (${origin}) is encrypted: set passphrase (e.g. passphrase: \${SFTP_KEY_PASSPHRASE})`)
  }
  if (hasPassphrase && /(decrypt|passphrase|bad decrypt|integrity|checkint)/i.test(text)) {
    return sourceError("Auth", `cannot decrypt the private key (${origin}): the passphrase is wrong`)
  }
  return sourceError(
    "Auth",
    `the private key (${origin}) is not a private key ssh2 can use (OpenSSH "BEGIN OPENSSH PRIVATE KEY", or PEM RSA/EC/PKCS#8): ${text.replace(/[A-Za-z0-9+/=]{40,}/g, "…")}`
  )
}

/** A raw ssh2 error (it carries `level`) as a typed `SourceError`. */
const connectError = (options: ConnectOptions, raw: unknown, rejection: string | undefined): SourceError => {
  const where = `${options.username}@${hostPort(options.host, options.port)}`
  if (rejection !== undefined) return sourceError("HostKey", rejection, { cause: raw })
  const level = typeof raw === "object" && raw !== null && "level" in raw ? String(raw.level) : undefined
  const code = typeof raw === "object" && raw !== null && "code" in raw ? String(raw.code) : undefined
  const text = describe(raw)
  if (level === "client-authentication") {
    const methods = [
      options.privateKey !== undefined ? "publickey" : undefined,
      options.agentSocket !== undefined ? "agent" : undefined,
      options.password !== undefined ? "password" : undefined
    ].filter((m) => m !== undefined)
    return sourceError(
      "Auth",
      `authentication failed for ${where}: the server accepted none of the configured methods (${methods.join(", ")}) — check username, key, password, and that the public key is in the user's authorized_keys`,
      { cause: raw }
    )
  }
  if (level === "agent") {
    return sourceError("Auth", `the SSH agent at ${options.agentSocket ?? "?"} failed: ${text} — is the agent running and does it hold a key (ssh-add -l)?`, {
      cause: raw
    })
  }
  if (level === "client-timeout") {
    return sourceError("Connect", `${where}: no SSH handshake within ${Math.round(options.timeoutMillis / 1000)} s — is the host and port right, and the server up?`, {
      retryable: true,
      cause: raw
    })
  }
  if (level === "client-dns" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return sourceError("Connect", `cannot resolve host ${options.host} (${code ?? text})`, { retryable: code === "EAI_AGAIN", cause: raw })
  }
  if (code === "ECONNREFUSED") {
    return sourceError("Connect", `${hostPort(options.host, options.port)} refused the connection — is the SSH server running on that port?`, {
      retryable: true,
      cause: raw
    })
  }
  if (level === "handshake" || level === "protocol") {
    return sourceError("Connect", `SSH handshake with ${hostPort(options.host, options.port)} failed: ${text}`, { cause: raw })
  }
  return sourceError("Connect", `cannot connect to ${where}: ${text}`, { retryable: true, cause: raw })
}

/** End the connection; if the server does not answer within 2 s, drop the socket. */
const close = (client: SftpClient): Effect.Effect<void> =>
  Effect.promise(async () => {
    const raw = (client as unknown as { client: ssh2.Client }).client
    await Promise.race([client.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())])
    raw.destroy()
  })

/** Open a connection that lives until the scope closes. */
export const connect = (options: ConnectOptions): Effect.Effect<Connection, SourceError, Scope.Scope> =>
  Effect.gen(function* () {
    const known = options.hostKey._tag === "KnownHosts" ? yield* loadKnownHosts(options.hostKey.file) : undefined
    const keyText =
      options.privateKey === undefined
        ? undefined
        : Redacted.isRedacted(options.privateKey.key)
          ? options.privateKey.key
          : yield* options.privateKey.key()
    // Parse (and decrypt) the key here first, for a clear error (ssh2 would only say "Cannot parse privateKey").
    if (keyText !== undefined && options.privateKey !== undefined) {
      const parsed = ssh2.utils.parseKey(
        Redacted.value(keyText),
        options.passphrase === undefined ? undefined : Redacted.value(options.passphrase)
      )
      if (parsed instanceof Error) return yield* privateKeyError(options.privateKey.origin, parsed, options.passphrase !== undefined)
      // OpenSSH-format files parse to a list (of one key).
      const parsedKey = Array.isArray(parsed) ? (parsed as ReadonlyArray<ssh2.ParsedKey>)[0] : parsed
      if (parsedKey === undefined || parsedKey.isPrivateKey() !== true) {
        return yield* sourceError("Auth", `${options.privateKey.origin} holds no private key (is it the .pub file?)`)
      }
    }

    let verification: Verification | undefined
    let lastError: unknown
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        // The library's default callbacks write to the console; errors are taken from the calls instead.
        const c = new SftpClient("anysource", { error: () => {}, end: () => {}, close: () => {} })
        c.on("error", (error: unknown) => {
          lastError ??= error
        })
        return c
      }),
      close
    )
    const keyTypes = known === undefined ? [] : [...new Set(KnownHosts.entriesFor(known, options.host, options.port).map((e) => e.keyType))]
    const serverHostKey = KnownHosts.hostKeyAlgorithms(keyTypes)
    const config: SftpClient.ConnectOptions = {
      host: options.host,
      port: options.port,
      username: options.username,
      readyTimeout: options.timeoutMillis,
      // A server that stops answering mid-read is noticed within about a minute (pending requests then fail).
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      tryKeyboard: false,
      hostVerifier: (key: Buffer) => {
        verification = verifyKey(options, known, key)
        return verification._tag === "Accepted"
      },
      ...(serverHostKey !== undefined ? { algorithms: { serverHostKey: [...serverHostKey] as Array<ssh2.ServerHostKeyAlgorithm> } } : {}),
      ...(options.password !== undefined ? { password: Redacted.value(options.password) } : {}),
      ...(keyText !== undefined ? { privateKey: Redacted.value(keyText) } : {}),
      ...(keyText !== undefined && options.passphrase !== undefined ? { passphrase: Redacted.value(options.passphrase) } : {}),
      ...(options.agentSocket !== undefined ? { agent: options.agentSocket } : {})
    }
    const sftp = yield* Effect.tryPromise({
      try: (signal) => {
        signal.addEventListener("abort", () => (client as unknown as { client: ssh2.Client }).client.destroy())
        return client.connect(config)
      },
      catch: (error) =>
        connectError(options, lastError ?? error, verification?._tag === "Rejected" ? verification.message : undefined)
    })
    // A connection that fails later (server restart, network) must not crash the process: requests fail instead.
    sftp.on("error", () => {})
    if (verification?._tag === "Accepted" && !verification.verified && options.onUnverifiedHostKey) {
      yield* options.onUnverifiedHostKey(verification.fingerprint)
    }
    const label = `${options.username}@${hostPort(options.host, options.port)}`
    const home = yield* Effect.tryPromise({
      try: () => client.realPath("."),
      catch: (error) => sourceError("Connect", `${label}: cannot resolve the login directory: ${describe(error)}`, { retryable: true, cause: error })
    })
    return { client, sftp, label, home: home === "" ? "/" : home }
  })
