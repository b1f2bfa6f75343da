/**
 * `@anysource/source-google-sheets/testing`: `FakeSheetsServer.start(options)`, a local Google Sheets API v4 server
 * (spreadsheets.get, values.get, values:batchGet, the OAuth token endpoint) that the real googleapis client talks
 * to through `rootUrl` — for this package's tests and other packages' end-to-end tests.
 */
export * as FakeSheetsServer from "./testing/FakeSheetsServer.ts"
