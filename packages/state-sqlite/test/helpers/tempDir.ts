import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"

/** A fresh directory under the OS temp dir, removed after the test file. */
export const tempDir = (prefix = "anysource-state-"): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

let counter = 0
/** A new, not yet existing database path inside `dir` (in a nested directory, so parent creation is exercised). */
export const freshDbPath = (dir: string): string =>
  join(dir, `db-${process.pid}-${++counter}`, "nested", "state.db")
