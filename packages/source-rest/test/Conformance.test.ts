/**
 * The shared SourceConformance battery, twice: a cursor-paged API behind OAuth 2.0 client credentials (the
 * typical HR API), and an offset-paged API without auth whose upstream is down (the failing config).
 */
import { SourceConformance } from "@anysource/core/testing"
import { RestSource } from "../src/index.ts"
import { authConfig, startAuthApi, type AuthServer } from "./servers/auth.ts"
import { configFor, startPaging, type PagingServer } from "./servers/paging.ts"

let oauth: AuthServer
SourceConformance.run({
  definition: RestSource,
  setup: async () => {
    oauth = await startAuthApi("oauth2", { expiresIn: 3600, paging: { style: "cursor", total: 23, pageSize: 5 } })
  },
  teardown: () => oauth.close(),
  validConfig: () => ({ ...configFor("cursor", oauth.url), auth: authConfig("oauth2", oauth.url) }),
  invalidConfigs: [
    {},
    { baseUrl: "not a url" },
    { baseUrl: "http://hr.example.com/api" },
    { baseUrl: "https://hr.example.com/api", records: "data.items" },
    { baseUrl: "https://hr.example.com/api", pagination: { type: "cursor" } },
    { baseUrl: "https://hr.example.com/api", pagination: { type: "scroll" } },
    { baseUrl: "https://hr.example.com/api", auth: { type: "bearer" } },
    { baseUrl: "https://hr.example.com/api", maxPages: 0 },
    { baseUrl: "https://hr.example.com/api", body: { a: 1 } },
    { baseUrl: "https://hr.example.com/api", unknownKey: true }
  ],
  expectedRows: 23,
  failingConfig: () => ({ ...configFor("cursor", oauth.url), auth: authConfig("oauth2", oauth.url, true) }),
  upstreamReads: () => oauth?.apiRequests() ?? 0
})

let offset: PagingServer
SourceConformance.run({
  definition: RestSource,
  setup: async () => {
    offset = await startPaging({ style: "offset", total: 12, faults: [{ kind: "status500", page: 2 }] })
  },
  teardown: () => offset.close(),
  validConfig: () => ({ ...configFor("offset", offset.url, 20) }),
  invalidConfigs: [{ baseUrl: "https://hr.example.com", pagination: { type: "offset", stopOnEmptyPage: false } }],
  expectedRows: 12,
  failingConfig: () => ({ ...configFor("offset", offset.url, 5), retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 } }),
  upstreamReads: () => offset?.requests.length ?? 0
})
