/**
 * Turn the adapter config (URL or fields) into a connection target. Pure: the CA file is
 * read by `SqlSource.make`. Problems are reported by config path and never contain the URL (it may hold a password).
 */
import * as Path from "node:path"
import { Redacted } from "effect"
import type { Dialect } from "../SqlGuard.ts"

export interface TargetInput {
  readonly dialect: Dialect
  readonly url?: Redacted.Redacted<string> | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly database?: string | undefined
  readonly user?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  readonly tls?: { readonly enabled: boolean } | undefined
}

export type Target =
  | {
      readonly dialect: "postgres" | "mysql"
      readonly host: string
      readonly port: number
      readonly database?: string
      readonly user?: string
      readonly password?: Redacted.Redacted<string>
      readonly tls: boolean
    }
  | { readonly dialect: "sqlite"; readonly file: string }

export interface Problem {
  readonly path: ReadonlyArray<string>
  readonly message: string
}

const schemes: Record<Dialect, ReadonlyArray<string>> = {
  postgres: ["postgres:", "postgresql:"],
  mysql: ["mysql:", "mariadb:"],
  sqlite: ["sqlite:", "file:"]
}

const defaultPorts = { postgres: 5432, mysql: 3306 } as const

const tlsModes: Record<string, boolean> = {
  disable: false,
  allow: true,
  prefer: true,
  require: true,
  "verify-ca": true,
  "verify-full": true,
  true: true,
  false: false,
  "1": true,
  "0": false
}

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The SQLite file a `sqlite:`/`file:` URL names (`sqlite:data/hr.db`, `sqlite:///abs/hr.db`, `file:hr.db`). */
const sqliteUrlPath = (url: string): string => {
  const rest = url.replace(/^(sqlite|file):/i, "").replace(/[?#].*$/, "")
  return decode(rest.startsWith("//") ? rest.slice(2) : rest)
}

export const resolveTarget = (input: TargetInput, baseDir: string): { target?: Target; problems: Array<Problem> } => {
  const problems: Array<Problem> = []
  const url = input.url === undefined ? undefined : Redacted.value(input.url)
  const scheme = url === undefined ? undefined : /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0].toLowerCase()
  if (url !== undefined && (scheme === undefined || !schemes[input.dialect].includes(scheme))) {
    problems.push({
      path: ["url"],
      message: `must start with ${schemes[input.dialect].map((s) => `${s}//`).join(" or ")} for dialect ${input.dialect} (the URL is not shown: it may hold a password)`
    })
    return { problems }
  }

  if (input.dialect === "sqlite") {
    for (const key of ["host", "port", "user", "password", "tls"] as const) {
      if (input[key] !== undefined) problems.push({ path: [key], message: `is not used by SQLite (give the file as database or url)` })
    }
    const file = url !== undefined ? sqliteUrlPath(url) : input.database
    if (url !== undefined && input.database !== undefined) problems.push({ path: ["database"], message: "give either url or database, not both" })
    if (file === undefined || file.length === 0) {
      problems.push({ path: ["database"], message: "is required for SQLite: the database file (relative paths resolve against the config file's directory)" })
      return { problems }
    }
    return problems.length > 0 ? { problems } : { target: { dialect: "sqlite", file: Path.resolve(baseDir, file) }, problems }
  }

  let host = input.host
  let port = input.port
  let database = input.database
  let user = input.user
  let password = input.password
  let tls = input.tls?.enabled ?? false
  if (url !== undefined) {
    for (const key of ["host", "port", "database", "user"] as const) {
      if (input[key] !== undefined) problems.push({ path: [key], message: "give either url or the connection fields (host, port, database, user), not both" })
    }
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      problems.push({ path: ["url"], message: "is not a valid URL (the URL is not shown: it may hold a password)" })
      return { problems }
    }
    host = parsed.hostname.replace(/^\[(.*)\]$/, "$1") || undefined
    port = parsed.port ? Number(parsed.port) : undefined
    database = decode(parsed.pathname.replace(/^\//, "")) || undefined
    user = parsed.username ? decode(parsed.username) : undefined
    if (parsed.password && password === undefined) password = Redacted.make(decode(parsed.password))
    for (const [key, value] of parsed.searchParams) {
      if (key === "sslmode" || key === "ssl") {
        const mode = tlsModes[value.toLowerCase()]
        if (mode === undefined) problems.push({ path: ["url"], message: `has ${key}=${value}; use ${key}=disable or ${key}=require (verification follows tls.rejectUnauthorized)` })
        else tls = input.tls?.enabled ?? mode
      } else {
        problems.push({ path: ["url"], message: `has an unsupported parameter "${key}" (only sslmode is read; use the tls block for TLS options)` })
      }
    }
  }
  if (host === undefined || host.length === 0) {
    problems.push({ path: url === undefined ? ["host"] : ["url"], message: `is required: the ${input.dialect === "postgres" ? "PostgreSQL" : "MySQL/MariaDB"} server's host name (or give url)` })
  }
  if (problems.length > 0 || host === undefined) return { problems }
  return {
    target: {
      dialect: input.dialect,
      host,
      port: port ?? defaultPorts[input.dialect],
      ...(database === undefined ? {} : { database }),
      ...(user === undefined ? {} : { user }),
      ...(password === undefined ? {} : { password }),
      tls
    },
    problems
  }
}
