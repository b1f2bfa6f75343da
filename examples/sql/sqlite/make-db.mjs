#!/usr/bin/env node
// Writes hr.db next to this file from ../seed.sql (uses better-sqlite3 from the repository's source-sql package).
//   node examples/sql/sqlite/make-db.mjs
import { readFileSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const here = (name) => fileURLToPath(new URL(name, import.meta.url))
const require = createRequire(here("../../../packages/source-sql/package.json"))
const Database = require("better-sqlite3")

const file = here("hr.db")
rmSync(file, { force: true })
const db = new Database(file)
db.exec(readFileSync(here("../seed.sql"), "utf8"))
const { n } = db.prepare("SELECT count(*) AS n FROM employees").get()
db.close()
console.log(`wrote ${file} (${n} employees)`)
