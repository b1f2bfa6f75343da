/** `host:port` for messages, with an IPv6 address in brackets. */
export const hostPort = (host: string, port: number): string =>
  `${host.includes(":") ? `[${host}]` : host}:${port}`
