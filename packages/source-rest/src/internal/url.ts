/**
 * URL helpers: joining `baseUrl` + `path`, the HTTPS rule (loopback is exempt), same-origin checks for
 * server-supplied next links, and redaction of credentials before a URL appears in a location or a message.
 */
import { isIP } from "node:net"

/** `https://hr.example.com/api/v2` + `/employees` → `https://hr.example.com/api/v2/employees` (keeps the base path). */
export const joinUrl = (baseUrl: string, path: string): URL => {
  const base = new URL(baseUrl)
  if (path === "") return base
  const [pathname, search] = splitOnce(path, "?")
  const basePath = base.pathname.endsWith("/") ? base.pathname.slice(0, -1) : base.pathname
  const url = new URL(base.toString())
  url.pathname = `${basePath}${pathname.startsWith("/") ? "" : "/"}${pathname}`
  if (search !== undefined) {
    for (const [key, value] of new URLSearchParams(search)) url.searchParams.append(key, value)
  }
  return url
}

const splitOnce = (text: string, separator: string): [string, string | undefined] => {
  const at = text.indexOf(separator)
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

/** 127.0.0.0/8, ::1 and `localhost` (and `*.localhost`, RFC 6761): traffic that never leaves the machine. */
export const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname
  const lower = host.toLowerCase()
  if (lower === "localhost" || lower.endsWith(".localhost")) return true
  const kind = isIP(lower)
  if (kind === 4) return lower.startsWith("127.")
  if (kind === 6) return lower === "::1" || lower === "0:0:0:0:0:0:0:1" || lower.startsWith("::ffff:127.")
  return false
}

/** Whether a request to `url` is allowed: HTTPS always; HTTP only to loopback or when explicitly allowed. */
export const transportAllowed = (url: URL, allowInsecureHttp: boolean): boolean =>
  url.protocol === "https:" || (url.protocol === "http:" && (allowInsecureHttp || isLoopbackHost(url.hostname)))

/** Query parameters that carry credentials by convention; their values never appear in locations or messages. */
const secretParam = /^(access_?token|token|api[_-]?key|apikey|key|secret|client_?secret|password|passwd|signature|sig|auth)$/i

export const REDACTED = "REDACTED"

/**
 * The URL as shown to people: user info dropped, the API-key query parameter (and credential-looking
 * parameters) replaced by `REDACTED`.
 */
export const redactUrl = (url: URL, secretParams: ReadonlyArray<string> = []): string => {
  const copy = new URL(url.toString())
  copy.username = ""
  copy.password = ""
  const names = new Set<string>()
  for (const [name] of copy.searchParams) {
    if (secretParams.includes(name) || secretParam.test(name)) names.add(name)
  }
  for (const name of names) {
    const count = copy.searchParams.getAll(name).length
    copy.searchParams.delete(name)
    for (let i = 0; i < count; i++) copy.searchParams.append(name, REDACTED)
  }
  return copy.toString()
}
