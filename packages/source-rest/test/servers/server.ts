/**
 * A tiny HTTP server on 127.0.0.1 (port 0) for the adapter's tests: it records every request, hands each to a
 * handler, and on `close` destroys every socket it still holds (so tests never wait for keep-alive timeouts).
 */
import * as Http from "node:http"
import * as Https from "node:https"
import type { AddressInfo, Socket } from "node:net"

export interface Request {
  readonly method: string
  readonly url: URL
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

export type Handler = (request: Request, response: Http.ServerResponse) => void | Promise<void>

export interface TestServer {
  /** `http://127.0.0.1:PORT` (or `https://…`). */
  readonly url: string
  readonly requests: Array<Request>
  /** Requests whose path starts with `prefix`. */
  readonly count: (prefix?: string) => number
  readonly close: () => Promise<void>
}

export const json = (
  response: Http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | ReadonlyArray<string>> = {}
): void => {
  const text = JSON.stringify(body)
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers })
  response.end(text)
}

export const start = async (handler: Handler, tls?: { readonly key: string; readonly cert: string }): Promise<TestServer> => {
  const requests: Array<Request> = []
  const sockets = new Set<Socket>()
  const listener = (req: Http.IncomingMessage, res: Http.ServerResponse) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const request: Request = {
        method: req.method ?? "GET",
        url: new URL(req.url ?? "/", "http://127.0.0.1"),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8")
      }
      requests.push(request)
      Promise.resolve(handler(request, res)).catch((error: unknown) => {
        if (!res.headersSent) json(res, 500, { error: String(error) })
        else res.destroy()
      })
    })
  }
  const server = tls === undefined ? Http.createServer(listener) : Https.createServer({ key: tls.key, cert: tls.cert }, listener)
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    requests,
    count: (prefix = "/") => requests.filter((r) => r.url.pathname.startsWith(prefix)).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
