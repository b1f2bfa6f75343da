/**
 * `anysource setup plan|apply` end to end through the BUILT binary: the quickstart's fresh embedded identity source
 * is set up and synced; a typo is refused before any session; a saved plan is refused once the org moved; against a
 * standalone emulator (an org URL with a token): a conflicting mapping is shown and kept, a missing scope is named.
 */
import { startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { copyQuickstart, emulatorOf, ensureBuilt, removeTempDirs, run, show } from "./support/cli.ts"

beforeAll(ensureBuilt, 120_000)
afterAll(removeTempDirs)

const SOURCE = "0oaqu1ckstart0000001"

interface PersistedUser {
  readonly externalId: string
  readonly status: string
  readonly profile: Record<string, string>
  readonly oktaProfile?: Record<string, string>
}

describe("setup on the quickstart's fresh embedded identity source", () => {
  it("setup plan lists the custom attributes and mappings (exit 2); setup apply; nothing left; a sync carries the values onto Okta users", async () => {
    const dir = copyQuickstart({ setup: false })
    const plan = await run(dir, ["setup", "plan"])
    expect(plan.code, show(plan)).toBe(2)
    expect(plan.stdout).toContain(`Setup plan for identity source ${SOURCE} (the embedded emulator)`)
    for (const line of [
      '  + identity source attribute city (string, title "City", maxLength 50)',
      '  + identity source attribute title (string, title "Job title", maxLength 100)',
      "  + mapping appuser.department → department",
      "  + mapping appuser.managerId → managerId",
      "8 changes to apply."
    ])
      expect(plan.stdout).toContain(line)
    const json = await run(dir, ["setup", "plan", "--json"])
    expect(json.code, show(json)).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({
      identitySourceId: SOURCE,
      summary: { changes: 8, errors: 0 }
    })

    const refused = await run(dir, ["setup", "apply"])
    expect(refused.code, show(refused)).toBe(11)
    expect(refused.stderr).toContain("setup apply needs a confirmation (exit 11)")

    const applied = await run(dir, ["setup", "apply", "--yes"])
    expect(applied.code, show(applied)).toBe(0)
    expect(applied.stdout).toContain(`Applied 8 changes to identity source ${SOURCE}.`)
    const again = await run(dir, ["setup", "plan"])
    expect(again.code, show(again)).toBe(0)
    expect(again.stdout).toContain(
      "Nothing to change: the identity source's schema and mapping match the config."
    )

    const sync = await run(dir, ["apply", "--yes"])
    expect(sync.code, show(sync)).toBe(0)
    const users = emulatorOf(dir).users as ReadonlyArray<PersistedUser>
    const someone = users.find((u) => u.status === "ACTIVE" && u.profile["managerId"] !== undefined)!
    expect(someone.oktaProfile).toMatchObject({
      login: someone.profile["userName"],
      title: someone.profile["title"],
      department: someone.profile["department"],
      managerId: someone.profile["managerId"],
      city: someone.profile["city"]
    })
  }, 120_000)

  it("a typo'd attribute is refused before any session, with the config path, line and did-you-mean", async () => {
    const dir = copyQuickstart()
    const config = path.join(dir, "anysource.yaml")
    fs.writeFileSync(
      config,
      fs
        .readFileSync(config, "utf8")
        .replace("    department: department\n", "    departmnet: department\n")
        .replace("      department: { maxLength: 50, title: Department }", "      departmnet: { maxLength: 50, title: Department }")
    )
    const r = await run(dir, ["apply", "--yes"])
    expect(r.code, show(r)).toBe(3)
    expect(r.stderr).toMatch(
      new RegExp(
        `mapping\\.profile\\.departmnet: sends "departmnet", which identity source ${SOURCE} does not declare \\(did you mean "department"\\?\\) \\(anysource\\.yaml:33:5\\)`
      )
    )
    expect(r.stderr).toContain("`anysource setup plan` shows what is missing")
    expect(emulatorOf(dir).sessions).toEqual([])
  }, 120_000)

  it("apply --plan refuses a saved setup plan once the org moved (exit 8), and applies one that still holds", async () => {
    const dir = copyQuickstart({ setup: false })
    expect((await run(dir, ["setup", "plan", "--out", "first.json"])).code).toBe(2)
    expect((await run(dir, ["setup", "plan", "--out", "second.json"])).code).toBe(2)
    const applied = await run(dir, ["setup", "apply", "--plan", "first.json", "--yes"])
    expect(applied.code, show(applied)).toBe(0)
    const stale = await run(dir, ["setup", "apply", "--plan", "second.json", "--yes"])
    expect(stale.code, show(stale)).toBe(8)
    expect(stale.stderr).toContain("Okta's schema or mapping moved since second.json was made")
    expect(stale.stderr).toContain("Run `anysource setup plan`, review it, then `anysource setup apply`.")
  }, 120_000)
})

describe("setup against an org URL", () => {
  let emulator: RunningEmulator
  beforeAll(async () => {
    emulator = await startEmulator({
      strict: true,
      tokens: [
        { token: "admin-token-000000001" },
        {
          token: "sync-only-token-00001",
          scopes: ["okta.identitySources.read", "okta.identitySources.manage"]
        }
      ],
      identitySources: [{ id: "0oareal0000000000001", customAttributes: ["title", "legacy"] }]
    })
  })
  afterAll(() => emulator?.close())

  const orgCopy = () => {
    const dir = copyQuickstart({ setup: false })
    const config = path.join(dir, "anysource.yaml")
    fs.writeFileSync(
      config,
      fs
        .readFileSync(config, "utf8")
        .replace(
          "  orgUrl: embedded",
          `  orgUrl: ${emulator.url}\n  auth: { type: ssws, token: "\${OKTA_API_TOKEN}" }`
        )
        .replace(`identitySourceId: ${SOURCE}`, "identitySourceId: 0oareal0000000000001")
    )
    return dir
  }

  it("shows a conflicting mapping and an unused attribute, keeps both; --force and --prune change them", async () => {
    const admin = { OKTA_API_TOKEN: "admin-token-000000001" }
    const [summary] = (await (
      await fetch(`${emulator.url}/api/v1/mappings?sourceId=0oareal0000000000001`, {
        headers: { Authorization: "SSWS admin-token-000000001" }
      })
    ).json()) as Array<{ id: string }>
    await fetch(`${emulator.url}/api/v1/mappings/${summary!.id}`, {
      method: "POST",
      headers: { Authorization: "SSWS admin-token-000000001", "Content-Type": "application/json" },
      body: JSON.stringify({ properties: { title: { expression: "appuser.firstName" } } })
    })
    const dir = orgCopy()
    const plan = await run(dir, ["setup", "plan"], admin)
    expect(plan.code, show(plan)).toBe(2)
    expect(plan.stdout).toContain(
      "  ! title: Okta maps appuser.firstName, the config wants appuser.title (kept; --force replaces it)"
    )
    expect(plan.stdout).toContain(
      "  ? legacy is in the identity source's schema but the config never sends it (kept; --prune removes it)"
    )
    expect(plan.stdout).toContain("6 changes to apply (1 conflict kept, 1 unused attribute).")
    expect((await run(dir, ["setup", "apply", "--yes"], admin)).code).toBe(0)
    const kept = await run(dir, ["setup", "plan"], admin)
    expect(kept.code, show(kept)).toBe(0)
    expect(kept.stdout).toContain(
      "Nothing to change: the identity source's schema and mapping match the config (1 conflict kept, 1 unused attribute)."
    )
    const forced = await run(dir, ["setup", "apply", "--yes", "--force", "--prune"], admin)
    expect(forced.code, show(forced)).toBe(0)
    expect(forced.stderr).toContain("  ~ mapping onto title: appuser.firstName → appuser.title (--force)")
    expect(forced.stderr).toContain("  - identity source attribute legacy (not sent by the config; --prune)")
    expect((await run(dir, ["setup", "plan"], admin)).stdout).toContain(
      "Nothing to change: the identity source's schema and mapping match the config."
    )
  }, 120_000)

  it("a token without the schema scopes: the error names the scope and where an admin grants it", async () => {
    const dir = orgCopy()
    const env = { OKTA_API_TOKEN: "sync-only-token-00001" }
    const setup = await run(dir, ["setup", "plan"], env)
    expect(setup.code, show(setup)).toBe(7)
    expect(setup.stderr).toContain("the credentials lack the scope okta.schemas.read")
    expect(setup.stderr).toContain(
      "Applications → the service app → Okta API Scopes → Grant okta.schemas.read"
    )
    expect(setup.stderr).not.toContain("sync-only-token-00001")
    const plan = await run(dir, ["plan"], env)
    expect(plan.code, show(plan)).toBe(7)
    expect(plan.stderr).toContain("pass --skip-schema-check (or set okta.schemaCheck: false)")
    const skipped = await run(dir, ["plan", "--skip-schema-check"], env)
    expect(skipped.code, show(skipped)).toBe(2)
  }, 120_000)
})
