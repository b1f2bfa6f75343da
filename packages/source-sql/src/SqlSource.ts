/**
 * The `sql` source: one read-only SELECT against PostgreSQL, MySQL/MariaDB or SQLite, streamed with constant
 * memory (a server-side cursor, a paused row stream, a SQLite iterator), each row a `SourceRow` whose location is
 * `<keyColumn>=<value>` or `row N`.
 *
 * Read-only by construction, twice over: `SqlGuard` refuses anything but a single SELECT/WITH statement before
 * a connection is opened, and the query runs in a read-only transaction (`BEGIN READ ONLY`,
 * `START TRANSACTION READ ONLY`) or on a SQLite handle opened read-only.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Config, defineSource, type Model, SourceError, type Source } from "@anysource/core"
import { Chunk, Duration, Effect, Either, Exit, Option, Ref, Stream } from "effect"
import { z } from "zod"
import type { Classified, Driver, RowCursor, Settings } from "./internal/driver.ts"
import * as MysqlDriver from "./internal/mysql.ts"
import * as PostgresDriver from "./internal/postgres.ts"
import { resolveTarget } from "./internal/settings.ts"
import * as SqliteDriver from "./internal/sqlite.ts"
import * as SqlGuard from "./SqlGuard.ts"

export const id = "sql"

const ParamValue = z.union([z.string(), z.number(), z.boolean(), z.null()])

export const TlsConfig = z
  .strictObject({
    enabled: z.boolean().default(true).meta({ description: "Use TLS (default true when the tls block is present)." }),
    caFile: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "PEM file of the CA(s) to trust, relative to the config file. Default: the system's CAs." }),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .meta({ description: "Verify the server certificate and host name. Turn off only for a test server." }),
    servername: z.string().min(1).optional().meta({ description: "Host name to verify the certificate against (PostgreSQL)." })
  })
  .meta({ description: "TLS to the database server. Also switched on by sslmode=require in url." })

export const SqlSourceConfig = z
  .strictObject({
    dialect: z.enum(["postgres", "mysql", "sqlite"]).meta({ description: "postgres, mysql (also MariaDB) or sqlite." }),
    url: Config.secret()
      .optional()
      .meta({
        description:
          "Connection URL: postgres://user:pass@host:5432/db, mysql://user:pass@host:3306/db, sqlite:path/to/file.db. A secret: write ${DATABASE_URL}.",
        "x-secret": true
      }),
    host: z.string().min(1).optional().meta({ description: "Server host (instead of url)." }),
    port: z.number().int().min(1).max(65535).optional().meta({ description: "Server port (default 5432 / 3306)." }),
    database: z.string().min(1).optional().meta({ description: "Database name; for SQLite the file path (relative to the config file)." }),
    user: z.string().min(1).optional(),
    password: Config.secret().optional(),
    tls: TlsConfig.optional(),
    query: z
      .string()
      .min(1)
      .meta({ description: "One SELECT (or WITH … SELECT) statement. Named parameters :name are bound from params." }),
    params: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "parameter names are identifiers (letters, digits, _)"), ParamValue)
      .default({})
      .meta({ description: "Values for the query's :name parameters, bound safely (never spliced into the SQL text)." }),
    keyColumn: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "Result column that identifies a row: rows are located as <keyColumn>=<value> and ordered by it." }),
    orderByKey: z.boolean().default(true).meta({ description: "Order rows by keyColumn (stable output). Off: the query's own order." }),
    statementTimeoutMs: z
      .number()
      .int()
      .min(0)
      .default(300_000)
      .meta({ description: "Server-side limit for the query, including streaming its rows (0 = none)." }),
    connectTimeoutMs: z.number().int().positive().default(10_000).meta({ description: "Limit for connecting (SQLite: waiting for a lock)." }),
    fetchSize: z.number().int().min(1).max(100_000).default(1000).meta({ description: "Rows fetched per round trip; memory stays bounded by it." })
  })
  .superRefine((config, context) => {
    for (const problem of resolveTarget(config, ".").problems) {
      context.addIssue({ code: "custom", path: [...problem.path], message: problem.message })
    }
    const guarded = SqlGuard.prepare(config.dialect, config.query, config.params)
    if (Either.isLeft(guarded)) context.addIssue({ code: "custom", path: ["query"], message: guarded.left.message })
  })

export type SqlSourceConfig = z.output<typeof SqlSourceConfig>
export type SqlSourceConfigInput = z.input<typeof SqlSourceConfig>

const sourceError = (reason: SourceError["reason"], message: string, extra: Partial<Pick<SourceError, "location" | "retryable" | "cause">> = {}) =>
  new SourceError({ source: id, reason, message, ...extra })

const readCaFile = (file: string, baseDir: string): Effect.Effect<string, SourceError> =>
  Effect.try({
    try: () => Fs.readFileSync(Path.resolve(baseDir, file), "utf8"),
    catch: (error) =>
      sourceError("Config", `tls.caFile: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  })

const makeDriver = (settings: Settings, fetchSize: number): Driver => {
  switch (settings.dialect) {
    case "postgres":
      return PostgresDriver.make(settings)
    case "mysql":
      return MysqlDriver.make(settings, fetchSize)
    case "sqlite":
      return SqliteDriver.make(settings)
  }
}

const describeValue = (value: unknown): string => (typeof value === "object" && value !== null ? JSON.stringify(value) : String(value))

/** Build the source. Opens nothing: every `check` and every run of `read` opens (and closes) its own connection. */
export const make = (config: SqlSourceConfig, context: Source.SourceContext): Effect.Effect<Source.Source, SourceError> =>
  Effect.gen(function* () {
    const guarded = SqlGuard.prepare(config.dialect, config.query, config.params)
    if (Either.isLeft(guarded)) return yield* sourceError("Query", `the query was refused: ${guarded.left.message}`)
    const prepared = guarded.right
    const { target, problems } = resolveTarget(config, context.baseDir)
    if (target === undefined) {
      return yield* sourceError("Config", problems.map((p) => `${p.path.join(".")} ${p.message}`).join("; "))
    }
    const timeouts = { connectTimeoutMs: config.connectTimeoutMs, statementTimeoutMs: config.statementTimeoutMs }
    let settings: Settings
    if (target.dialect === "sqlite") {
      settings = { ...target, ...timeouts }
    } else {
      const tlsConfig = config.tls
      const useTls = tlsConfig?.enabled ?? target.tls
      const ca = useTls && tlsConfig?.caFile !== undefined ? yield* readCaFile(tlsConfig.caFile, context.baseDir) : undefined
      const { tls: _tls, ...rest } = target
      settings = {
        ...rest,
        ...timeouts,
        ...(useTls
          ? {
              tls: {
                rejectUnauthorized: tlsConfig?.rejectUnauthorized ?? true,
                ...(ca === undefined ? {} : { ca }),
                ...(tlsConfig?.servername === undefined ? {} : { servername: tlsConfig.servername })
              }
            }
          : {})
      }
    }
    const driver = makeDriver(settings, config.fetchSize)
    const keyColumn = config.keyColumn
    const readQuery = keyColumn !== undefined && config.orderByKey ? SqlGuard.orderedBy(prepared, keyColumn) : prepared
    const queryHash = Crypto.createHash("sha256")
      .update(JSON.stringify([config.dialect, readQuery.text, readQuery.values, prepared.parameters]))
      .digest("hex")
      .slice(0, 16)
    const fingerprint = yield* Ref.make<string | undefined>(undefined)

    const toError = (error: unknown, location?: string): SourceError => {
      const classified: Classified = driver.classify(error)
      return sourceError(classified.reason, `${driver.label}: ${classified.message}`, {
        retryable: classified.retryable,
        cause: error,
        ...(location === undefined ? {} : { location })
      })
    }

    const missingKey = (columns: ReadonlyArray<string>) =>
      sourceError("Query", `${driver.label}: keyColumn "${keyColumn}" is not a column of the query result (columns: ${columns.join(", ")})`)

    const check: Effect.Effect<void, SourceError> = Effect.tryPromise({
      try: () => driver.columns(SqlGuard.probe(prepared)),
      catch: (error) => toError(error)
    }).pipe(
      Effect.flatMap((columns) => (keyColumn !== undefined && !columns.includes(keyColumn) ? Effect.fail(missingKey(columns)) : Effect.void)),
      Effect.withSpan("SqlSource.check", { attributes: { target: driver.label } })
    )

    const closeCursor = (cursor: RowCursor, exit: Exit.Exit<unknown, unknown>) =>
      Exit.isSuccess(exit)
        ? Effect.tryPromise(() => cursor.close()).pipe(
            Effect.timeout(Duration.seconds(5)),
            Effect.catchAll(() => Effect.sync(() => cursor.destroy()))
          )
        : Effect.sync(() => cursor.destroy())

    const read: Stream.Stream<Model.SourceRow, SourceError> = Stream.unwrapScoped(
      Effect.gen(function* () {
        const cursor = yield* Effect.acquireRelease(
          Effect.tryPromise({ try: () => driver.open(readQuery), catch: (error) => toError(error) }),
          closeCursor
        )
        let emitted = 0
        let lastLocation: string | undefined
        const locate = (data: Readonly<Record<string, unknown>>, index: number): string => {
          if (keyColumn !== undefined) {
            const value = data[keyColumn]
            if (value !== null && value !== undefined) return `${keyColumn}=${describeValue(value)}`
          }
          return `row ${index}`
        }
        const batch = Effect.tryPromise({
          try: () => cursor.next(config.fetchSize),
          catch: (error) =>
            Option.some(
              toError(
                error,
                `row ${emitted + 1}${lastLocation !== undefined && !lastLocation.startsWith("row ") ? ` (after ${lastLocation})` : ""}`
              )
            )
        }).pipe(
          Effect.flatMap((rows) => {
            if (rows.length === 0) return Effect.fail(Option.none<SourceError>())
            if (emitted === 0 && keyColumn !== undefined && !(keyColumn in rows[0]!)) {
              return Effect.fail(Option.some(missingKey(Object.keys(rows[0]!))))
            }
            const out = new Array<Model.SourceRow>(rows.length)
            for (let i = 0; i < rows.length; i++) {
              const data = rows[i]!
              emitted++
              out[i] = { data, location: locate(data, emitted) }
            }
            lastLocation = out[out.length - 1]!.location
            return Effect.succeed(Chunk.unsafeFromArray(out))
          })
        )
        return Stream.repeatEffectChunkOption(batch).pipe(
          Stream.concat(Stream.execute(Effect.suspend(() => Ref.set(fingerprint, `${driver.label} query:${queryHash} rows:${emitted}`))))
        )
      })
    ).pipe(Stream.withSpan("SqlSource.read", { attributes: { target: driver.label } }))

    return { check, read, fingerprint: Ref.get(fingerprint) } satisfies Source.Source
  })

/** The adapter, as registered in the apps' source registry. */
export const definition = defineSource({
  id,
  displayName: "SQL database (PostgreSQL, MySQL/MariaDB, SQLite)",
  description: "Runs one read-only SELECT and streams its rows with a server-side cursor.",
  docs: {
    summary: "one read-only SELECT against PostgreSQL, MySQL/MariaDB or SQLite, streamed",
    example: `source:
  type: sql
  # PostgreSQL, MySQL/MariaDB or SQLite. The query runs read-only. See \`anysource sources sql\`.
  dialect: postgres                 # postgres | mysql | sqlite
  url: \${HR_DATABASE_URL}          # never paste credentials here: an env var, or HR_DATABASE_URL_FILE
  query: |
    SELECT employee_id, first_name, last_name, email, department, title, manager_id, status
    FROM employees
  keyColumn: employee_id            # stable order; rows are located as employee_id=E1042`
  },
  config: SqlSourceConfig,
  make
})
