/**
 * The integration tests run the real bundle (`dist/main.mjs`, what the container runs). Build it
 * when it is missing or older than any source it bundles (this app's and the workspace packages').
 */
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { bundlePath, workerDir } from "./harness.ts"

const newest = (dir: string): number => {
  let max = 0
  if (!existsSync(dir)) return max
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue
    const path = join(dir, entry.name)
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return max
}

export default function setup() {
  const packages = resolve(workerDir, "../../packages")
  const sources = [join(workerDir, "src"), join(workerDir, "tsup.config.ts"), ...readdirSync(packages).map((p) => join(packages, p, "src"))]
  const newestSource = Math.max(...sources.map((s) => (existsSync(s) && statSync(s).isFile() ? statSync(s).mtimeMs : newest(s))))
  if (existsSync(bundlePath) && statSync(bundlePath).mtimeMs >= newestSource) return
  execFileSync(process.execPath, [join(workerDir, "node_modules/tsup/dist/cli-default.js")], { cwd: workerDir, stdio: "inherit" })
}
