#!/usr/bin/env node
// After the README's first command line: the quickstart report must show users created in the
// embedded emulator and the deliberately invalid sample rows reported with their locations.
import { readFileSync } from "node:fs"

const fail = (msg) => {
  console.error(`quickstart check failed: ${msg}`)
  process.exit(1)
}
let report
try {
  report = JSON.parse(readFileSync("examples/quickstart/.anysource/report.json", "utf8"))
} catch (e) {
  fail(`no readable report at examples/quickstart/.anysource/report.json (${e.message})`)
}
if (!["applied", "no-changes"].includes(report.outcome)) fail(`outcome is ${report.outcome}: ${report.error?.message ?? ""}`)
const created = report.summary?.users?.create ?? 0
const unchanged = report.summary?.users?.unchanged ?? 0
if (created + unchanged < 100) fail(`expected the sample population in Okta, got ${created} created / ${unchanged} unchanged`)
const invalid = (report.issues ?? []).filter((i) => i.kind === "invalid")
if (invalid.length === 0) fail("the invalid sample rows were not reported")
if (!invalid.every((i) => /people\.csv:\d+/.test(i.location))) fail("invalid rows must name people.csv:<line>")
const emulator = JSON.parse(readFileSync("examples/quickstart/.anysource/emulator.json", "utf8"))
const text = JSON.stringify(emulator)
const sample = report.plan?.users?.find((c) => c.op === "create")?.externalId
if (sample && !text.includes(sample)) fail(`user ${sample} is not in the emulator's directory`)
console.log(`quickstart ok: ${created} users created, ${unchanged} unchanged, ${invalid.length} invalid rows reported, outcome ${report.outcome}`)
