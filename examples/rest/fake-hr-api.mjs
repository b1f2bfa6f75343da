#!/usr/bin/env node
// A fake HR API on loopback for the examples in this folder (no dependencies, Node 20+).
//
//   node examples/rest/fake-hr-api.mjs            # listens on http://127.0.0.1:8787
//   PORT=9000 node examples/rest/fake-hr-api.mjs
//
// It behaves like a typical HR system's API:
// - POST /oauth/token           OAuth 2.0 client credentials (HTTP Basic or form), tokens expire after 15 minutes
// - GET  /v1/employees          cursor paging: ?limit=&cursor= → { data: [...], meta: { next_cursor, total } }
//                               nested records (work.email, personal.firstName, manager.id); Bearer token required
// - GET  /v1/people             offset paging: ?offset=&limit= → { people: [...], total }, flat records,
//                               X-API-Key header required
// Every response carries X-RateLimit-Limit / -Remaining / -Reset; more than 20 requests a second get a 429
// with Retry-After. Demo credentials: client anysource-demo / demo-secret, API key demo-api-key.
import { createServer } from "node:http"
import { pathToFileURL } from "node:url"

const firstNames = ["Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Tim", "Margaret"]
const lastNames = ["Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Perlman", "Berners-Lee", "Hamilton"]
const departments = ["Engineering", "Finance", "People", "Sales"]
const titles = ["Engineer", "Analyst", "Partner", "Account Executive"]

/** Deterministic employees: ids 1001…, the first one manages everyone, every 13th is terminated. */
export const employees = (count = 40) =>
  Array.from({ length: count }, (_, i) => {
    const first = firstNames[i % firstNames.length]
    const last = lastNames[(i * 5) % lastNames.length]
    return {
      id: String(1001 + i),
      personal: { firstName: first, lastName: last },
      work: {
        email: `${first}.${last}.${1001 + i}@example.com`.toLowerCase(),
        title: titles[i % titles.length],
        department: departments[i % departments.length],
        manager: i === 0 ? null : { id: "1001" }
      },
      employment: { status: i > 0 && i % 13 === 0 ? "terminated" : "active" }
    }
  })

const flat = (e) => ({
  employee_id: e.id,
  first_name: e.personal.firstName,
  last_name: e.personal.lastName,
  email: e.work.email,
  title: e.work.title,
  department: e.work.department,
  manager_id: e.work.manager?.id ?? null,
  status: e.employment.status
})

export const startFakeHrApi = ({
  port = 8787,
  count = 40,
  clientId = "anysource-demo",
  clientSecret = "demo-secret",
  apiKey = "demo-api-key",
  perSecond = 20
} = {}) =>
  new Promise((resolve) => {
    const people = employees(count)
    const tokens = new Map()
    let windowStart = Date.now()
    let used = 0
    const send = (res, status, body, headers = {}) => {
      const text = JSON.stringify(body)
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers })
      res.end(text)
    }
    const server = createServer((req, res) => {
      const chunks = []
      req.on("data", (c) => chunks.push(c))
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1")
        const now = Date.now()
        if (now - windowStart >= 1000) {
          windowStart = now
          used = 0
        }
        used++
        const reset = Math.max(1, Math.ceil((windowStart + 1000 - now) / 1000))
        const limits = {
          "x-ratelimit-limit": String(perSecond),
          "x-ratelimit-remaining": String(Math.max(0, perSecond - used)),
          "x-ratelimit-reset": String(reset)
        }
        if (used > perSecond) return send(res, 429, { error: "rate_limited" }, { ...limits, "retry-after": String(reset) })

        if (url.pathname === "/oauth/token" && req.method === "POST") {
          const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"))
          const basic = req.headers.authorization?.startsWith("Basic ")
            ? Buffer.from(req.headers.authorization.slice(6), "base64").toString("utf8").split(":").map(decodeURIComponent)
            : undefined
          const id = basic ? basic[0] : form.get("client_id")
          const secret = basic ? basic[1] : form.get("client_secret")
          if (form.get("grant_type") !== "client_credentials") return send(res, 400, { error: "unsupported_grant_type" })
          if (id !== clientId || secret !== clientSecret) return send(res, 401, { error: "invalid_client" })
          const token = `demo-${Math.random().toString(36).slice(2)}`
          tokens.set(token, now + 15 * 60 * 1000)
          return send(res, 200, { access_token: token, token_type: "Bearer", expires_in: 900 })
        }

        if (url.pathname === "/v1/employees") {
          const auth = req.headers.authorization ?? ""
          const expires = tokens.get(auth.replace(/^Bearer /, ""))
          if (!auth.startsWith("Bearer ") || expires === undefined || expires < now) {
            return send(res, 401, { error: "invalid_token" }, limits)
          }
          const limit = Math.min(100, Number(url.searchParams.get("limit") ?? 25))
          const cursor = url.searchParams.get("cursor")
          const start = cursor ? Number(Buffer.from(cursor, "base64url").toString("utf8")) : 0
          const end = start + limit
          const next = end < people.length ? Buffer.from(String(end)).toString("base64url") : null
          return send(res, 200, { data: people.slice(start, end), meta: { next_cursor: next, total: people.length } }, limits)
        }

        if (url.pathname === "/v1/people") {
          if (req.headers["x-api-key"] !== apiKey) return send(res, 401, { error: "invalid api key" }, limits)
          const offset = Number(url.searchParams.get("offset") ?? 0)
          const limit = Math.min(100, Number(url.searchParams.get("limit") ?? 25))
          return send(res, 200, { people: people.slice(offset, offset + limit).map(flat), total: people.length }, limits)
        }

        send(res, 404, { error: "not found" })
      })
    })
    server.listen(port, "127.0.0.1", () => {
      const address = server.address()
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        people,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const api = await startFakeHrApi({ port: Number(process.env.PORT ?? 8787) })
  process.stdout.write(`fake HR API on ${api.url} (client anysource-demo / demo-secret, API key demo-api-key); Ctrl-C stops it\n`)
}
