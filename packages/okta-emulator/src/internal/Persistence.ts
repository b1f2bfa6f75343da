import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { opaque } from "./Ids.ts"
import type { OrgSnapshot } from "./Org.ts"

/** Reads a saved org, or `undefined` when the file does not exist yet. */
export const loadSnapshot = (path: string): OrgSnapshot | undefined => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw e
  }
  const parsed = JSON.parse(text) as OrgSnapshot
  if (typeof parsed !== "object" || parsed === null || parsed.version !== 1) {
    throw new Error(`${path} is not an okta-emulator state file (version 1)`)
  }
  return parsed
}

/** Writes the org atomically: a temporary file in the same directory, then rename over the target. */
export const saveSnapshot = (path: string, snapshot: OrgSnapshot): void => {
  mkdirSync(dirname(path), { recursive: true })
  const temp = `${path}.${process.pid}.${opaque(8)}.tmp`
  try {
    writeFileSync(temp, JSON.stringify(snapshot))
    renameSync(temp, path)
  } catch (e) {
    rmSync(temp, { force: true })
    throw e
  }
}
