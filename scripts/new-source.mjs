#!/usr/bin/env node
// Scaffold a new source adapter from packages/source-example:
//
//   pnpm new:source <id> [--name "Display Name"] [--register] [--native] [--root <repo dir>]
//
// Copies packages/source-example to packages/source-<id>, renames the package, the adapter id and the
// exported names (ExampleSource → <Id>Source, ExampleConfig → <Id>Config), makes the package publishable
// (no "private", a publishConfig like the other packages) and writes a README stub. The new package is green:
// its conformance tests pass as is.
//
// Registering it touches two files outside the package, both in packages/runtime (the one registry every app
// reads): a line in src/Sources.ts and a dependency in package.json. `--register` writes both; without it the
// script prints them. `pnpm install` then updates pnpm-lock.yaml, and `pnpm gen:docs` adds the adapter to the
// generated source tables. `--native`: the adapter needs a native module, so the Lambda bundle leaves it out.
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const usage = `usage: pnpm new:source <id> [--name "Display Name"] [--register] [--native] [--root <repo dir>]
  <id>        the source.type users will write: lower-case kebab-case, e.g. workday, hr-api, bamboo-hr
  --register  add it to the registry (packages/runtime/src/Sources.ts and packages/runtime/package.json)
  --native    it needs a native module: not offered by the Lambda bundle (pureJs: false)`

const fail = (message) => {
  process.stderr.write(`new-source: ${message}\n${usage}\n`)
  process.exit(1)
}

// ---------------------------------------------------------------------------------------------------------------
// arguments

const args = process.argv.slice(2)
let id
let displayName
let register = false
let pureJs = true
let root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
for (let i = 0; i < args.length; i++) {
  const arg = args[i]
  if (arg === "--help" || arg === "-h") {
    process.stdout.write(`${usage}\n`)
    process.exit(0)
  } else if (arg === "--root") root = resolve(args[++i] ?? fail("--root needs a directory"))
  else if (arg.startsWith("--root=")) root = resolve(arg.slice("--root=".length))
  else if (arg === "--name") displayName = args[++i] ?? fail("--name needs a value")
  else if (arg.startsWith("--name=")) displayName = arg.slice("--name=".length)
  else if (arg === "--register") register = true
  else if (arg === "--native") pureJs = false
  else if (arg.startsWith("-")) fail(`unknown option ${arg}`)
  else if (id === undefined) id = arg
  else fail(`unexpected argument ${arg}`)
}

if (id === undefined) fail("missing <id>")
if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(id))
  fail(`"${id}" is not a valid id: use lower-case kebab-case (a-z, 0-9, -)`)
if (["example", "core", "test"].includes(id)) fail(`"${id}" is reserved`)

const words = id.split("-")
const pascal = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")
const title = displayName ?? words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(" ")
const packageName = `@anysource/source-${id}`
const template = join(root, "packages", "source-example")
const target = join(root, "packages", `source-${id}`)

if (!existsSync(join(template, "package.json"))) fail(`template not found: ${template}`)
if (existsSync(target)) fail(`${relative(root, target)} already exists`)

// ---------------------------------------------------------------------------------------------------------------
// copy

const skip = new Set([
  "node_modules",
  "dist",
  ".turbo",
  "coverage",
  "test-results.json",
  "CHANGELOG.md",
  "scaffold.test.ts"
])
cpSync(template, target, {
  recursive: true,
  filter: (source) => !skip.has(source.split(/[\\/]/).pop())
})

// ---------------------------------------------------------------------------------------------------------------
// rename: only the template's own names, never the word "example" in general (example.com stays as is)

const replacements = [
  [/@anysource\/source-example/g, packageName],
  [/packages\/source-example/g, `packages/source-${id}`],
  [/source-example/g, `source-${id}`],
  [/ExampleSource/g, `${pascal}Source`],
  [/ExampleConfig/g, `${pascal}Config`],
  [/const ID = "example"/g, `const ID = ${JSON.stringify(id)}`],
  [/displayName: "Example"/g, `displayName: ${JSON.stringify(title)}`],
  [/source: "example"/g, `source: ${JSON.stringify(id)}`],
  [/type: example\b/g, `type: ${id}`],
  [/anysource sources example\b/g, `anysource sources ${id}`]
]

const textFiles = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return textFiles(path)
    return /\.(ts|mts|js|mjs|json|md|yaml|yml)$/.test(name) ? [path] : []
  })

for (const file of textFiles(target)) {
  const before = readFileSync(file, "utf8")
  const after = replacements.reduce((text, [pattern, value]) => text.replace(pattern, value), before)
  if (after !== before) writeFileSync(file, after)
}
for (const [from, to] of [
  ["src/ExampleSource.ts", `src/${pascal}Source.ts`],
  ["test/ExampleSource.test.ts", `test/${pascal}Source.test.ts`]
]) {
  if (existsSync(join(target, from))) renameSync(join(target, from), join(target, to))
}

// ---------------------------------------------------------------------------------------------------------------
// package.json: publishable like the other adapters

const manifestPath = join(target, "package.json")
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"))
delete manifest.private
manifest.name = packageName
manifest.description = `anysource source: ${title}.`
manifest.publishConfig = {
  access: "public",
  exports: { ".": { types: "./dist/index.d.ts", import: "./dist/index.js" } }
}
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)

// ---------------------------------------------------------------------------------------------------------------
// README stub (the template's README describes the template, not the new adapter)

writeFileSync(
  join(target, "README.md"),
  `# ${packageName}

anysource source adapter: ${title}. It reads rows from your upstream and hands them to the anysource
pipeline (mapping, validation, plan, Okta). <!-- TODO: one sentence on what it reads and how. -->

## Install

\`\`\`bash
npm install ${packageName} @anysource/core effect
\`\`\`

## Minimal example

\`\`\`yaml
source:
  type: ${id}
  file: people.json   # TODO: your adapter's settings
\`\`\`

## Config

| key | env var | type | default | secret |
| --- | --- | --- | --- | --- |
| \`file\` | — | string | — | no |
| \`people\` | — | list of objects | — | no |
| \`encoding\` | — | \`utf8\` \\| \`latin1\` | \`utf8\` | no |

Write secrets as \`\${ENV_VAR}\` (or set \`ENV_VAR_FILE\`); declare them with \`Config.secret()\`.

## Errors

| reason | meaning | retried? |
| --- | --- | --- |
| \`NotFound\` | the file does not exist | no |
| \`Permission\` | the file is not readable | no |
| \`Read\` | an I/O error while reading | yes |
| \`Decode\` | not a JSON array of objects (the location names the bad row) | no |
`
)

// ---------------------------------------------------------------------------------------------------------------
// the registry: one line in packages/runtime/src/Sources.ts, one dependency in packages/runtime/package.json

const registryLine = `{ id: ${JSON.stringify(id)}, packageName: ${JSON.stringify(packageName)}, pureJs: ${pureJs}, load: () => import(${JSON.stringify(packageName)}).then((m) => m.${pascal}Source) }`
const registryFile = join(root, "packages", "runtime", "src", "Sources.ts")
const runtimeManifest = join(root, "packages", "runtime", "package.json")

if (register) {
  if (!existsSync(registryFile) || !existsSync(runtimeManifest)) fail(`--register: ${relative(root, registryFile)} or ${relative(root, runtimeManifest)} not found`)
  const text = readFileSync(registryFile, "utf8")
  const end = text.lastIndexOf("\n])")
  if (end < 0) fail(`--register: no "])" closing the registry in ${relative(root, registryFile)}`)
  const before = text.slice(0, end).trimEnd()
  writeFileSync(registryFile, `${before}${before.endsWith(",") || before.endsWith("[") ? "" : ","}\n  ${registryLine}${text.slice(end)}`)
  const runtime = JSON.parse(readFileSync(runtimeManifest, "utf8"))
  runtime.dependencies = Object.fromEntries(Object.entries({ ...runtime.dependencies, [packageName]: "workspace:*" }).sort(([a], [b]) => a.localeCompare(b)))
  writeFileSync(runtimeManifest, `${JSON.stringify(runtime, null, 2)}\n`)
}

// ---------------------------------------------------------------------------------------------------------------
// next steps

const where = relative(process.cwd(), target) || "."
const registration = register
  ? `Registered it in packages/runtime (the one registry every app reads):
  packages/runtime/src/Sources.ts    ${registryLine}
  packages/runtime/package.json      "${packageName}": "workspace:*"`
  : `Register it in packages/runtime (the one registry every app reads), or run again with --register:
  1. packages/runtime/src/Sources.ts, a line in the registry:
       ${registryLine}
  2. packages/runtime/package.json, in "dependencies":
       "${packageName}": "workspace:*"`
process.stdout.write(`Created ${packageName} in ${where}

${registration}

Then:
  pnpm install     (updates pnpm-lock.yaml: the third and last file outside the package)
  pnpm gen:docs    (adds it to the generated source tables of README.md and docs/configuration.md)
  implement src/${pascal}Source.ts (the parts marked YOUR UPSTREAM, and its docs: summary and init example) and
  keep test/${pascal}Source.test.ts green:  pnpm --filter ${packageName} test
  pnpm changeset   (a minor bump: "New source: ${title}")
`)
