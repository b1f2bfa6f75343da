// Run by check-packages.sh inside the folder where the packed tarballs were installed with npm: the published
// @anysource/okta-emulator finds its vendored OpenAPI spec from dist/ (both entries) and, started strict,
// answers a malformed bulk-upsert 400 naming the field.
import {
  DEFAULT_API_TOKEN,
  DEFAULT_IDENTITY_SOURCE_ID,
  specPath,
  startEmulator
} from "@anysource/okta-emulator"
import { specPath as testingSpecPath } from "@anysource/okta-emulator/testing"
import { existsSync, realpathSync } from "node:fs"
import { join } from "node:path"

const fail = (message) => {
  console.error(`packed okta-emulator: ${message}`)
  process.exit(1)
}
const expected = join(
  realpathSync("node_modules/@anysource/okta-emulator"),
  "spec",
  "openapi-identity-sources.yaml"
)
for (const [entry, path] of [
  ["index", specPath()],
  ["testing", testingSpecPath()]
]) {
  if (realpathSync(path) !== expected || !existsSync(path))
    fail(`specPath() from dist/${entry} is ${path}, expected ${expected}`)
}
const emu = await startEmulator({ strict: true })
try {
  const base = `${emu.url}/api/v1/identity-sources/${DEFAULT_IDENTITY_SOURCE_ID}/sessions`
  const headers = { Authorization: `SSWS ${DEFAULT_API_TOKEN}`, "Content-Type": "application/json" }
  const session = await (await fetch(base, { method: "POST", headers })).json()
  const profiles = [{ externalId: "E1", profile: { userName: "ada@example.com", email: "ada@example.com" } }]
  const res = await fetch(`${base}/${session.id}/bulk-upsert`, {
    method: "POST",
    headers,
    body: JSON.stringify({ entityType: "PEOPLE", profiles })
  })
  const body = await res.json()
  const cause = body.errorCauses?.[0]?.errorSummary ?? ""
  if (res.status !== 400 || body.errorCode !== "E0000003" || !cause.startsWith("entityType:")) {
    fail(`strict mode answered ${res.status} ${JSON.stringify(body)} to entityType PEOPLE`)
  }
  console.log(`packed okta-emulator ok: spec at ${specPath()}; strict mode answers 400 "${cause}"`)
} finally {
  await emu.close()
}
