/**
 * The `sftp` source: CSV / NDJSON / JSON files on an SFTP server (ssh2-sftp-client), decoded with the shared
 * `Formats` of @anysource/source-file. Host keys are verified by default (a pinned SHA256 fingerprint or a
 * known_hosts file); a file is read only once it is ready (minAge, a stability window, a marker file or a final
 * name); bytes stream through pipelined SFTP reads in constant memory; every row keeps its
 * `sftp://host/path:line` location; after a completed apply the file can be moved to an archive directory.
 */
import { Config, defineSource, type SourceError } from "@anysource/core"
import type { Model, Source } from "@anysource/core"
import { Formats } from "@anysource/source-file"
import { Chunk, Clock, Effect, Option, Redacted, Ref, type Scope, Stream } from "effect"
import { promises as Fs } from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Posix from "node:path/posix"
import { z } from "zod"
import * as KnownHosts from "./KnownHosts.ts"
import { connect, hostPort, type Connection, type ConnectOptions, type HostKeyPolicy } from "./internal/connection.ts"
import { Duration } from "./internal/duration.ts"
import { describe, requestError, SOURCE, sourceError } from "./internal/errors.ts"
import * as Reader from "./internal/reader.ts"
import { ensureReady, expandTemplate, isGlob, select, type Readiness, type Remote, type RemoteFile, type Spec } from "./internal/select.ts"

const CHECKSUM_FILE_LIMIT = 1024 * 1024

// ---------------------------------------------------------------------------------------------- config

const FINGERPRINT_HINT = 'a host key fingerprint looks like "SHA256:" followed by 43 base64 characters, as `ssh-keygen -l -E sha256 -f key.pub` prints it'

/** One fingerprint or a list, normalized (`SHA256:` prefix, no padding); a malformed one is a readable issue. */
const Fingerprints = z.union([z.string(), z.array(z.string()).min(1)]).transform((value, context) => {
  const list = Array.isArray(value) ? value : [value]
  const out: Array<string> = []
  for (const text of list) {
    const normalized = KnownHosts.normalizeFingerprint(text)
    if (normalized === undefined) {
      context.addIssue({ code: "custom", message: `"${text}" is not a SHA256 fingerprint: ${FINGERPRINT_HINT}` })
      return z.NEVER
    }
    out.push(normalized)
  }
  return out
})

/** Exactly one of the given keys is set (objects whose keys are alternatives, e.g. hostKey, ready). */
const exactlyOne =
  (keys: ReadonlyArray<string>, what: string) =>
  (value: Record<string, unknown>, context: z.RefinementCtx): void => {
    const set = keys.filter((k) => value[k] !== undefined)
    if (set.length !== 1) {
      context.addIssue({
        code: "custom",
        message: set.length === 0 ? `${what}: set one of ${keys.join(", ")}` : `${what}: set only one of ${set.join(", ")}`
      })
    }
  }

const HostKeyConfig = z
  .strictObject({
    fingerprint: Fingerprints.optional()
      .meta({ description: 'The server\'s SHA256 host key fingerprint ("SHA256:…"), or a list of them (during a key rotation).' }),
    knownHosts: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: "An OpenSSH known_hosts file (plain or hashed entries, [host]:port), relative to the config file; ~/ is the home directory."
      })
  })
  .superRefine(exactlyOne(["fingerprint", "knownHosts"], "hostKey"))
  .meta({ description: 'How to verify the server: { fingerprint: "SHA256:…" } or { knownHosts: "path/to/known_hosts" }.' })

const ReadyConfig = z
  .strictObject({
    stable: Duration("Read a file only when its size and modification time stay the same over this window.").optional(),
    marker: z
      .union([z.literal(true), z.string().min(1)])
      .transform((m) => (m === true ? "{name}.done" : m))
      .optional()
      .meta({
        description:
          'Read a file only when this marker file exists, next to it: "{name}.done" ({name} = the file\'s name, {stem} = without extension). true means "{name}.done".'
      }),
    finalPattern: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: 'Only files whose name matches this glob are complete (uploads are written as e.g. "*.part" and renamed at the end).'
      })
  })
  .superRefine(exactlyOne(["stable", "marker", "finalPattern"], "ready"))
  .meta({ description: 'When a file counts as completely uploaded: { stable: 30s } | { marker: "{name}.done" } | { finalPattern: "*.csv" }.' })

export const SftpSourceConfig = z
  .strictObject({
    host: z.string().min(1).meta({ description: "SFTP server host name or IP address." }),
    port: z.number().int().min(1).max(65535).default(22).meta({ description: "SSH port." }),
    username: z.string().min(1).meta({ description: "SSH user name." }),
    password: Config.secret().optional().meta({ description: "Password (write ${SFTP_PASSWORD}).", "x-secret": true }),
    privateKey: Config.secret()
      .optional()
      .meta({ description: "Private key text, OpenSSH or PEM (write ${SFTP_KEY}, or set SFTP_KEY_FILE).", "x-secret": true }),
    privateKeyPath: z.string().min(1).optional().meta({ description: "A private key file on this machine, relative to the config file; ~/ is the home directory." }),
    passphrase: Config.secret().optional().meta({ description: "Passphrase of an encrypted private key (write ${SFTP_KEY_PASSPHRASE}).", "x-secret": true }),
    agent: z.boolean().default(false).meta({ description: "Authenticate with the keys of a running SSH agent (needs agentSocket)." }),
    agentSocket: z.string().min(1).optional().meta({ description: "The SSH agent's socket: write ${SSH_AUTH_SOCK}." }),
    hostKey: HostKeyConfig.optional(),
    insecureAcceptAnyHostKey: z
      .boolean()
      .default(false)
      .meta({ description: "Connect without verifying the server's host key (open to man-in-the-middle attacks). Warned about on every run." }),
    timeout: Duration("Connection and SSH handshake timeout.").prefault(30).meta({ description: "Connection and SSH handshake timeout (default 30s)." }),
    path: z.string().min(1).meta({
      description:
        "A remote file, or a directory and a file-name glob (in/people-*.csv). Relative paths start at the user's login directory."
    }),
    pick: z
      .enum(["newest", "all"])
      .default("newest")
      .meta({ description: "When the glob matches several files: the newest by modification time, or all (concatenated in name order)." }),
    minAge: Duration("Only read files last modified at least this long ago.").optional(),
    ready: ReadyConfig.optional(),
    ...Formats.formatOptionsShape,
    checksum: Formats.ChecksumOptions.optional().meta({
      description: 'Verify each file\'s sha256 while reading: { file: "{name}.sha256" } (on the server, next to the file) or { sha256: "<hex>" }.'
    }),
    archiveDir: z.string().min(1).optional().meta({
      description:
        "After a run whose apply Okta reported COMPLETED, move the file(s) read (and their marker) here; relative to each file's directory. Created when missing."
    })
  })
  .superRefine((c, context) => {
    const issue = (message: string, path: Array<string> = []) => context.addIssue({ code: "custom", message, path })
    if (c.hostKey === undefined && !c.insecureAcceptAnyHostKey) {
      issue(
        'host key verification is required: set hostKey: { fingerprint: "SHA256:…" } (from `ssh-keygen -l -E sha256 -f <host key>.pub` on the server) or hostKey: { knownHosts: "known_hosts" }',
        ["hostKey"]
      )
    }
    if (c.hostKey !== undefined && c.insecureAcceptAnyHostKey) {
      issue("hostKey and insecureAcceptAnyHostKey: true contradict each other: remove insecureAcceptAnyHostKey", ["insecureAcceptAnyHostKey"])
    }
    if (c.password === undefined && c.privateKey === undefined && c.privateKeyPath === undefined && !c.agent) {
      issue("no credentials: set privateKey (or privateKeyPath), password, or agent: true", [])
    }
    if (c.privateKey !== undefined && c.privateKeyPath !== undefined) {
      issue("set privateKey or privateKeyPath, not both", ["privateKeyPath"])
    }
    if (c.passphrase !== undefined && c.privateKey === undefined && c.privateKeyPath === undefined) {
      issue("passphrase is for an encrypted private key: set privateKey or privateKeyPath too", ["passphrase"])
    }
    if (c.agent && c.agentSocket === undefined) {
      issue("agent: true needs the agent's socket: agentSocket: ${SSH_AUTH_SOCK}", ["agentSocket"])
    }
    if (isGlob(Posix.dirname(c.path))) {
      issue(`only the file name may be a glob (e.g. in/people-*.csv), not the directories in ${c.path}`, ["path"])
    }
    if (c.path.endsWith("/")) {
      issue(`${c.path} is a directory: add a file name or glob, e.g. ${c.path}*.csv`, ["path"])
    }
  })
export type SftpSourceConfig = z.output<typeof SftpSourceConfig>

// ---------------------------------------------------------------------------------------------- helpers

/** What a run read: enough to name it in the plan (fingerprint) and to archive exactly it afterwards. */
interface ReadFact {
  readonly path: string
  readonly url: string
  readonly size: number
  readonly mtimeMs: number
  readonly sha256: string
}

const localPath = (baseDir: string, file: string): string =>
  file === "~" || file.startsWith("~/") ? Path.join(Os.homedir(), file.slice(1)) : Path.resolve(baseDir, file)

const hostKeyPolicy = (config: SftpSourceConfig, baseDir: string): HostKeyPolicy => {
  if (config.hostKey === undefined) return { _tag: "AcceptAny" }
  return config.hostKey.fingerprint !== undefined
    ? { _tag: "Fingerprints", fingerprints: config.hostKey.fingerprint }
    : { _tag: "KnownHosts", file: localPath(baseDir, config.hostKey.knownHosts!) }
}

const readiness = (config: SftpSourceConfig): Readiness | undefined => {
  const ready = config.ready
  if (ready === undefined) return undefined
  if (ready.stable !== undefined) return { _tag: "Stable", windowMillis: ready.stable }
  if (ready.marker !== undefined) return { _tag: "Marker", template: ready.marker }
  return { _tag: "FinalPattern", pattern: ready.finalPattern! }
}

const readKeyFile = (file: string) => (): Effect.Effect<Redacted.Redacted<string>, SourceError> =>
  Effect.tryPromise({
    try: async () => Redacted.make(await Fs.readFile(file, "utf8")),
    catch: (error) => sourceError("Auth", `cannot read privateKeyPath ${file}: ${describe(error)}`, { cause: error })
  })

/** The SFTP operations selection and archiving need, over one connection. */
const remoteOf = (conn: Connection, display: (path: string) => string): Remote => ({
  stat: (path) =>
    Effect.tryPromise({
      try: () => conn.client.stat(path),
      catch: (error) => requestError(display(path), error)
    }).pipe(
      Effect.flatMap((stats) =>
        stats.isFile
          ? Effect.succeed<RemoteFile | undefined>({ path, size: stats.size, mtimeMs: stats.modifyTime })
          : Effect.fail(sourceError("Config", `${display(path)} is ${stats.isDirectory ? "a directory" : "not a regular file"}: set path to a file, or to a glob such as ${Posix.join(path, "*.csv")}`))
      ),
      Effect.catchIf(
        (error) => error.reason === "NotFound",
        () => Effect.succeed(undefined)
      )
    ),
  list: (dir) =>
    Effect.tryPromise({
      try: () => conn.client.list(dir),
      catch: (error) => requestError(`directory ${display(dir)}`, error)
    }).pipe(
      Effect.map((entries) =>
        entries.filter((e) => e.type === "-").map((e) => ({ path: Posix.join(dir, e.name), size: e.size, mtimeMs: e.modifyTime }))
      )
    )
})

// ---------------------------------------------------------------------------------------------- the source

export const SftpSource = defineSource({
  id: SOURCE,
  displayName: "SFTP",
  description:
    "CSV, NDJSON or JSON files on an SFTP server: host key verification, key/password/agent auth, newest or all files, readiness rules (stable, marker, final name), gzip, encodings, checksums, archive after apply.",
  docs: {
    summary: "CSV, NDJSON or JSON files on an SFTP server (host-key pinning, readiness rules, archive after apply)",
    example: `source:
  type: sftp
  # A file dropped on an SFTP server. See \`anysource sources sftp\` for readiness rules and archiving.
  host: sftp.example.com
  username: okta-sync
  privateKey: \${SFTP_KEY}          # or SFTP_KEY_FILE=/run/secrets/sftp_key
  # The server's host key, verified on every connection: a known_hosts file next to this config
  # (ssh-keyscan sftp.example.com > known_hosts, then check it), or hostKey: { fingerprint: "SHA256:…" }.
  hostKey: { knownHosts: known_hosts }
  path: outbound/people-*.csv       # relative to the login directory; the newest match is read
  pick: newest
  ready: { marker: "{name}.done" }  # only read a file once the HR system wrote people-….csv.done`
  },
  config: SftpSourceConfig,
  make: (config, { baseDir }) =>
    Effect.gen(function* () {
      const policy = hostKeyPolicy(config, baseDir)
      if (policy._tag === "AcceptAny") {
        yield* Effect.logWarning(
          `sftp: insecureAcceptAnyHostKey is on — the identity of ${hostPort(config.host, config.port)} is NOT verified, so anyone able to intercept the connection can feed this sync their own file. Pin the server's key with hostKey: { fingerprint: "SHA256:…" } (it is logged on connect).`
        )
      }
      const warnedFingerprint = yield* Ref.make(false)
      const connectOptions: ConnectOptions = {
        host: config.host,
        port: config.port,
        username: config.username,
        password: config.password,
        privateKey:
          config.privateKey !== undefined
            ? { key: config.privateKey, origin: "privateKey" }
            : config.privateKeyPath !== undefined
              ? { key: readKeyFile(localPath(baseDir, config.privateKeyPath)), origin: localPath(baseDir, config.privateKeyPath) }
              : undefined,
        passphrase: config.passphrase,
        agentSocket: config.agent ? config.agentSocket : undefined,
        hostKey: policy,
        timeoutMillis: config.timeout,
        onUnverifiedHostKey: (fingerprint) =>
          Ref.getAndSet(warnedFingerprint, true).pipe(
            Effect.flatMap((warned) =>
              warned
                ? Effect.void
                : Effect.logWarning(
                    `sftp: accepted the host key ${fingerprint} of ${hostPort(config.host, config.port)} WITHOUT verification (insecureAcceptAnyHostKey). If it is your server's, pin it: hostKey: { fingerprint: "${fingerprint}" }`
                  )
            )
          )
      }
      const authority = config.port === 22 ? config.host : hostPort(config.host, config.port)
      const url = (path: string): string => `sftp://${authority}${path.startsWith("/") ? "" : "/"}${path}`
      const ready = readiness(config)
      const companions = config.checksum !== undefined && "file" in config.checksum ? [config.checksum.file] : []
      const specFor = (conn: Connection): Spec => ({
        path: Posix.resolve(conn.home, config.path),
        pick: config.pick,
        minAgeMillis: config.minAge,
        ready,
        companions,
        display: url
      })
      const lastRead = yield* Ref.make<Option.Option<ReadonlyArray<ReadFact>>>(Option.none())

      const expectedSha256 = (conn: Connection, file: RemoteFile, fileCount: number): Effect.Effect<string | undefined, SourceError> => {
        const checksum = config.checksum
        if (checksum === undefined) return Effect.succeed(undefined)
        if ("sha256" in checksum) {
          return fileCount > 1
            ? Effect.fail(
                sourceError(
                  "Config",
                  `checksum.sha256 can verify one file but ${config.path} selects ${fileCount}: use checksum.file with "{name}", e.g. "{name}.sha256"`
                )
              )
            : Effect.succeed(checksum.sha256.toLowerCase())
        }
        const sumPath = expandTemplate(checksum.file, file.path)
        const name = Posix.basename(file.path)
        return Effect.gen(function* () {
          const stats = yield* Effect.tryPromise({ try: () => conn.client.stat(sumPath), catch: (e) => requestError(`checksum file ${url(sumPath)}`, e) })
          if (stats.size > CHECKSUM_FILE_LIMIT) {
            return yield* sourceError("Consistency", `checksum file ${url(sumPath)} is ${stats.size} bytes: not a checksum file`)
          }
          const text = yield* Effect.tryPromise({
            try: async () => ((await conn.client.get(sumPath)) as Buffer).toString("utf8"),
            catch: (e) => requestError(`checksum file ${url(sumPath)}`, e)
          })
          const sha = Formats.parseChecksumFile(text, name)
          if (sha === undefined) {
            return yield* sourceError("Consistency", `checksum file ${url(sumPath)} has no sha256 for ${name} — expected "<64 hex digits>  ${name}"`)
          }
          return sha
        })
      }

      /** Connect, select and check readiness: the files to read (or to probe). */
      const selectReady = (conn: Connection, waitForStable: boolean) => {
        const spec = specFor(conn)
        const remote = remoteOf(conn, url)
        return select(remote, spec).pipe(Effect.flatMap((files) => ensureReady(remote, spec, files, { waitForStable })))
      }

      const check: Effect.Effect<void, SourceError> = Effect.scoped(
        Effect.gen(function* () {
          const conn = yield* connect(connectOptions)
          const files = yield* selectReady(conn, false)
          for (const file of files) yield* expectedSha256(conn, file, files.length)
        })
      ).pipe(Effect.withSpan("source-sftp.check"))

      const readOne = (conn: Connection, file: RemoteFile, fileCount: number, facts: Array<ReadFact>): Stream.Stream<Model.SourceRow, SourceError> =>
        Stream.unwrap(
          Effect.map(expectedSha256(conn, file, fileCount), (sha256) => {
            const name = url(file.path)
            let opened: Reader.OpenedFile | undefined
            const bytes = Reader.open(conn.sftp, file.path, name).pipe(
              Effect.map((o) => {
                opened = o
                return Reader.bytes(conn.sftp, o, name)
              })
            )
            return Formats.decode(bytes, {
              ...config,
              name,
              source: SOURCE,
              ...(sha256 !== undefined ? { sha256 } : {}),
              onDigest: (d) =>
                facts.push({ path: file.path, url: name, size: d.bytes, mtimeMs: opened?.mtimeMs ?? file.mtimeMs, sha256: d.sha256 })
            })
          })
        )

      const read: Stream.Stream<Model.SourceRow, SourceError> = Stream.unwrapScoped(
        Effect.gen(function* () {
          const conn = yield* connect(connectOptions)
          const files = yield* selectReady(conn, true)
          yield* Effect.logDebug(`sftp: reading ${files.map((f) => url(f.path)).join(", ")}`)
          const facts: Array<ReadFact> = []
          return Stream.concat(
            Stream.concatAll(Chunk.fromIterable(files.map((file) => readOne(conn, file, files.length, facts)))),
            Stream.fromEffect(Ref.set(lastRead, Option.some(facts))).pipe(Stream.drain)
          )
        })
      ).pipe(Stream.withSpan("source-sftp.read"))

      const fingerprint: Effect.Effect<string | undefined> = Ref.get(lastRead).pipe(
        Effect.map(
          Option.match({
            onNone: () => undefined,
            onSome: (facts) =>
              facts.map((f) => `${f.url} size=${f.size} mtime=${new Date(f.mtimeMs).toISOString()} sha256=${f.sha256}`).join("; ")
          })
        )
      )

      const archiveDir = config.archiveDir
      const afterApply: Effect.Effect<void, SourceError> | undefined =
        archiveDir === undefined
          ? undefined
          : Ref.get(lastRead).pipe(
              Effect.flatMap(
                Option.match({
                  onNone: () => Effect.logWarning("sftp: nothing to archive — no file was read completely in this run"),
                  onSome: (facts) => (facts.length === 0 ? Effect.void : archive(facts, archiveDir))
                })
              ),
              Effect.withSpan("source-sftp.afterApply")
            )

      const archive = (facts: ReadonlyArray<ReadFact>, dir: string): Effect.Effect<void, SourceError> =>
        Effect.scoped(
          Effect.gen(function* () {
            const conn = yield* connect(connectOptions)
            const remote = remoteOf(conn, url)
            const stamp = new Date(yield* Clock.currentTimeMillis).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")
            for (const fact of facts) {
              const now = yield* remote.stat(fact.path)
              if (now === undefined || now.size !== fact.size || now.mtimeMs !== fact.mtimeMs) {
                yield* Effect.logWarning(
                  `sftp: not archiving ${fact.url}: it ${now === undefined ? "is gone" : "changed"} since it was read (a new upload?) — it will be read on the next run`
                )
                continue
              }
              const target = Posix.resolve(Posix.dirname(fact.path), dir)
              yield* Effect.tryPromise({
                try: () => conn.client.mkdir(target, true),
                catch: (e) => requestError(`archive directory ${url(target)}`, e)
              })
              const move = (from: string) =>
                Effect.gen(function* () {
                  const base = Posix.basename(from)
                  let to = Posix.join(target, base)
                  if ((yield* remote.stat(to)) !== undefined) to = Posix.join(target, `${base}.${stamp}`)
                  yield* Effect.tryPromise({
                    try: () => conn.client.rename(from, to),
                    catch: (e) => requestError(`moving ${url(from)} to ${url(to)}`, e)
                  })
                  yield* Effect.logInfo(`sftp: archived ${url(from)} → ${url(to)}`)
                })
              yield* move(fact.path)
              const movable = [
                ...(ready?._tag === "Marker" ? [ready.template] : []),
                ...companions.filter((t) => t.includes("{name}") || t.includes("{stem}"))
              ]
              for (const template of movable) {
                const companion = expandTemplate(template, fact.path)
                if (Posix.dirname(companion) === Posix.dirname(fact.path) && (yield* remote.stat(companion)) !== undefined) yield* move(companion)
              }
            }
          })
        )

      const source: Source.Source = { check, read, fingerprint, ...(afterApply !== undefined ? { afterApply } : {}) }
      return source
    }) satisfies Effect.Effect<Source.Source, SourceError, Scope.Scope>
})

