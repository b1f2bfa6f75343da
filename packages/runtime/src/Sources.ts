/**
 * THE source registry: every adapter the CLI, the Lambda and the worker can use, by `source.type`, in the order
 * `anysource sources` lists them. Adding a source is one line here and one dependency in this package's
 * package.json (`pnpm new:source <id> --register` writes both); nothing in the apps changes.
 *
 * Each adapter is imported only when a config names it (or when every one is needed: the JSON Schema,
 * `anysource sources`, `pnpm gen:docs`), so keep this module free of static imports of adapter packages.
 */
import * as Registry from "./Registry.ts"

export const registry: Registry.Registry = Registry.make([
  { id: "file", packageName: "@anysource/source-file", pureJs: true, load: () => import("@anysource/source-file").then((m) => m.FileSource) },
  { id: "sql", packageName: "@anysource/source-sql", pureJs: false, load: () => import("@anysource/source-sql").then((m) => m.sqlSource) },
  { id: "sftp", packageName: "@anysource/source-sftp", pureJs: false, load: () => import("@anysource/source-sftp").then((m) => m.SftpSource) },
  { id: "google-sheets", packageName: "@anysource/source-google-sheets", pureJs: true, load: () => import("@anysource/source-google-sheets").then((m) => m.GoogleSheetsSource) },
  { id: "rest", packageName: "@anysource/source-rest", pureJs: true, load: () => import("@anysource/source-rest").then((m) => m.RestSource) }
])
