#!/usr/bin/env node
/* global process */
// Assemble the Lambda code directory that template.yaml deploys (CodeUri: dist/lambda-package/):
//   handler.mjs (+ .map)  the one-file bundle from `pnpm --filter @anysource/lambda build`
//   anysource.yaml         the default pipeline (ANYSOURCE_CONFIG's default)
//   pipelines/*.yaml       named pipelines, invoked with { "pipeline": "<name>" }
//   anything --include'd   e.g. a CA bundle referenced by state.url (sslrootcert=/var/task/rds-ca.pem)
//
//   node scripts/package.mjs [--config FILE] [--pipelines DIR] [--include FILE]... [--out DIR]
// Defaults: --config ../../examples/lambda/anysource.yaml, --pipelines ../../examples/lambda/pipelines (if present),
// --out dist/lambda-package.
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const appDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
const example = Path.resolve(appDir, "../../examples/lambda")
const { values } = parseArgs({
  options: {
    config: { type: "string", default: Path.join(example, "anysource.yaml") },
    pipelines: { type: "string" },
    include: { type: "string", multiple: true, default: [] },
    out: { type: "string", default: Path.join(appDir, "dist", "lambda-package") }
  }
})

const fail = (message) => {
  process.stderr.write(`package: ${message}\n`)
  process.exit(1)
}

const bundle = Path.join(appDir, "dist", "handler.mjs")
if (!Fs.existsSync(bundle)) fail(`${bundle} is missing: run \`pnpm --filter @anysource/lambda build\` first`)
const config = Path.resolve(values.config)
if (!Fs.existsSync(config)) fail(`config ${config} not found`)
const ext = Path.extname(config).toLowerCase()
if (![".yaml", ".yml", ".json"].includes(ext)) fail(`config must be YAML or JSON (Lambda bundles no TypeScript loader for configs), got ${ext}`)
const pipelines = values.pipelines ?? (Fs.existsSync(Path.join(Path.dirname(config), "pipelines")) ? Path.join(Path.dirname(config), "pipelines") : undefined)

const out = Path.resolve(values.out)
Fs.rmSync(out, { recursive: true, force: true })
Fs.mkdirSync(out, { recursive: true })
Fs.copyFileSync(bundle, Path.join(out, "handler.mjs"))
if (Fs.existsSync(`${bundle}.map`)) Fs.copyFileSync(`${bundle}.map`, Path.join(out, "handler.mjs.map"))
Fs.copyFileSync(config, Path.join(out, ext === ".json" ? "anysource.json" : "anysource.yaml"))
if (pipelines !== undefined) {
  Fs.mkdirSync(Path.join(out, "pipelines"))
  for (const name of Fs.readdirSync(pipelines).filter((n) => /\.(ya?ml|json)$/i.test(n)))
    Fs.copyFileSync(Path.join(pipelines, name), Path.join(out, "pipelines", name))
}
for (const file of values.include) Fs.copyFileSync(Path.resolve(file), Path.join(out, Path.basename(file)))
const listing = Fs.readdirSync(out, { recursive: true }).sort()
process.stdout.write(`${out}\n${listing.map((f) => `  ${f}`).join("\n")}\n`)
if (ext === ".json") process.stdout.write("note: set ANYSOURCE_CONFIG=anysource.json in the function's environment\n")
