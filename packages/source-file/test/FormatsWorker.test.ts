/**
 * The whole Formats suite again, decoding in the worker thread (ANYSOURCE_DECODE_WORKER=1 makes `worker: "auto"`
 * use it whatever the size): rows, locations, encodings, gzip, checksums, every error message and interruption
 * must be the same on both paths.
 */
import { afterAll, beforeAll } from "vitest"
import "./Formats.test.ts"

beforeAll(() => {
  process.env["ANYSOURCE_DECODE_WORKER"] = "1"
})
afterAll(() => {
  delete process.env["ANYSOURCE_DECODE_WORKER"]
})
