/**
 * @anysource/source-sql: the `sql` source adapter (PostgreSQL, MySQL/MariaDB, SQLite).
 *
 *   import { sqlSource } from "@anysource/source-sql"   // register with the app's sources
 */
export * as SqlGuard from "./SqlGuard.ts"
export * as SqlSource from "./SqlSource.ts"
export { definition as sqlSource } from "./SqlSource.ts"
